"""Rollup shards (insights/rollups.py): on PostgreSQL each write adds to one of a few rows per key, so concurrent
transactions adding to the same day's counts do not wait for each other's commits; SQLite writes shard 0 only;
past days' and months' shards are folded back into shard 0 without changing a figure."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from litestar import Litestar

from accord.db import is_sqlite, write_transaction
from insights import rollups
from insights.tables import DailyCount, MonthlyCount

TODAY, YESTERDAY = date(2031, 3, 2), date(2031, 3, 1)  # no other test counts anything in 2031
CATEGORY, ENTERPRISE = "defective", 987654
CHOOSE_SHARD = rollups._shard  # as bump() chooses, before a test pins it


async def _rows(table: Any, **where: Any) -> list[tuple[Any, ...]]:
    matching = (getattr(table, column) == value for column, value in where.items())
    query = table.select(table.metric, table.count, table.shard).where(
        table.category == CATEGORY, table.enterprise == ENTERPRISE, *matching
    )
    return sorted((row["metric"], row["count"], row["shard"]) for row in await query)


async def _bump_in_shard(shard: int, day: date, monkeypatch: pytest.MonkeyPatch, by: int = 1) -> None:
    monkeypatch.setattr(rollups, "_shard", lambda: shard)
    await rollups.bump(day, CATEGORY, ENTERPRISE, ["filed"], by)


async def test_past_shards_fold_into_shard_0_and_todays_stay(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> None:
    async with write_transaction():
        for shard, by in ((0, 1), (3, 2), (5, 4)):
            await _bump_in_shard(shard, YESTERDAY, monkeypatch, by)
        await _bump_in_shard(2, TODAY, monkeypatch, 8)
    folded = await rollups.fold_shards(TODAY)
    assert folded == 2 * 4  # yesterday's shards 3 and 5 in the four scopes; March's monthly rows stay till April
    assert await _rows(DailyCount, day=YESTERDAY) == [("filed", 7, 0)]
    assert await _rows(DailyCount, day=TODAY) == [("filed", 8, 2)]
    month = [("filed", 1, 0), ("filed", 2, 3), ("filed", 4, 5), ("filed", 8, 2)]
    assert await _rows(MonthlyCount, month="2031-03") == month
    assert await rollups.fold_shards(date(2031, 4, 1)) == 4 * 4  # March's three monthly shards, today's daily one
    assert await _rows(MonthlyCount, month="2031-03") == [("filed", 15, 0)]
    assert await _rows(DailyCount, day=TODAY) == [("filed", 8, 0)]
    assert await rollups.fold_shards(date(2031, 4, 1)) == 0


async def test_concurrent_additions_to_a_day_write_their_own_shards(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    if is_sqlite():  # one writer at a time: nothing to spread
        await rollups.bump(TODAY, CATEGORY, ENTERPRISE, ["filed"])
        assert await _rows(DailyCount, day=TODAY) == [("filed", 1, 0)]
        return
    holding, release = asyncio.Event(), asyncio.Event()
    chosen: list[int] = []

    async def first() -> None:
        async with write_transaction():
            chosen.append(CHOOSE_SHARD())
            await _bump_in_shard(1, TODAY, monkeypatch)
            holding.set()
            await release.wait()
            chosen.append(CHOOSE_SHARD())

    task = asyncio.create_task(first())
    await holding.wait()
    try:
        async with asyncio.timeout(5):  # not queued behind the first transaction's commit
            async with write_transaction():
                chosen.append(CHOOSE_SHARD())
                await _bump_in_shard(2, TODAY, monkeypatch)
    finally:
        release.set()
        await task
    assert await _rows(DailyCount, day=TODAY) == [("filed", 1, 1), ("filed", 1, 2)]
    # Each transaction writes the shard of its own connection: the one open beside it another, its own the same.
    first_shard, beside, first_again = chosen
    assert first_shard == first_again != beside and {first_shard, beside} <= set(range(rollups.SHARDS))
