"""What a pooled connection carries back to the pool (accord/db.py): a transaction left open never, a
session setting untouched on PostgreSQL (no second round trip resets it after every query); and how many
connections a process holds."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
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


async def _commit_three_megabytes(connection: Any) -> None:
    connection.raw.execute("BEGIN IMMEDIATE")
    connection.raw.execute("INSERT INTO blob VALUES (?)", (bytes(3_000_000),))  # ~730 pages of the log
    await connection.execute("COMMIT")


@pytest.mark.parametrize(
    ("every", "growth", "kept"),
    [(3, 10**9, 2), (1000, 5_000_000, 1)],
    ids=["every third commit", "once the log grew by 5 MB"],
)
async def test_sqlite_commits_leave_checkpoints_to_a_thread_of_their_own(
    tmp_path: Any, monkeypatch: Any, every: int, growth: int, kept: int
) -> None:
    """A commit that takes the log past SQLite's 1,000 pages copies nothing into the database file (SQLite's own
    checkpoint did, holding every writer of the process meanwhile); after CHECKPOINT_EVERY commits, or once the
    log file grew by CHECKPOINT_LOG_GROWTH, a checkpoint on a thread of its own copies the whole log. `kept`:
    the commits of 3 MB that stay in the log."""
    from accord import db

    monkeypatch.setattr(db, "CHECKPOINT_EVERY", every)
    monkeypatch.setattr(db, "CHECKPOINT_LOG_GROWTH", growth)
    path = tmp_path / "scratch.sqlite3"
    scratch = db.InlineSQLiteEngine(path=str(path), detect_types=sqlite3.PARSE_DECLTYPES)
    connection = await scratch.get_connection()
    try:
        connection.raw.execute("PRAGMA journal_mode=WAL")
        connection.raw.execute("CREATE TABLE blob (data BLOB)")
        before = path.stat().st_size
        for _ in range(kept):
            await _commit_three_megabytes(connection)
        await scratch.finish_checkpoint()
        assert path.stat().st_size == before  # all still in the log (two commits: ~1,460 pages)
        await _commit_three_megabytes(connection)
        await scratch.finish_checkpoint()
        assert path.stat().st_size > 3_000_000 * (kept + 1)
    finally:
        await connection.close()


@pytest.mark.parametrize("stored", [b"2026-11-30 09:05:00", b"2026-11-30 09:05:00.123456+00:00"])
def test_sqlite_times_read_as_piccolo_reads_them(stored: bytes) -> None:
    """accord.db registers a leaner converter over Piccolo's for the times every page reads."""
    from accord import db

    assert sqlite3.converters["TIMESTAMPTZ"] is db._timestamptz_out
    read = db._timestamptz_out(stored)
    assert read == CONVERTERS["TIMESTAMPTZ"](stored) and type(read) is datetime


def _connection_like_ours() -> sqlite3.Connection:
    from accord import db

    return db.InlineSQLiteEngine(path=":memory:", detect_types=sqlite3.PARSE_DECLTYPES)._open()


def test_sqlite_rows_are_made_by_piccolos_dict_factory() -> None:
    """Rows are the plain dicts Piccolo's queries make (accord.db says why not a factory of our own)."""
    from piccolo.engine.sqlite import dict_factory

    raw = _connection_like_ours()
    assert raw.row_factory is dict_factory
    assert raw.execute("SELECT 1 AS one, 'a' AS name").fetchone() == {"one": 1, "name": "a"}


@pytest.mark.parametrize("written", [0, -12, 2**62, "7", " 7", 1.0, "1e3", "-12"])
def test_sqlite_integers_read_as_piccolo_reads_them_without_a_converter(written: object) -> None:
    """No converter for INTEGER (Piccolo's parsed each through a Decimal): a column of integer affinity keeps an
    integer as one however it was written, and reads as the int Piccolo's converter would make of its text."""
    assert "INTEGER" not in sqlite3.converters
    raw = _connection_like_ours()
    raw.execute("CREATE TABLE counted (n INTEGER)")
    raw.execute("INSERT INTO counted VALUES (?)", (written,))
    read = raw.execute("SELECT n FROM counted").fetchone()["n"]
    assert type(read) is int and read == CONVERTERS["INTEGER"](str(written).encode())
