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
from cases.tables import TERMINAL_STATES, CaseState
from insights.rollups import ALL_CATEGORIES, ALL_ENTERPRISES, BUCKETS, SETTLEMENT_ENDS, TRACE_PREFIX, TRACE_STATUSES
from insights.tables import DailyCount, MonthlyCount

OUTCOMES = ("resolved", "unresolved", "declined", "withdrawn")
PUBLIC_MINIMUM = 5  # per-enterprise rates are public only for enterprises with at least this many cases
ENTERPRISES_SHOWN = 50  # per-enterprise tables show this many at a time, most cases first
# What an enterprise's rates are made of (`_rates`), by name: the per-enterprise tables read these alone.
RATE_METRICS = (
    "filed",
    "settled_first",
    *(f"settlement:{end}" for end in SETTLEMENT_ENDS),
    *(f"first_response:{last}" for last in BUCKETS),
)
TRACE_METRICS = tuple(TRACE_PREFIX + status for status in TRACE_STATUSES)
MONTHLY_SERIES = ("filed", *(f"closed:{state.value}" for state in TERMINAL_STATES))  # charted by month


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    category: str | None = None
    enterprise_id: int | None = None
    enterprises: tuple[int, ...] | None = None  # only these (a platform's merchants); never empty

    def __post_init__(self) -> None:
        assert self.enterprises is None or self.enterprises, "no enterprise is no filter: ask for nothing instead"


def _where(table: Any, filters: Filters, by_enterprise: bool = False) -> list[Any]:
    """The one scope of the rollups (insights/tables.py) the filters name: their category or all ("*"), their
    enterprise or all (0); `by_enterprise`, every enterprise's (the filters' alone, when they name one; the
    caller drops the sum over all, enterprise 0: a condition on it would keep the metric index out of use).
    A set of enterprises (a platform's merchants) is read from their own rows, summed by the query."""
    where: list[Any] = [table.category == (filters.category or ALL_CATEGORIES)]
    if filters.enterprises is not None:
        where.append(table.enterprise.is_in(list(filters.enterprises)))
        if filters.enterprise_id is not None:
            where.append(table.enterprise == filters.enterprise_id)
    elif by_enterprise:
        if filters.enterprise_id is not None:
            where.append(table.enterprise == filters.enterprise_id)
    else:
        where.append(table.enterprise == (ALL_ENTERPRISES if filters.enterprise_id is None else filters.enterprise_id))
    return where


def _metric_range(table: Any, prefix: str) -> Any:
    """The metrics starting with `prefix` (a range of the metric column: "trace:" <= metric < "trace;")."""
    return (table.metric >= prefix) & (table.metric < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first day of the first whole month in [start, end] and the first day after the last one."""
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = (end + timedelta(days=1)).replace(day=1) if (end + timedelta(days=1)).day == 1 else end.replace(day=1)
    return (first, after) if first < after else None


@dataclass(frozen=True)
class Only:
    """Which metrics a query reads: these names, those starting with these prefixes (all of them when empty)."""

    names: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def condition(self, table: Any) -> Any:
        parts = [table.metric.is_in(list(self.names))] if self.names else []
        parts += [_metric_range(table, prefix) for prefix in self.prefixes]
        if not parts:
            return None
        condition = parts[0]
        for part in parts[1:]:
            condition = condition | part
        return condition


EVERY_METRIC = Only()


async def _query(
    table: Any,
    filters: Filters,
    group: tuple[Any, ...],
    *bounds: Any,
    only: Only = EVERY_METRIC,
    among: list[int] | None = None,
) -> list[dict[str, Any]]:
    columns = tuple(getattr(table, column._meta.name) for column in group)
    query = table.select(*columns, table.metric, Sum(table.count).as_alias("n"))
    by_enterprise = "enterprise" in {column._meta.name for column in group}
    metrics = only.condition(table)
    if among is not None:  # these enterprises only
        bounds = (*bounds, table.enterprise.is_in(among))
    for condition in (*bounds, *_where(table, filters, by_enterprise), *([metrics] if metrics is not None else [])):
        query = query.where(condition)
    if not by_enterprise:  # in the scope index's order (category, enterprise, period, metric)
        return await query.group_by(*columns, table.metric)
    # In the metric index's order (category, metric, period, enterprise): grouped by enterprise first, SQLite
    # would walk the scope index over every enterprise's rows of all time.
    rows = await query.group_by(table.metric, *columns)
    return [row for row in rows if row["enterprise"] != ALL_ENTERPRISES]


async def _sums(
    filters: Filters, *group: Any, only: Only = EVERY_METRIC, among: list[int] | None = None
) -> list[dict[str, Any]]:
    """Counts in the range by `group` (DailyCount columns) and metric (`only` those, and of the enterprises
    `among` alone, when given), in the filters' scope: whole months from the monthly rollups, the days before
    and after them from the daily ones."""
    parts: list[list[dict[str, Any]]] = []
    months = whole_months(filters.start, filters.end)
    if months is None:
        days = (DailyCount.day >= filters.start, DailyCount.day <= filters.end)
        parts.append(await _query(DailyCount, filters, group, *days, only=only, among=among))
    else:
        first, after = months
        last_month = (after - timedelta(days=1)).strftime("%Y-%m")
        bounds = (MonthlyCount.month >= first.strftime("%Y-%m"), MonthlyCount.month <= last_month)
        parts.append(await _query(MonthlyCount, filters, group, *bounds, only=only, among=among))
        if filters.start < first:
            edge = (DailyCount.day >= filters.start, DailyCount.day < first)
            parts.append(await _query(DailyCount, filters, group, *edge, only=only, among=among))
        if after <= filters.end:
            edge = (DailyCount.day >= after, DailyCount.day <= filters.end)
            parts.append(await _query(DailyCount, filters, group, *edge, only=only, among=among))
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
    fulfilled, breached = (metrics.get(f"settlement:{end}", 0) for end in SETTLEMENT_ENDS)
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
        Only(names=("filed",), prefixes=("move:",)).condition(MonthlyCount)
    )
    for condition in _where(MonthlyCount, filters):
        query = query.where(condition)
    rows = await query.group_by(MonthlyCount.metric)
    return _current_states({row["metric"]: int(row["n"] or 0) for row in rows})


async def figures(filters: Filters) -> dict[str, Any]:
    """Everything the dashboard shows for the filters: the range's totals by metric, the monthly series of the
    few metrics it charts by month (so the rows read into Python are as many at 1k cases as at 100k), and
    the states now."""
    metrics: dict[str, int] = defaultdict(int)
    for row in await _sums(filters):
        metrics[row["metric"]] += int(row["n"] or 0)
    monthly: dict[str, dict[str, int]] = defaultdict(lambda: {"filed": 0, "closed": 0, "resolved": 0})
    for row in await _sums(filters, DailyCount.month, only=Only(names=MONTHLY_SERIES)):
        name, n, series = row["metric"], int(row["n"] or 0), monthly[row["month"]]
        if name == "filed":
            series["filed"] += n
        elif name.startswith("closed:"):
            series["closed"] += n
            series["resolved"] += n if name == "closed:resolved" else 0
    monthly = {month: series for month, series in monthly.items() if any(series.values())}
    outcomes = {outcome: metrics.get(f"closed:{outcome}", 0) for outcome in OUTCOMES}
    closed = sum(outcomes.values())
    ratings = {score: metrics.get(f"rated:{score}", 0) for score in range(1, 6)}
    rated = sum(ratings.values())
    appeals = _moves(metrics, action="appeal")
    filed_by: dict[str, dict[str, int]] = {"category": {}, "currency": {}, "country": {}, "platform": {}}
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
        "by_category": [{"category": row["value"], "filed": row["filed"]} for row in _ranked(filed_by["category"])],
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
    """Most filed first; ties by name, so a chart and its CSV keep one order whatever order the rows came in."""
    return [{"value": value, "filed": n} for value, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


async def listings_by_violation() -> list[dict[str, Any]]:
    """Registry listings by violation, tier and state (the registry's own small table)."""
    from integrity.tables import Listing

    rows = await Listing.select(
        Listing.violation, Listing.tier, Listing.state, Count(Listing.id).as_alias("n")
    ).group_by(Listing.violation, Listing.tier, Listing.state)
    return sorted(rows, key=lambda row: (row["violation"], row["tier"], row["state"]))


async def ranked_enterprises(
    filters: Filters, minimum: int = PUBLIC_MINIMUM, verified_only: bool = False
) -> list[tuple[int, int]]:
    """(enterprise, cases filed in the range) for enterprises with at least `minimum`, most first (only those a
    registrar verified when `verified_only`): one metric of each enterprise, found through the metric index."""
    filed: dict[int, int] = defaultdict(int)
    for row in await _sums(filters, DailyCount.enterprise, only=Only(names=("filed",))):
        filed[row["enterprise"]] += int(row["n"] or 0)
    ids = [enterprise for enterprise, n in filed.items() if n >= minimum]
    if verified_only and ids:
        query = Enterprise.select(Enterprise.id).where(Enterprise.id.is_in(ids), Enterprise.verified.eq(True))
        ids = [row["id"] for row in await query]
    return sorted(((enterprise, filed[enterprise]) for enterprise in ids), key=lambda item: (-item[1], item[0]))


async def enterprise_rates(
    filters: Filters,
    minimum: int = PUBLIC_MINIMUM,
    verified_only: bool = False,
    offset: int = 0,
    limit: int | None = None,
    ranked: list[tuple[int, int]] | None = None,
) -> list[dict[str, Any]]:
    """Per-enterprise rates for enterprises with at least `minimum` cases filed in the range, most cases first
    (named; only those a registrar verified when `verified_only`, as the public pages name no unverified
    enterprise): `limit` of them from `offset` (all when None), their rates read for those alone. `ranked`:
    `ranked_enterprises` of the same arguments, when the caller has it."""
    if ranked is None:
        ranked = await ranked_enterprises(filters, minimum, verified_only)
    shown = [enterprise for enterprise, _n in ranked[offset : None if limit is None else offset + limit]]
    if not shown:
        return []
    per: dict[int, dict[str, int]] = defaultdict(dict)
    for row in await _sums(filters, DailyCount.enterprise, only=Only(names=RATE_METRICS), among=shown):
        per[row["enterprise"]][row["metric"]] = int(row["n"] or 0)
    names = await Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.name_zh).where(
        Enterprise.id.is_in(shown)
    )
    by_id = {row["id"]: row for row in names}
    return [
        {"enterprise_id": e, "name": by_id[e]["name"], "name_zh": by_id[e]["name_zh"], **_rates(per[e])}
        for e in shown
        if e in by_id
    ]


async def trace_checks(filters: Filters) -> list[dict[str, Any]]:
    """Per enterprise, the cases filed in the range by their trace-check result now (verified, unknown,
    mismatch, cloned), from the `trace:<status>` counts traceability's `trace.checked` events keep."""
    per: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TRACE_STATUSES, 0))
    for row in await _sums(filters, DailyCount.enterprise, only=Only(names=TRACE_METRICS)):
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


async def open_cases_held() -> dict[int, dict[str, int]]:
    """Each mediator's open cases by state now: the `open:<mediator>:<state>` changes of all time, summed (in
    the scope of all categories and enterprises; as many rows as months × mediators × open states)."""
    query = MonthlyCount.select(MonthlyCount.metric, Sum(MonthlyCount.count).as_alias("n")).where(
        _metric_range(MonthlyCount, "open:"),
        MonthlyCount.category == ALL_CATEGORIES,
        MonthlyCount.enterprise == ALL_ENTERPRISES,
    )
    held: dict[int, dict[str, int]] = defaultdict(dict)
    for row in await query.group_by(MonthlyCount.metric):
        mediator, _, state = row["metric"][len("open:") :].partition(":")
        if int(row["n"] or 0):
            held[int(mediator)][state] = int(row["n"])
    return held


async def mediator_load(closed: dict[int, int], mediator_id: int | None = None) -> list[dict[str, Any]]:
    """Each mediator's open cases by state (kept in the rollups as cases come and go: `open_cases_held`) and
    the cases they closed in the range (`closed`, from the rollups); one mediator's alone with `mediator_id`.
    """
    held = await open_cases_held()
    if mediator_id is not None:
        held = {mediator_id: held.get(mediator_id, {})}
        closed = {mediator_id: closed.get(mediator_id, 0)}
    load: dict[int, dict[str, Any]] = {
        user: {"mediator_id": user, "open": 0, "by_state": {}, "closed": n} for user, n in closed.items()
    }
    for user, states in held.items():
        item = load.setdefault(user, {"mediator_id": user, "open": 0, "by_state": {}, "closed": 0})
        item["open"] += sum(states.values())
        item["by_state"].update(states)
    load = {user: item for user, item in load.items() if item["open"] or item["closed"] or user == mediator_id}
    if not load:
        return []
    names = await User.select(User.id, User.display_name).where(User.id.is_in(list(load)))
    for row in names:
        load[row["id"]]["name"] = row["display_name"]
    return sorted((item for item in load.values() if "name" in item), key=lambda item: (-item["open"], -item["closed"]))
