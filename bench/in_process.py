"""What the in-process scale benches share (insights.py, scale.py): a fresh database with the demo data, the
app served through httpx's ASGI transport, bulk-seeded cases in steps, and p50/p95 of repeated requests.

A bench script calls `command(main)`, which parses `--cases`, `--requests` and `--postgres` and calls `run`: it points ACCORD_DATA_DIR and
DATABASE_URL at a scratch SQLite file or a scratch PostgreSQL database (dropped at the end) before anything
imports the app.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from accord_server import postgres_admin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEMO_PASSWORD = "demo-password"


def command(main: Callable[[int, int], Awaitable[None]]) -> None:
    """A bench's command line: `main(cases, requests)` on a scratch database (see `run`)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server: the bench makes and drops its own database")
    options = parser.parse_args()
    run(lambda: main(options.cases, options.requests), options.postgres)


def run(main: Callable[[], Awaitable[None]], postgres: str | None) -> None:
    """Run `main` on a scratch database: SQLite in a temporary directory, or a new database on `postgres`."""
    data = tempfile.mkdtemp(prefix="accord-bench-")
    os.environ["ACCORD_DATA_DIR"] = data
    os.environ["ACCORD_SWEEP_SECONDS"] = "0"
    os.environ["DATABASE_URL"] = f"sqlite:///{data}/bench.sqlite3"
    scratch = None
    if postgres:
        scratch = f"accord_bench_{uuid.uuid4().hex[:12]}"
        asyncio.run(postgres_admin(postgres, f'CREATE DATABASE "{scratch}"'))
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(postgres)._replace(path=f"/{scratch}"))
    try:
        asyncio.run(main())
    finally:
        if scratch and postgres:
            asyncio.run(postgres_admin(postgres, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


@asynccontextmanager
async def demo_app() -> AsyncIterator[Any]:
    """The migrated app with the demo data, its database open; yields the ASGI transport to reach it."""
    import logging

    import httpx

    from accord.app import create_app
    from accord.clock import SystemClock, WeekdayCalendar
    from accord.db import close_database, migrate, open_database
    from accord.demo import seed_demo

    await migrate()
    app = create_app()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    await open_database()
    try:
        await seed_demo(SystemClock(), WeekdayCalendar())
        yield httpx.ASGITransport(app=app)
    finally:
        await close_database()


class Seeder:
    """Bulk-seeds cases up to a total, step by step (`accord seed-demo --cases` does the same)."""

    def __init__(self) -> None:
        self.seeded = 0

    async def up_to(self, total: int) -> None:
        from accord.clock import SystemClock, WeekdayCalendar
        from accord.settings import get_settings
        from insights.bulk import seed_cases

        if total <= self.seeded:  # `--cases 1000`: the 1k figures are the large ones too
            return
        began = time.perf_counter()
        await seed_cases(total - self.seeded, SystemClock(), WeekdayCalendar(), get_settings().timezone, seed=total)
        self.seeded = total
        print(f"seeded {total} cases (+{time.perf_counter() - began:.1f} s)", flush=True)


async def percentiles(request: Callable[[], Awaitable[None]], times: int) -> tuple[float, float]:
    """p50 and p95 in ms of `times` calls of `request` (each checks its own answer)."""
    taken = []
    for _ in range(times):
        began = time.perf_counter()
        await request()
        taken.append((time.perf_counter() - began) * 1000)
    taken.sort()
    return statistics.median(taken), taken[min(len(taken) - 1, int(len(taken) * 0.95))]


def print_table(names: list[str], small: int, large: int, results: dict[int, dict[str, tuple[float, float]]]) -> None:
    """Each request's p50 and p95 at both sizes and the ratio of the p50s (the issues' goal: at most 1.5x)."""
    print(f"{'request':<34}{'p50@' + str(small):>12}{'p95@' + str(small):>12}{'p50@' + str(large):>12}"
          f"{'p95@' + str(large):>12}{'ratio':>8}")
    for name in names:
        (p50, p95), (big50, big95) = results[small][name], results[large][name]
        print(f"{name:<34}{p50:>12.1f}{p95:>12.1f}{big50:>12.1f}{big95:>12.1f}{big50 / p50:>7.2f}x")
