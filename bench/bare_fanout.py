"""The bare-framework ceiling for bench/ws_fanout.py: Litestar channels fan-out with nothing else.

Speaks the same frames as Accord's case socket (an auth frame first, then `send` → `ack` and an
`event` to every socket on the case) but stores nothing, checks nobody and keeps no record, so the
difference to Accord in the same run is the price of persistence, authorization and the hash chain.

    uvicorn bench.bare_fanout:app --port 8078 --ws-per-message-deflate false
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from litestar import Litestar, WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.exceptions import WebSocketDisconnect

channels = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)


@websocket("/ws/cases/{reference:str}")
async def case_socket(socket: WebSocket[Any, Any, Any], reference: str) -> None:
    await socket.accept()
    await socket.receive_text()  # the auth frame, taken on trust here
    seq = 0
    async with channels.start_subscription([reference]) as subscriber:

        async def relay() -> None:
            async for raw in subscriber.iter_events():
                await socket.send_text(raw.decode())

        relaying = asyncio.create_task(relay())
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                frame = json.loads(await socket.receive_text())
                seq += 1
                event = {"type": "event", "seq": seq, "kind": "message", "channel": "joint", "text": frame["text"]}
                channels.publish(json.dumps(event).encode(), reference)
                await socket.send_json({"type": "ack", "client_id": frame.get("client_id"), "seq": seq})
        relaying.cancel()


app = Litestar([case_socket], plugins=[channels])
