"""Every test starts from the same database: the rows a test writes are deleted when it ends.

Rows written by session or module fixtures (the case cast, the authorization matrix's world) stay for as
long as their fixture lives: such a fixture yields inside `async with kept_rows():`, which keeps what is in
the database at that moment and deletes it when the block ends. Everything else is a test's own: ids only
grow, so a test's rows are those above every kept range, whichever process wrote them (the in-process app,
`accord serve`, `accord sweep`).

Ids are never used twice, on SQLite too (`never_reuse_ids`): a server that lives across tests keeps state per
user or case id in memory (rate limits, presence), and the next test's people and cases must be new to it.

Deleting runs with foreign-key checks off, so the order of tables does not matter. Updates to kept rows are
not undone: a test that changes the cast puts it back (as one that changes a setting does).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from accord.db import engine, is_sqlite
from accord.settings import get_settings

Range = dict[str, tuple[int, int]]  # table -> (above this id, up to this id)
_kept: list[Range] = []
_tables: list[str] = []
_SQLITE_ID = '"id" INTEGER PRIMARY KEY NOT NULL'


async def never_reuse_ids() -> None:
    """Once, after the migrations: note the tables, and on SQLite make every id AUTOINCREMENT, as PostgreSQL's
    sequences are (SQLite otherwise gives max(id) + 1, the id of a row just deleted)."""
    if is_sqlite():
        listed = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        listed = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    _tables[:] = sorted(row["name"] for row in await engine().run_ddl(listed) if row["name"] != "migration")
    if is_sqlite():
        await asyncio.to_thread(_sqlite_autoincrement)


def _sqlite_autoincrement() -> None:
    connection = _sqlite_connection()
    try:
        connection.execute("BEGIN IMMEDIATE")
        # The first AUTOINCREMENT table makes sqlite_sequence, where SQLite keeps each table's highest id.
        connection.execute('CREATE TABLE "test_autoincrement" (id INTEGER PRIMARY KEY AUTOINCREMENT)')
        version = connection.execute("PRAGMA schema_version").fetchone()[0]
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name != 'migration'",
            (_SQLITE_ID, _SQLITE_ID.replace("KEY", "KEY AUTOINCREMENT")),
        )
        connection.execute(f"PRAGMA schema_version = {version + 1}")  # other connections read the schema again
        connection.execute("PRAGMA writable_schema = OFF")
        connection.execute("COMMIT")
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()


def _sqlite_connection() -> sqlite3.Connection:
    """A connection of its own: foreign keys off (SQLite's default), transactions by hand."""
    connection = sqlite3.connect(str(get_settings().database.sqlite_path), timeout=30, isolation_level=None)
    connection.execute("PRAGMA synchronous = NORMAL")  # as the app's connections (accord/db.py)
    return connection


def _top(table: str) -> int:
    """The highest id any kept range holds in `table`; a test's rows are above it."""
    return max((kept[table][1] for kept in _kept if table in kept), default=0)


async def _highest_ids() -> dict[str, int]:
    query = " UNION ALL ".join(f"SELECT '{name}' AS name, max(id) AS top FROM \"{name}\"" for name in _tables)
    return {row["name"]: row["top"] or 0 for row in await engine().run_ddl(query)}


def _sqlite_delete(statements: list[str]) -> None:
    connection = _sqlite_connection()
    try:
        connection.execute("BEGIN IMMEDIATE")
        for statement in statements:
            connection.execute(statement)
        connection.execute("COMMIT")
    finally:
        connection.close()


async def _delete(ranges: Range) -> None:
    statements = [f'DELETE FROM "{name}" WHERE id > {low} AND id <= {high}' for name, (low, high) in ranges.items()]
    if not statements:
        return
    if is_sqlite():  # off the loop, and not on the app's connections: they enforce foreign keys
        await asyncio.to_thread(_sqlite_delete, statements)
        return
    db = engine()
    async with db.transaction():
        await db.run_ddl("SET LOCAL session_replication_role = replica")  # no foreign-key triggers
        for statement in statements:
            await db.run_ddl(statement)


async def _new_rows() -> Range:
    return {name: (_top(name), top) for name, top in (await _highest_ids()).items() if top > _top(name)}


async def delete_new_rows() -> None:
    """Back to the kept rows: delete everything written since the last `kept_rows()`."""
    await _delete(await _new_rows())


@asynccontextmanager
async def kept_rows() -> AsyncIterator[None]:
    """Keep the rows written so far (by the fixture around this block) from every test's clean-up; delete
    them when the block ends."""
    kept = await _new_rows()
    _kept.append(kept)
    try:
        yield
    finally:
        _kept.remove(kept)
        await _delete(kept)
