"""Where one signed-in case page's time goes, in process: the whole page and its parts, side by side.

    .venv/bin/python bench/page_parts.py [--pages 1000] [--postgres postgresql://postgres@127.0.0.1:5432/test]

No peer: bench/http_budget.py compares the page with the bare Litestar page over HTTP; this says which part of
Accord's own time moved when that ratio did. It seeds the case of bench/http_budget.py (30 messages, the
consumer signed in) through `accord serve` on a fresh database, then, in this process, calls the app itself
(ASGI, no client or sockets) for 100 warm-up pages and `--pages` timed ones, three times, and prints ms a page:
the whole request, the session's statement (the viewer and the unread badge), dependency injection (Litestar
resolving the handler's dependencies), the page's data (the handler up to its template) and rendering the
template. The rest is middleware, routing and the response. Each part is timed by wrapping its function, which
adds ~1 us a call. Two checkouts compare by running it on each, in turn (in-process times move by ~3%).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from accord_server import accord_server, fresh_database
from http_budget import seed

# The project before bench/ (this script's folder, first on the path): bench/insights.py is not the insights package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WARM_UP = 100
spent: Counter[str] = Counter()


@contextmanager
def counted(part: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        spent[part] += time.perf_counter() - started


def timed(owner: Any, name: str, part: str) -> None:
    """Replace `owner.name` (a coroutine function or a plain one) by one that adds its time to `part`."""
    original: Callable[..., Any] = getattr(owner, name)

    async def waited(*args: Any, **kwargs: Any) -> Any:
        with counted(part):
            return await original(*args, **kwargs)

    def called(*args: Any, **kwargs: Any) -> Any:
        with counted(part):
            return original(*args, **kwargs)

    setattr(owner, name, functools.wraps(original)(waited if asyncio.iscoroutinefunction(original) else called))


async def serve_pages(seeded: dict[str, Any], pages: int) -> None:
    import jinja2
    from litestar._kwargs.kwargs_model import KwargsModel

    import accounts.credentials
    import cases.routes
    from accord.app import create_app

    timed(accounts.credentials, "viewer_and_counts_from_session", "session")
    timed(KwargsModel, "resolve_dependencies", "dependency injection")
    timed(cases.routes, "_case_page", "page data")  # up to the template response: it renders afterwards
    timed(jinja2.Template, "render", "rendering")
    app = create_app()
    path = f"/cases/{seeded['reference']}"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"cookie", seeded["cookie"].encode()), (b"accept", b"text/html")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    statuses: Counter[int] = Counter()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses[message["status"]] += 1

    async with app.lifespan():
        for _ in range(WARM_UP):
            await app(dict(scope), receive, send)
        for _ in range(3):
            spent.clear()
            started = time.perf_counter()
            for _ in range(pages):
                await app(dict(scope), receive, send)
            whole = (time.perf_counter() - started) / pages * 1000
            parts = {part: seconds / pages * 1000 for part, seconds in spent.items()}
            rest = whole - sum(parts.values())
            shown = ", ".join(f"{part} {ms:.3f}" for part, ms in parts.items())
            print(f"case page {whole:.3f} ms: {shown}, the rest {rest:.3f}")
    assert set(statuses) == {200}, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8005, help="where the seeding server listens")
    parser.add_argument("--postgres", default="", help="a PostgreSQL server: the bench makes and drops its database")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="accord-page-parts-")
    with fresh_database(args.postgres) as database_url:
        env = {
            "ACCORD_DATA_DIR": data,
            "DATABASE_URL": database_url or f"sqlite:///{data}/bench.sqlite3",
            "ACCORD_SWEEP_SECONDS": "0",
        }
        with accord_server(args.port, database_url, env=env):
            made = seed(f"http://127.0.0.1:{args.port}")
        os.environ.update(env)
        print(f"{'PostgreSQL' if database_url else 'SQLite'}, 30 messages, {args.pages} pages a line, ms a page:")
        asyncio.run(serve_pages({"cookie": made["ACCORD_COOKIE"], "reference": made["reference"]}, args.pages))
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
