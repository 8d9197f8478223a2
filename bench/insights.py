"""Issue 15 §7: the dashboard, /stats and the queue at 1k and at 100k cases, on SQLite (or PostgreSQL).

    .venv/bin/python bench/insights.py [--cases 100000] [--postgres URL] [--requests 40]

Builds a fresh database with the demo data, bulk-seeds 1,000 cases (`accord seed-demo --cases`), times
GET /api/v1/insights (a year, what /insights shows), GET /api/v1/stats (a year, what /stats shows) and
GET /api/v1/queue in-process through the app (p50 and p95 of `--requests` each), then seeds up to `--cases`
and times them again. Prints each at both sizes and the ratio of the p50s (goal ≤ 1.5×).
"""

from __future__ import annotations


import httpx
from in_process import DEMO_PASSWORD, Seeder, command, demo_app, percentiles, print_table

PATHS = ("/api/v1/insights", "/api/v1/stats", "/api/v1/queue")


async def main(cases: int, requests: int) -> None:
    async with demo_app() as transport:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as anonymous:
            answer = await anonymous.post("/api/v1/auth/token", json={"email": "admin@demo.test", "password": DEMO_PASSWORD})
        headers = {"authorization": f"Bearer {answer.json()['token']}"}
        seeder, results = Seeder(), {}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local", headers=headers) as client:

            async def get(path: str) -> None:
                response = await client.get(path)
                assert response.status_code == 200, (path, response.status_code, response.text[:200])

            for size in (1000, cases):
                await seeder.up_to(size)
                for path in PATHS:
                    await get(path)  # warm up
                results[size] = {path: await percentiles(lambda path=path: get(path), requests) for path in PATHS}
        print_table(list(PATHS), 1000, cases, results)


if __name__ == "__main__":
    command(main)
