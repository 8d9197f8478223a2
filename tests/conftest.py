"""Test harness: one app on a fresh database per test process, a clean database per test, a frozen clock,
clients per role.

The database is chosen here, before anything imports a table: SQLite in a temporary directory by
default, or a new temporary database on the PostgreSQL server named by DATABASE_URL (dropped at the
end), so the suite never touches data it did not create. Each pytest-xdist worker imports this file in
its own process, so each has its own directory and database. Every test starts from the rows its
session and module fixtures keep, and what it writes is deleted when it ends (tests/clean_database.py).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TEST_DATA_DIR = tempfile.mkdtemp(prefix="accord-test-")
os.environ["ACCORD_DATA_DIR"] = TEST_DATA_DIR
os.environ["ACCORD_SECRET_KEY"] = "test-secret-key-" + "k" * 40
os.environ.pop("ACCORD_SECURE_COOKIES", None)
_SERVER_URL = os.environ.get("DATABASE_URL", "")
_PG_TEST_DB: str | None = None


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


if _SERVER_URL.startswith(("postgres://", "postgresql://")):
    _PG_TEST_DB = f"accord_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(_SERVER_URL, f'CREATE DATABASE "{_PG_TEST_DB}"'))
    # A database dropped at the end need not wait for the disk at each commit (servers the tests start too).
    asyncio.run(_pg_admin(_SERVER_URL, f'ALTER DATABASE "{_PG_TEST_DB}" SET synchronous_commit = off'))
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(_SERVER_URL)._replace(path=f"/{_PG_TEST_DB}"))
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{TEST_DATA_DIR}/accord-test.sqlite3"

import httpx  # noqa: E402
import pytest  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from litestar import Litestar  # noqa: E402

from accord.app import create_app  # noqa: E402
from accord.db import close_database, open_database  # noqa: E402
from accord.clock import Clock, FrozenClock  # noqa: E402
from accord.db import migrate  # noqa: E402
from accounts import passwords, service  # noqa: E402
from accounts.schemas import EnterpriseIn  # noqa: E402
from accounts.tables import Enterprise, Role  # noqa: E402
from accounts.uscc import ALPHABET, uscc_check_character  # noqa: E402
from tests.clean_database import delete_new_rows, never_reuse_ids  # noqa: E402

# Still argon2id, at the lowest cost: the real parameters take 0.1-1 s a hash on our machines, and the suite
# makes and signs in thousands of people. `accord serve` processes keep the real cost (and rehash on sign-in).
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

BASE_TIME = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
_counter = itertools.count(1)


# How `make test` shares the tests out between pytest-xdist workers. A unit runs on one worker. The tests of
# the modules SHARED_UNITS names form one unit: the browser tests, one at a time (two browsers starve each other
# on two cores); the tests of several servers poking each other through Redis, one at a time (on SQLite its
# channels are shared by every worker's database); and modules whose module fixtures build a large world once.
# Every other test is a unit of its own. Units under FIRST start first (the longest), the others go by size.
SHARED_UNITS = {
    "browsers": (
        "tests/e2e/test_journeys.py",
        "tests/e2e/test_live_conversation.py",
        "tests/e2e/test_live_case.py",
        "tests/e2e/test_file_case.py",
        "tests/e2e/test_mediation.py",
        "tests/e2e/test_register_login.py",
        "tests/e2e/test_live_badge.py",
    ),
    "fan-out": (
        "tests/e2e/test_sessions_end.py",
        "tests/e2e/test_two_servers.py",
        "tests/e2e/test_sweep_reaches_sockets.py",
    ),
    **{
        module: (module,)
        for module in (
            "tests/security/test_authorization_matrix.py",
            "tests/security/test_bad_input.py",
            "tests/cases/test_seed.py",
            "tests/integrity/test_demo_registry.py",
            "tests/e2e/test_socket_privacy.py",
            "tests/e2e/test_client_address.py",
        )
    },
}
FIRST = ("browsers", "tests/security/test_fuzz.py", "fan-out")


def unit_of(nodeid: str) -> str:
    """The unit a test belongs to: its shared unit's name, or its own id."""
    return next((unit for unit, modules in SHARED_UNITS.items() if nodeid.startswith(modules)), nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None  # another way asked for by name
    from xdist.scheduler import LoadScopeScheduling

    class Units(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:  # the queue is complete now: move the longest units to its front
                for prefix in reversed(FIRST):
                    for scope in [scope for scope in self.workqueue if scope.startswith(prefix)][::-1]:
                        self.workqueue.move_to_end(scope, last=False)
                self.ordered = True
            super()._assign_work_unit(node)

    return Units(config, log)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _PG_TEST_DB:
        asyncio.run(_pg_admin(_SERVER_URL, f'DROP DATABASE IF EXISTS "{_PG_TEST_DB}" WITH (FORCE)'))
    shutil.rmtree(TEST_DATA_DIR, ignore_errors=True)


def unique(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6]}"


def unique_email(prefix: str = "user") -> str:
    return f"{unique(prefix)}@example.com"


def random_uscc() -> str:
    """A well-formed USCC nobody else in this test run has."""
    body = "91" + "".join(random.choices("0123456789", k=6)) + "".join(random.choices(ALPHABET, k=9))
    return body + uscc_check_character(body)


@pytest.fixture(scope="session")
async def app() -> AsyncIterator[Litestar]:
    await migrate()
    await never_reuse_ids()
    application = create_app(clock=FrozenClock(BASE_TIME))
    await open_database()
    yield application
    await close_database()


@pytest.fixture(autouse=True)
async def clean_database(app: Litestar) -> AsyncIterator[None]:
    """Each test starts from the kept rows only and leaves nothing behind (set up first, torn down last)."""
    await delete_new_rows()
    yield
    await delete_new_rows()


@pytest.fixture(autouse=True)
def clock(app: Litestar) -> FrozenClock:
    """The app's clock, reset for every test; move it instead of sleeping."""
    frozen = FrozenClock(BASE_TIME)
    app.state.clock = frozen
    return frozen


ClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def new_client(app: Litestar) -> AsyncIterator[ClientFactory]:
    """Makes anonymous HTTP clients (each with its own cookie jar) talking to the app in-process."""
    clients: list[httpx.AsyncClient] = []

    def make(**headers: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 40000)),
            base_url="http://testserver.local",
            headers=headers,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def client(new_client: ClientFactory) -> httpx.AsyncClient:
    return new_client()


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    """Visit a page so the CSRF cookie is set, and return the token forms must echo."""
    if "accord_csrf" not in client.cookies:
        await client.get(path)
    return client.cookies["accord_csrf"]


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, Any]) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post(path, data={**data, "_csrf_token": token})


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await post_form(client, "/login", {"email": email, "password": password, "next": "/profile"})


UserFactory = Callable[..., Awaitable[dict[str, Any]]]


async def mails_written() -> int:
    """The mails the notices so far asked for, written into the outbox as the mail job writes them first."""
    from accord.settings import get_settings
    from notifications.service import write_mails

    return await write_mails(get_settings())


async def create_person(
    role: str,
    clock: Clock,
    *,
    enterprise_uscc: str | None = None,
    enterprise_verified: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    """A user of any role, password PASSWORD. Merchants are approved agents of a fresh enterprise (verified
    unless `enterprise_verified=False`) or of the one given, as `accord create-user` makes them."""
    if role == "merchant" and enterprise_uscc is None:
        enterprise_uscc = random_uscc()
        fresh = EnterpriseIn(name=f"Enterprise {unique('e')}", uscc=enterprise_uscc)
        await service.create_enterprise(fresh, clock, verified=enterprise_verified)
    user = await service.create_user(
        email=fields.pop("email", None) or unique_email(role),
        password=fields.pop("password", PASSWORD),
        role=Role(role),
        display_name=fields.pop("display_name", f"Test {role.title()}"),
        language=fields.pop("language", "en"),
        enterprise_uscc=enterprise_uscc,
        clock=clock,
    )
    return {**user, "password": PASSWORD}


@pytest.fixture
def make_user(clock: FrozenClock) -> UserFactory:
    """Creates a user of any role (see `create_person`) on the test's clock."""

    async def make(role: str = "consumer", **fields: Any) -> dict[str, Any]:
        return await create_person(role, clock, **fields)

    return make


SignedIn = Callable[..., Awaitable[tuple[httpx.AsyncClient, dict[str, Any]]]]


@pytest.fixture
def signed_in(new_client: ClientFactory, make_user: UserFactory) -> SignedIn:
    """A browser-like client signed in (session cookie) as a new user of `role`."""

    async def make(role: str = "consumer", **fields: Any) -> tuple[httpx.AsyncClient, dict[str, Any]]:
        user = await make_user(role, **fields)
        browser = new_client()
        response = await login(browser, user["email"])
        assert response.status_code == 302, response.text
        return browser, user

    return make


@pytest.fixture
def api_client(new_client: ClientFactory, make_user: UserFactory) -> SignedIn:
    """An API client authenticated with a bearer token as a new user of `role`."""

    async def make(role: str = "consumer", **fields: Any) -> tuple[httpx.AsyncClient, dict[str, Any]]:
        user = await make_user(role, **fields)
        anonymous = new_client()
        response = await anonymous.post("/api/v1/auth/token", json={"email": user["email"], "password": PASSWORD})
        assert response.status_code == 201, response.text
        return new_client(authorization=f"Bearer {response.json()['token']}"), user

    return make


async def make_platform(enterprise_id: int) -> None:
    """Test set-up: the enterprise becomes a platform (a registrar's change, `accounts.platforms.set_kind`)."""
    await Enterprise.update({Enterprise.kind: "platform"}).where(Enterprise.id == enterprise_id)


@pytest.fixture
async def platform(api_client: SignedIn) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    """An API client of an approved agent of a verified platform enterprise (issue 17)."""
    client, agent = await api_client("merchant")
    await make_platform(agent["enterprise_id"])
    return client, agent
