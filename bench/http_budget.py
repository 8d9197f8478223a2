"""DESIGN §9b, the HTTP budget, measured beside ../shared/peer-bench in one sitting.

    .venv/bin/python bench/http_budget.py [--postgres postgresql://postgres@127.0.0.1:5432/test]

1. Runs ../shared/peer-bench (its run.sh, in a temporary copy): a bare Litestar page (Jinja2, 8 KB, a
   30-item loop) and django-helpdesk (a ticket page with 30 follow-ups; public ticket creation).
2. Serves Accord the same way (`accord serve`, one process pinned to CPU 0, no access log, as peer-bench runs
   both its servers; wrk with one thread and 32 connections pinned to CPU 1; a warm-up, then the median of the
   measured runs) on a fresh database,
   and measures the signed-in case page with 30 messages and filing a case through the page form.
3. Prints both sides and the ratios the budget sets: case page at least 0.4x the bare page, filing at
   least 5x helpdesk's ticket creation.

DURATION, REPS and WARMUP (seconds, runs, seconds) are passed to peer-bench and used for Accord too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from accord_server import PASSWORD, accord_server, approve_merchant, fresh_database, uscc

ROOT = Path(__file__).resolve().parents[1]
PEER_BENCH = ROOT.parent / "shared" / "peer-bench"
DURATION, REPS, WARMUP = (
    int(os.environ.get(name, default)) for name, default in (("DURATION", "10"), ("REPS", "3"), ("WARMUP", "3"))
)


# peer-bench runs its bare Litestar with uvicorn's --no-access-log and helpdesk with gunicorn's default (no access
# log): Accord is measured the same way (uvicorn's line costs about 0.04 ms a request, 1% of a case page's time).
SERVE = ("--no-access-log",)


@dataclass
class Measured:
    rps: float
    p99_ms: float
    statuses: str


def run_peer_bench() -> dict[str, float]:
    """req/s medians by peer-bench scenario key (ls_page_uvloop, hd_view, hd_submit, ...)."""
    copy = Path(tempfile.mkdtemp(prefix="peer-bench-"))
    shutil.copytree(PEER_BENCH, copy, dirs_exist_ok=True)
    env = {**os.environ, "DURATION": str(DURATION), "REPS": str(REPS), "WARMUP": str(WARMUP)}
    subprocess.run(["bash", str(copy / "run.sh")], env=env, check=True, stdout=subprocess.DEVNULL)
    summary = json.loads((copy / "results" / "summary.json").read_text())
    rows = summary["rows"] if isinstance(summary, dict) else summary
    return {row["key"]: row["rps_median"] for row in rows}


def wrk(url: str, env: dict[str, str], seconds: int) -> Measured:
    script = str(ROOT / "bench" / "wrk_accord.lua")
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c32", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    output = subprocess.run(
        [*command, "-s", script, url], env={**os.environ, **env}, check=True, capture_output=True, text=True
    ).stdout
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", output, re.M)
    assert p99 is not None, output
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    statuses = re.search(r"STATUS_CODES (.*)", output)
    return Measured(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        p99_ms=float(p99.group(1)) * scale,
        statuses=statuses.group(1).strip() if statuses else "",
    )


def scenario(base: str, path: str, env: dict[str, str], expected_status: str) -> Measured:
    """Warm-up, then REPS runs (median req/s); every response must have the expected status."""
    url = base + path
    wrk(url, env, WARMUP)
    runs = []
    for _ in range(REPS):
        httpx.get(f"{base}/healthz", timeout=60)  # drain what wrk left queued
        runs.append(wrk(url, env, DURATION))
    for run in runs:
        codes = dict(part.split("=") for part in run.statuses.split())
        assert set(codes) == {expected_status}, f"{path}: unexpected statuses {run.statuses}"
    runs.sort(key=lambda run: run.rps)
    return runs[len(runs) // 2]


def seed(base: str) -> dict[str, str]:
    """A consumer and a merchant, a case between them with 30 messages, the consumer signed in."""
    with httpx.Client(base_url=base, timeout=60) as api:
        people = {}
        for role in ("consumer", "merchant"):
            person = {
                "email": f"{role}@bench.test",
                "password": PASSWORD,
                "display_name": role,
                "role": role,
                "consent": True,  # the privacy notice, agreed to as the registration page asks
            }
            if role == "merchant":
                person["enterprise"] = {"name": "Bench Shop", "uscc": uscc(1)}
            assert api.post("/api/v1/auth/register", json=person).status_code == 201
            token = api.post("/api/v1/auth/token", json={"email": person["email"], "password": PASSWORD})
            people[role] = {"authorization": f"Bearer {token.json()['token']}"}
            if role == "merchant":
                approve_merchant(base, token.json()["token"])
        enterprise = api.get("/api/v1/me", headers=people["merchant"]).json()["enterprise"]["id"]
        filing = {
            "enterprise_id": enterprise,
            "category": "defective",
            "order_number": "BENCH-0",
            "platform": "Tmall Global",
            "purchase_date": "2026-10-01",
            "product_name": "Wireless earbuds",
            "desired_remedy": "refund",
            "description": "The left earbud does not charge.",
        }
        reference = api.post("/api/v1/cases", json=filing, headers=people["consumer"]).json()["reference"]
        for number in range(30):
            author = people["consumer" if number % 2 else "merchant"]
            text = {"channel": "joint", "text": f"Message {number}: about the charging case and the refund."}
            assert api.post(f"/api/v1/cases/{reference}/messages", json=text, headers=author).status_code == 201
        api.get("/login")
        form = {"email": "consumer@bench.test", "password": PASSWORD, "next": "/"}
        signed_in = api.post("/login", data={**form, "_csrf_token": api.cookies["accord_csrf"]})
        assert signed_in.status_code == 302, signed_in.text
        cookie = "; ".join(f"{name}={api.cookies[name]}" for name in ("accord_session", "accord_csrf"))
        page = api.get(f"/cases/{reference}")
        assert page.status_code == 200 and page.text.count('class="meta"') == 30
    return {
        "reference": reference,
        "ACCORD_COOKIE": cookie,
        "ACCORD_CSRF": api.cookies["accord_csrf"],
        "ACCORD_ENTERPRISE": str(enterprise),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8003)
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL; a fresh database is made for the run")
    args = parser.parse_args()

    peers = run_peer_bench()
    base = f"http://127.0.0.1:{args.port}"
    with fresh_database(args.postgres) as database_url, accord_server(args.port, database_url, cpu=0, options=SERVE):
        seeded = seed(base)
        env = {"BENCH_SCRIPTS": str(PEER_BENCH / "scripts"), **seeded}
        page = scenario(base, f"/cases/{seeded['reference']}", {**env, "ACCORD_MODE": "page"}, "200")
        filing = scenario(base, "/cases/new", {**env, "ACCORD_MODE": "file"}, "302")

    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"wrk -t1 -c32, {DURATION} s x {REPS} runs (median) after {WARMUP} s warm-up; Accord on {engine}")
    rows = (
        ("Accord case page, signed in, 30 messages", page.rps, "bare Litestar page", peers["ls_page_uvloop"], 0.4),
        ("Accord filing (page form, 302)", filing.rps, "helpdesk ticket creation", peers["hd_submit"], 5.0),
    )
    for name, ours, peer_name, theirs, budget in rows:
        verdict = "within budget" if ours / theirs >= budget else "OVER BUDGET"
        print(
            f"{name}: {ours:.0f} req/s; {peer_name}: {theirs:.0f} req/s; ratio {ours / theirs:.2f}x "
            f"(budget >= {budget}x: {verdict})"
        )
    print(
        f"case page vs helpdesk ticket page ({peers['hd_view']:.1f} req/s): {page.rps / peers['hd_view']:.0f}x; "
        f"p99 at 32 connections: case page {page.p99_ms:.0f} ms, filing {filing.p99_ms:.0f} ms"
    )


if __name__ == "__main__":
    main()
