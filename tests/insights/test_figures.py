"""The figures against a hand-built history with known answers (tests/insights/conftest.py), read from the
rollups kept in the events' transactions and again after `rebuild()` recounts them from the records."""

from __future__ import annotations

from datetime import date
from typing import Any

from accord.clock import WeekdayCalendar
from accord.db import write_transaction
from accord.settings import get_settings
from insights import rollups
from insights.rollups import ALL_CATEGORIES, ALL_ENTERPRISES, add_counts
from insights.service import Filters, enterprise_rates, figures, percentile
from tests.insights.conftest import History

SPRING = dict(start=date(2025, 3, 1), end=date(2025, 3, 31))


def test_percentiles_are_nearest_rank() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({1: 1, 2: 1, 5: 1, 8: 1}, 0.5) == 2
    assert percentile({1: 1, 2: 1, 5: 1, 8: 1}, 0.9) == 8
    assert percentile({3: 10}, 0.9) == 3


def check(found: dict) -> None:
    assert found["filed"] == 6
    assert (found["responded"], found["response_rate"]) == (4, 0.6667)
    assert found["first_response_days"] == {"count": 4, "median": 2, "p90": 8}
    assert found["closed"] == 3
    assert found["outcomes"] == {"resolved": 1, "unresolved": 0, "declined": 0, "withdrawn": 2}
    assert found["closing_days"] == {"count": 3, "median": 5, "p90": 6}
    assert (found["settled"], found["settlement_rate"]) == (2, 0.3333)
    assert (found["fulfilled"], found["breached"], found["fulfilment_rate"]) == (1, 1, 0.5)
    assert found["by_state"] == {
        "filed": 1,
        "negotiating": 1,
        "awaiting_mediator": 0,
        "in_mediation": 0,
        "settled": 0,
        "breached": 1,
        "resolved": 1,
        "unresolved": 0,
        "declined": 0,
        "withdrawn": 2,
    }
    assert found["ratings"]["count"] == 1 and found["ratings"]["mean"] == 4
    assert found["by_month"] == [{"month": "2025-03", "filed": 6, "closed": 3, "resolved": 1}]
    assert found["by_category"] == [{"category": "not_as_described", "filed": 6}]
    assert found["by_currency"] == [{"value": "CNY", "filed": 6}]
    assert found["by_country"] == [{"value": "CN", "filed": 6}]
    assert found["by_platform"] == [{"value": "tmall global", "filed": 6}]


async def test_figures_of_the_known_history(history: History) -> None:
    check(await figures(Filters(**SPRING, enterprise_id=history.enterprise_id)))


async def test_a_range_before_the_history_counts_nothing_in_it(history: History) -> None:
    found = await figures(Filters(start=date(2025, 1, 1), end=date(2025, 2, 28), enterprise_id=history.enterprise_id))
    assert found["filed"] == 0 and found["first_response_days"]["median"] is None
    assert found["by_state"]["withdrawn"] == 2  # the states now, whatever the range


async def test_per_enterprise_rates_only_from_five_cases(history: History) -> None:
    rows = await enterprise_rates(Filters(**SPRING))
    ids = {row["enterprise_id"] for row in rows}
    assert history.enterprise_id in ids and history.small_enterprise_id not in ids
    ours = next(row for row in rows if row["enterprise_id"] == history.enterprise_id)
    assert (ours["filed"], ours["response_rate"], ours["fulfilment_rate"]) == (6, 0.6667, 0.5)


async def test_rebuild_from_the_records_gives_the_same_figures(history: History) -> None:
    await rollups.rebuild(WeekdayCalendar(), get_settings().timezone)
    check(await figures(Filters(**SPRING, enterprise_id=history.enterprise_id)))


def test_whole_months_of_a_range() -> None:
    from insights.service import whole_months

    assert whole_months(date(2025, 3, 1), date(2025, 3, 31)) == (date(2025, 3, 1), date(2025, 4, 1))
    assert whole_months(date(2025, 2, 15), date(2025, 4, 10)) == (date(2025, 3, 1), date(2025, 4, 1))
    assert whole_months(date(2025, 3, 2), date(2025, 3, 31)) is None
    assert whole_months(date(2024, 12, 31), date(2025, 1, 31)) == (date(2025, 1, 1), date(2025, 2, 1))


async def test_ranges_across_and_within_months_add_days_and_months_alike(history: History) -> None:
    for start, end in ((date(2025, 3, 2), date(2025, 3, 31)), (date(2025, 2, 15), date(2025, 4, 10))):
        found = await figures(Filters(start, end, enterprise_id=history.enterprise_id))
        assert (found["filed"], found["closed"], found["first_response_days"]["median"]) == (6, 3, 2), (start, end)
    only_days = await figures(Filters(date(2025, 3, 4), date(2025, 3, 10), enterprise_id=history.enterprise_id))
    assert (only_days["filed"], only_days["closed"]) == (0, 2)  # C3 withdrawn on the 4th, C1 resolved on the 10th


async def test_categories_filed_as_often_are_ranked_by_name_whatever_order_their_rows_come_in(app: Any) -> None:
    day, everyone = date(2026, 3, 2), ALL_CATEGORIES
    async with write_transaction():
        for category in ("warranty", "counterfeit", "not_delivered"):  # stored out of alphabetical order
            await add_counts({(day, everyone, ALL_ENTERPRISES, f"filed_by:category:{category}"): 4})
    ranked = (await figures(Filters(start=date(2026, 3, 1), end=date(2026, 4, 1))))["by_category"]
    assert [row["category"] for row in ranked] == ["counterfeit", "not_delivered", "warranty"]
