"""A server killed between committing a notice and sending its mail still sends it, once, after restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.cases.conftest import filing
from tests.conftest import PASSWORD, UserFactory
from tests.e2e.conftest import _free_port

ACCORD = str(Path(sys.executable).with_name("accord"))


def start_server(port: int, smtp_port: int, sweep_seconds: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ACCORD_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "ACCORD_SWEEP_SECONDS": str(sweep_seconds)}
    process = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("server did not start")


async def test_mail_survives_a_killed_server_and_is_sent_once(smtp: Any, make_user: UserFactory) -> None:
    recorder, smtp_port = smtp
    consumer, merchant = await make_user("consumer"), await make_user("merchant")
    port = _free_port()
    first = start_server(port, smtp_port, sweep_seconds=0)  # this one never gets to send
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as api:
            token = (
                await api.post("/api/v1/auth/token", json={"email": consumer["email"], "password": PASSWORD})
            ).json()["token"]
            body = filing(merchant["enterprise_id"]).model_dump(mode="json", exclude_none=True)
            filed = await api.post("/api/v1/cases", json=body, headers={"authorization": f"Bearer {token}"})
            assert filed.status_code == 201
            reference = filed.json()["reference"]
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
    assert not [m for _to, m in recorder.messages if reference in m["Subject"]]

    second = start_server(port, smtp_port, sweep_seconds=1)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not [m for _to, m in recorder.messages if reference in m["Subject"]]:
            await asyncio.sleep(0.3)
        await asyncio.sleep(3)  # a few more rounds of the sender: still one mail
    finally:
        second.terminate()
        second.wait(timeout=20)
    mails = [(to, m) for to, m in recorder.messages if reference in m["Subject"]]
    assert len(mails) == 1 and mails[0][0] == [merchant["email"]]
