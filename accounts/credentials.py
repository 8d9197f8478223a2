"""Signing in: password checks with rate limiting, browser sessions and API tokens.

Session ids and tokens are random secrets handed to the client once; only their SHA-256 is stored,
so a leaked database does not leak live credentials.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
from datetime import timedelta
from typing import Any

from accord.auth import Viewer
from accord.clock import Clock
from accord.db import write_transaction
from accord.errors import NotAuthenticated, NotFound, RateLimited
from accord.i18n import gettext as _
from accounts.passwords import hash_password, needs_rehash, verify_password
from accounts.tables import ApiToken, LoginFailure, User, UserSession

RATE_WINDOW = timedelta(minutes=1)
# Failures from one account across all addresses may reach this multiple of the per-address limit.
ACCOUNT_LIMIT_FACTOR = 5
# Last-seen / last-used stamps are refreshed at most this often, so reads do not become writes.
TOUCH_INTERVAL = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _failure_keys(ip: str, email: str, per_minute: int) -> list[tuple[str, int]]:
    return [
        (digest(f"ip+account|{ip}|{email}"), per_minute),
        (digest(f"account|{email}"), per_minute * ACCOUNT_LIMIT_FACTOR),
    ]


async def _check_not_throttled(keys: list[tuple[str, int]], clock: Clock) -> None:
    now = clock.now()
    for key_hash, limit in keys:
        stamps = (
            await LoginFailure.select(LoginFailure.at)
            .where(LoginFailure.key_hash == key_hash, LoginFailure.at > now - RATE_WINDOW)
            .order_by(LoginFailure.at)
            .limit(limit)
        )
        if len(stamps) >= limit:
            wait = RATE_WINDOW - (now - stamps[0]["at"])
            raise RateLimited(
                _("Too many failed sign-in attempts. Wait a minute and try again."),
                retry_after=max(1, math.ceil(wait.total_seconds())),
            )


async def _record_failure(keys: list[tuple[str, int]], clock: Clock) -> None:
    now = clock.now()
    async with write_transaction():
        await LoginFailure.delete().where(LoginFailure.at < now - RATE_WINDOW * 60)
        await LoginFailure.insert(*(LoginFailure(key_hash=key_hash, at=now) for key_hash, _limit in keys))


async def authenticate(email: str, password: str, ip: str, clock: Clock, per_minute: int) -> dict[str, Any]:
    """The active user with these credentials; the same error whether the email or password is wrong."""
    email = email.strip().lower()
    keys = _failure_keys(ip, email, per_minute)
    await _check_not_throttled(keys, clock)
    user = await User.select().where(User.email == email).first()
    stored_hash = user["password_hash"] if user else None
    valid = await asyncio.to_thread(verify_password, stored_hash, password)
    if not valid or user is None or not user["active"]:
        await _record_failure(keys, clock)
        raise NotAuthenticated(_("The email or password is not correct."))
    if needs_rehash(user["password_hash"]):
        new_hash = await asyncio.to_thread(hash_password, password)
        async with write_transaction():
            await User.update({User.password_hash: new_hash}).where(User.id == user["id"])
    return user


def _viewer_columns(user: Any) -> list[Any]:
    """The columns a Viewer is built from, reached through the `user` foreign key of a table."""
    return [
        user.id.as_alias("user_id"),
        user.email.as_alias("email"),
        user.display_name.as_alias("display_name"),
        user.role.as_alias("role"),
        user.language.as_alias("language"),
        user.active.as_alias("active"),
        user.enterprise.id.as_alias("enterprise_id"),
        user.enterprise.name.as_alias("enterprise_name"),
        user.enterprise.verified.as_alias("enterprise_verified"),
        user.agent_status.as_alias("agent_status"),
    ]


# Built once: reaching columns through foreign keys costs Piccolo more than running the query (every request).
SESSION_VIEWER_COLUMNS = _viewer_columns(UserSession.user)
TOKEN_VIEWER_COLUMNS = _viewer_columns(ApiToken.user)


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
        credential=credential,
        credential_id=credential_id,
        agent_status=row["agent_status"],
    )


async def start_session(user_id: int, clock: Clock, replacing: str | None = None) -> str:
    """A new session id for the user; the session it replaces (if any) ends, so ids rotate at login."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    async with write_transaction():
        if replacing:
            await UserSession.delete().where(UserSession.id_hash == digest(replacing))
        await UserSession.insert(UserSession(id_hash=digest(raw), user=user_id, created_at=now, last_seen_at=now))
    return raw


async def end_session(raw: str) -> None:
    async with write_transaction():
        await UserSession.delete().where(UserSession.id_hash == digest(raw))


async def end_all_sessions(user_id: int, keep_session_id: int | None = None) -> None:
    query = UserSession.delete().where(UserSession.user == user_id)
    if keep_session_id is not None:
        query = query.where(UserSession.id != keep_session_id)
    async with write_transaction():
        await query


async def viewer_from_session(raw: str, clock: Clock, idle: timedelta, lifetime: timedelta) -> Viewer | None:
    row = (
        await UserSession.select(
            UserSession.id, UserSession.created_at, UserSession.last_seen_at, *SESSION_VIEWER_COLUMNS
        )
        .where(UserSession.id_hash == digest(raw))
        .first()
    )
    if row is None:
        return None
    now = clock.now()
    if not row["active"] or now - row["last_seen_at"] > idle or now - row["created_at"] > lifetime:
        await end_session(raw)
        return None
    if now - row["last_seen_at"] > TOUCH_INTERVAL:
        async with write_transaction():
            await UserSession.update({UserSession.last_seen_at: now}).where(UserSession.id == row["id"])
    return _viewer(row, "session")


async def issue_token(user_id: int, label: str, clock: Clock) -> str:
    raw = "acc_" + secrets.token_urlsafe(32)
    async with write_transaction():
        await ApiToken.insert(
            ApiToken(token_hash=digest(raw), user=user_id, label=label.strip() or "API", created_at=clock.now())
        )
    return raw


async def viewer_from_token(raw: str, clock: Clock) -> Viewer | None:
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.last_used_at, *TOKEN_VIEWER_COLUMNS)
        .where(ApiToken.token_hash == digest(raw), ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None or not row["active"]:
        return None
    now = clock.now()
    if row["last_used_at"] is None or now - row["last_used_at"] > TOUCH_INTERVAL:
        async with write_transaction():
            await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return _viewer(row, "token")


async def list_tokens(viewer: Viewer) -> list[dict[str, Any]]:
    return (
        await ApiToken.select(ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.last_used_at)
        .where(ApiToken.user == viewer.id, ApiToken.revoked_at.is_null())
        .order_by(ApiToken.id, ascending=False)
    )


async def revoke_token(viewer: Viewer, token_id: int, clock: Clock) -> None:
    """Revoke one of the viewer's own tokens; anyone else's is 'not found'."""
    async with write_transaction():
        revoked = (
            await ApiToken.update({ApiToken.revoked_at: clock.now()})
            .where(ApiToken.id == token_id, ApiToken.user == viewer.id, ApiToken.revoked_at.is_null())
            .returning(ApiToken.id)
        )
    if not revoked:
        raise NotFound(_("There is no such token."))
