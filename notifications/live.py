"""Live unread counts: a per-user WebSocket that hears a poke whenever that user gets a notification.

The database stays the source of truth: a poke only says "count again" (channels keep no history), and
the socket sends the fresh count. The channels behind it (and behind the case conversation) are the
memory backend in one process, or PostgreSQL LISTEN/NOTIFY or Redis across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.exceptions import WebSocketDisconnect
from piccolo.querystring import QueryString
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from accord import events
from accord.auth import Viewer
from accord.db import engine
from accord.settings import get_settings
from notifications.service import unread_count

log = logging.getLogger("accord.live")
_plugin: ChannelsPlugin | None = None
# Which pages each user has open right now (this process's sockets): a message to a case they are
# looking at needs no notice.
_viewing: dict[int, list[str]] = {}


def is_viewing(user_id: int, path: str) -> bool:
    return path in _viewing.get(user_id, [])


@contextlib.contextmanager
def viewing(user_id: int, path: str) -> Iterator[None]:
    """While a socket of this user is open on the page at `path` (they see its news as it comes)."""
    _viewing.setdefault(user_id, []).append(path)
    try:
        yield
    finally:
        _viewing[user_id].remove(path)
        if not _viewing[user_id]:
            del _viewing[user_id]


def _backend() -> Any:
    """Redis when configured, PostgreSQL LISTEN/NOTIFY on PostgreSQL, in-process memory on SQLite."""
    settings = get_settings()
    if settings.redis_url:
        return ReconnectingRedisBackend(redis=Redis.from_url(settings.redis_url))
    if settings.database.engine == "postgres":
        return PooledNotifyBackend(dsn=settings.database.url)
    return MemoryChannelsBackend()


# What a backend hands every channel after it reconnected: pokes published meanwhile are lost, so each
# socket reads what it missed from the database.
RESYNC = b"resync"
MAX_RECONNECT_DELAY = 30.0


class ReconnectingRedisBackend(RedisChannelsPubSubBackend):
    """Redis pub/sub that outlives a lost connection (Litestar's event stream ends at the first error)."""

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        delay = 0.5
        while True:
            try:
                async for event in super().stream_events():
                    delay = 0.5
                    yield event
            except RedisConnectionError as error:
                log.warning("redis pub/sub connection lost (%s); reconnecting in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY)
                with contextlib.suppress(RedisConnectionError):
                    await self._pub_sub.connect()  # subscribes to the same channels again
                    for channel in list(self._pub_sub.channels):
                        yield channel.decode(), RESYNC


class PooledNotifyBackend(AsyncPgChannelsBackend):
    """Litestar's LISTEN/NOTIFY backend, publishing through the app's pool and listening again after
    its connection is lost.

    The stock backend opens (and negotiates TLS on) a new connection for every publish; at 200
    messages a second that was most of the server's time (bench/ws_fanout.py --postgres). It also
    never notices a dead LISTEN connection: live updates would stop until a restart.
    """

    _closing = False
    _relistening: asyncio.Task[None] | None = None

    async def on_startup(self) -> None:
        await super().on_startup()
        self._listener_conn.add_termination_listener(self._lost)

    async def on_shutdown(self) -> None:
        self._closing = True
        await super().on_shutdown()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        payload = data.decode()
        for channel in channels:
            await engine().run_querystring(QueryString("SELECT pg_notify({}, {})", channel, payload))

    def _lost(self, _connection: Any) -> None:
        if not self._closing:
            self._relistening = asyncio.get_running_loop().create_task(self._listen_again())

    async def _listen_again(self) -> None:
        delay = 0.5
        while not self._closing:
            try:
                async with self._listener_lock:
                    connection = await self._connect()
                    for channel in self._subscribed_channels:
                        await connection.add_listener(channel, self._listener)  # type: ignore[arg-type]
                    connection.add_termination_listener(self._lost)
                    self._listener_conn = connection
            except (OSError, TimeoutError, asyncpg.PostgresError) as error:
                log.warning("LISTEN connection lost (%s); reconnecting in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY)
                continue
            assert self._queue is not None
            for channel in self._subscribed_channels:
                self._queue.put_nowait((channel, RESYNC))
            return


def channels_plugin() -> ChannelsPlugin:
    """The app's channels, created once per process and reachable from after-commit handlers."""
    global _plugin
    if _plugin is None:
        _plugin = ChannelsPlugin(backend=_backend(), arbitrary_channels_allowed=True)
    return _plugin


# Litestar's channels plugin never forgets a channel name once used (litestar#4867), and unsubscribing
# scans them all: so sockets share a fixed set of channels and each one skips what is not its own.
SHARDS = 64


def shard_channel(kind: str, key: int) -> str:
    return f"{kind}:{key % SHARDS}"


def user_channel(user_id: int) -> str:
    return shard_channel("users", user_id)


async def poke_recipients(event: events.DomainEvent) -> None:
    """After commit: tell each recipient's open sockets to refresh their count."""
    if event.kind != "notifications.created" or _plugin is None:
        return
    for user_id in event.data["recipients"]:
        try:
            _plugin.publish(str(user_id).encode(), user_channel(user_id))
        except RuntimeError:  # channels not started (no lifespan, e.g. a CLI process): nobody is listening
            return


def same_origin(socket: WebSocket[Any, Any, Any]) -> bool:
    """CSRF does not cover WebSockets: only pages of this site may open one with the user's cookie."""
    origin = socket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == socket.headers.get("host")


async def refuse(socket: WebSocket[Any, Any, Any], code: int, reason: str) -> None:
    """Close with 4401 (sign in) or 4403 (not allowed) before sending any data.

    Refusing during the handshake would reach clients as a bare HTTP 403 (browsers see code 1006 and
    would keep reconnecting), so the socket is accepted and at once closed with the code.
    """
    if socket.connection_state == "init":
        await socket.accept()
    await socket.close(code=code, reason=reason)


@websocket("/ws/notifications")
async def notifications_socket(socket: WebSocket[Any, Any, Any]) -> None:
    viewer: Viewer | None = socket.scope.get("user")
    if not same_origin(socket):
        await refuse(socket, 4403, "cross-site socket refused")
        return
    if viewer is None:
        await refuse(socket, 4401, "sign in first")
        return
    await socket.accept()
    async with channels_plugin().start_subscription([user_channel(viewer.id)]) as subscriber:

        async def forward_counts() -> None:
            await socket.send_json({"type": "unread", "count": await unread_count(viewer)})
            async for poke in subscriber.iter_events():
                # The channel is shared with other users, and carries their sign-outs too (sign_out.py).
                if poke in (RESYNC, str(viewer.id).encode()):
                    await socket.send_json({"type": "unread", "count": await unread_count(viewer)})

        forwarding = asyncio.create_task(forward_counts())
        try:
            with viewing(viewer.id, _page_of(socket)):
                await _until_closed(socket)
        finally:
            forwarding.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await forwarding


def _page_of(socket: WebSocket[Any, Any, Any]) -> str:
    """The page that opened the socket (`?page=` from the script, a local path)."""
    page = socket.query_params.get("page", "")
    return page if page.startswith("/") and not page.startswith("//") else ""


async def _until_closed(socket: WebSocket[Any, Any, Any]) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await socket.receive_data(mode="text")


events.subscribe(poke_recipients, "after_commit")
