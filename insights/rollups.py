"""Rollups that follow the case records, so a figure is a sum over a few rollup rows whatever the number of
cases.

Filing and moving a case write nothing here (issue 14: a filing's or a move's transaction runs no statement for
the statistics): the case row's version runs ahead of its `counted_version`, and a follower (`follow_record`:
the module's job each round, and every figures page first, `caught_up`) counts the events after its
`counted_seq` and moves both to the case's head, in one write transaction with the counts. A rolled-back move
never reaches the record, so it is never counted; a committed one is counted once, by whichever follower
locked its case.

Each event adds one to the day's rows of `insight_daily` for its metrics (see insights/tables.py); a case's
first response and first closing are counted once, in working days since filing, from the facts row the case
keeps in `insight_case_fact`. `rebuild()` recomputes everything from the case records (`accord insights
rebuild`). Trace checks are still counted in the transaction that stores them (`trace_counter`).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import date, datetime, tzinfo
from typing import Any

from accord import events
from accord.clock import Calendar
from accord.db import (
    Prepared,
    connection_number,
    engine,
    is_sqlite,
    numbered,
    numbered_values,
    rows_for_ids,
    write_transaction,
)
from cases.tables import TERMINAL_STATES, Case, CaseState
from insights.tables import CaseFact, DailyCount, MonthlyCount

MERCHANT = "merchant"
PLATFORM_CHARS = 50  # platforms are counted by their first 50 characters, lower-cased
MAX_DAYS = 400  # longer durations are counted as this many working days (a year and a half of work)
ALL_CATEGORIES, ALL_ENTERPRISES = "*", 0  # the scopes summed over every category / enterprise
# Durations are counted in histogram buckets, each named by its last day: every day up to 20 working days
# (the deadlines' range: a median or 90th percentile there is exact), then wider ones, so a range's
# distribution is at most len(BUCKETS) rows whatever the number of cases.
BULK_CACHE_KIB = -262144  # SQLite's cache_size in KiB when negative: 256 MiB while a bulk upsert runs
BUCKETS = (*range(21), 25, 30, 40, 50, 60, 90, 120, 180, 270, MAX_DAYS)
SETTLEMENT_ENDS = ("resolved", "breached")
OPEN_STATES = frozenset(state.value for state in CaseState if state not in TERMINAL_STATES)
_DAILY = (
    "INSERT INTO insight_daily (day, month, category, enterprise, metric, count, shard) VALUES ",
    " ON CONFLICT (day, category, enterprise, metric, shard)"
    " DO UPDATE SET count = insight_daily.count + excluded.count",
)
_MONTHLY = (
    "INSERT INTO insight_monthly (month, category, enterprise, metric, count, shard) VALUES ",
    " ON CONFLICT (month, category, enterprise, metric, shard)"
    " DO UPDATE SET count = insight_monthly.count + excluded.count",
)
# On PostgreSQL each write adds to one of SHARDS rows per key: every filing of a day adds to the same keys ("filed"
# in the all-categories scope...), and with one row each, concurrent transactions queued on its lock until each
# committed (bench/http_budget.py). A transaction writes the shard of the pooled connection it runs on, so two
# running at once in one process do not share one (a pool holds fewer connections than SHARDS; only when the pool
# has replaced connections may two numbers meet modulo SHARDS); each process starts at a shard of its own choosing.
# SQLite has one writer at a time: shard 0 only.
SHARDS = 16
FOLD_BATCH = 1000  # rows per upsert when folding shards back (SQLite binds at most 32,766 values a statement)
_DAY_KEY = ("day", "month", "category", "enterprise", "metric")
_MONTH_KEY = ("month", "category", "enterprise", "metric")


def _shards_deleted(table: str, key: tuple[str, ...]) -> Prepared:
    """Delete the shard rows of the periods before {until} (the key's first column), returning what they held."""
    return Prepared(f"DELETE FROM {table} WHERE shard > 0 AND {key[0]} < {{until}} RETURNING {', '.join(key)}, count")


# What fold_shards deletes, the upsert it adds the sums back with (into shard 0), and the key it sums by.
_FOLDS = (
    (_shards_deleted("insight_daily", _DAY_KEY), _DAILY, _DAY_KEY),
    (_shards_deleted("insight_monthly", _MONTH_KEY), _MONTHLY, _MONTH_KEY),
)


def local_day(at: datetime, zone: tzinfo) -> date:
    """The day `at` falls on in `zone`, the deployment's (its settings' ACCORD_TIMEZONE): the rollups' days."""
    return at.astimezone(zone).date()


def moved(action: str, before: str, after: str) -> str:
    return f"move:{action}:{before}>{after}"


def bucket(days: int) -> int:
    """The histogram bucket of a duration in working days: the last day of the bucket it falls in."""
    days = min(max(days, 0), MAX_DAYS)
    return next(last for last in BUCKETS if days <= last)


def scopes(category: str, enterprise: int) -> tuple[tuple[str, int], ...]:
    """The four scopes a count of one category and enterprise is kept in (insights/tables.py)."""
    return ((category, enterprise), (category, ALL_ENTERPRISES), (ALL_CATEGORIES, enterprise), (ALL_CATEGORIES, 0))


def held(before: tuple[int | None, str], after: tuple[int | None, str]) -> Counter[str]:
    """The `open:<mediator>:<state>` changes of a case going from (mediator, state) `before` to `after`."""
    changes: Counter[str] = Counter()
    if before != after:
        for (mediator, state), n in ((before, -1), (after, 1)):
            if mediator is not None and state in OPEN_STATES:
                changes[f"open:{mediator}:{state}"] += n
    return changes


async def bump(day: date, category: str, enterprise: int, metrics: list[str] | Counter[str], by: int = 1) -> None:
    """Add `by` to each metric's day and month (a Counter: each its own number), in the four scopes: one
    statement for each (an event's counts are written with the event, so they cost its transaction two
    statements whatever their number). A metric named twice is added twice, in one row: PostgreSQL refuses
    a statement that updates a row twice. Rows go in key order, as in every transaction, so two that add to
    the same rows lock them in the same order and never deadlock on PostgreSQL."""
    month, shard = day.strftime("%Y-%m"), _shard()
    counts = {metric: by * n for metric, n in Counter(metrics).items() if n}
    keys = sorted((scope, metric, n) for scope in scopes(category, enterprise) for metric, n in counts.items())
    if keys:
        daily = [value for (c, e), metric, n in keys for value in (day, month, c, e, metric, n, shard)]
        monthly = [value for (c, e), metric, n in keys for value in (month, c, e, metric, n, shard)]
        await numbered(*_DAILY, width=7, rows=len(keys)).rows(**numbered_values(daily))
        await numbered(*_MONTHLY, width=6, rows=len(keys)).rows(**numbered_values(monthly))


_FIRST_SHARD = random.randrange(SHARDS)  # this process's


def _shard() -> int:
    number = connection_number()
    if number is None:
        return 0 if is_sqlite() else random.randrange(SHARDS)  # bump() outside a transaction
    return (_FIRST_SHARD + number) % SHARDS


async def fold_shards(today: date) -> int:
    """Fold the rollup shards of the days before `today` and of the months before its month into shard 0, in one
    transaction (the rows deleted are the rows added: a concurrent write to a past day's shard is folded by the
    next round). How many shard rows were folded."""
    folded = 0
    async with write_transaction():
        for (deleted, statement, key), until in zip(_FOLDS, (today, today.strftime("%Y-%m")), strict=True):
            rows = await deleted.rows(until=until)
            sums: Counter[tuple[Any, ...]] = Counter()
            for row in rows:
                sums[tuple(row[column] for column in key)] += row["count"]
            values = [(*key, n, 0) for key, n in sorted(sums.items())]
            for start in range(0, len(values), FOLD_BATCH):
                batch = values[start : start + FOLD_BATCH]
                flat = [value for row in batch for value in row]
                await numbered(*statement, width=len(batch[0]), rows=len(batch)).rows(**numbered_values(flat))
            folded += len(rows)
    return folded


def _working_days(calendar: Calendar, start: datetime, end: datetime) -> int:
    return min(max(calendar.working_days_between(start, end), 0), MAX_DAYS)


BY_CATEGORY = "filed_by:category:"


def filing_metrics(case: dict[str, Any]) -> list[str]:
    """`filed`, and the filing's category, currency, merchant country and platform (`filed_by:<dimension>:
    <value>`: the scope of all categories tells the categories apart by these)."""
    facts = {"category": case["category"], "currency": case.get("currency") or "none"}
    facts["country"] = case.get("country") or "none"
    facts["platform"] = " ".join(str(case.get("platform") or "").split())[:PLATFORM_CHARS].lower() or "none"
    return ["filed", *(f"filed_by:{dimension}:{value}" for dimension, value in facts.items())]


def first_closing(fact: dict[str, Any], data: dict[str, Any]) -> bool:
    return data["to"] in TERMINAL_STATES and data["from"] not in TERMINAL_STATES and fact["outcome"] is None


def move_metrics(
    fact: dict[str, Any], data: dict[str, Any], mediator: int | None, calendar: Calendar
) -> tuple[list[str], dict[str, Any]]:
    """What one transition counts, and the facts columns it sets (by name): its move, and the case's first
    response, first settlement, closing or closing again after an appeal it may be. `mediator`: who held the
    case, when the move is its first closing."""
    at, before, after = data["at"], data["from"], data["to"]
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    metrics: list[str] = [moved(data["action"], before, after)]
    updates: dict[str, Any] = {}
    if fact["first_response_days"] is None and data.get("actor_role") == MERCHANT:
        updates["first_response_days"] = days = _working_days(calendar, fact["filed_at"], at)
        metrics.append(f"first_response:{bucket(days)}")
    if first_closing(fact, data):
        days = _working_days(calendar, fact["filed_at"], at)
        updates.update({"closing_days": days, "outcome": after})
        metrics += [f"closed:{after}", f"closing:{bucket(days)}"]
        if mediator is not None:
            metrics.append(f"closed_by:{mediator}")
    elif after in TERMINAL_STATES and before not in TERMINAL_STATES:
        metrics.append(f"reclosed:{after}")
    if before == "settled" and after in SETTLEMENT_ENDS:
        metrics.append(f"settlement:{after}")  # kept (resolved) or not (breached): the fulfilment rate's parts
    if after == "settled" and not fact["settled"]:
        updates["settled"] = 1
        metrics.append("settled_first")
    if data["action"] == "rate" and data.get("score"):
        metrics.append(f"rated:{data['score']}")
    return metrics, updates


def move_counts(
    fact: dict[str, Any], data: dict[str, Any], mediator: int | None, calendar: Calendar
) -> tuple[Counter[str], dict[str, Any]]:
    """`move_metrics`, and the open-case counts of the mediator who holds the case after the move (`mediator`)
    against the one the facts row last counted (its `mediator` column, set here when it changes)."""
    metrics, updates = move_metrics(fact, data, mediator if first_closing(fact, data) else None, calendar)
    counts = Counter(metrics)
    counts.update(held((fact.get("mediator"), data["from"]), (mediator, data["to"])))
    if fact.get("mediator") != mediator:
        updates["mediator"] = mediator
    return counts, updates


async def add_counts(counts: dict[tuple[date, str, int, str], int]) -> None:
    """Add many (day, category, enterprise, metric) counts at once, in their four scopes, inside the caller's
    write transaction: the same upserts as `bump` (daily and monthly), run by SQLite's executemany, or from a
    temporary table on PostgreSQL (a bulk seed adds a million)."""
    scoped: Counter[tuple[Any, ...]] = Counter()
    for (day, category, enterprise, metric), n in counts.items():
        for scope_category, scope_enterprise in scopes(category, enterprise):
            scoped[day, scope_category, scope_enterprise, metric] += n
    sqlite = engine().engine_type == "sqlite"
    # Each day's value (the ISO text Piccolo's SQLite adapter would make of it) and month, once a day.
    labels = {day: (day.isoformat() if sqlite else day, day.strftime("%Y-%m")) for day in {key[0] for key in scoped}}
    # In key order: each upsert then finds its place next to the last one's in the key's B-tree (a bulk seed's
    # counts come in case order, scattered over two years of days).
    days = [(*labels[day], c, e, metric, n, 0) for (day, c, e, metric), n in sorted(scoped.items()) if n]
    monthly: Counter[tuple[Any, ...]] = Counter()
    for _day, month, category, enterprise, metric, n, _shard0 in days:
        monthly[month, category, enterprise, metric] += n
    months = [(*key, n, 0) for key, n in sorted(monthly.items()) if n]
    connection = engine().current_transaction.get().connection
    if sqlite:
        async with bulk_cache():
            for statement, width, rows in ((_DAILY, 7, days), (_MONTHLY, 6, months)):
                connection.raw.executemany(numbered(*statement, width=width, rows=1).positional_sql(), rows)
        return
    # PostgreSQL runs an executemany statement by statement (a million upserts: most of a seed's time there):
    # the rows are copied into a temporary table and added with one upsert from it.
    for statement, rows in ((_DAILY, days), (_MONTHLY, months)):
        head, conflict = statement
        table, columns = head.split()[2], head[head.index("(") + 1 : head.index(")")]
        await connection.execute(f"CREATE TEMPORARY TABLE bulk_counts AS SELECT {columns} FROM {table} WITH NO DATA")
        await connection.copy_records_to_table("bulk_counts", records=rows, columns=columns.split(", "))
        await connection.execute(f"{head.removesuffix('VALUES ')}SELECT {columns} FROM bulk_counts{conflict}")
        await connection.execute("DROP TABLE bulk_counts")


@asynccontextmanager
async def bulk_cache() -> AsyncIterator[None]:
    """On SQLite, a page cache the size of a bulk write's indexes for the open write transaction (the default
    is 2 MiB: a seed's hundreds of thousands of rows, each in several indexes, then re-read pages from the file
    and spill them to the log again and again; measured 15.5 -> 11 s for the upserts of 20k seeded cases, and 531 ->
    441 MB written for the whole seed), given back to the pooled connection's default afterwards."""
    if engine().engine_type != "sqlite":
        yield
        return
    raw = engine().current_transaction.get().connection.raw
    previous = raw.execute("PRAGMA cache_size").fetchone()["cache_size"]
    raw.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {previous}")


TRACE_PREFIX = "trace:"
TRACE_STATUSES = ("verified", "unknown", "mismatch", "cloned")


def trace_counter(zone: tzinfo) -> events.Handler:
    """The subscriber of traceability's `trace.checked` (a case's check stored or changed): `trace:<status>`
    counts the case under its current result, on its filing day in `zone` (+1 the new status, -1 the old
    one), so a range's sum is "the cases filed in it, by their trace-check result now"."""

    async def on_trace_checked(event: events.DomainEvent) -> None:
        if event.kind != "trace.checked":
            return
        data = event.data
        day = local_day(datetime.fromisoformat(data["filed_at"]), zone)
        changes = Counter({TRACE_PREFIX + data["new"]: 1})
        if data.get("old"):
            changes[TRACE_PREFIX + data["old"]] -= 1
        await bump(day, data["category"], data["enterprise"], changes)

    return on_trace_checked


TraceChecks = Callable[[], Awaitable[list[dict[str, Any]]]]


async def count_trace_checks(trace_checks: TraceChecks, zone: tzinfo) -> None:
    """The `trace:<status>` counts from the checks as they stand. They come through the traceability module's
    `trace_checks` service (insights never imports traceability, and traceability never imports insights):
    the live counts follow its `trace.checked` events, a recount reads its current checks once; asking it to
    emit its events again instead would make a recount depend on the subscribers being wired."""
    counts: Counter[tuple[date, str, int, str]] = Counter()
    for check in await trace_checks():
        counts[
            (local_day(check["filed_at"], zone), check["category"], check["enterprise"], TRACE_PREFIX + check["status"])
        ] += 1
    if counts:
        await add_counts(dict(counts))


# The cases that moved since the statistics last counted them (only those are in the partial index
# dispute_case_uncounted), locked for one follower: the server's job, `accord sweep` and a figures page catching
# up may follow at once and each counts other cases; a move of a case waits for the follower that holds it.
UNCOUNTED = Prepared(
    "SELECT id FROM dispute_case WHERE counted_version < version ORDER BY id LIMIT {batch}",
    lock="FOR UPDATE SKIP LOCKED",
)
ANY_UNCOUNTED = Prepared("SELECT id FROM dispute_case WHERE counted_version < version LIMIT 1")
FOLLOW_BATCH = 500  # cases counted in one write transaction


async def _events_after_counted(ids: list[int]) -> list[dict[str, Any]]:
    """The locked cases' events after the last one counted, in order, with the merchant's country: read after
    the cases were locked, so every event up to their head has committed and no other can come until this
    transaction ends."""
    return await rows_for_ids(
        'SELECT e."case", e.seq, e.actor_role, e.at, e.data, e.writes, enterprise.country FROM case_event e'
        ' JOIN dispute_case c ON c.id = e."case" JOIN enterprise ON enterprise.id = c.enterprise'
        ' WHERE e."case" IN ({ids}) AND e.seq > c.counted_seq ORDER BY e."case", e.seq',
        ids,
    )


class _Tally:
    """What a batch of events counts: the rollups' additions, and the facts rows made and changed."""

    def __init__(self, facts: dict[int, dict[str, Any]], calendar: Calendar, zone: tzinfo) -> None:
        self.facts, self.calendar, self.zone = facts, calendar, zone
        self.counts: Counter[tuple[date, str, int, str]] = Counter()
        self.made: set[int] = set()
        self.changed: set[int] = set()

    def add(self, at: datetime, fact: dict[str, Any], metrics: Iterable[str] | Counter[str]) -> None:
        day = local_day(at, self.zone)
        for metric, n in Counter(metrics).items():
            self.counts[day, fact["category"], fact["enterprise"], metric] += n

    def event(self, row: dict[str, Any]) -> None:
        """One record event: a filing (its case's first facts), a move (its metrics, its facts' changes), or
        something else (a message, evidence: nothing to count)."""
        data, case_id, at = json.loads(row["data"]), row["case"], row["at"]
        if not isinstance(data, dict) or "to" not in data or "action" not in data:
            return
        written = (json.loads(row["writes"] or "{}") or {}).get("case") or {}
        if "from" not in data:
            fact = {"case": case_id, "enterprise": written["enterprise"], "category": written["category"]}
            fact.update(
                filed_at=at, first_response_days=None, closing_days=None, outcome=None, settled=0, mediator=None
            )
            self.facts[case_id] = fact
            self.made.add(case_id)
            self.add(at, fact, filing_metrics({**written, "country": row["country"]}))
            return
        fact = self.facts.get(case_id)
        if fact is None:
            return  # a case filed before insights existed and not rebuilt since
        # Who holds the case after the move: a move that hands it on writes its mediator.
        holder = written.get("mediator", fact["mediator"])
        metrics, updates = move_counts(fact, {**data, "at": at, "actor_role": row["actor_role"]}, holder, self.calendar)
        fact.update(updates)
        if updates and case_id not in self.made:
            self.changed.add(case_id)
        self.add(at, fact, metrics)


_FACT_COLUMNS = ("first_response_days", "closing_days", "outcome", "settled", "mediator")


async def count_uncounted(calendar: Calendar, zone: tzinfo, batch: int = FOLLOW_BATCH) -> int:
    """Count up to `batch` cases that moved since they were last counted, inside the caller's write
    transaction: their events after the last counted (durations in `calendar`'s working days, days in `zone`)
    into the rollups and their facts rows, and move their cursors to their head. How many cases it counted."""
    ids = [row["id"] for row in await UNCOUNTED.rows(batch=batch)]
    if not ids:
        return 0
    events = await _events_after_counted(ids)
    facts = {row["case"]: row for row in await CaseFact.select().where(CaseFact.case.is_in(ids))}
    tally = _Tally(facts, calendar, zone)
    for row in events:
        tally.event(row)
    if tally.made:
        await CaseFact.insert(*(CaseFact(**facts[case_id]) for case_id in sorted(tally.made)))
    for case_id in sorted(tally.changed):
        setting = {getattr(CaseFact, name): facts[case_id][name] for name in _FACT_COLUMNS}
        await CaseFact.update(setting).where(CaseFact.case == case_id)
    if tally.counts:
        await add_counts(dict(tally.counts))
    await rows_for_ids(
        "UPDATE dispute_case SET counted_version = version, counted_seq = last_seq WHERE id IN ({ids})", ids
    )
    return len(ids)


async def follow_record(calendar: Calendar, zone: tzinfo, batch: int = FOLLOW_BATCH) -> int:
    """Count every case that moved since it was last counted (a job of the insights module, and what a figures
    page does first), a write transaction per `batch` cases. How many cases it counted."""
    counted = 0
    while True:
        async with write_transaction():
            done = await count_uncounted(calendar, zone, batch)
        counted += done
        if done < batch:
            return counted


async def caught_up(calendar: Calendar, zone: tzinfo) -> None:
    """The rollups with every committed move counted, before figures are read from them (a look at the index of
    uncounted cases when there are none)."""
    if await ANY_UNCOUNTED.first() is not None:
        await follow_record(calendar, zone)


async def rebuild(calendar: Calendar, zone: tzinfo, batch: int = 2000, trace_checks: TraceChecks | None = None) -> int:
    """Recount every rollup from the case records (each filing and transition event, in order; durations in
    `calendar`, days in `zone`), and the trace checks from `trace_checks` (traceability's service, when
    installed); the number of cases counted. Runs in one write transaction: readers see the old figures until
    it commits."""
    cases = 0
    async with write_transaction():
        await DailyCount.delete(force=True)
        await MonthlyCount.delete(force=True)
        await CaseFact.delete(force=True)
        await Case.raw("UPDATE dispute_case SET counted_version = 0, counted_seq = 0")
        while done := await count_uncounted(calendar, zone, batch):
            cases += done
        if trace_checks is not None:
            await count_trace_checks(trace_checks, zone)
    return cases
