"""Two server processes on one database: a message sent through one reaches a socket on the other.

On PostgreSQL the pokes travel by LISTEN/NOTIFY; on SQLite the servers use Redis (ACCORD_REDIS_URL).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from accord.settings import get_settings
from tests.conftest import UserFactory
from tests.e2e.test_case_socket import frames_until, open_socket, setup_case
from tests.servers import fan_out_env, launch


@pytest.fixture(scope="module")
def two_servers() -> Iterator[tuple[str, str]]:
    """Started once for the module: each test files its own case, and a cut connection comes back."""
    servers = [launch(fan_out_env()), launch(fan_out_env())]
    try:
        for server in servers:
            server.wait_ready()
        yield servers[0].url, servers[1].url
    finally:
        for server in servers:
            server.stop()


@dataclass
class CaseAcross:
    """A case filed through the first server, watched by its merchant through the second."""

    first: str
    reference: str
    tokens: dict[str, str]
    listener: Any


@pytest.fixture
async def case_across(two_servers: tuple[str, str], make_user: UserFactory) -> AsyncIterator[CaseAcross]:
    first, second = two_servers
    reference, tokens = await setup_case(first, make_user)
    listener = await open_socket(second, reference, tokens["merchant"])
    await frames_until(listener, lambda f: f.get("type") == "event" and f["seq"] == 1)
    yield CaseAcross(first, reference, tokens, listener)
    await listener.close()


async def test_a_message_sent_on_one_server_reaches_a_socket_on_the_other(case_across: CaseAcross) -> None:
    sender = await open_socket(case_across.first, case_across.reference, case_across.tokens["consumer"])
    try:
        await frames_until(sender, lambda f: f.get("type") == "event" and f["seq"] == 1)
        await sender.send(
            json.dumps({"type": "send", "channel": "joint", "text": "across processes", "client_id": "a"})
        )
        got = await frames_until(
            case_across.listener, lambda f: f.get("type") == "event" and f.get("text") == "across processes", limit=10
        )
        assert got[-1]["kind"] == "message"
    finally:
        await sender.close()


async def _drop_pubsub_connections() -> None:
    """Cut the servers' listening connections the way a database or Redis restart would."""
    if get_settings().database.engine == "postgres":
        from piccolo.querystring import QueryString

        from accord.db import engine

        # Only this test run's database: other runs on the same server keep their listeners.
        sql = (
            "SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN %'"
        )
        assert await engine().run_querystring(QueryString(sql)), "no LISTEN connection found"
    else:
        from redis.asyncio import Redis

        redis = Redis.from_url("redis://127.0.0.1:6379/0")
        try:
            assert await redis.client_kill_filter(_type="pubsub") >= 1
        finally:
            await redis.aclose()


async def test_fan_out_recovers_when_the_listening_connection_is_cut(case_across: CaseAcross) -> None:
    await _drop_pubsub_connections()
    headers = {"authorization": f"Bearer {case_across.tokens['consumer']}"}
    path = f"/api/v1/cases/{case_across.reference}/messages"
    async with httpx.AsyncClient(base_url=case_across.first, headers=headers) as api:
        for text in ("after the cut", "and later"):
            # The first is delivered by the reconnected listener: its poke, or the catch-up after reconnecting.
            sent = await api.post(path, json={"channel": "joint", "text": text})
            got = await frames_until(
                case_across.listener, lambda f, text=text: f.get("type") == "event" and f.get("text") == text, 15
            )
            assert got[-1]["seq"] == sent.json()["seq"]
