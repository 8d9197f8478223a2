"""What a pooled connection carries back to the pool (accord/db.py): a transaction left open never, a
session setting untouched on PostgreSQL (no second round trip resets it after every query); and how many
connections a process holds."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from litestar import Litestar
from piccolo.engine.sqlite import CONVERTERS

from accord.cli import _with_database
from accord.db import COMMAND_CONNECTIONS, SERVER_CONNECTIONS, engine, is_sqlite


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


def _command_pool() -> tuple[int, int]:
    """In a fresh process, as an `accord` command opens the database: its pool's size and ceiling."""

    async def measure() -> tuple[int, int]:
        pool: Any = engine().pool  # type: ignore[attr-defined]
        return pool.get_size(), pool.get_max_size()

    return asyncio.run(_with_database(measure))  # type: ignore[no-any-return]


async def test_a_process_opens_one_connection_and_grows_only_as_needed(app: Litestar) -> None:
    """Each server or command held ten PostgreSQL connections from its start (asyncpg's default), so five
    `accord verify-case` beside two servers and a parallel test run could take most of the server's 100."""
    if is_sqlite():
        return
    pool: Any = engine().pool  # type: ignore[attr-defined]
    assert (pool.get_min_size(), pool.get_max_size()) == (1, SERVER_CONNECTIONS)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver")) as child:
        assert child.submit(_command_pool).result(timeout=60) == (1, COMMAND_CONNECTIONS)


async def test_sqlite_commits_wait_for_checkpoints_not_for_every_fsync(app: Litestar) -> None:
    """WAL with synchronous=NORMAL (accord/db.py says why; README "Durability" says what it costs)."""
    if not is_sqlite():
        return
    connection = await engine().get_connection()  # type: ignore[attr-defined]
    try:
        assert connection.raw.execute("PRAGMA journal_mode").fetchone()["journal_mode"] == "wal"
        assert connection.raw.execute("PRAGMA synchronous").fetchone()["synchronous"] == 1  # NORMAL
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("declared", "stored"),
    [
        *(("INTEGER", value) for value in (b"0", b"-12", b"123456789012345678901234", b"1.0", b"1e3", b" 7")),
        *(("TIMESTAMPTZ", value) for value in (b"2026-11-30 09:05:00", b"2026-11-30 09:05:00.123456+00:00")),
    ],
)
def test_sqlite_values_read_as_piccolo_reads_them(declared: str, stored: bytes) -> None:
    """accord.db registers leaner converters over Piccolo's for two types every page reads."""
    from accord import db

    ours = {"INTEGER": db._integer_out, "TIMESTAMPTZ": db._timestamptz_out}[declared]
    assert sqlite3.converters[declared] is ours
    read = ours(stored)
    assert read == CONVERTERS[declared](stored) and type(read) is type(CONVERTERS[declared](stored))


def test_what_is_no_integer_is_refused_as_piccolo_refuses_it() -> None:
    from accord import db

    with pytest.raises(ArithmeticError):  # decimal.InvalidOperation, as from Piccolo's own
        db._integer_out(b"hello")
