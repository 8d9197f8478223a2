"""Signing in: password checks with growing delays, browser sessions and API tokens.

Session ids and tokens are random secrets handed to the client once; only their SHA-256 is stored,
so a leaked database does not leak live credentials.

When a credential ends (sign-out, revocation, expiry, or everything of a user at once), a
`credentials.ended` event is published after commit; `notifications` closes the sockets it opened.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import Where

from accord import events
from accord.auth import Viewer
from accord.clock import Clock
from accord.db import Prepared, update_rows, write_transaction
from accord.errors import NotAuthenticated, NotFound
from accord.i18n import gettext as _
from accounts import throttle
from accounts.passwords import hash_password, needs_rehash, verify_password
from accounts.tables import ApiToken, User, UserSession
from accounts.throttle import Attempt

# Last-seen / last-used stamps are refreshed at most this often, so reads do not become writes.
TOUCH_INTERVAL = timedelta(minutes=1)
ENDED = "credentials.ended"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def authenticate(email: str, password: str, attempt: Attempt, clock: Clock, per_address: int) -> dict[str, Any]:
    """The active user with these credentials; the same error whether the email or password is wrong
    (a deactivated user who gives the right password is told their account is deactivated).

    Wrong passwords make further attempts wait (accounts.throttle); the profile's current-password
    check comes through here too, so it is no side door for guessing.
    """
    email = email.strip().lower()
    throttles = throttle.throttles_for(email, attempt, per_address)
    own_failures = await throttle.check(throttles, clock)
    user = await User.select().where(User.email == email).first()
    stored_hash = user["password_hash"] if user else None
    valid = await asyncio.to_thread(verify_password, stored_hash, password)
    if not valid or user is None:
        await throttle.record_failure(throttles, clock)
        raise NotAuthenticated(_("The email or password is not correct."))
    if not user["active"]:  # only who knows the password learns this: the same answer as ever to anyone else
        raise NotAuthenticated(
            _("Your account has been deactivated. If you think this is a mistake, contact Accord's registrars.")
        )
    if own_failures:
        await throttle.forget_failures(throttles[0])
    if needs_rehash(user["password_hash"]):
        new_hash = await asyncio.to_thread(hash_password, password)
        async with write_transaction():
            await User.update({User.password_hash: new_hash}).where(User.id == user["id"])
    return user


def _viewer(row: dict[str, Any], credential: str) -> Viewer:
    return viewer_from(row, row["user_id"], credential, row["id"])


def viewer_from(row: dict[str, Any], user_id: int, credential: str, credential_id: int) -> Viewer:
    """A Viewer from a row holding the user's columns (and their enterprise's, aliased).

    A merchant agent the enterprise has not vouched for gets no enterprise at all: every access check
    compares `enterprise_id`, so withholding it here keeps them out of its cases, listings and sockets.
    """
    speaks_for_enterprise = row["role"] != "merchant" or row["agent_status"] == "approved"
    return Viewer(
        id=user_id,
        email=row["email"],
        display_name=row["display_name"],
        role=row["role"],
        language=row["language"],
        enterprise_id=row["enterprise_id"] if speaks_for_enterprise else None,
        enterprise_name=row["enterprise_name"] if speaks_for_enterprise else None,
        enterprise_verified=speaks_for_enterprise and bool(row["enterprise_verified"]),
        enterprise_kind=row.get("enterprise_kind") if speaks_for_enterprise else None,
        credential=credential,
        credential_id=credential_id,
        agent_status=row["agent_status"],
        timezone=row["timezone"],
    )


async def start_session(user_id: int, clock: Clock, replacing: str | None = None) -> str:
    """A new session id for the user; the session it replaces (if any) ends, so ids rotate at login."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    async with events.atomic():
        if replacing:
            await _end_sessions(UserSession.id_hash == digest(replacing))
        await UserSession.insert(UserSession(id_hash=digest(raw), user=user_id, created_at=now, last_seen_at=now))
    return raw


async def _announce_end(
    user_id: int, *, only: tuple[str, int] | None = None, keeping: tuple[str, int] | None = None
) -> None:
    """After commit, sockets opened with the ended credential(s) close (see `ends_socket_of`).

    `only`: the one credential ("session" | "token", id) that ended; else all of the user's ended but
    `keeping` (or all of them)."""
    data: dict[str, Any] = {"user": user_id}
    if only is not None:
        data["only"] = list(only)
    if keeping is not None:
        data["keeping"] = list(keeping)
    await events.emit(events.DomainEvent(ENDED, data=data))


def ends_socket_of(viewer: Viewer, ended: dict[str, Any]) -> bool:
    """Whether a `credentials.ended` event ends what `viewer` holds: their one credential that ended,
    or any of theirs when all ended but the one kept (a socket carries the role and rights its user
    had when it opened, so even a token that stays valid needs a fresh socket)."""
    held = [viewer.credential, viewer.credential_id]
    if ended["user"] != viewer.id:
        return False
    if "only" in ended:
        return bool(ended["only"] == held)
    return ended.get("keeping") != held


async def _end_sessions(which: Where) -> None:
    """Delete the sessions `which` selects and announce each (inside the caller's `events.atomic()`)."""
    ended = await UserSession.delete().where(which).returning(UserSession.id, UserSession.user)
    for row in ended:
        await _announce_end(row["user"], only=("session", row["id"]))


async def end_session(raw: str) -> None:
    async with events.atomic():
        await _end_sessions(UserSession.id_hash == digest(raw))


async def sign_out_everywhere(
    user_id: int, clock: Clock, *, keeping: Viewer | None = None, revoke_tokens: bool = False
) -> None:
    """End every session of the user but the one `keeping` holds, and with `revoke_tokens` their API
    tokens too (but the one `keeping` holds); every socket of theirs but `keeping`'s closes after commit."""
    sessions = UserSession.delete().where(UserSession.user == user_id)
    tokens = ApiToken.update({ApiToken.revoked_at: clock.now()}).where(
        ApiToken.user == user_id, ApiToken.revoked_at.is_null()
    )
    if keeping is not None and keeping.credential == "session":
        sessions = sessions.where(UserSession.id != keeping.credential_id)
    if keeping is not None and keeping.credential == "token":
        tokens = tokens.where(ApiToken.id != keeping.credential_id)
    async with events.atomic():
        await sessions
        if revoke_tokens:
            await tokens
        await _announce_end(user_id, keeping=(keeping.credential, keeping.credential_id) if keeping else None)


# The columns a Viewer is built from, of the user (`viewer`) and their enterprise, for a raw statement.
VIEWER_SQL_COLUMNS = (
    "viewer.id AS user_id, viewer.email AS email, viewer.display_name AS display_name, viewer.role AS role,"
    " viewer.language AS language, viewer.timezone AS timezone, viewer.active AS active,"
    " viewer.agent_status AS agent_status, enterprise.id AS enterprise_id, enterprise.name AS enterprise_name,"
    " enterprise.verified AS enterprise_verified, enterprise.kind AS enterprise_kind"
)


@functools.cache
def session_statement(counts: str) -> Prepared:
    """Every request's first read: the session (by the digest of its id) and its viewer, plus `counts` (more
    columns over `viewer`, e.g. the unread badge's, accord.auth.UnreadBadge), built once for each."""
    return Prepared(
        "SELECT s.id AS id, s.created_at AS created_at, s.last_seen_at AS last_seen_at, "
        + VIEWER_SQL_COLUMNS
        + (", " + counts if counts else "")
        + ' FROM user_session s JOIN users viewer ON viewer.id = s."user"'
        " LEFT JOIN enterprise ON enterprise.id = viewer.enterprise WHERE s.id_hash = {digest}"
    )


async def viewer_from_session(raw: str, clock: Clock, idle: timedelta, lifetime: timedelta) -> Viewer | None:
    viewer, _counts = await viewer_and_counts_from_session(raw, clock, idle, lifetime, None)
    return viewer


async def viewer_and_counts_from_session(
    raw: str, clock: Clock, idle: timedelta, lifetime: timedelta, badge: tuple[str, str] | None
) -> tuple[Viewer | None, dict[str, int] | None]:
    """The session's viewer (None when it ended or expired) and, `badge` being (counts, link), those counts
    read in the same statement."""
    counts, link = badge or ("", "")
    row = await session_statement(counts).first(digest=digest(raw), link=link)
    if row is None:
        return None, None
    now = clock.now()
    if not row["active"] or _expired(row["created_at"], row["last_seen_at"], now, idle, lifetime):
        await end_session(raw)
        return None, None
    if now - row["last_seen_at"] > TOUCH_INTERVAL:
        async with write_transaction():
            await update_rows(UserSession, {UserSession.last_seen_at: now}, {UserSession.id: row["id"]})
    return _viewer(row, "session"), ({"unread": row["unread"], "here": row["here"]} if badge else None)


async def issue_token(user_id: int, label: str, clock: Clock) -> str:
    raw = "acc_" + secrets.token_urlsafe(32)
    async with write_transaction():
        await ApiToken.insert(
            ApiToken(token_hash=digest(raw), user=user_id, label=label.strip() or "API", created_at=clock.now())
        )
    return raw


# Every API request's first read: the token (by its digest), unless revoked, and its viewer. Built once.
TOKEN_VIEWER = Prepared(
    "SELECT t.id AS id, t.last_used_at AS last_used_at, " + VIEWER_SQL_COLUMNS + ' FROM api_token t JOIN users viewer'
    ' ON viewer.id = t."user" LEFT JOIN enterprise ON enterprise.id = viewer.enterprise'
    " WHERE t.token_hash = {digest} AND t.revoked_at IS NULL"
)


async def viewer_from_token(raw: str, clock: Clock) -> Viewer | None:
    row = await TOKEN_VIEWER.first(digest=digest(raw))
    if row is None or not row["active"]:
        return None
    now = clock.now()
    if row["last_used_at"] is None or now - row["last_used_at"] > TOUCH_INTERVAL:
        async with write_transaction():
            await update_rows(ApiToken, {ApiToken.last_used_at: now}, {ApiToken.id: row["id"]})
    return _viewer(row, "token")


def _expired(created_at: datetime, last_seen_at: datetime, now: datetime, idle: timedelta, lifetime: timedelta) -> bool:
    return now - last_seen_at > idle or now - created_at > lifetime


async def still_holds(
    viewer: Viewer, clock: Clock, idle: timedelta, lifetime: timedelta, active_at: datetime | None = None
) -> bool:
    """Whether the credential a long-lived socket opened with still holds: not ended, revoked or
    expired, and its user still active in the role the socket was opened with.

    `active_at`: when the socket's client last sent a frame, which counts as activity for the session's
    idle limit like a page request. A session found expired is ended (its other sockets close too).
    """
    if viewer.credential == "session":
        return await _session_holds(viewer, clock, idle, lifetime, active_at)
    row = (
        await ApiToken.select(ApiToken.user.active.as_alias("active"), ApiToken.user.role.as_alias("role"))
        .where(ApiToken.id == viewer.credential_id, ApiToken.revoked_at.is_null())
        .first()
    )
    return _same_standing(row, viewer)


async def _session_holds(
    viewer: Viewer, clock: Clock, idle: timedelta, lifetime: timedelta, active_at: datetime | None
) -> bool:
    row = (
        await UserSession.select(
            UserSession.created_at,
            UserSession.last_seen_at,
            UserSession.user.active.as_alias("active"),
            UserSession.user.role.as_alias("role"),
        )
        .where(UserSession.id == viewer.credential_id)
        .first()
    )
    if row is None:
        return False
    now = clock.now()
    last_seen = row["last_seen_at"]
    if active_at is not None and min(active_at, now) - last_seen > TOUCH_INTERVAL:
        last_seen = min(active_at, now)
        async with write_transaction():
            await UserSession.update({UserSession.last_seen_at: last_seen}).where(
                UserSession.id == viewer.credential_id
            )
    if _expired(row["created_at"], last_seen, now, idle, lifetime):
        async with events.atomic():
            await _end_sessions(UserSession.id == viewer.credential_id)
        return False
    return _same_standing(row, viewer)


def _same_standing(row: dict[str, Any] | None, viewer: Viewer) -> bool:
    return row is not None and bool(row["active"]) and row["role"] == viewer.role


async def list_tokens(viewer: Viewer) -> list[dict[str, Any]]:
    return (
        await ApiToken.select(ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.last_used_at)
        .where(ApiToken.user == viewer.id, ApiToken.revoked_at.is_null())
        .order_by(ApiToken.id, ascending=False)
    )


async def revoke_token(viewer: Viewer, token_id: int, clock: Clock) -> None:
    """Revoke one of the viewer's own tokens; anyone else's is 'not found'."""
    async with events.atomic():
        revoked = (
            await ApiToken.update({ApiToken.revoked_at: clock.now()})
            .where(ApiToken.id == token_id, ApiToken.user == viewer.id, ApiToken.revoked_at.is_null())
            .returning(ApiToken.id)
        )
        if revoked:
            await _announce_end(viewer.id, only=("token", token_id))
    if not revoked:
        raise NotFound(_("There is no such token."))
