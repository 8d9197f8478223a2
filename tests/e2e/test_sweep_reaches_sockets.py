"""`accord sweep` from cron reaches the sockets open on a running server.

With the servers' own loop off (ACCORD_SWEEP_SECONDS=0), a deadline fired by `accord sweep` in another
process must still show on the pages people have open: the sweep pokes the same channels the servers
listen on (PostgreSQL LISTEN/NOTIFY, or Redis on SQLite).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

from tests.conftest import UserFactory
from tests.e2e.test_case_socket import frames_until, open_socket, setup_case
from tests.servers import ACCORD, fan_out_env, start_server


async def test_a_deadline_fired_by_accord_sweep_reaches_an_open_case_socket(make_user: UserFactory) -> None:
    server = start_server(fan_out_env())
    try:
        reference, tokens = await setup_case(server.url, make_user)
        watcher = await open_socket(server.url, reference, tokens["consumer"])
        try:
            await frames_until(watcher, lambda f: f.get("type") == "event" and f["seq"] == 1)
            # Six weeks on: the merchant's ten working days to respond have run out, holidays or not.
            at = (datetime.now(UTC) + timedelta(days=42)).isoformat()
            sweep = await asyncio.create_subprocess_exec(
                ACCORD, "sweep", "--at", at, env={**os.environ, **fan_out_env()},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(sweep.communicate(), 120)
            assert sweep.returncode == 0, err.decode()
            assert f"{reference} response_timeout" in out.decode()
            seen = await frames_until(watcher, lambda f: f.get("type") == "event" and f["seq"] > 1, limit=10)
            assert seen[-1]["seq"] == 2
        finally:
            await watcher.close()
    finally:
        server.stop()
