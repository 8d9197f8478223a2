"""WebSocket fan-out: N clients on C cases of one server, M messages a second; delivery latency and RSS.

    .venv/bin/python bench/ws_fanout.py --clients 1000 --cases 100 --rate 200 --seconds 10

Starts its own `accord serve` on a fresh SQLite database (or use --url for a running one with --setup
skipped), registers a consumer and a merchant per case, opens the sockets (half as consumers, half as
merchants), then sends messages at the given rate through one sender socket per case and measures, on
every other socket of that case, the time from send to the message event. Prints p50/p99 latency,
how many deliveries were expected and seen, and the server's resident memory.

    .venv/bin/python bench/ws_fanout.py --postgres postgresql://postgres@127.0.0.1:5432/test

runs the same on a fresh PostgreSQL database made for the run (dropped afterwards). The bench's
senders are scripts, not people, so the server runs with the per-user message limit lifted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import websockets
from accord_server import PASSWORD, accord_server, approve_merchant, fresh_database, uscc

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = {"ACCORD_MESSAGES_PER_10_SECONDS": "1000000"}  # the senders are scripts, not people


async def setup_cases(url: str, cases: int) -> list[tuple[str, str, str]]:
    """(reference, consumer token, merchant token) per case."""
    made = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as api:
        for number in range(cases):
            tag = f"{int(time.time())}-{number}"
            consumer = {
                "email": f"c{tag}@bench.test",
                "password": PASSWORD,
                "display_name": f"C{number}",
                "role": "consumer",
                "consent": True,
            }
            merchant = {
                "email": f"m{tag}@bench.test",
                "password": PASSWORD,
                "display_name": f"M{number}",
                "role": "merchant",
                "consent": True,
                "enterprise": {"name": f"Bench Shop {tag}", "uscc": uscc(int(time.time()) % 10**6 * 1000 + number)},
            }
            tokens = []
            for person in (consumer, merchant):
                assert (await api.post("/api/v1/auth/register", json=person)).status_code == 201
                tokens.append(
                    (
                        await api.post("/api/v1/auth/token", json={"email": person["email"], "password": PASSWORD})
                    ).json()["token"]
                )
            approve_merchant(url, tokens[1])
            me = (await api.get("/api/v1/me", headers={"authorization": f"Bearer {tokens[1]}"})).json()
            filing = {
                "enterprise_id": me["enterprise"]["id"],
                "category": "defective",
                "order_number": f"B{number}",
                "platform": "Bench",
                "purchase_date": "2026-10-01",
                "product_name": "Widget",
                "desired_remedy": "refund",
                "description": "Benchmark case.",
            }
            case = await api.post("/api/v1/cases", json=filing, headers={"authorization": f"Bearer {tokens[0]}"})
            made.append((case.json()["reference"], tokens[0], tokens[1]))
    return made


async def connect(ws_url: str, reference: str, token: str) -> websockets.ClientConnection:
    socket = await websockets.connect(f"{ws_url}/ws/cases/{reference}?after=1", max_queue=None)
    await socket.send(json.dumps({"type": "auth", "token": token}))
    return socket


async def receive(socket: websockets.ClientConnection, latencies: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=0.5))
        except TimeoutError:
            continue
        except websockets.ConnectionClosed:
            return
        if frame.get("type") == "event" and frame.get("kind") == "message":
            latencies.append(time.perf_counter() - float(frame["text"].split()[0]))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_bare(port: int) -> tuple[subprocess.Popen[bytes], str]:
    """The bare Litestar fan-out of bench/bare_fanout.py, served the way `accord serve` serves Accord."""
    uvicorn = str(Path(sys.executable).with_name("uvicorn"))
    server = subprocess.Popen(
        [uvicorn, "bench.bare_fanout:app", "--port", str(port), "--ws-per-message-deflate", "false", "--no-access-log"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, url
        time.sleep(0.2)
    server.kill()
    raise SystemExit("bare server did not start")


@dataclass
class Result:
    delivered: int
    expected: int
    p50_ms: float
    p99_ms: float
    rss_mib: float


async def run_load(url: str, cases: list[tuple[str, str, str]], args: argparse.Namespace, pid: int) -> Result:
    """Open the sockets, send `rate` messages a second for `seconds`, and time every delivery."""
    ws_url = url.replace("http://", "ws://")
    listeners = [
        await connect(ws_url, cases[i % len(cases)][0], cases[i % len(cases)][1 + (i // len(cases)) % 2])
        for i in range(args.clients)
    ]
    senders = [await connect(ws_url, reference, consumer) for reference, consumer, _merchant in cases]
    latencies: list[float] = []
    stop = asyncio.Event()
    receivers = [asyncio.create_task(receive(socket, latencies, stop)) for socket in listeners]
    drains = [asyncio.create_task(receive(socket, [], stop)) for socket in senders]
    await asyncio.sleep(1)
    total = int(args.rate * args.seconds)
    started = time.perf_counter()
    for number in range(total):
        await asyncio.sleep(max(0.0, started + number / args.rate - time.perf_counter()))
        text = f"{time.perf_counter()} #{number}"  # the receivers time the delivery from this
        frame = {"type": "send", "channel": "joint", "text": text, "client_id": f"b{number}"}
        await senders[number % len(senders)].send(json.dumps(frame))
    await asyncio.sleep(3)
    stop.set()
    await asyncio.gather(*receivers, *drains)
    rss = rss_mib(pid)
    for open_socket in listeners + senders:
        await open_socket.close()
    per_case = [sum(1 for i in range(args.clients) if i % len(cases) == case) for case in range(len(cases))]
    ordered = sorted(latencies)
    return Result(
        delivered=len(latencies),
        expected=sum(per_case[number % len(cases)] for number in range(total)),
        p50_ms=statistics.median(ordered) * 1000 if ordered else float("nan"),
        p99_ms=ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000 if ordered else float("nan"),
        rss_mib=rss,
    )


async def _accord_load(url: str, args: argparse.Namespace, pid: int) -> Result:
    return await run_load(url, await setup_cases(url, args.cases), args, pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second, all cases together")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8077, help="Accord's port; the bare baseline uses the next one")
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL; a fresh database is made for the run")
    args = parser.parse_args()

    bare, bare_url = start_bare(args.port + 1)
    try:
        fake_cases = [(f"BARE-{number}", "token", "token") for number in range(args.cases)]
        baseline = asyncio.run(run_load(bare_url, fake_cases, args, bare.pid))
    finally:
        bare.terminate()
        bare.wait(timeout=20)

    port = args.port
    with fresh_database(args.postgres) as database_url, accord_server(port, database_url, UNLIMITED) as server:
        url = f"http://127.0.0.1:{port}"
        accord = asyncio.run(_accord_load(url, args, server.pid))

    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"clients={args.clients} cases={args.cases} rate={args.rate:g}/s seconds={args.seconds:g} ({engine})")
    print(f"{'':>22} {'delivered':>16} {'p50 ms':>8} {'p99 ms':>8} {'RSS MiB':>8}")
    for name, result in (("bare Litestar fan-out", baseline), ("Accord", accord)):
        delivered = f"{result.delivered}/{result.expected}"
        print(f"{name:>22} {delivered:>16} {result.p50_ms:>8.1f} {result.p99_ms:>8.1f} {result.rss_mib:>8.0f}")
    print(f"Accord p99 / bare p99: {accord.p99_ms / baseline.p99_ms:.1f}x")


if __name__ == "__main__":
    main()
