"""What the benchmarks share: an `accord serve` on a fresh database, and made-up enterprise codes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ACCORD = str(Path(sys.executable).with_name("accord"))
PASSWORD = "bench password 2026"
REGISTRAR = {"email": "registrar@bench.test", "password": PASSWORD}
PROOF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(number: int) -> str:
    """A valid Unified Social Credit Code (GB 32100 check character) made from a number."""
    body = f"91330100{number % 10**9:09d}"
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


async def postgres_admin(server_url: str, sql: str) -> None:
    """One statement on a PostgreSQL server (making or dropping a bench's database)."""
    import asyncpg

    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def fresh_database(postgres_server: str) -> Iterator[str]:
    """DATABASE_URL of a PostgreSQL database made for this run (dropped afterwards); "" means SQLite."""
    if not postgres_server:
        yield ""
        return
    name = f"accord_bench_{os.getpid()}"
    asyncio.run(postgres_admin(postgres_server, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(postgres_server)._replace(path=f"/{name}"))
    finally:
        asyncio.run(postgres_admin(postgres_server, f'DROP DATABASE "{name}"'))


@contextlib.contextmanager
def accord_server(
    port: int,
    database_url: str,
    env: dict[str, str] | None = None,
    cpu: int | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[subprocess.Popen[bytes]]:
    """`accord serve` on its own data directory (SQLite there unless `database_url`), with `options` added to its
    command line, until the block ends; the directory goes with it."""
    data = tempfile.mkdtemp(prefix="accord-bench-")
    full_env = {
        **os.environ,
        "ACCORD_DATA_DIR": data,
        "ACCORD_SWEEP_SECONDS": "0",
        "DATABASE_URL": database_url or f"sqlite:///{data}/bench.sqlite3",
        **(env or {}),
    }
    pinned = ["taskset", "-c", str(cpu)] if cpu is not None else []
    command = [*pinned, ACCORD, "serve", "--port", str(port), *options]
    server = subprocess.Popen(command, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("accord serve did not start")
        registrar = ["create-user", "--email", REGISTRAR["email"], "--role", "admin", "--password", PASSWORD]
        subprocess.run([ACCORD, *registrar], env=full_env, check=True, stdout=subprocess.DEVNULL)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)  # a run's database (its log can reach tens of MB)


_registrar_tokens: dict[str, str] = {}


def approve_merchant(base: str, merchant_token: str) -> None:
    """A registered merchant waits for approval: they send a proof document and the bench's registrar
    approves them, verifying their enterprise (so consumers may choose it by id)."""
    with httpx.Client(base_url=base, timeout=60) as api:
        agent = {"authorization": f"Bearer {merchant_token}"}
        proof = {"file": ("licence.pdf", PROOF, "application/pdf")}
        assert api.post("/api/v1/agency/proofs", files=proof, headers=agent).status_code == 201
        agent_id = api.get("/api/v1/me", headers=agent).json()["id"]
        if base not in _registrar_tokens:
            _registrar_tokens[base] = api.post("/api/v1/auth/token", json=REGISTRAR).json()["token"]
        registrar = {"authorization": f"Bearer {_registrar_tokens[base]}"}
        decision = {"verify_enterprise": True}
        approved = api.post(f"/api/v1/admin/agents/{agent_id}/approve", json=decision, headers=registrar)
        assert approved.status_code == 200, approved.text
