"""The figures, read from the rollups in SQL: each query sums `insight_daily` rows grouped by metric (and
month, category or enterprise), so its cost follows the number of days, categories and enterprises in the
range, never the number of cases. Percentiles come from the duration counts (working days → how many cases).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from accounts.tables import Enterprise, User
from cases.tables import TERMINAL_STATES, Case, CaseState
from insights.rollups import TRACE_PREFIX, TRACE_STATUSES
from insights.tables import DailyCount, MonthlyCount

OUTCOMES = ("resolved", "unresolved", "declined", "withdrawn")
OPEN_STATES = tuple(state.value for state in CaseState if state not in TERMINAL_STATES)
PUBLIC_MINIMUM = 5  # per-enterprise rates are public only for enterprises with at least this many cases


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    category: str | None = None
    enterprise_id: int | None = None
    enterprises: tuple[int, ...] | None = None  # only these (a platform's merchants); never empty

    def __post_init__(self) -> None:
        assert self.enterprises is None or self.enterprises, "no enterprise is no filter: ask for nothing instead"


def _where(table: Any, filters: Filters) -> list[Any]:
    where: list[Any] = []
    if filters.category:
        where.append(table.category == filters.category)
    if filters.enterprise_id is not None:
        where.append(table.enterprise == filters.enterprise_id)
    if filters.enterprises is not None:
        where.append(table.enterprise.is_in(list(filters.enterprises)))
    return where


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first day of the first whole month in [start, end] and the first day after the last one."""
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = (end + timedelta(days=1)).replace(day=1) if (end + timedelta(days=1)).day == 1 else end.replace(day=1)
    return (first, after) if first < after else None


async def _query(
    table: Any, filters: Filters, group: tuple[Any, ...], *bounds: Any, prefix: str = ""
) -> list[dict[str, Any]]:
    columns = tuple(getattr(table, column._meta.name) for column in group)
    query = table.select(*columns, table.metric, Sum(table.count).as_alias("n"))
    if prefix:  # the metrics starting with it (a range of the metric column: "trace:" <= metric < "trace;")
        bounds = (*bounds, table.metric >= prefix, table.metric < prefix[:-1] + chr(ord(prefix[-1]) + 1))
    for condition in (*bounds, *_where(table, filters)):
        query = query.where(condition)
    return await query.group_by(*columns, table.metric)


async def _sums(filters: Filters, *group: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Counts in the range by `group` (DailyCount columns) and metric (only those starting with `prefix`, when
    given): whole months from the monthly rollups, the days before and after them from the daily ones."""
    parts: list[list[dict[str, Any]]] = []
    months = whole_months(filters.start, filters.end)
    if months is None:
        days = (DailyCount.day >= filters.start, DailyCount.day <= filters.end)
        parts.append(await _query(DailyCount, filters, group, *days, prefix=prefix))
    else:
        first, after = months
        last_month = (after - timedelta(days=1)).strftime("%Y-%m")
        bounds = (MonthlyCount.month >= first.strftime("%Y-%m"), MonthlyCount.month <= last_month)
        parts.append(await _query(MonthlyCount, filters, group, *bounds, prefix=prefix))
        if filters.start < first:
            edge = (DailyCount.day >= filters.start, DailyCount.day < first)
            parts.append(await _query(DailyCount, filters, group, *edge, prefix=prefix))
        if after <= filters.end:
            edge = (DailyCount.day >= after, DailyCount.day <= filters.end)
            parts.append(await _query(DailyCount, filters, group, *edge, prefix=prefix))
    if len(parts) == 1:
        return parts[0]
    names = [column._meta.name for column in group]
    merged: dict[tuple[Any, ...], int] = defaultdict(int)
    for rows in parts:
        for row in rows:
            merged[(*(row[name] for name in names), row["metric"])] += int(row["n"] or 0)
    return [{**dict(zip(names, key[:-1])), "metric": key[-1], "n": n} for key, n in merged.items()]


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """Nearest rank: the smallest value at or below which at least `share` of the counted cases lie."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = math.ceil(share * total), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


def _histogram(metrics: dict[str, int], prefix: str) -> dict[int, int]:
    return {int(name[len(prefix) :]): n for name, n in metrics.items() if name.startswith(prefix)}


def _durations(metrics: dict[str, int], prefix: str) -> dict[str, Any]:
    histogram = _histogram(metrics, prefix)
    return {
        "count": sum(histogram.values()),
        "median": percentile(histogram, 0.5),
        "p90": percentile(histogram, 0.9),
    }


def _moves(
    metrics: dict[str, int], before: str | None = None, after: str | None = None, action: str | None = None
) -> int:
    total = 0
    for name, n in metrics.items():
        if not name.startswith("move:"):
            continue
        done, _, path = name[5:].partition(":")
        source, _, target = path.partition(">")
        if (before is None or source == before) and (after is None or target == after) and action in (None, done):
            total += n
    return total


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rates(metrics: dict[str, int]) -> dict[str, Any]:
    """The rates a figure set and a scorecard share: response, settlement, fulfilment, breaches."""
    filed = metrics.get("filed", 0)
    fulfilled, breached = _moves(metrics, "settled", "resolved"), _moves(metrics, "settled", "breached")
    responded = sum(_histogram(metrics, "first_response:").values())
    return {
        "filed": filed,
        "responded": responded,
        "response_rate": rate(responded, filed),
        "settled": metrics.get("settled_first", 0),
        "settlement_rate": rate(metrics.get("settled_first", 0), filed),
        "fulfilled": fulfilled,
        "breached": breached,
        "fulfilment_rate": rate(fulfilled, fulfilled + breached),
        "breach_rate": rate(breached, fulfilled + breached),
        "first_response_median": percentile(_histogram(metrics, "first_response:"), 0.5),
    }


async def rates_of(filters: Filters) -> dict[str, Any]:
    """The rates alone (a scorecard's), for the filters."""
    return _rates({row["metric"]: int(row["n"] or 0) for row in await _sums(filters)})


def _current_states(all_time: dict[str, int]) -> dict[str, int]:
    """Cases in each state now: filings and moves in, less moves out (all time, the filters' cases)."""
    counts: dict[str, int] = defaultdict(int)
    counts["filed"] += all_time.get("filed", 0)
    for name, n in all_time.items():
        if name.startswith("move:"):
            source, _, target = name.split(":", 2)[2].partition(">")
            counts[source] -= n
            counts[target] += n
    return {state.value: counts.get(state.value, 0) for state in CaseState}


async def _states_now(filters: Filters) -> dict[str, int]:
    """Filings and moves of all time (the filters' category and enterprise): read from the metric index."""
    query = MonthlyCount.select(MonthlyCount.metric, Sum(MonthlyCount.count).as_alias("n")).where(
        (MonthlyCount.metric == "filed") | ((MonthlyCount.metric >= "move:") & (MonthlyCount.metric < "move;"))
    )
    for condition in _where(MonthlyCount, filters):
        query = query.where(condition)
    rows = await query.group_by(MonthlyCount.metric)
    return _current_states({row["metric"]: int(row["n"] or 0) for row in rows})


async def figures(filters: Filters) -> dict[str, Any]:
    """Everything the dashboard shows for the filters: one grouped query over the range, one for the states."""
    metrics: dict[str, int] = defaultdict(int)
    monthly: dict[str, dict[str, int]] = defaultdict(lambda: {"filed": 0, "closed": 0, "resolved": 0})
    by_category: dict[str, int] = defaultdict(int)
    for row in await _sums(filters, DailyCount.month, DailyCount.category):
        name, n, series = row["metric"], int(row["n"] or 0), monthly[row["month"]]
        metrics[name] += n
        if name == "filed":
            series["filed"] += n
            by_category[row["category"]] += n
        elif name.startswith("closed:"):
            series["closed"] += n
            series["resolved"] += n if name == "closed:resolved" else 0
    monthly = {month: series for month, series in monthly.items() if any(series.values())}
    outcomes = {outcome: metrics.get(f"closed:{outcome}", 0) for outcome in OUTCOMES}
    closed = sum(outcomes.values())
    ratings = {score: metrics.get(f"rated:{score}", 0) for score in range(1, 6)}
    rated = sum(ratings.values())
    appeals = _moves(metrics, action="appeal")
    filed_by: dict[str, dict[str, int]] = {"currency": {}, "country": {}, "platform": {}}
    closed_by: dict[int, int] = {}
    for name, n in metrics.items():
        if name.startswith("filed_by:"):
            dimension, _, value = name[9:].partition(":")
            filed_by.setdefault(dimension, {})[value] = n
        elif name.startswith("closed_by:"):
            closed_by[int(name[10:])] = n
    return {
        "from": filters.start,
        "to": filters.end,
        "category": filters.category,
        "enterprise_id": filters.enterprise_id,
        **_rates(metrics),
        "closed": closed,
        "outcomes": outcomes,
        "outcome_shares": {outcome: rate(n, closed) for outcome, n in outcomes.items()},
        "first_response_days": _durations(metrics, "first_response:"),
        "closing_days": _durations(metrics, "closing:"),
        "by_month": [{"month": month, **monthly[month]} for month in sorted(monthly)],
        "by_category": [{"category": c, "filed": n} for c, n in sorted(by_category.items(), key=lambda i: -i[1])],
        "by_state": await _states_now(filters),
        "by_currency": _ranked(filed_by["currency"]),
        "by_country": _ranked(filed_by["country"]),
        "by_platform": _ranked(filed_by["platform"]),
        "by_trace_check": {status: metrics.get(TRACE_PREFIX + status, 0) for status in TRACE_STATUSES},
        "closed_by_mediator": closed_by,
        "appeals": {
            "filed": appeals,
            "outcomes": {outcome: metrics.get(f"reclosed:{outcome}", 0) for outcome in OUTCOMES},
        },
        "ratings": {
            "count": rated,
            "mean": round(sum(score * n for score, n in ratings.items()) / rated, 2) if rated else None,
            "by_score": {str(score): n for score, n in ratings.items()},
        },
    }


def _ranked(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"value": value, "filed": n} for value, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


async def listings_by_violation() -> list[dict[str, Any]]:
    """Registry listings by violation, tier and state (the registry's own small table)."""
    from integrity.tables import Listing

    rows = await Listing.select(
        Listing.violation, Listing.tier, Listing.state, Count(Listing.id).as_alias("n")
    ).group_by(Listing.violation, Listing.tier, Listing.state)
    return sorted(rows, key=lambda row: (row["violation"], row["tier"], row["state"]))


async def enterprise_rates(
    filters: Filters, minimum: int = PUBLIC_MINIMUM, verified_only: bool = False
) -> list[dict[str, Any]]:
    """Per-enterprise rates for enterprises with at least `minimum` cases filed in the range (named; only
    those a registrar verified when `verified_only`, as the public pages name no unverified enterprise)."""
    per: dict[int, dict[str, int]] = defaultdict(dict)
    for row in await _sums(filters, DailyCount.enterprise):
        per[row["enterprise"]][row["metric"]] = int(row["n"] or 0)
    shown = {enterprise: _rates(metrics) for enterprise, metrics in per.items() if metrics.get("filed", 0) >= minimum}
    if not shown:
        return []
    query = Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.name_zh).where(
        Enterprise.id.is_in(list(shown))
    )
    names = await (query.where(Enterprise.verified.eq(True)) if verified_only else query)
    by_id = {row["id"]: row for row in names}
    return sorted(
        (
            {"enterprise_id": e, "name": by_id[e]["name"], "name_zh": by_id[e]["name_zh"], **rates}
            for e, rates in shown.items()
            if e in by_id
        ),
        key=lambda item: (-item["filed"], item["enterprise_id"]),
    )


async def trace_checks(filters: Filters) -> list[dict[str, Any]]:
    """Per enterprise, the cases filed in the range by their trace-check result now (verified, unknown,
    mismatch, cloned), from the `trace:<status>` counts traceability's `trace.checked` events keep."""
    per: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TRACE_STATUSES, 0))
    for row in await _sums(filters, DailyCount.enterprise, prefix=TRACE_PREFIX):
        status = row["metric"][len(TRACE_PREFIX) :]
        if status in TRACE_STATUSES and int(row["n"] or 0):
            per[row["enterprise"]][status] += int(row["n"] or 0)
    shown = {enterprise: counts for enterprise, counts in per.items() if any(counts.values())}
    if not shown:
        return []
    names = await Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.name_zh).where(
        Enterprise.id.is_in(list(shown))
    )
    by_id = {row["id"]: row for row in names}
    return sorted(
        (
            {"enterprise_id": e, "name": by_id[e]["name"], "name_zh": by_id[e]["name_zh"], **counts}
            for e, counts in shown.items()
            if e in by_id
        ),
        key=lambda item: (-sum(item[status] for status in TRACE_STATUSES), item["enterprise_id"]),
    )


async def mediator_load(closed: dict[int, int], mediator_id: int | None = None) -> list[dict[str, Any]]:
    """Each mediator's open cases by state (the case table's mediator index; open cases only) and the cases
    they closed in the range (`closed`, from the rollups); one mediator's alone with `mediator_id`.
    """
    query = Case.select(Case.mediator, Case.state, Count(Case.id).as_alias("n"))
    query = query.where(Case.mediator.is_not_null(), Case.state.is_in(list(OPEN_STATES)))
    if mediator_id is not None:
        query = query.where(Case.mediator == mediator_id)
        closed = {mediator_id: closed.get(mediator_id, 0)}
    rows = await query.group_by(Case.mediator, Case.state)
    load: dict[int, dict[str, Any]] = {
        user: {"mediator_id": user, "open": 0, "by_state": {}, "closed": n} for user, n in closed.items()
    }
    for row in rows:
        item = load.setdefault(
            row["mediator"], {"mediator_id": row["mediator"], "open": 0, "by_state": {}, "closed": 0}
        )
        item["open"] += row["n"]
        item["by_state"][row["state"]] = row["n"]
    if not load:
        return []
    names = await User.select(User.id, User.display_name).where(User.id.is_in(list(load)))
    for row in names:
        load[row["id"]]["name"] = row["display_name"]
    return sorted((item for item in load.values() if "name" in item), key=lambda item: (-item["open"], -item["closed"]))
