"""Browser tests: a real `accord serve` process on the test database, driven by Debian's chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.conftest import unit_of
from tests.servers import start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def one_browser_at_a_time(request: pytest.FixtureRequest) -> None:
    """Browser tests run one at a time, in the browsers unit that tests/conftest.py names."""
    if "browser" in request.fixturenames:
        assert unit_of(request.node.nodeid) == "browsers", "add this module to SHARED_UNITS['browsers']"


@pytest.fixture(scope="session")
def live_server(app: object) -> Iterator[str]:
    """The app served by uvicorn in its own process, on the same database as the in-process app."""
    # No background rounds: the server shares the test database, and its sweeper and mail sender would
    # act on other tests' deadlines and mail (those are tested on their own, with their own clocks).
    server = start_server({"ACCORD_SWEEP_SECONDS": "0"}, log_name="live-server.log")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("browser tests need Debian's chromium: apt-get install chromium fonts-wqy-microhei")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield launched
        await launched.close()
