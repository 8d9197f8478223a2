"""On a real server, X-Forwarded-For names the client only when the peer is a trusted proxy: a guesser
cannot pose as a new address for every wrong password."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import PASSWORD, UserFactory
from tests.servers import start_server

WRONG = "not the password!"


@pytest.fixture(scope="module")
def behind_trusted_proxy() -> Iterator[str]:
    """A server that believes X-Forwarded-For from its local peers (as behind nginx on the same host)."""
    server = start_server({"ACCORD_SWEEP_SECONDS": "0", "ACCORD_TRUSTED_PROXIES": "127.0.0.1, ::1"})
    yield server.url
    server.stop()


async def sign_in(base: str, email: str, password: str, forwarded_for: str) -> int:
    async with httpx.AsyncClient(base_url=base, headers={"x-forwarded-for": forwarded_for}) as client:
        response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
        return response.status_code


async def test_a_made_up_x_forwarded_for_from_an_untrusted_peer_changes_nothing(
    live_server: str, make_user: UserFactory
) -> None:
    user = await make_user()
    for number in range(10):
        assert await sign_in(live_server, user["email"], WRONG, f"198.51.100.{number}") == 401
    assert await sign_in(live_server, user["email"], PASSWORD, "198.51.100.200") == 429  # still 127.0.0.1


async def test_x_forwarded_for_from_a_trusted_proxy_tells_clients_apart(
    behind_trusted_proxy: str, make_user: UserFactory
) -> None:
    user = await make_user()
    for _attempt in range(10):
        assert await sign_in(behind_trusted_proxy, user["email"], WRONG, "198.51.100.7") == 401
    assert await sign_in(behind_trusted_proxy, user["email"], PASSWORD, "198.51.100.7") == 429
    assert await sign_in(behind_trusted_proxy, user["email"], PASSWORD, "198.51.100.8") == 201  # another client
