"""Database engine, the one write-transaction helper, and migrations.

SQLite allows one writer at a time; a DEFERRED transaction that reads and then writes fails with
"database is locked" under concurrency whatever the busy timeout, so every write path goes through
`write_transaction()`: in-process lock + BEGIN IMMEDIATE on SQLite, a plain transaction on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from string import Formatter
from typing import Any

from piccolo.columns import JSON, Column
from piccolo.columns.combination import WhereRaw
from piccolo.columns.defaults.base import Default
from piccolo.engine import Engine, PostgresEngine, SQLiteEngine, engine_finder
from piccolo.engine.sqlite import TransactionType, dict_factory
from piccolo.querystring import QueryString
from piccolo.table import Table
from piccolo.utils.sql_values import convert_to_sql_value

from accord.settings import Database

_sqlite_writer = asyncio.Lock()
IDLE_CONNECTIONS = 8
CHECKPOINT_EVERY = 100  # commits: a message's transaction writes about 8 pages, SQLite's own checkpoint came at 1,000
CHECKPOINT_LOG_GROWTH = 4 * 1024 * 1024  # bytes the log file grew by (SQLite's own: 1,000 pages of 4 KiB): bulk writes


@functools.lru_cache(maxsize=16384)
def _timestamptz_out(value: bytes) -> datetime:
    """A timestamptz as Piccolo reads it (the stored time, in UTC), parsed once: a page reads the same record's
    times at every view (datetimes cannot be changed, so one may be handed out many times)."""
    return datetime.fromisoformat(value.decode()).replace(tzinfo=UTC)


# The same values as Piccolo's converters (tests/accord/test_database_pool.py compares them), registered over them.
sqlite3.register_converter("TIMESTAMPTZ", _timestamptz_out)
# INTEGER needs none: a column of integer affinity stores a number that is an integer ("7", 1.0, "1e3") as one, and
# sqlite3 reads it as an int. Piccolo's converter for it parsed every integer of every row through a Decimal.
sqlite3.converters.pop("INTEGER", None)


class _InlineConnection:
    """What Piccolo's SQLite transactions ask of a connection (execute, close), on the caller's thread."""

    def __init__(self, engine: InlineSQLiteEngine, raw: sqlite3.Connection) -> None:
        self.engine, self.raw = engine, raw

    async def execute(self, query: str, args: Any = ()) -> list[dict[str, Any]]:
        if query == "COMMIT":
            return await self.execute_in_thread(query)
        return self.raw.execute(query, args).fetchall()

    async def execute_in_thread(self, query: str, args: Any = ()) -> list[dict[str, Any]]:
        """For what commits (a transaction's COMMIT, a lone write), which may wait for the disk, so the loop keeps
        serving meanwhile."""
        rows = await asyncio.to_thread(lambda: self.raw.execute(query, args).fetchall())
        self.engine.committed()
        return rows

    async def close(self) -> None:
        self.engine.release(self.raw)


class InlineSQLiteEngine(SQLiteEngine):
    """SQLite queries run on the event loop's thread, on reused connections.

    aiosqlite hands every statement to a thread per connection and back; on our 2-core machines one
    hand-over costs about 0.3 ms, several times the statement itself, and a message (ten statements in
    one transaction) spent most of its time waiting for them (bench/ws_fanout.py). A local SQLite
    statement takes microseconds, so running it inline is cheaper; only a transaction's COMMIT, which
    waits for the disk, goes to a thread. Readers never wait in WAL mode, and writers of this process
    queue on `_sqlite_writer` before they touch the file, so the only wait that blocks the loop is
    another process's write transaction, for as long as that commit takes.
    """

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, check_same_thread=False, **connection_kwargs)
        self._idle: list[sqlite3.Connection] = []
        self._commits_since_checkpoint = 0
        self._log_size_at_checkpoint = 0
        self._checkpointing: asyncio.Future[Any] | None = None

    def _open(self) -> sqlite3.Connection:
        raw = sqlite3.connect(**self.connection_kwargs)
        # Piccolo's own. A factory of ours (column names cached per statement) saved little on a page and was
        # undone when the live fan-out's tail was bisected to it; that tail later proved to be where CPython's
        # full collections fell (accord.app.settle_heap; README, "Performance", 2026-12-01 second session).
        raw.row_factory = dict_factory
        raw.execute("PRAGMA foreign_keys = 1")
        # In WAL mode FULL (SQLite's default) waits for an fsync of the log at every commit, and commits queue
        # one by one on `_sqlite_writer`: at 200 live messages a second on our disks the queue never drained
        # (bench/ws_fanout.py: p50 201 ms; 10 ms with NORMAL). NORMAL syncs at checkpoints only: a committed
        # transaction survives the process being killed (tests/e2e/test_server_crash.py), and the file is
        # never corrupted, but the last commits before a power cut or an OS crash may be lost. Deployments
        # that cannot accept that run PostgreSQL, which syncs every commit (README, "Durability").
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("PRAGMA wal_autocheckpoint = 0")  # the engine checkpoints, off the writers' path (`committed`)
        return raw

    def committed(self) -> None:
        """Every CHECKPOINT_EVERY commits, or once the log file has grown by CHECKPOINT_LOG_GROWTH (a bulk write's
        few large commits), copy the log into the database file on a thread of its own.

        SQLite's automatic checkpoint runs inside the COMMIT that takes the log past 1,000 pages and waits there
        for two fsyncs, while this process's writers queue behind it on `_sqlite_writer`: under
        bench/ws_fanout.py, 54 of ~6,000 commits in 30 s took 4-7 ms (slower disks, longer); with the checkpoint
        here, none took over 3 ms. A PASSIVE checkpoint waits for no reader or writer, so it runs beside them.
        Each process checkpoints after its own commits (the whole log, whoever wrote it); when the last connection
        to a database closes, SQLite checkpoints what is left."""
        self._commits_since_checkpoint += 1
        if self._checkpoint_running():
            return
        # The file only grows: a checkpointed log is written again from its start, so growth is new pages.
        log_size = self._log_size()
        grown = log_size - self._log_size_at_checkpoint
        if self._commits_since_checkpoint >= CHECKPOINT_EVERY or grown >= CHECKPOINT_LOG_GROWTH:
            self._commits_since_checkpoint, self._log_size_at_checkpoint = 0, log_size
            self._checkpointing = asyncio.ensure_future(asyncio.to_thread(self.checkpoint))

    def _log_size(self) -> int:
        try:
            return os.stat(f"{self.path}-wal").st_size
        except OSError:  # no log yet, or an in-memory database
            return 0

    def _checkpoint_running(self) -> bool:
        running = self._checkpointing
        return running is not None and not running.done() and running.get_loop() is asyncio.get_running_loop()

    def checkpoint(self) -> tuple[int, int, int]:
        """A PASSIVE checkpoint on a connection of its own: (1 if it could not finish, pages in the log, pages
        copied)."""
        raw = sqlite3.connect(**self.connection_kwargs)
        try:
            return tuple(raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())  # type: ignore[return-value]
        finally:
            raw.close()

    async def finish_checkpoint(self) -> None:
        """Wait for a checkpoint under way (a process that stops lets it end)."""
        if self._checkpoint_running():
            await self._checkpointing  # type: ignore[misc]

    def release(self, raw: sqlite3.Connection) -> None:
        if raw.in_transaction or len(self._idle) >= IDLE_CONNECTIONS:
            raw.close()  # a connection left mid-transaction is never handed out again
        else:
            self._idle.append(raw)

    async def get_connection(self) -> Any:
        return _InlineConnection(self, self._idle.pop() if self._idle else self._open())

    async def _run_in_existing_connection(
        self, connection: Any, query: str, args: Any = None, query_type: str = "generic", table: Any = None
    ) -> list[dict[str, Any]]:
        return await connection.execute(query, args or ())

    async def _run_in_new_connection(
        self, query: str, args: Any = None, query_type: str = "generic", table: Any = None
    ) -> list[dict[str, Any]]:
        connection = await self.get_connection()
        try:
            if query.lstrip()[:6].upper() == "SELECT":
                return await connection.execute(query, args or ())
            async with _sqlite_writer:  # a lone write waits its turn like a write transaction, and commits
                return await connection.execute_in_thread(query, args or ())
        finally:
            await connection.close()


def engine_for(database: Database) -> Engine:
    if database.engine == "sqlite":
        assert database.sqlite_path is not None
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return InlineSQLiteEngine(path=str(database.sqlite_path), timeout=10)
    return PostgresEngine(config={"dsn": database.url})


async def _keep_session(_connection: Any) -> None:
    """What a pooled PostgreSQL connection needs on its way back to the pool besides asyncpg's own rollback
    of an unfinished transaction: nothing. asyncpg's default reset (`pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL`) is a second round trip after every pooled query (issue 14 §5: a page's reads
    cost twice their round trips), and undoes what Accord never does on a pooled connection: it takes
    advisory locks only for the transaction (integrity/log.py), keeps no cursor past a transaction, listens
    on a connection of its own (accord/live.py) and sets no session variable."""


SERVER_CONNECTIONS = 10  # asyncpg's own default, reached only under load
COMMAND_CONNECTIONS = 2  # an `accord` command runs one statement at a time


async def open_database(connections: int = SERVER_CONNECTIONS) -> None:
    """Start what the process's engine needs: PostgreSQL's pool (with the lean reset), SQLite's settings.

    The pool opens one connection and grows to `connections` only as requests need them: asyncpg's default
    opens all ten at start, so every process held ten, and a cron `accord` command beside a few servers and
    test runs could leave PostgreSQL (100 by default) without a free one ("too many clients already")."""
    db = engine()
    if db.engine_type == "postgres":
        await db.start_connection_pool(  # type: ignore[attr-defined]
            reset=_keep_session, min_size=1, max_size=connections
        )
    await prepare_database()


async def close_database() -> None:
    db = engine()
    if db.engine_type == "postgres":
        await db.close_connection_pool()  # type: ignore[attr-defined]
    else:
        await db.finish_checkpoint()  # type: ignore[attr-defined]


class Prepared:
    """A hot-path statement (issue 14): plain SQL with named parameters (`{reference}`), the same text on
    SQLite and PostgreSQL, compiled for the engine on first use and then run with bound parameters through
    the engine (inside the caller's transaction, if any), its rows as dicts with the columns' own types (SQLite
    converts by declared type, as for Piccolo's queries). Building a Piccolo query costs more than running it;
    Piccolo stays for everything off the request path."""

    def __init__(self, sql: str, lock: str = "") -> None:
        """`lock`: the row-locking clause PostgreSQL appends (e.g. "FOR UPDATE"); SQLite has none, and needs
        none: a write transaction there holds the database's one writer lock from its start."""
        self.sql = " ".join(sql.split())
        self.lock = lock
        self._compiled: dict[str, tuple[str, tuple[str, ...]]] = {}

    def _compile(self, engine_type: str) -> tuple[str, tuple[str, ...]]:
        """The engine's SQL and the parameters' names in the order it binds them ($n names each once)."""
        parts, names = [], []
        sql = self.sql if engine_type == "sqlite" or not self.lock else f"{self.sql} {self.lock}"
        for text, name, _spec, _conversion in Formatter().parse(sql):
            parts.append(text)
            if name is None:
                continue
            if engine_type == "sqlite":
                names.append(name)
                parts.append("?")
            else:
                if name not in names:
                    names.append(name)
                parts.append(f"${names.index(name) + 1}")
        return "".join(parts), tuple(names)

    def _compiled_for_engine(self) -> tuple[str, tuple[str, ...]]:
        engine_type = engine().engine_type
        compiled = self._compiled.get(engine_type)
        if compiled is None:
            compiled = self._compiled[engine_type] = self._compile(engine_type)
        return compiled

    def positional_sql(self) -> str:
        """The statement as the engine in use takes it, its parameters in the order written (each named once),
        for a driver's own executemany."""
        return self._compiled_for_engine()[0]

    def bound(self, before: str = "", **parameters: Any) -> QueryString:
        """The statement for the engine in use with its values, `before` it if given (e.g. "EXPLAIN")."""
        sql, names = self._compiled_for_engine()
        prefix = f"{before} " if before else ""
        return _Bound(prefix + self.sql, prefix + sql, [parameters[name] for name in names])

    async def rows(self, **parameters: Any) -> list[dict[str, Any]]:
        db = engine()
        rows = await db.run_querystring(self.bound(**parameters))
        return rows if db.engine_type == "sqlite" else [dict(row.items()) for row in rows]

    async def first(self, **parameters: Any) -> dict[str, Any] | None:
        rows = await self.rows(**parameters)
        return rows[0] if rows else None


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{index}" for index in range(count)]


@dataclass(frozen=True)
class _Columns:
    """A table's columns as a hot-path INSERT writes them: all but the primary key, in order, with their names
    (read once: a ForeignKey's attributes go through Piccolo's own lookup) and each one's conversion for the
    database (see `_sql_value`)."""

    columns: tuple[Column, ...]
    names: tuple[str, ...]
    name_set: frozenset[str]
    is_json: tuple[bool, ...]
    defaults: tuple[Callable[[], Any], ...]  # each column's default for a new row (see `_default_of`)


@functools.cache
def _columns_of(table: type[Table]) -> _Columns:
    columns = tuple(column for column in table._meta.columns if not column._meta.primary_key)
    names = tuple(column._meta.name for column in columns)
    is_json = tuple(isinstance(column, JSON) for column in columns)
    return _Columns(columns, names, frozenset(names), is_json, tuple(_default_of(column) for column in columns))


def _default_of(column: Column) -> Callable[[], Any]:
    """What a new row takes in `column` when it is not given, as `table(**given)` has it: Piccolo's default, an
    enum's by value, a callable one called and a `Default` (e.g. a timestamp's "now") asked, each for every row;
    a plain value is looked at once, not at every row (Piccolo's `get_default_value` inspects it each time)."""
    default = getattr(column, "default", None)
    default = default.value if isinstance(default, Enum) else default
    if callable(default):
        return lambda: _made(default())
    if isinstance(default, Default):
        return default.python
    return lambda: default


def _made(value: Any) -> Any:
    return value.python() if isinstance(value, Default) else value


@functools.cache
def _value_keys(rows: int, columns: int) -> tuple[tuple[str, ...], ...]:
    """The names of the values of `rows` rows of `columns` columns, row by row: `_insert`'s placeholders, the keys
    `insert_rows` binds."""
    return tuple(tuple(_names(f"r{row}_", columns)) for row in range(rows))


_PLAIN = frozenset({str, int, float, bool, type(None), datetime, date})


def _sql_value(value: Any, column: Column, is_json: bool) -> Any:
    """`value` as the database takes it, as Piccolo converts it (a JSON column's non-text dumped, an enum by its
    value); values of the plain types pass as they are (Piccolo's check of each type costs more)."""
    return value if value.__class__ in _PLAIN and not is_json else convert_to_sql_value(value, column)


def _value_for(column: Column, value: Any) -> Any:
    return _sql_value(value, column, isinstance(column, JSON))


@functools.cache
def _insert(table: type[Table], rows: int, returning: tuple[str, ...], unless_taken: Column | None = None) -> Prepared:
    """The INSERT of `rows` rows into every column of `table` but its primary key, built once per shape."""
    columns = _columns_of(table).columns
    listed = ", ".join(f'"{column._meta.db_column_name}"' for column in columns)
    placeholders = _value_keys(rows, len(columns))
    values = ", ".join("(" + ", ".join(f"{{{name}}}" for name in keys) + ")" for keys in placeholders)
    skip = f' ON CONFLICT ("{unless_taken._meta.db_column_name}") DO NOTHING' if unless_taken is not None else ""
    tail = " RETURNING " + ", ".join(f'"{name}"' for name in returning) if returning else ""
    return Prepared(f"INSERT INTO {table._meta.get_formatted_tablename()} ({listed}) VALUES {values}{skip}{tail}")


def column_values(table: type[Table], given: Mapping[str, Any]) -> dict[str, Any]:
    """A new row's values by column name, as `table(**given)` would make them: a column not given takes its
    Piccolo default (a callable one called, e.g. a timestamp's "now"); without the primary key."""
    known = _columns_of(table)
    if not given.keys() <= known.name_set:
        raise AssertionError(f"{table._meta.tablename} has no column {sorted(set(given) - known.name_set)}")
    return {name: given[name] if name in given else made() for name, made in zip(known.names, known.defaults)}


async def insert_rows(
    table: type[Table],
    rows: Sequence[Mapping[str, Any]],
    returning: tuple[str, ...] = (),
    unless_taken: Column | None = None,
) -> list[dict[str, Any]]:
    """Insert `rows` ({column name: value}; see `column_values`) in one statement built once per table, row
    count, `returning` and `unless_taken` (hot paths, issue 14: building a Piccolo insert costs more than
    running it). Values are converted for the database as Piccolo converts them (JSON dumped, enums by value).
    `unless_taken`: a unique column; a row whose value there is taken already is skipped, not an error (it
    returns nothing, and the caller's transaction goes on)."""
    if not rows:
        return []
    known = _columns_of(table)
    values = {}
    for row, keys in zip(rows, _value_keys(len(rows), len(known.columns)), strict=True):
        full = row if row.keys() == known.name_set else column_values(table, row)  # complete: as column_values made it
        for key, name, column, is_json in zip(keys, known.names, known.columns, known.is_json, strict=True):
            values[key] = _sql_value(full[name], column, is_json)
    return await _insert(table, len(rows), returning, unless_taken).rows(**values)


@functools.cache
def _update(
    table: type[Table], setting: tuple[Column, ...], where: tuple[tuple[Column, int], ...], returning: bool
) -> Prepared:
    """UPDATE `table` SET `setting` WHERE each `where` column equals its value (count 0) or is one of its
    `count` values, built once per shape."""
    assignments = ", ".join(f'"{column._meta.db_column_name}" = {{s{index}}}' for index, column in enumerate(setting))
    conditions = []
    for index, (column, count) in enumerate(where):
        name = f'"{column._meta.db_column_name}"'
        if count:
            conditions.append(f"{name} IN (" + ", ".join(f"{{{each}}}" for each in _names(f"w{index}_", count)) + ")")
        else:
            conditions.append(f"{name} = {{w{index}}}")
    tail = f' RETURNING "{table._meta.primary_key._meta.db_column_name}"' if returning else ""
    name = table._meta.get_formatted_tablename()
    return Prepared(f"UPDATE {name} SET {assignments} WHERE {' AND '.join(conditions)}{tail}")


async def update_rows(
    table: type[Table], setting: Mapping[Column, Any], where: Mapping[Column, Any], returning: bool = False
) -> list[dict[str, Any]]:
    """Set `setting` on the rows matching every `where` (the column equals the value, or is one of a list's
    values) in a statement built once per shape; with `returning`, the primary keys of the rows changed."""
    shape = tuple((column, len(value) if isinstance(value, list) else 0) for column, value in where.items())
    statement = _update(table, tuple(setting), shape, returning)
    values = {f"s{index}": _value_for(column, value) for index, (column, value) in enumerate(setting.items())}
    for index, (column, value) in enumerate(where.items()):
        if isinstance(value, list):
            values.update(zip(_names(f"w{index}_", len(value)), (_value_for(column, each) for each in value)))
        else:
            values[f"w{index}"] = _value_for(column, value)
    return await statement.rows(**values)


@functools.cache
def numbered(head: str, tail: str, width: int, rows: int) -> Prepared:
    """`head` + `rows` rows of `width` values + `tail` (a multi-row INSERT or upsert), built once per row count;
    run with `numbered_values`."""
    names = iter(_names("v", width * rows))
    values = ", ".join("(" + ", ".join(f"{{{next(names)}}}" for _ in range(width)) + ")" for _ in range(rows))
    return Prepared(head + values + tail)


def numbered_values(values: Sequence[Any]) -> dict[str, Any]:
    """The parameters of a `numbered` statement, in order."""
    return dict(zip(_names("v", len(values)), values, strict=True))


async def rows_for_ids(sql: str, ids: Sequence[int]) -> list[dict[str, Any]]:
    """`sql` run with its `{ids}` an IN list of `ids`, each bound as a parameter of its own (SQLite binds at
    most 32,766 values a statement: callers take rows a batch at a time)."""
    names = _names("id", len(ids))
    statement = Prepared(sql.replace("{ids}", ", ".join(f"{{{name}}}" for name in names)))
    return await statement.rows(**dict(zip(names, ids, strict=True)))


_CONNECTION_NUMBERS: dict[int, int] = {}  # PostgreSQL server process id -> its number in this process


def connection_number() -> int | None:
    """PostgreSQL: the number of the pooled connection the current transaction runs on, the same for every
    transaction on it: 0, 1, 2... in the order this process first used them (so a pool's connections have
    different numbers). None outside a transaction, and on SQLite."""
    transaction = engine().current_transaction.get()
    if transaction is None or is_sqlite():
        return None
    pid = transaction.connection.get_server_pid()
    return _CONNECTION_NUMBERS.setdefault(pid, len(_CONNECTION_NUMBERS))


class _Bound(QueryString):
    """A compiled statement and its values, as the engine runs a Piccolo query (without re-parsing it)."""

    def __init__(self, text: str, sql: str, values: list[Any]) -> None:
        self.template, self.args, self.columns = text, values, []
        self.query_type, self.table, self._alias = "generic", None, None
        self._frozen_compiled_strings = (sql, values)

    def __str__(self) -> str:
        return self.template


@functools.cache
def engine() -> Engine:
    """The process's engine (accord.piccolo_conf's DB), found once: Piccolo's finder imports the configuration
    module again at every call, which on a hot path cost more than some statements."""
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
