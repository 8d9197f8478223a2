"""Database engine, the one write-transaction helper, and migrations.

SQLite allows one writer at a time; a DEFERRED transaction that reads and then writes fails with
"database is locked" under concurrency whatever the busy timeout, so every write path goes through
`write_transaction()`: in-process lock + BEGIN IMMEDIATE on SQLite, a plain transaction on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from piccolo.columns.combination import WhereRaw
from piccolo.engine import Engine, PostgresEngine, SQLiteEngine, engine_finder
from piccolo.engine.sqlite import TransactionType

from accord.settings import Database

_sqlite_writer = asyncio.Lock()


def engine_for(database: Database) -> Engine:
    if database.engine == "sqlite":
        assert database.sqlite_path is not None
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(database.sqlite_path), timeout=10)
    return PostgresEngine(config={"dsn": database.url})


def engine() -> Engine:
    db = engine_finder()
    assert db is not None, "accord.piccolo_conf defines DB"
    return db


def is_sqlite() -> bool:
    return engine().engine_type == "sqlite"


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """One atomic write: everything inside commits together or not at all."""
    db = engine()
    if db.current_transaction.get() is not None:
        yield  # already inside the caller's transaction
        return
    if db.engine_type == "sqlite":
        async with _sqlite_writer, db.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with db.transaction():
            yield


async def prepare_database() -> None:
    """Per-file SQLite settings that persist: WAL lets readers run beside the writer."""
    if is_sqlite():
        await engine().run_ddl("PRAGMA journal_mode=WAL")


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    await prepare_database()
    result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def ping() -> bool:
    """True when the database answers a trivial query."""
    try:
        rows = await engine().run_ddl("SELECT 1 AS ok")
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return bool(rows)


def is_unique_violation(error: BaseException) -> bool:
    """True for a unique-constraint failure from either driver (a race the pre-check did not see)."""
    name = type(error).__name__
    return name == "UniqueViolationError" or (name == "IntegrityError" and "UNIQUE" in str(error))


def contains_text(column: str, text: str) -> WhereRaw:
    """Case-insensitive "column contains text", with the user's % and _ taken literally (both engines)."""
    escaped = text.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return WhereRaw(f"LOWER({column}) LIKE {{}} ESCAPE '!'", f"%{escaped}%")
