"""PostgreSQL's LISTEN/NOTIFY channels (accord/live.py): a process's own pokes reach its sockets without the
round trip through PostgreSQL, and each poke reaches them once; other processes' come by notification."""

from __future__ import annotations

import asyncio

from litestar import Litestar
from piccolo.querystring import QueryString

from accord.db import engine, is_sqlite
from accord.live import PooledNotifyBackend
from accord.settings import get_settings

CHANNEL = "test_live_pokes"


async def _next(backend: PooledNotifyBackend, wait: float = 2.0) -> tuple[str, bytes] | None:
    """The next poke handed to the process's sockets (what the backend's event stream reads), if one comes."""
    assert backend._queue is not None
    try:
        return await asyncio.wait_for(backend._queue.get(), wait)
    except TimeoutError:
        return None


async def test_own_pokes_arrive_once_and_at_once_and_others_by_notification(app: Litestar) -> None:
    if is_sqlite():  # one process, the memory backend: nothing travels through a database
        return
    backend = PooledNotifyBackend(dsn=get_settings().database.url)
    await backend.on_startup()
    try:
        await backend.subscribe([CHANNEL])
        await backend.publish(b'{"seq": 7}', [CHANNEL])
        assert backend._queue is not None and backend._queue.qsize() == 1  # handed over before any notification
        assert await _next(backend) == (CHANNEL, b'{"seq": 7}')
        assert await _next(backend, wait=0.5) is None  # its own notification came back and was dropped

        notify = "SELECT pg_notify({}, {})"
        await engine().run_querystring(QueryString(notify, CHANNEL, 'another-process:{"seq": 8}'))
        assert await _next(backend) == (CHANNEL, b'{"seq": 8}')
        await engine().run_querystring(QueryString(notify, CHANNEL, f'{backend.origin}:{{"seq": 9}}'))
        assert await _next(backend, wait=0.5) is None
    finally:
        await backend.on_shutdown()


async def test_two_apps_in_one_process_hear_each_other(app: Litestar) -> None:
    """The origin is each backend's, not the process's: another app's pokes are another's."""
    if is_sqlite():
        return
    sender, listener = (PooledNotifyBackend(dsn=get_settings().database.url) for _ in range(2))
    for backend in (sender, listener):
        await backend.on_startup()
    try:
        await listener.subscribe([CHANNEL])
        await sender.publish(b'{"seq": 10}', [CHANNEL])
        assert await _next(listener) == (CHANNEL, b'{"seq": 10}')
    finally:
        for backend in (sender, listener):
            await backend.on_shutdown()
