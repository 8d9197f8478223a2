"""The live plumbing every socket shares: the channels that carry pokes after a commit, and the rules
every socket keeps (same origin only, refusals with a close code, which pages each user has open).

The database stays the source of truth: a poke only says "read again" (channels keep no history). The
channels are the memory backend in one process, or PostgreSQL LISTEN/NOTIFY or Redis across processes,
chosen from the settings the app is built with.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncGenerator, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from piccolo.querystring import QueryString
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from accord.db import engine
from accord.settings import Settings

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


def _backend(settings: Settings) -> Any:
    """Redis when configured, PostgreSQL LISTEN/NOTIFY on PostgreSQL, in-process memory on SQLite."""
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
    """Litestar's LISTEN/NOTIFY backend, publishing through the app's pool, handing a poke to this process's
    own sockets at once, and listening again after its connection is lost.

    The stock backend opens (and negotiates TLS on) a new connection for every publish; at 200
    messages a second that was most of the server's time (bench/ws_fanout.py --postgres). Its pokes
    reached the sockets of the process that sent them only after a round trip through PostgreSQL (the
    NOTIFY, then the notification on the LISTEN connection): the tail of the fan-out's latency. Each
    notification now carries the sending backend's `origin`, and a backend passes on only the others'.
    It also never noticed a dead LISTEN connection: live updates would stop until a restart.
    """

    _closing = False
    _relistening: asyncio.Task[None] | None = None
    origin = ""  # set at startup

    async def on_startup(self) -> None:
        self.origin = secrets.token_hex(8)  # this backend's (a process's app's), in each notification it sends
        await super().on_startup()
        self._listener_conn.add_termination_listener(self._lost)

    async def on_shutdown(self) -> None:
        self._closing = True
        await super().on_shutdown()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        payload = f"{self.origin}:{data.decode()}"
        for channel in channels:
            if self._queue is not None:
                self._queue.put_nowait((channel, data))  # this process's sockets (stream_events keeps the subscribed)
            await engine().run_querystring(QueryString("SELECT pg_notify({}, {})", channel, payload))

    def _listener(self, /, connection: asyncpg.Connection, pid: int, channel: str, payload: object) -> None:
        """A notification from PostgreSQL: another backend's poke, passed on; this one's own, dropped (its
        sockets had it when it was published)."""
        origin, _, data = str(payload).partition(":")
        if origin != self.origin and self._queue is not None:
            self._queue.put_nowait((channel, data.encode()))

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


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    """The app's channels, built from its settings; the process's sockets and after-commit pokes use them."""
    global _plugin
    _plugin = ChannelsPlugin(backend=_backend(settings), arbitrary_channels_allowed=True)
    return _plugin


def channels() -> ChannelsPlugin:
    """The channels of the app this process serves."""
    if _plugin is None:
        raise RuntimeError("no app has built its channels in this process")
    return _plugin


def publish(payload: bytes, channel: str) -> None:
    """Poke a channel; a no-op where channels do not run (a CLI process, tests without lifespan): no
    socket is listening there."""
    if _plugin is None:
        return
    with contextlib.suppress(RuntimeError):
        _plugin.publish(payload, channel)


# Litestar's channels plugin never forgets a channel name once used (litestar#4867), and unsubscribing
# scans them all: so sockets share a fixed set of channels and each one skips what is not its own.
SHARDS = 64


def shard_channel(kind: str, key: int) -> str:
    return f"{kind}:{key % SHARDS}"


def user_channel(user_id: int) -> str:
    return shard_channel("users", user_id)


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
