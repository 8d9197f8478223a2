"""Sockets end with the credential they were opened with.

When sign-in ends — sign-out, a revoked token, an expired session, or all of a user's at once
(deactivation, another role, a new password) — `accounts` emits `credentials.ended`, published after
commit. Here it becomes a poke on the user's channel shard, which reaches every process through the
same fan-out as unread counts (memory, PostgreSQL LISTEN/NOTIFY or Redis), and each socket of that
credential closes with 4401 at once.

Expiry has no event of its own, and a poke can be lost while the fan-out reconnects: so each socket
also asks the database whether its credential still holds, when it starts, every RECHECK_SECONDS, and
after a reconnection.

All of this is one ASGI middleware around every WebSocket, so no socket can forget it: it starts
watching once the socket carries data for a signed-in viewer (`scope["user"]`), and after closing the
socket it drops whatever the handler still sends until it notices the disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from accord import events, live
from accord.auth import Viewer
from accounts import credentials

log = logging.getLogger("accord.live")
RECHECK_SECONDS = 60.0  # how soon an expired session's sockets close
SIGNED_OUT = 4401


async def poke_signed_out(event: events.DomainEvent) -> None:
    """After commit: tell the user's sockets, in every process, which credential ended."""
    if event.kind != credentials.ENDED:
        return
    live.publish(json.dumps({"ended": event.data}).encode(), live.user_channel(event.data["user"]))


def _ended(poke: bytes) -> dict[str, Any] | None:
    """The `credentials.ended` data in a poke; None for the channel's other pokes (unread counts)."""
    if not poke.startswith(b"{"):
        return None
    ended = json.loads(poke).get("ended")
    return ended if isinstance(ended, dict) else None


async def until_signed_out(viewer: Viewer, pokes: AsyncIterator[bytes], holds: Callable[[], Awaitable[bool]]) -> None:
    """Return once the viewer's credential has ended: a poke says so, or `holds()` finds it gone (asked
    at once, as it may have ended before the subscription began, then every RECHECK_SECONDS and after
    each resync)."""
    recheck = asyncio.Event()

    async def told() -> None:
        async for poke in pokes:
            if poke == live.RESYNC:
                recheck.set()
            elif (ended := _ended(poke)) is not None and credentials.ends_socket_of(viewer, ended):
                return
        await asyncio.Event().wait()  # the subscription is over: only the database can tell from now on

    async def found() -> None:
        while await _still_holds(holds):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RECHECK_SECONDS):
                    await recheck.wait()
            recheck.clear()

    watchers = [asyncio.create_task(told()), asyncio.create_task(found())]
    try:
        await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)


async def _still_holds(holds: Callable[[], Awaitable[bool]]) -> bool:
    try:
        return await holds()
    except Exception:  # noqa: BLE001 - a database hiccup: the pokes still work; ask again later
        log.exception("could not recheck a socket's credential")
        return True


class _Watch:
    """One socket's watch: starts with the first data frame of a signed-in viewer, closes it once."""

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope, self._send = scope, send
        self.task: asyncio.Task[None] | None = None
        self.closed = False
        self.active_at: datetime | None = None  # the client's latest frame: activity for the idle limit

    def receiving(self, receive: Receive) -> Receive:
        async def receive_noting_activity() -> Any:
            message = await receive()
            if message["type"] == "websocket.receive":
                self.active_at = self.scope["app"].state.clock.now()
                self._start()
            return message

        return receive_noting_activity

    async def send(self, message: Message) -> None:
        if self.closed:
            return  # closed for a sign-out; the handler will hear the disconnect soon
        if message["type"] == "websocket.send":
            self._start()
        elif message["type"] == "websocket.close":
            self.closed = True  # by the handler: nothing left to close
        await self._send(message)

    def _start(self) -> None:
        viewer = self.scope.get("user")
        if self.task is None and isinstance(viewer, Viewer):
            self.task = asyncio.create_task(self._close_when_signed_out(viewer))

    async def _close_when_signed_out(self, viewer: Viewer) -> None:
        state = self.scope["app"].state
        idle = timedelta(minutes=state.settings.session_idle_minutes)
        lifetime = timedelta(hours=state.settings.session_max_hours)

        async def holds() -> bool:
            return await credentials.still_holds(viewer, state.clock, idle, lifetime, self.active_at)

        try:
            async with live.channels().start_subscription([live.user_channel(viewer.id)]) as subscriber:
                await until_signed_out(viewer, subscriber.iter_events(), holds)
        except Exception:  # noqa: BLE001 - without its watch the socket lives on as before; say so
            log.exception("could not watch a socket's credential")
            return
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError, RuntimeError):  # the client went away meanwhile
                await self._send({"type": "websocket.close", "code": SIGNED_OUT, "reason": "signed out"})

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


class SocketsEndWithCredential:
    """ASGI middleware: every WebSocket closes with 4401 as soon as its viewer's credential has ended."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        watch = _Watch(scope, send)
        try:
            await self.app(scope, watch.receiving(receive), watch.send)
        finally:
            await watch.stop()
