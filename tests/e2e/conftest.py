"""Browser tests: a real `accord serve` process on the test database, driven by Debian's chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

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
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app: object) -> Iterator[str]:
    """The app served by uvicorn in its own process, on the same database as the in-process app."""
    port = _free_port()
    accord = str(Path(sys.executable).with_name("accord"))
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "live-server.log").open("w")
    # No background rounds: the server shares the test database, and its sweeper and mail sender would
    # act on other tests' deadlines and mail (those are tested on their own, with their own clocks).
    env = {**os.environ, "ACCORD_SWEEP_SECONDS": "0"}
    process = subprocess.Popen([accord, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"accord serve did not start; see {ARTIFACTS / 'live-server.log'}")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("browser tests need Debian's chromium: apt-get install chromium fonts-wqy-microhei")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield launched
        await launched.close()
