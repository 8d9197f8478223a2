"""Rollup shards (insights/rollups.py): on PostgreSQL each write adds to one of a few rows per key, so concurrent
transactions adding to the same day's counts do not wait for each other's commits; SQLite writes shard 0 only;
past days' and months' shards are folded back into shard 0 without changing a figure; adding to a row touches no
index."""

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


async def _indexed_columns(table: str) -> set[str]:
    if is_sqlite():
        rows = await DailyCount.raw(
            "SELECT info.name AS name FROM pragma_index_list({}) AS list, pragma_index_info(list.name) AS info", table
        )
    else:
        rows = await DailyCount.raw(
            "SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST({} AS regclass)",
            table,
        )
    return {row["name"] for row in rows}


@pytest.mark.parametrize("table", ["insight_daily", "insight_monthly"])
async def test_adding_to_a_count_changes_no_index(app: Litestar, table: str) -> None:
    """Every filing and move adds to some forty rollup rows: `count` is in none of their tables' indexes, so an
    addition rewrites no index entry; on PostgreSQL it stays on the row's page (a heap-only update, room left
    by the tables' fillfactor), where with `count` indexed each one wrote into every index of the table."""
    assert "count" not in await _indexed_columns(table)
    assert {"category", "enterprise", "metric", "shard"} <= await _indexed_columns(table)  # the query read them
    if is_sqlite():
        return
    # The backend's counts not yet reported to PostgreSQL's statistics (earlier transactions' on the same pooled
    # connection too): the second bump's updates are the difference across it.
    counted = (
        "SELECT pg_stat_get_xact_tuples_updated(CAST({} AS regclass)) AS updated,"
        " pg_stat_get_xact_tuples_hot_updated(CAST({} AS regclass)) AS hot"
    )
    async with write_transaction():
        await rollups.bump(TODAY, CATEGORY, ENTERPRISE, ["filed"])  # the rows of the four scopes, new
        before = (await DailyCount.raw(counted, table, table))[0]
        await rollups.bump(TODAY, CATEGORY, ENTERPRISE, ["filed"])  # the same four rows, added to
        after = (await DailyCount.raw(counted, table, table))[0]
    updated, hot = after["updated"] - before["updated"], after["hot"] - before["hot"]
    assert updated >= 4 and hot == updated
    settings = await DailyCount.raw("SELECT reloptions FROM pg_class WHERE relname = {}", table)
    assert "fillfactor=70" in settings[0]["reloptions"]
