"""Live unread counts: a per-user WebSocket that hears a poke whenever that user gets a notification.

A poke only says "count again" (accord.live), and the socket sends the fresh count from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from accord import events, live
from accord.auth import Viewer
from notifications.service import unread_count


async def poke_recipients(event: events.DomainEvent) -> None:
    """After commit: tell each recipient's open sockets to refresh their count."""
    if event.kind != "notifications.created":
        return
    for user_id in event.data["recipients"]:
        live.publish(str(user_id).encode(), live.user_channel(user_id))


@websocket("/ws/notifications")
async def notifications_socket(socket: WebSocket[Any, Any, Any]) -> None:
    viewer: Viewer | None = socket.scope.get("user")
    if not live.same_origin(socket):
        await live.refuse(socket, 4403, "cross-site socket refused")
        return
    if viewer is None:
        await live.refuse(socket, 4401, "sign in first")
        return
    await socket.accept()
    async with live.channels().start_subscription([live.user_channel(viewer.id)]) as subscriber:

        async def forward_counts() -> None:
            await socket.send_json({"type": "unread", "count": await unread_count(viewer)})
            async for poke in subscriber.iter_events():
                # The channel is shared with other users, and carries their sign-outs too (sign_out.py).
                if poke in (live.RESYNC, str(viewer.id).encode()):
                    await socket.send_json({"type": "unread", "count": await unread_count(viewer)})

        forwarding = asyncio.create_task(forward_counts())
        try:
            with live.viewing(viewer.id, _page_of(socket)):
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
