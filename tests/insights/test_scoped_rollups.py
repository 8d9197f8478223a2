"""The rollups that keep a figure's cost flat as cases grow: durations in histogram buckets (their medians are
the exact ones within the deadlines' range), each mediator's open cases kept as cases move (they match the
case table after any series of moves, and after a recount), and every count kept in the scopes a figure reads
(the sum over all categories and enterprises equals the sum of the parts)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from accord.clock import WeekdayCalendar
from accord.settings import get_settings
from cases.tables import TERMINAL_STATES, Case
from insights import rollups
from insights.rollups import ALL_CATEGORIES, ALL_ENTERPRISES, BUCKETS, bucket
from insights.service import Filters, figures, mediator_load, open_cases_held, percentile
from insights.tables import CaseFact, MonthlyCount
from tests.cases.conftest import Cast, act, cast, file_case, parties, to_mediation  # noqa: F401 - fixtures
from tests.insights.conftest import History, counted

SPRING = dict(start=date(2025, 3, 1), end=date(2025, 3, 31))


def test_buckets_are_exact_up_to_twenty_working_days_then_wider() -> None:
    assert [bucket(days) for days in (0, 1, 7, 20)] == [0, 1, 7, 20]
    assert [bucket(days) for days in (21, 25, 26, 61, 399, 400, 5000, -3)] == [25, 25, 30, 90, 400, 400, 400, 0]
    assert len(BUCKETS) == len(set(BUCKETS)) == 31 and list(BUCKETS) == sorted(BUCKETS)
    # A median past 20 working days is told as its bucket's last day (at most that many).
    assert percentile(Counter(bucket(d) for d in (3, 22, 23)), 0.5) == 25


def exact(values: list[int], share: float) -> int:
    """The nearest-rank percentile of the values themselves."""
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


async def test_histogram_medians_equal_the_exact_medians_of_the_cases(history: History) -> None:
    facts = await CaseFact.select(CaseFact.first_response_days, CaseFact.closing_days).where(
        CaseFact.enterprise == history.enterprise_id
    )
    found = await figures(Filters(**SPRING, enterprise_id=history.enterprise_id))
    for column, figure in (("first_response_days", "first_response_days"), ("closing_days", "closing_days")):
        values = [row[column] for row in facts if row[column] is not None]
        assert values, column
        assert found[figure] == {
            "count": len(values),
            "median": exact(values, 0.5),
            "p90": exact(values, 0.9),
        }, column


async def test_the_scope_of_all_sums_its_parts(history: History) -> None:
    """Every (month, metric) of the all-categories-all-enterprises scope equals the sum of its own rows."""
    parts: Counter[tuple[str, str]] = Counter()
    rows = await MonthlyCount.select(MonthlyCount.month, MonthlyCount.metric, MonthlyCount.count).where(
        MonthlyCount.category != ALL_CATEGORIES, MonthlyCount.enterprise != ALL_ENTERPRISES
    )
    for row in rows:
        parts[(row["month"], row["metric"])] += row["count"]
    whole: Counter[tuple[str, str]] = Counter()  # summed: on PostgreSQL a key may be kept in several shards
    for row in await MonthlyCount.select(MonthlyCount.month, MonthlyCount.metric, MonthlyCount.count).where(
        MonthlyCount.category == ALL_CATEGORIES, MonthlyCount.enterprise == ALL_ENTERPRISES
    ):
        whole[(row["month"], row["metric"])] += row["count"]
    assert {key: n for key, n in whole.items() if n} == {key: n for key, n in parts.items() if n}
    assert (await figures(Filters(**SPRING)))["filed"] == 10  # both enterprises' cases


async def held_in_the_case_table() -> dict[int, dict[str, int]]:
    rows = await (
        Case.select(Case.mediator, Case.state, Count(Case.id).as_alias("n"))
        .where(Case.mediator.is_not_null(), Case.state.not_in([state.value for state in TERMINAL_STATES]))
        .group_by(Case.mediator, Case.state)
    )
    held: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        held[row["mediator"]][row["state"]] = row["n"]
    return dict(held)


async def test_open_cases_per_mediator_follow_the_moves_and_match_the_case_table(cast: Cast) -> None:
    admitted = await to_mediation(cast)  # claimed and admitted: in mediation with the mediator
    closed = await to_mediation(cast)
    assert (await act(cast.mediator, closed, "close_unresolved", note="No agreement.")).status_code == 200
    released = await file_case(cast)
    await act(cast.merchant, released, "respond", kind="reject", text="No.")
    await act(cast.consumer, released, "request_mediation")
    assert (await act(cast.mediator, released, "claim")).status_code == 200
    assert (await act(cast.mediator, released, "release")).status_code == 200
    handed = await file_case(cast)
    await act(cast.merchant, handed, "respond", kind="reject", text="No.")
    await act(cast.consumer, handed, "request_mediation")
    assert (await act(cast.mediator, handed, "claim")).status_code == 200
    moved = await act(cast.admin, handed, "reassign", mediator_id=cast.other_mediator_id)
    assert moved.status_code == 200, moved.text
    await counted()
    held = await open_cases_held()
    assert held == await held_in_the_case_table()
    assert held[cast.mediator_id] == {"in_mediation": 1}
    assert held[cast.other_mediator_id] == {"awaiting_mediator": 1}
    load = {item["mediator_id"]: item for item in await mediator_load({})}
    assert load[cast.mediator_id]["open"] == 1 and load[cast.other_mediator_id]["by_state"] == {"awaiting_mediator": 1}
    assert admitted["reference"] != closed["reference"]
    # A recount from the records comes to the same counts.
    await rollups.rebuild(WeekdayCalendar(), get_settings().timezone)
    assert await open_cases_held() == await held_in_the_case_table()


async def test_a_facts_row_remembers_who_held_the_case(cast: Cast) -> None:
    case = await to_mediation(cast)
    await counted()
    fact = await CaseFact.select(CaseFact.mediator).where(CaseFact.case.reference == case["reference"]).first()
    assert fact == {"mediator": cast.mediator_id}
    total = await MonthlyCount.select(Sum(MonthlyCount.count).as_alias("n")).where(
        MonthlyCount.metric == f"open:{cast.mediator_id}:in_mediation",
        MonthlyCount.category == ALL_CATEGORIES,
        MonthlyCount.enterprise == ALL_ENTERPRISES,
    )
    assert total[0]["n"] == 1
