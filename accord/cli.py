"""The `accord` command: serve, migrate, seed-demo, sweep, and each domain's commands (accord.modules):
create-user, verify-case, registry export/verify, calendar due.

Configuration problems and an unreachable database end the command with one line on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, NoReturn

import asyncpg
import uvicorn

from accord import live
from accord.clock import FrozenClock, SystemClock
from accord.db import COMMAND_CONNECTIONS, close_database, migrate, open_database
from accord.demo import seed_demo
from accord.modules import Job, Runtime, check_settings, installed, jobs_of, load_calendar, run_jobs, wire
from accord.settings import Settings, SettingsError, get_settings


def fail(message: str) -> NoReturn:
    print(f"accord: error: {message}", file=sys.stderr)
    raise SystemExit(2)


DATABASE_ERRORS = (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)


async def _with_database(work: Callable[[], Awaitable[Any]]) -> Any:
    await open_database(COMMAND_CONNECTIONS)
    try:
        return await work()
    finally:
        await close_database()


def run_with_database(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    """Run `work` with the database open; an unreachable database ends the command with one line."""
    try:
        return asyncio.run(_with_database(work))
    except DATABASE_ERRORS as error:
        where = settings.database.url.split("@")[-1]
        fail(f"database {where!r}: {error}".replace("\n", " "))


async def _migrate() -> None:
    await migrate()


async def _seed(settings: Settings) -> bool:
    """The demo, its deadlines counted in the working-day calendar the server will use."""
    return await seed_demo(SystemClock(), await load_calendar(installed(), settings))


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    run_with_database(settings, _migrate)
    print("accord: database is up to date")


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> None:
    seeded = run_with_database(settings, lambda: _seed(settings))
    print("accord: demo data created" if seeded else "accord: database already has data; demo seed skipped")


# The largest frame a client needs is a message of 5,000 characters, JSON-escaped; bigger ones close the
# socket (1009) before anything reads them.
MAX_FRAME_BYTES = 64 * 1024


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    async def prepare() -> None:
        await _migrate()
        if args.demo and await _seed(settings):
            print("accord: demo data created (password for all demo accounts: demo-password)")

    run_with_database(settings, prepare)
    print(f"accord: serving on http://{args.host}:{args.port}")
    uvicorn.run(
        "accord.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Client addresses come from accord.network, which believes X-Forwarded-For only from the
        # proxies in ACCORD_TRUSTED_PROXIES (uvicorn's own rewrite trusts any local peer).
        proxy_headers=False,
        log_level="info",
        access_log=args.access_log,
        # Socket frames are small JSON objects: compressing each one for each socket costs more CPU
        # than the bytes it saves (bench/ws_fanout.py).
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,
    )


def _moment(text: str, settings: Settings) -> datetime:
    """An ISO time from the command line; without an offset it is local time where the service runs."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--at {text!r} is not an ISO 8601 time, e.g. 2026-12-10T09:00:00+08:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.timezone)


def cmd_sweep(settings: Settings, args: argparse.Namespace) -> None:
    """One round of the server's background work (accord.modules.run_jobs), for cron when the servers'
    loop is off (ACCORD_SWEEP_SECONDS=0): the same jobs, with the same event subscribers and channels."""
    clock = FrozenClock(_moment(args.at, settings)) if args.at else SystemClock()
    modules = installed()
    wire(modules, settings)

    async def sweep() -> list[tuple[Job, Any]]:
        # The servers' channels, so sockets open on a server hear what this round changed (across
        # processes on PostgreSQL or Redis); leaving the block waits until every poke has gone out.
        async with live.channels_plugin(settings):
            runtime = Runtime(settings, clock, await load_calendar(modules, settings))
            return await run_jobs(jobs_of(modules), runtime)

    for job, result in run_with_database(settings, sweep):
        for line in job.report(result):
            print(line)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accord", description="Accord dispute resolution platform")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="seed demo data when the database is empty")
    serve.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="no line per request on stderr (a proxy in front that logs them, or a benchmark)",
    )
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=cmd_migrate)
    commands.add_parser("seed-demo", help="create demo accounts and data in an empty database").set_defaults(
        handler=cmd_seed_demo
    )

    sweep = commands.add_parser(
        "sweep", help="one round of background work: due deadlines, expiry, reminders, digests, mail, auto-assign"
    )
    sweep.add_argument("--at", metavar="ISO-TIME", help="sweep as if it were this time (default: now)")
    sweep.set_defaults(handler=cmd_sweep)
    for module in installed():
        if module.cli is not None:
            module.cli(commands)

    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if getattr(args, "offline", False):  # checks anyone may run on published data: no settings, no data dir
        args.handler(None, args)
        return
    # Piccolo warns before our own one-line message when the database is unreachable.
    warnings.filterwarnings("ignore", message=".*Unable to connect to database.*")
    try:
        settings = get_settings()
        check_settings(installed(), settings)
    except SettingsError as error:
        fail(str(error))
    args.handler(settings, args)


if __name__ == "__main__":
    main()
