"""`accord seed-demo --cases N`: bulk-seeded cases have records that verify, and the rollups counted while
seeding are the ones a rebuild from the records gives."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from accord.clock import FrozenClock, WeekdayCalendar
from accord.db import engine, is_sqlite, write_transaction
from accord.settings import get_settings
from accounts.seed import ensure_demo_accounts
from cases.record import verify
from cases.seed import seed_demo_cases
from cases.tables import Case
from insights import rollups
from insights.bulk import seed_cases
from insights.service import Filters, figures
from insights.tables import DailyCount
from tests.conftest import BASE_TIME, create_person

SEEDED = Filters(start=date(2016, 12, 1), end=date(2019, 1, 1))  # 24 months before the clock, in Shanghai days
DEMO_YEARS = Filters(start=date(2024, 11, 1), end=date(2026, 11, 26))  # the same before the demo's clock


async def test_bulk_cases_verify_and_count_as_a_rebuild_would(app: Any) -> None:
    clock = FrozenClock(datetime(2019, 1, 1, tzinfo=UTC))
    for role in ("consumer", "merchant", "mediator"):
        await create_person(role, clock)
    before = (await figures(SEEDED))["filed"]
    assert await seed_cases(300, clock, WeekdayCalendar(), get_settings().timezone, seed=7) == 300
    seeded = await Case.select(Case.id, Case.state).where(Case.order_number.like("BULK-%"), Case.filed_at < clock.now())
    assert len(seeded) >= 300 and len({row["state"] for row in seeded}) >= 6
    for row in seeded[:: max(len(seeded) // 25, 1)]:
        assert (await verify(row["id"])).verified, row
    counted = await figures(SEEDED)
    assert counted["filed"] == before + 300 and counted["closed"] > 100
    await rollups.rebuild(WeekdayCalendar(), get_settings().timezone)
    rebuilt = await figures(SEEDED)
    # (the states now count all time: other tests' planted rollups, which no record backs, are gone after it)
    assert {**rebuilt, "by_state": None} == {**counted, "by_state": None}


async def test_a_bulk_upsert_adds_its_counts_and_leaves_the_connections_cache_as_it_was(app: Any) -> None:
    day = date(2026, 1, 5)
    async with write_transaction():
        connection = engine().current_transaction.get().connection
        cache_before = connection.raw.execute("PRAGMA cache_size").fetchone()["cache_size"] if is_sqlite() else None
        await rollups.add_counts({(day, "other", 7, "filed"): 2})
        if is_sqlite():  # the pooled connection's cache goes back to its size for the requests after
            assert connection.raw.execute("PRAGMA cache_size").fetchone()["cache_size"] == cache_before
    rows = await DailyCount.select(DailyCount.count).where(
        DailyCount.day == day, DailyCount.category == "other", DailyCount.enterprise == 7, DailyCount.metric == "filed"
    )
    assert rows == [{"count": 2}]


async def test_bulk_cases_go_into_a_database_holding_the_demo(app: Any) -> None:
    """`accord seed-demo --cases N` on a database the demo seeded: the cases take the ids after the demo's and
    references drawn as a filing draws them (none of the demo's), its records and theirs verify, and the counts
    added to its rollups are the ones a rebuild gives."""
    clock, zone = FrozenClock(BASE_TIME), get_settings().timezone
    first = await last_case_id() + 1
    await ensure_demo_accounts(clock)
    await seed_demo_cases(clock, WeekdayCalendar())
    await rollups.rebuild(WeekdayCalendar(), zone)
    after_demo = await last_case_id()
    assert after_demo - first >= 10  # the demo's cases
    assert await seed_cases(300, clock, WeekdayCalendar(), zone, seed=11) == 300
    counted = await figures(DEMO_YEARS)
    await rollups.rebuild(WeekdayCalendar(), zone)
    assert {**await figures(DEMO_YEARS), "by_state": None} == {**counted, "by_state": None}
    assert await last_case_id() == after_demo + 300
    seeded = await Case.select(Case.reference).where(Case.id > after_demo)
    assert all(re.fullmatch(r"AC-\d{4}-\d{8}", row["reference"]) for row in seeded)
    for case_id in [*range(first, after_demo + 1), *range(after_demo + 1, after_demo + 301, 30)]:
        assert (await verify(case_id)).verified, case_id


async def last_case_id() -> int:
    return ((await Case.select(Case.id).order_by(Case.id, ascending=False).first()) or {"id": 0})["id"]


async def test_a_bulk_load_leaves_postgresql_statistics_of_what_it_loaded(app: Any) -> None:
    """PostgreSQL plans from statistics that autovacuum refreshes only a while after a bulk load (the registrar's
    case list was 14x slower at 100k cases until it did): the seed analyzes what it wrote."""
    clock = FrozenClock(datetime(2019, 1, 1, tzinfo=UTC))
    for role in ("consumer", "merchant", "mediator"):
        await create_person(role, clock)
    await seed_cases(120, clock, WeekdayCalendar(), get_settings().timezone, seed=11)
    if is_sqlite():  # SQLite plans from the indexes' shapes (tests/accord/test_query_plans.py); none are gathered
        assert not await engine().run_ddl("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        return
    for table in ("dispute_case", "case_event", "insight_daily"):
        rows = await engine().run_ddl(
            f"SELECT (SELECT reltuples FROM pg_class WHERE relname = '{table}') AS planned,"
            f" (SELECT count(*) FROM {table}) AS stored"
        )
        assert rows[0]["planned"] == rows[0]["stored"], (table, rows)
