"""The live case conversation: `/ws/cases/{ref}?after=SEQ` (DESIGN §5).

The database is the source of truth. After a change commits, the case's channel gets a small poke;
each socket then reads the events after the last one it sent, filtered to what its viewer may see.
Subscribing before replaying means nothing arriving during the replay is lost, and reading by sequence
number means nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from datetime import datetime
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath
from pydantic import ValidationError

from accord import events, i18n, live, validation
from accord.auth import SESSION_COOKIE, Viewer, bearer_token
from accord.errors import DomainError, InvalidInput, NotFound
from accord.i18n import gettext as _
from accord.i18n import label
from accord.pagination import after_seq
from accord.screening import names_nothing, unstorable_field
from accounts.credentials import viewer_from_token
from cases import service
from cases.access import readable_channels, speaker_role
from cases.schemas import MessageIn
from cases.tables import CaseEvent
from cases.workflow import SPECS, Context

WINDOW_SECONDS = 10.0
MESSAGE_TIME_STYLE = "short"  # templates/cases/case.html prints message times with |datetime("short")
AUTH_FRAME_SECONDS = 3.0  # a client without a cookie or header sends its auth frame right after opening
# What a record event shows as in live frames: a message, a file, an offer or proposal (actions that
# create one, by their spec), else a change of state.
KIND_OF = {"message": "message", "evidence": "evidence"} | {
    a: spec.creates for a, spec in SPECS.items() if spec.creates
}
_present: dict[int, list[tuple[int, str, str | None]]] = {}  # case id → (user id, name, staff role) per socket here
# user id → when their latest frames of a kind came, over all their sockets: messages, and typing/read signals
_recent: dict[str, dict[int, deque[float]]] = {"send": {}, "signal": {}}


def case_channel(case_id: int) -> str:
    return live.shard_channel("cases", case_id)


EVENT_COLUMNS = (*CaseEvent.all_columns(), CaseEvent.actor.display_name.as_alias("author_name"))  # built once


def author(user_id: int | None, name: str | None, role: str) -> dict[str, Any]:
    """Who wrote or did it, with their part in the case (DESIGN §5 frames, like the API's `author`)."""
    return {"id": user_id, "display_name": name or "", "role": speaker_role(role)}


POKE_LIMIT = 7000  # PostgreSQL NOTIFY payloads must stay under 8,000 bytes


async def poke_case(event: events.DomainEvent) -> None:
    """After commit: something new on the case. A message small enough rides along, so sockets that are
    up to date need no query; anything else (or a gap) makes them read the record."""
    if not event.kind.startswith("case.") or event.case_id is None:
        return
    poke: dict[str, Any] = {"type": "poke", "seq": event.data.get("seq")}
    if event.kind == "case.message":
        data = event.data
        poke["frame"] = {
            "type": "event",
            "seq": data["seq"],
            "kind": "message",
            "channel": data["channel"],
            "author": author(data["author"], data["author_name"], data["author_role"]),
            "at": data["at"],
            "text": data["text"],
        }
        if len(json.dumps(poke, ensure_ascii=False).encode()) > POKE_LIMIT:
            del poke["frame"]
    _publish(event.case_id, poke)


def _publish(case_id: int, frame: dict[str, Any]) -> None:
    live.publish(json.dumps({**frame, "case": case_id}, ensure_ascii=False).encode(), case_channel(case_id))


def event_frame(row: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
    frame = {
        "type": "event",
        "seq": row["seq"],
        "kind": KIND_OF.get(row["type"], "state"),
        "channel": row["channel"],
        "author": author(row["actor"], row.get("author_name"), row["actor_role"]),
        "at": row["at"].isoformat(),
    }
    if row["type"] == "message":
        frame["text"] = data.get("text", "")
    elif row["type"] == "evidence":
        frame.update({key: data.get(key) for key in ("sha256", "media_type", "size", "description")})
    else:
        frame.update({"action": data.get("action"), "state": data.get("to")})
    return frame


class Session:
    """One open socket: who, which case, and how far it has been sent."""

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        viewer: Viewer,
        case: dict[str, Any],
        related: frozenset[str],
        after: int,
    ) -> None:
        self.socket, self.viewer, self.case, self.related = socket, viewer, case, related
        self.readable = readable_channels(related)
        # "admin" or "mediator" for staff (parties see this role instead of their name in presence), else None
        self.staff = next((role for role in ("admin", "mediator", "any_mediator") if role in related), None)
        self.sent = after
        self.lock = asyncio.Lock()

    async def catch_up(self) -> None:
        async with self.lock:  # one reader at a time, so sequence numbers go out in order, once
            rows = (
                await CaseEvent.select(*EVENT_COLUMNS)
                .where(
                    CaseEvent.case == self.case["id"], CaseEvent.seq > self.sent, CaseEvent.channel.is_in(self.readable)
                )
                .order_by(CaseEvent.seq)
            )
            for row in service.unnamed(self.case, rows, "actor", "author_name"):  # retention masks the consumer
                await self.socket.send_json(self.shown(event_frame(row)))
                self.sent = row["seq"]

    async def take(self, poke: dict[str, Any]) -> None:
        """Use the event carried by a poke when it is the very next one; otherwise read the record."""
        carried = poke.get("frame")
        async with self.lock:
            if carried is not None and carried["seq"] == self.sent + 1:
                if carried["channel"] in self.readable:
                    await self.socket.send_json(self.shown(carried))
                self.sent = carried["seq"]
                return
        await self.catch_up()

    def shown(self, frame: dict[str, Any]) -> dict[str, Any]:
        """The frame with its time as the case page prints it (`shown_at`: same format, language and time
        zone), so a message appended live reads exactly like the ones the server drew."""
        zone = i18n.viewer_zone(self.viewer, self.socket.app.state.settings.timezone)
        at = datetime.fromisoformat(frame["at"])
        return {**frame, "shown_at": i18n.format_datetime(at, zone, MESSAGE_TIME_STYLE)}  # type: ignore[arg-type]

    def too_fast(self, kind: str, limit: int) -> bool:
        """Count this frame against the user's window for its kind; True when they already sent `limit`."""
        now = time.monotonic()
        recent = _recent[kind].setdefault(self.viewer.id, deque())
        while recent and now - recent[0] > WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= limit:
            return True
        recent.append(now)
        return False


async def _error(socket: WebSocket[Any, Any, Any], code: str, detail: str, client_id: Any = None) -> None:
    """An error frame; a refused `send` names its client_id, so the client knows which message failed."""
    frame = {"type": "error", "code": code, "detail": detail}
    if isinstance(client_id, str):
        frame["client_id"] = client_id
    await socket.send_json(frame)


async def _authenticate(socket: WebSocket[Any, Any, Any]) -> Viewer | None:
    """The viewer of the session cookie or `Authorization: Bearer` header, or of a bearer token in the
    first frame (API clients that cannot set headers); None for credentials that do not hold."""
    viewer: Viewer | None = socket.scope.get("user")
    if viewer is not None or bearer_token(socket) or socket.cookies.get(SESSION_COOKIE):
        return viewer
    await socket.accept()
    try:
        first = json.loads(await asyncio.wait_for(socket.receive_text(), timeout=AUTH_FRAME_SECONDS))
    except (TimeoutError, ValueError, RecursionError, WebSocketDisconnect):
        return None
    if not isinstance(first, dict) or first.get("type") != "auth" or not isinstance(first.get("token"), str):
        return None
    viewer = await viewer_from_token(first["token"], socket.app.state.clock)
    socket.scope["user"] = viewer  # whose socket it is, as with a header: it closes when they sign out
    if viewer is not None and not socket.query_params.get("lang"):
        i18n.use_language(viewer.language)  # known only now: error frames and times in the user's language
    return viewer


@websocket("/ws/cases/{reference:str}")
async def case_socket(socket: WebSocket[Any, Any, Any], reference: FromPath[str]) -> None:
    if not live.same_origin(socket):
        await live.refuse(socket, 4403, "cross-site socket refused")
        return
    viewer = await _authenticate(socket)
    if viewer is None:
        await live.refuse(socket, 4401, "sign in first")
        return
    try:
        if names_nothing(reference):  # as on HTTP (accord.screening): no case is called that
            raise NotFound(reference)
        case, related = await service.visible_case(viewer, reference)
    except DomainError:
        await live.refuse(socket, 4403, "not allowed")
        return
    if socket.connection_state == "init":
        await socket.accept()
    try:  # the last sequence number the client has: ASCII digits within the database's range
        after = after_seq(socket.query_params.get("after") or None, 0)
    except InvalidInput:
        await live.refuse(socket, 4400, "invalid after")
        return
    await _serve(Session(socket, viewer, case, related, after))


async def _serve(session: Session) -> None:
    case_id, viewer = session.case["id"], session.viewer
    async with live.channels().start_subscription([case_channel(case_id)]) as subscriber:
        here = (viewer.id, viewer.display_name, session.staff)
        _present.setdefault(case_id, []).append(here)
        _publish(case_id, {"type": "presence"})

        async def follow() -> None:
            await session.catch_up()  # replay; pokes queued meanwhile trigger further catch-ups
            async for raw in subscriber.iter_events():
                if raw == live.RESYNC:
                    await session.catch_up()
                    continue
                frame = json.loads(raw)
                if frame["case"] == case_id:  # the channel is shared with other cases
                    await _relay(session, frame)

        following = asyncio.create_task(follow())
        try:
            with live.viewing(viewer.id, f"/cases/{session.case['reference']}"):  # no inbox notice for what they see
                await _listen(session)
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await following
            _present[case_id].remove(here)  # one socket closed: the user may have another tab open
            if not _present[case_id]:
                del _present[case_id]
            _publish(case_id, {"type": "presence"})


async def _relay(session: Session, frame: dict[str, Any]) -> None:
    kind = frame.get("type")
    if kind == "poke":
        await session.take(frame)
    elif kind == "presence":
        present = _present.get(session.case["id"], [])
        names = {_shown_name(session, name, staff) for _id, name, staff in present}
        await session.socket.send_json({"type": "presence", "users": sorted(names)})
    elif (
        kind in ("typing", "read")
        and frame.get("channel") in session.readable
        and frame.get("user") != session.viewer.id
    ):
        name = _shown_name(session, frame.get("name", ""), frame.get("staff"))
        await session.socket.send_json(
            {key: value for key, value in frame.items() if key not in ("user", "case", "name", "staff")}
            | {"user": name}
        )


def _shown_name(session: Session, name: str, staff: str | None) -> str:
    """Parties see that a mediator (or registrar) is here or typing, not which staff member."""
    return label("speaker", staff) if staff and not session.staff else name


async def _listen(session: Session) -> None:
    """Frames from the client until it goes away; bad frames get an error frame, the socket stays."""
    socket = session.socket
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            raw = await socket.receive_text()
            try:
                frame = json.loads(raw)
                problem = unstorable_field(frame)
            except (ValueError, RecursionError):  # TooDeep is a ValueError
                await _error(socket, "invalid_json", _("Frames are JSON objects."))
                continue
            if problem is not None:
                await _error(socket, "invalid", f"{problem.field}: {problem.message}", _client_id(frame))
                continue
            kind = frame.get("type") if isinstance(frame, dict) else None
            handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
            if handler is None:
                await _error(socket, "unknown_type", _("Unknown frame type."))
                continue
            await handler(session, frame)


async def _send(session: Session, frame: dict[str, Any]) -> None:
    state = session.socket.app.state
    limit = state.settings.messages_per_10_seconds
    client_id = frame.get("client_id")
    if session.too_fast("send", limit):
        await _error(session.socket, "rate_limited", _too_fast_detail(limit), client_id)
        return
    try:
        message = MessageIn.model_validate({k: frame.get(k) for k in ("channel", "text", "client_id") if k in frame})
    except ValidationError as error:  # in the socket's language, like a form's field errors
        await _error(session.socket, "invalid", validation.field_errors(error)[0].message, client_id)
        return
    context = Context(clock=state.clock, calendar=state.calendar, terms=state.case_terms, zone=state.settings.timezone)
    try:
        stored = await service.post_message(session.viewer, session.case["reference"], message, context)
    except DomainError as error:
        await _error(session.socket, "forbidden", error.detail, client_id)
        return
    await session.socket.send_json({"type": "ack", "client_id": message.client_id, "seq": stored["seq"]})


def _client_id(frame: Any) -> Any:
    return frame.get("client_id") if isinstance(frame, dict) else None


def _too_fast_detail(limit: int) -> str:
    return _("At most %(limit)d messages in %(seconds)d seconds; wait a moment.") % {
        "limit": limit,
        "seconds": WINDOW_SECONDS,
    }


async def _signal(session: Session, frame: dict[str, Any], **fields: Any) -> None:
    """Typing and read receipts: live only, for those who read the channel, and rate-limited like messages
    (their own budget, so a chatty typist never blocks their messages)."""
    limit = session.socket.app.state.settings.messages_per_10_seconds
    if session.too_fast("signal", limit):
        await _error(session.socket, "rate_limited", _too_fast_detail(limit))
        return
    _publish(
        session.case["id"],
        {
            "type": frame["type"],
            "channel": frame["channel"],
            **fields,
            "user": session.viewer.id,
            "name": session.viewer.display_name,
            "staff": session.staff,
        },
    )


async def _typing(session: Session, frame: dict[str, Any]) -> None:
    if frame.get("channel") in session.readable:
        await _signal(session, frame)


async def _read(session: Session, frame: dict[str, Any]) -> None:
    if frame.get("channel") in session.readable and isinstance(frame.get("seq"), int):
        await _signal(session, frame, seq=frame["seq"])


_HANDLERS = {"send": _send, "typing": _typing, "read": _read}
