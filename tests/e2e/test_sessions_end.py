"""Sessions end everywhere, at once: when a credential ends, every socket opened with it — case sockets
and the inbox socket, on this server process or another — is closed with 4401 within 2 seconds, and
the sockets of credentials that stay are untouched.

The consumer holds four credentials (two browser sessions, two API tokens), each with a case socket
and an inbox socket; each way of ending sign-in must close exactly the sockets of what it ended.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import websockets

from accounts.credentials import digest
from accounts.tables import ApiToken
from tests.cases.conftest import filing
from tests.conftest import PASSWORD, UserFactory, login, post_form
from tests.e2e.test_case_socket import frames_until, open_socket, token_for
from tests.servers import Server, fan_out_env, launch

CLOSE_WITHIN = 2.0
SESSIONS, TOKENS = ("session_a", "session_b"), ("token_1", "token_2")


@pytest.fixture(scope="module")
def second_pair() -> Iterator[tuple[Server, Server]]:
    """Two more server processes on the test database, sharing pokes like a deployment."""
    servers = (launch(fan_out_env()), launch(fan_out_env()))
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(params=["one process", "two processes"])
def bases(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Where the credential is ended, and where its sockets are open."""
    if request.param == "one process":
        live: str = request.getfixturevalue("live_server")
        return live, live
    acting, serving = request.getfixturevalue("second_pair")
    return acting.url, serving.url


@dataclass
class Consumer:
    """A consumer with a case, signed in four ways, a case socket and an inbox socket for each."""

    user: dict[str, Any]
    merchant: dict[str, Any]
    reference: str
    browsers: dict[str, httpx.AsyncClient]
    tokens: dict[str, str]
    sockets: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # credential → (case, inbox)

    def headers(self, credential: str) -> dict[str, str]:
        if credential in self.tokens:
            return {"authorization": f"Bearer {self.tokens[credential]}"}
        return {"cookie": f"accord_session={self.browsers[credential].cookies['accord_session']}"}


async def signed_in_browser(base: str, email: str) -> httpx.AsyncClient:
    browser = httpx.AsyncClient(base_url=base)
    assert (await login(browser, email)).status_code == 302
    return browser


async def file_case(base: str, token: str, enterprise_id: int) -> str:
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {token}"}) as api:
        body = filing(enterprise_id).model_dump(mode="json", exclude_none=True)
        return str((await api.post("/api/v1/cases", json=body)).json()["reference"])


async def open_case_socket(base: str, consumer: Consumer, credential: str) -> Any:
    if credential == "token_1":  # a client that cannot set headers: the token in the first frame
        socket = await open_socket(base, consumer.reference, consumer.tokens[credential])
    else:
        url = base.replace("http://", "ws://") + f"/ws/cases/{consumer.reference}"
        socket = await websockets.connect(url, additional_headers=consumer.headers(credential))
    await frames_until(socket, lambda frame: frame.get("type") == "event" and frame["seq"] == 1)
    return socket


async def open_inbox_socket(base: str, consumer: Consumer, credential: str) -> Any:
    url = base.replace("http://", "ws://") + "/ws/notifications"
    socket = await websockets.connect(url, additional_headers=consumer.headers(credential))
    await frames_until(socket, lambda frame: frame.get("type") == "unread")
    return socket


@pytest.fixture
async def consumer(bases: tuple[str, str], make_user: UserFactory) -> Any:
    acting, serving = bases
    user, merchant = await make_user(), await make_user("merchant")
    browsers = {name: await signed_in_browser(acting, user["email"]) for name in SESSIONS}
    tokens = {name: await token_for(acting, user["email"]) for name in TOKENS}
    reference = await file_case(acting, tokens["token_2"], merchant["enterprise_id"])
    held = Consumer(user, merchant, reference, browsers, tokens)
    for credential in (*SESSIONS, *TOKENS):
        held.sockets[credential] = (
            await open_case_socket(serving, held, credential),
            await open_inbox_socket(serving, held, credential),
        )
    yield held
    for case_socket, inbox_socket in held.sockets.values():
        await case_socket.close()
        await inbox_socket.close()
    for browser in browsers.values():
        await browser.aclose()


async def close_code(socket: Any) -> int | None:
    """The code the server closed the socket with, waiting at most CLOSE_WITHIN seconds."""
    try:
        async with asyncio.timeout(CLOSE_WITHIN):
            while True:
                await socket.recv()
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None
    except TimeoutError:
        return None


async def still_open(socket: Any) -> bool:
    try:
        await asyncio.wait_for(await socket.ping(), timeout=CLOSE_WITHIN)
    except (websockets.ConnectionClosed, TimeoutError):
        return False
    return True


# --- the ways sign-in ends (each through the acting server, as a browser or API client would) ------


async def api_as(base: str, email: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {await token_for(base, email)}"})


async def admin_api(base: str, make_user: UserFactory) -> httpx.AsyncClient:
    return await api_as(base, (await make_user("admin"))["email"])


async def log_out(base: str, consumer: Consumer, make_user: UserFactory) -> None:
    assert (await post_form(consumer.browsers["session_a"], "/logout", {})).status_code == 302


async def revoke_token_in_use(base: str, consumer: Consumer, make_user: UserFactory) -> None:
    async with httpx.AsyncClient(base_url=base, headers=consumer.headers("token_1")) as api:
        assert (await api.delete("/api/v1/auth/token")).status_code == 204


async def revoke_token_on_profile(base: str, consumer: Consumer, make_user: UserFactory) -> None:
    token = await ApiToken.select(ApiToken.id).where(ApiToken.token_hash == digest(consumer.tokens["token_1"])).first()
    revoked = await post_form(consumer.browsers["session_a"], f"/profile/tokens/{token['id']}/revoke", {})
    assert revoked.status_code == 302


async def deactivate(base: str, consumer: Consumer, make_user: UserFactory) -> None:
    async with await admin_api(base, make_user) as admin:
        path = f"/api/v1/admin/users/{consumer.user['id']}/active"
        assert (await admin.post(path, json={"active": False})).status_code == 201


async def change_role(base: str, consumer: Consumer, make_user: UserFactory) -> None:
    async with await admin_api(base, make_user) as admin:
        path = f"/api/v1/admin/users/{consumer.user['id']}/role"
        assert (await admin.post(path, json={"role": "mediator"})).status_code == 201


async def change_password(base: str, consumer: Consumer, make_user: UserFactory) -> None:
    change = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    assert (await post_form(consumer.browsers["session_a"], "/profile/password", change)).status_code == 302


async def close_account(base: str, consumer: Consumer, make_user: UserFactory) -> None:
    async with httpx.AsyncClient(base_url=base, headers=consumer.headers("token_1")) as api:
        assert (await api.post("/api/v1/me/close", json={"password": PASSWORD})).status_code == 202


Ending = Callable[[str, Consumer, UserFactory], Awaitable[None]]
EVERY = {*SESSIONS, *TOKENS}
ENDINGS: dict[str, tuple[Ending, set[str]]] = {
    "logout": (log_out, {"session_a"}),
    "token revoked by the API": (revoke_token_in_use, {"token_1"}),
    "token revoked on the profile": (revoke_token_on_profile, {"token_1"}),
    "deactivation": (deactivate, EVERY),
    "role change": (change_role, EVERY),
    "password change": (change_password, EVERY - {"session_a"}),  # the session that changed it stays
    "account closed": (close_account, EVERY),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_every_socket_of_an_ended_credential_closes_with_4401_within_2_seconds(
    bases: tuple[str, str], consumer: Consumer, make_user: UserFactory, ending: str
) -> None:
    end, ended = ENDINGS[ending]
    await end(bases[0], consumer, make_user)
    started = time.monotonic()
    closing = {
        (credential, kind): asyncio.create_task(close_code(socket))
        for credential in sorted(ended)
        for kind, socket in zip(("case", "inbox"), consumer.sockets[credential], strict=True)
    }
    codes = {which: await task for which, task in closing.items()}
    assert codes == dict.fromkeys(closing, 4401), f"{ending}: {codes}"
    assert time.monotonic() - started <= CLOSE_WITHIN + 0.5
    for credential in sorted(EVERY - ended):
        for socket in consumer.sockets[credential]:
            assert await still_open(socket), f"{ending} closed a socket of {credential}"


async def test_a_socket_kept_through_a_password_change_still_hears_its_unread_count(
    bases: tuple[str, str], consumer: Consumer, make_user: UserFactory
) -> None:
    """The sign-out pokes share the user's channel with unread pokes; the kept inbox must not choke on them."""
    acting, _serving = bases
    merchant = consumer.merchant
    other_case = await file_case(acting, consumer.tokens["token_2"], merchant["enterprise_id"])  # not in view
    await change_password(acting, consumer, make_user)
    async with await api_as(acting, merchant["email"]) as api:
        posted = await api.post(f"/api/v1/cases/{other_case}/messages", json={"channel": "joint", "text": "hello"})
        assert posted.status_code == 201
    _case_socket, inbox = consumer.sockets["session_a"]
    counts = await frames_until(inbox, lambda frame: frame.get("type") == "unread" and frame["count"] >= 1)
    assert counts[-1]["count"] >= 1
