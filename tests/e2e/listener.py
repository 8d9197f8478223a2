"""A case-socket client for tests: reads every frame in the background, so a test can wait for one frame
and still look at all of them afterwards (nothing is consumed by waiting)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import websockets

Frame = dict[str, Any]


def is_event(frame: Frame, **fields: Any) -> bool:
    return frame.get("type") == "event" and all(frame.get(key) == value for key, value in fields.items())


class Listener:
    """One open case socket (`/ws/cases/{ref}?after=SEQ`, bearer token in the first frame)."""

    def __init__(self, socket: Any, on_frame: Callable[[Frame], None] | None = None) -> None:
        self.socket = socket
        self.on_frame = on_frame
        self.frames: list[Frame] = []
        self.closed = False
        self.close_code: int | None = None
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, base: str, reference: str, token: str, after: int = 0, on_frame: Callable[[Frame], None] | None = None
    ) -> Listener:
        """Connect and authenticate; `on_frame` is called with each frame as it arrives."""
        url = base.replace("http://", "ws://") + f"/ws/cases/{reference}?after={after}"
        socket = await websockets.connect(url, max_queue=None)
        await socket.send(json.dumps({"type": "auth", "token": token}))
        return cls(socket, on_frame)

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                frame = json.loads(raw)
                self.frames.append(frame)
                if self.on_frame is not None:
                    self.on_frame(frame)
                async with self._changed:
                    self._changed.notify_all()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            received = self.socket.protocol.close_rcvd
            self.close_code = received.code if received is not None else None
            async with self._changed:
                self._changed.notify_all()

    async def send(self, **frame: Any) -> None:
        await self.socket.send(json.dumps(frame))

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Until `condition()` holds (checked after every frame), or fail after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: condition() or self.closed)
        except TimeoutError:
            pass
        if not condition():
            state = f"closed with {self.close_code}" if self.closed else f"not within {timeout} s"
            raise AssertionError(f"{state}; last frames: {self.frames[-10:]}")

    async def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = 5.0, since: int = 0) -> Frame:
        """The first frame from index `since` on that matches, waiting up to `timeout` seconds for it."""

        def found() -> Frame | None:
            return next((frame for frame in self.frames[since:] if predicate(frame)), None)

        await self.wait_until(lambda: found() is not None, timeout)
        frame = found()
        assert frame is not None
        return frame

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        """The close code the server sent (None when none was received)."""
        async with asyncio.timeout(timeout):
            await asyncio.shield(self._reader)
        return self.close_code

    def events(self, kind: str | None = None) -> list[Frame]:
        return [frame for frame in self.frames if is_event(frame) and (kind is None or frame["kind"] == kind)]

    async def close(self) -> None:
        """Close (a no-op when the connection is already gone) and let the reader finish."""
        await self.socket.close()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), 5)
        except TimeoutError:
            self._reader.cancel()

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake, as a crashed client or lost network would."""
        self.socket.transport.abort()
