"""`accord seed-demo --cases N`: bulk-seeded cases have records that verify, and the rollups counted while
seeding are the ones a rebuild from the records gives."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from accord.clock import FrozenClock, WeekdayCalendar
from accord.db import engine, is_sqlite, write_transaction
from accord.settings import get_settings
from cases.record import verify
from cases.tables import Case
from insights import rollups
from insights.bulk import seed_cases
from insights.service import Filters, figures
from insights.tables import DailyCount
from tests.conftest import create_person

SEEDED = Filters(start=date(2016, 12, 1), end=date(2019, 1, 1))  # 24 months before the clock, in Shanghai days


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
