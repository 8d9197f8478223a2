"""WebSocket fan-out: N clients on C cases of one server, M messages a second; delivery latency and RSS.

    .venv/bin/python bench/ws_fanout.py --clients 1000 --cases 100 --rate 200 --seconds 10

Starts its own `accord serve` on a fresh SQLite database (or use --url for a running one with --setup
skipped), registers a consumer and a merchant per case, opens the sockets (half as consumers, half as
merchants), then sends messages at the given rate through one sender socket per case and measures, on
every other socket of that case, the time from send to the message event. Prints p50/p99 latency,
how many deliveries were expected and seen, and the server's resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
ACCORD = str(Path(sys.executable).with_name("accord"))
PASSWORD = "bench password 2026"


def start_server(port: int) -> tuple[subprocess.Popen[bytes], str]:
    data = tempfile.mkdtemp(prefix="accord-bench-")
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": data,
        "ACCORD_SWEEP_SECONDS": "0",
        "DATABASE_URL": f"sqlite:///{data}/bench.sqlite3",
    }
    subprocess.run([ACCORD, "migrate"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("server did not start")


def uscc(number: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = f"91330100{number:09d}"
    total = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + alphabet[(31 - total % 31) % 31]


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
            }
            merchant = {
                "email": f"m{tag}@bench.test",
                "password": PASSWORD,
                "display_name": f"M{number}",
                "role": "merchant",
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second, all cases together")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8077)
    args = parser.parse_args()

    server, url = start_server(args.port)
    try:
        cases = await setup_cases(url, args.cases)
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
            target = started + number / args.rate
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            await senders[number % len(senders)].send(
                json.dumps(
                    {
                        "type": "send",
                        "channel": "joint",
                        "text": f"{time.perf_counter()} #{number}",
                        "client_id": f"b{number}",
                    }
                )
            )
        await asyncio.sleep(3)
        stop.set()
        await asyncio.gather(*receivers, *drains)
        expected = sum(
            sum(1 for i in range(args.clients) if i % len(cases) == number % len(cases)) for number in range(total)
        )
        ordered = sorted(latencies)
        p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
        p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else float("nan")
        print(f"clients={args.clients} cases={len(cases)} rate={args.rate}/s seconds={args.seconds}")
        print(f"deliveries: {len(latencies)} of {expected} expected")
        print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms; server RSS {rss_mib(server.pid):.0f} MiB")
        for socket in listeners + senders:
            await socket.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    asyncio.run(main())
