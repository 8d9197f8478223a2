"""Real `accord serve` processes for tests: start on a free port, wait for /healthz, stop or kill -9.

The processes inherit this test run's environment (its database, data directory and secret key), so
they serve the same database as the in-process app; `env` adds or overrides variables.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from tests.conftest import unit_of

ACCORD = str(Path(sys.executable).with_name("accord"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> Server:
        """Until /healthz answers 200; fails fast (naming the log) when the process exits or never answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.kill()
                raise AssertionError(f"accord serve exited with {self.process.returncode}{self._see_log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"accord serve did not answer /healthz within {timeout:.0f} s{self._see_log()}")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), then the exit is awaited."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=20)

    def kill(self) -> None:
        """kill -9: no shutdown code runs, open connections just die."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def _see_log(self) -> str:
        return f"; see {self.log}" if self.log else ""


def fan_out_env() -> dict[str, str]:
    """For several servers on the test database: pokes between them over PostgreSQL LISTEN/NOTIFY, or
    Redis on SQLite; no background rounds (they would act on other tests' deadlines and mail)."""
    from accord.settings import get_settings

    env = {"ACCORD_SWEEP_SECONDS": "0"}
    if get_settings().database.engine != "postgres":
        # Redis channels are shared by every worker's database: one test at a time uses them.
        test = os.environ.get("PYTEST_CURRENT_TEST", "")
        assert unit_of(test) == "fan-out", f"add the module of {test} to SHARED_UNITS['fan-out']"
        env["ACCORD_REDIS_URL"] = "redis://127.0.0.1:6379/0"
    return env


def launch(env: dict[str, str] | None = None, port: int | None = None, log_name: str | None = None) -> Server:
    """Start `accord serve` without waiting for it (start several, then `wait_ready` each)."""
    port = port or free_port()
    output: IO[Any] | int = subprocess.DEVNULL
    log = None
    if log_name:
        ARTIFACTS.mkdir(exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # parallel workers may start the same server
        log = ARTIFACTS / (f"{worker}-{log_name}" if worker else log_name)
        output = log.open("w")
    try:
        process = subprocess.Popen(
            [ACCORD, "serve", "--port", str(port)],
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    finally:
        if not isinstance(output, int):
            output.close()  # the child has its own copy of the descriptor
    return Server(process, port, log)


def start_server(env: dict[str, str] | None = None, port: int | None = None, log_name: str | None = None) -> Server:
    """Start `accord serve` and return once it answers /healthz."""
    return launch(env, port, log_name).wait_ready()
