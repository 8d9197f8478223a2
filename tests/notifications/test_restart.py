"""A server killed between committing a notice and sending its mail still sends it, once, after restart."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.cases.conftest import filing
from tests.conftest import PASSWORD, UserFactory
from tests.servers import Server, free_port, start_server


def mail_server(port: int, smtp_port: int, sweep_seconds: int) -> Server:
    return start_server(
        {"ACCORD_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "ACCORD_SWEEP_SECONDS": str(sweep_seconds)}, port
    )


async def test_mail_survives_a_killed_server_and_is_sent_once(smtp: Any, make_user: UserFactory) -> None:
    recorder, smtp_port = smtp
    consumer, merchant = await make_user("consumer"), await make_user("merchant")
    port = free_port()
    first = mail_server(port, smtp_port, sweep_seconds=0)  # this one never gets to send
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
        first.kill()
    assert not [m for _to, m in recorder.messages if reference in m["Subject"]]

    second = mail_server(port, smtp_port, sweep_seconds=1)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not [m for _to, m in recorder.messages if reference in m["Subject"]]:
            await asyncio.sleep(0.3)
        await asyncio.sleep(3)  # a few more rounds of the sender: still one mail
    finally:
        second.stop()
    mails = [(to, m) for to, m in recorder.messages if reference in m["Subject"]]
    assert len(mails) == 1 and mails[0][0] == [merchant["email"]]
