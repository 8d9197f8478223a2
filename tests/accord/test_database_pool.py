"""What a pooled connection carries back to the pool (accord/db.py): a transaction left open never, a
session setting untouched on PostgreSQL (no second round trip resets it after every query)."""

from __future__ import annotations

import sqlite3
from typing import Any

from litestar import Litestar

from accord.db import engine, is_sqlite


async def _sqlite_connection_left_in_transaction() -> sqlite3.Connection:
    connection = await engine().get_connection()  # type: ignore[attr-defined]
    connection.raw.execute("BEGIN")
    connection.raw.execute("CREATE TEMP TABLE unfinished (id INTEGER)")
    await connection.close()
    return connection.raw  # type: ignore[no-any-return]


async def test_a_connection_returned_mid_transaction_keeps_nothing_of_it(app: Litestar) -> None:
    if is_sqlite():
        raw = await _sqlite_connection_left_in_transaction()
        reused = await engine().get_connection()  # type: ignore[attr-defined]
        assert reused.raw is not raw  # closed, never handed out again
        await reused.close()
        return
    pool: Any = engine().pool  # type: ignore[attr-defined]
    async with pool.acquire() as connection:
        await connection.execute("BEGIN")  # as if its owner forgot it (asyncpg logs so): the pool rolls it back
        await connection.execute("CREATE TEMP TABLE unfinished (id integer)")
    async with pool.acquire() as connection:
        assert not connection.is_in_transaction()
        assert await connection.fetchval("SELECT to_regclass('pg_temp.unfinished')") is None


async def test_returning_a_connection_costs_no_reset_round_trip(app: Litestar) -> None:
    """A setting made on a pooled connection is still there when the pool hands it out again: asyncpg's
    default `RESET ALL; UNLISTEN *; ...` did not run on its way back."""
    if is_sqlite():
        raw = (await engine().get_connection()).raw  # type: ignore[attr-defined]
        raw.execute("PRAGMA cache_size = -4321")
        engine().release(raw)  # type: ignore[attr-defined]
        reused = await engine().get_connection()  # type: ignore[attr-defined]
        assert reused.raw is raw and reused.raw.execute("PRAGMA cache_size").fetchone()["cache_size"] == -4321
        reused.raw.execute("PRAGMA cache_size = -2000")
        await reused.close()
        return
    pool: Any = engine().pool  # type: ignore[attr-defined]
    async with pool.acquire() as connection:
        backend = await connection.fetchval("SELECT pg_backend_pid()")
        await connection.execute("SET application_name = 'accord-pool-test'")
    async with pool.acquire() as connection:  # the pool is last in, first out
        assert await connection.fetchval("SELECT pg_backend_pid()") == backend
        assert await connection.fetchval("SHOW application_name") == "accord-pool-test"
        await connection.execute("RESET application_name")
