"""Instructions a signed-in case page costs, counted by valgrind's callgrind: repeatable where req/s is not.

    .venv/bin/python bench/instructions.py [--pages 100] [--port 8004]

On a machine whose hypervisor steals up to half a core, two wrk runs of the same code differ by a tenth or
more, which hides a change worth a few percent. Callgrind counts the instructions a process executes, the
same count for the same code and data whatever else the machine does. This bench seeds the case of
`bench/http_budget.py` (30 messages, the consumer signed in) through `accord serve`, then counts, in a
process of its own, serving the page through Litestar's test client (no sockets) `--pages` times and 0
times after the same start and 20 warm-up pages; the difference divided by the pages is the page's own
count. Run it on two checkouts to compare them (PYTHONHASHSEED is fixed; counts moved by about 0.4% between
identical runs). Needs Debian's valgrind; each count takes about two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from accord_server import accord_server
from http_budget import seed

# The project before bench/ (this script's folder, first on the path): bench/insights.py is not the insights package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WARM_UP = 20


async def serve_pages(seeded: dict[str, str], pages: int) -> None:
    """In this process: WARM_UP pages, then `pages` more, through the app's test client."""
    from litestar.testing import AsyncTestClient

    from accord.app import create_app

    app = create_app()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line a request would be most of the count
    async with AsyncTestClient(app=app) as client:
        headers, path = {"cookie": seeded["cookie"]}, f"/cases/{seeded['reference']}"
        for _ in range(WARM_UP + pages):
            assert (await client.get(path, headers=headers)).status_code == 200


def counted(seeded_file: Path, pages: int) -> int:
    """Instructions of a process that starts the app and serves WARM_UP + `pages` pages."""
    out = seeded_file.with_name(f"callgrind.{pages}")
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__]
    command += ["--serve", str(seeded_file), "--pages", str(pages)]
    done = subprocess.run(command, env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    assert done.returncode == 0 and found, done.stderr[-2000:]
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--port", type=int, default=8004, help="where the seeding server listens")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the counted process: the seeded data's file
    args = parser.parse_args()
    if args.serve:
        seeded = json.loads(Path(args.serve).read_text())
        os.environ.update(seeded["env"])
        asyncio.run(serve_pages(seeded, args.pages))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench/instructions.py needs valgrind (apt-get install valgrind)")
    data = Path(tempfile.mkdtemp(prefix="accord-instructions-"))
    env = {"ACCORD_DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{data}/bench.sqlite3"}
    env["ACCORD_SWEEP_SECONDS"] = "0"
    with accord_server(args.port, "", env=env):
        made = seed(f"http://127.0.0.1:{args.port}")
    seeded_file = data / "seeded.json"
    seeded = {"env": env, "cookie": made["ACCORD_COOKIE"], "reference": made["reference"]}
    seeded_file.write_text(json.dumps(seeded))
    start, served = counted(seeded_file, 0), counted(seeded_file, args.pages)
    print(f"case page, signed in, 30 messages, SQLite: {(served - start) / args.pages / 1e6:.2f} M instructions a page")
    print(f"(start and {WARM_UP} warm-up pages: {start / 1e6:,.0f} M; {args.pages} pages more: {served / 1e6:,.0f} M)")
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
