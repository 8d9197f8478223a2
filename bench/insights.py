"""Issue 15 §7: the dashboard, /stats and the queue at 1k and at 100k cases, on SQLite (or PostgreSQL).

    .venv/bin/python bench/insights.py [--cases 100000] [--postgres URL] [--requests 40]

Builds a fresh database with the demo data, bulk-seeds 1,000 cases (`accord seed-demo --cases`), times
GET /api/v1/insights (a year, what /insights shows), GET /api/v1/stats (a year, what /stats shows) and
GET /api/v1/queue in-process through the app (p50 and p95 of `--requests` each), then seeds up to `--cases`
and times them again. Prints each at both sizes and the ratio of the p50s (goal ≤ 1.5×).
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
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


PATHS = ("/api/v1/insights", "/api/v1/stats", "/api/v1/queue")


async def _timings(client: object, requests: int) -> dict[str, tuple[float, float]]:
    found = {}
    for path in PATHS:
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            response = await client.get(path)  # type: ignore[attr-defined]
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (path, response.status_code, response.text[:200])
        times.sort()
        found[path] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))])
    return found


async def main(cases: int, requests: int) -> None:
    import logging

    import httpx

    from accord.app import create_app
    from accord.clock import SystemClock, WeekdayCalendar
    from accord.db import close_database, migrate, open_database
    from accord.settings import get_settings
    from accord.demo import seed_demo
    from insights.bulk import seed_cases

    await migrate()
    app = create_app()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    await open_database()
    try:
        await seed_demo(SystemClock(), WeekdayCalendar())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as anonymous:
            answer = await anonymous.post(
                "/api/v1/auth/token", json={"email": "admin@demo.test", "password": "demo-password"}
            )
            token = answer.json()["token"]
        headers = {"authorization": f"Bearer {token}"}
        results = {}
        seeded = 0
        for size in (1000, cases):
            began = time.perf_counter()
            await seed_cases(size - seeded, SystemClock(), WeekdayCalendar(), get_settings().timezone, seed=size)
            seeded = size
            print(f"seeded {size} cases (+{time.perf_counter() - began:.1f} s)", flush=True)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench.local", headers=headers) as client:
                await _timings(client, 3)  # warm up
                results[size] = await _timings(client, requests)
        small, large = results[1000], results[cases]
        print(
            f"{'request':<22}{'p50@1k':>10}{'p95@1k':>10}{'p50@' + str(cases):>12}{'p95@' + str(cases):>12}{'ratio':>8}"
        )
        for path in PATHS:
            ratio = large[path][0] / small[path][0]
            print(
                f"{path:<22}{small[path][0]:>10.1f}{small[path][1]:>10.1f}{large[path][0]:>12.1f}{large[path][1]:>12.1f}{ratio:>7.2f}x"
            )
    finally:
        await close_database()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server: the bench makes and drops its own database"
    )
    options = parser.parse_args()
    data = tempfile.mkdtemp(prefix="accord-bench-insights-")
    os.environ["ACCORD_DATA_DIR"] = data
    os.environ["ACCORD_SWEEP_SECONDS"] = "0"
    os.environ["DATABASE_URL"] = f"sqlite:///{data}/bench.sqlite3"
    scratch = None
    if options.postgres:  # a database of its own on that server, dropped at the end
        scratch = f"accord_bench_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(options.postgres, f'CREATE DATABASE "{scratch}"'))
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(options.postgres)._replace(path=f"/{scratch}"))
    try:
        asyncio.run(main(options.cases, options.requests))
    finally:
        if scratch:
            asyncio.run(_admin(options.postgres, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
