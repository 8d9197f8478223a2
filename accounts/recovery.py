"""A forgotten password: a one-use link by e-mail, valid for an hour.

Asking gets the same answer whether an account has the address or not; only an active account's owner
gets a mail. Accounts does not know how mail is sent: it emits `accounts.password_reset` inside the
transaction that stores the link, and the notifications package queues the mail in its outbox, in the
owner's language and time zone, or nothing is stored at all. Asking is slowed by the sign-in throttle,
per account (nobody fills someone's mailbox) and per client address (nobody probes address after
address). The link's token is random and only its SHA-256 is stored; setting a new password with it is
a password change (accounts.service.store_password): every session ends and every API token is revoked.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

from accord import events
from accord.clock import Clock
from accord.errors import InvalidInput, NotFound
from accord.i18n import gettext as _
from accord.i18n import ngettext
from accounts import throttle
from accounts.credentials import digest
from accounts.passwords import hash_password, password_problem
from accounts.service import store_password
from accounts.tables import PasswordReset, User

RESET_REQUESTED = "accounts.password_reset"  # data: user, token (for the link, never stored), expires_at
LINK_LIFETIME = timedelta(hours=1)
REQUESTS_PER_ACCOUNT = 3  # then each further request for the address waits: 1 minute, doubling up to an hour
REQUESTS_PER_CLIENT = 10  # from one client address, whichever addresses it asks for


def link_path(token: str) -> str:
    return f"/password/reset/{token}"


def _too_many_requests(minutes: int) -> str:
    return ngettext(
        "Too many requests for a new password. Try again in %(num)d minute.",
        "Too many requests for a new password. Try again in %(num)d minutes.",
        minutes,
    ) % {"num": minutes}


async def request_link(email: str, client: str, clock: Clock) -> None:
    """Mail a reset link to the account with this (normalised) address, if there is an active one.

    Every request counts against the throttle, answered or not, so its limits tell nothing either."""
    throttles = (
        throttle.throttle_of(REQUESTS_PER_ACCOUNT, "reset", email),
        throttle.throttle_of(REQUESTS_PER_CLIENT, "reset-from", client),
    )
    await throttle.check(throttles, clock, _too_many_requests)
    await throttle.record_failure(throttles, clock)
    user = await User.select(User.id).where(User.email == email, User.active.eq(True)).first()
    if user is None:
        return
    token, now = secrets.token_urlsafe(32), clock.now()
    async with events.atomic():
        # The newest link is the only one that works: an older mail lying around opens nothing.
        await PasswordReset.delete().where(PasswordReset.user == user["id"])
        await PasswordReset.insert(
            PasswordReset(user=user["id"], token_hash=digest(token), created_at=now, expires_at=now + LINK_LIFETIME)
        )
        data = {"user": user["id"], "token": token, "expires_at": (now + LINK_LIFETIME).isoformat()}
        await events.emit(events.DomainEvent(RESET_REQUESTED, None, {**data, "at": now.isoformat()}))


def _usable(token: str, clock: Clock) -> Any:
    """The link of `token` while it can be used: not used and not expired."""
    return (
        (PasswordReset.token_hash == digest(token))
        & PasswordReset.used_at.is_null()
        & (PasswordReset.expires_at > clock.now())
    )


def _unusable() -> NotFound:
    return NotFound(
        _(
            "This link to set a new password cannot be used: it was used already, a newer one was sent, "
            "or its hour has passed. Ask for a new link."
        )
    )


async def link_owner(token: str, clock: Clock) -> dict[str, Any]:
    """Whose password the link sets (their e-mail address, for the page), while it can be used by an
    active account (a deactivated one's link opens nothing)."""
    row = (
        await PasswordReset.select(PasswordReset.user.email.as_alias("email"), PasswordReset.expires_at)
        .where(_usable(token, clock), PasswordReset.user.active.eq(True))
        .first()
    )
    if row is None:
        raise _unusable()
    return row


async def reset_password(token: str, new_password: str, clock: Clock) -> None:
    """Set a new password with a reset link, which is spent in the same transaction (once, whoever is first)."""
    owner = await link_owner(token, clock)
    if problem := password_problem(new_password, owner["email"]):
        raise InvalidInput.one("new_password", problem)
    new_hash = await asyncio.to_thread(hash_password, new_password)
    async with events.atomic():
        spent = (
            await PasswordReset.update({PasswordReset.used_at: clock.now()})
            .where(_usable(token, clock))
            .returning(PasswordReset.user)
        )
        if not spent:  # used by another request meanwhile
            raise _unusable()
        await store_password(spent[0]["user"], new_hash, clock)
