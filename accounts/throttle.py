"""Growing delays for wrong passwords: guessing gets slow, and nobody can lock the owner out.

Each failed password check is stored under hashed keys. The first `free` failures under a key cost
nothing; after that every attempt waits for a delay that doubles with each further failure (1 minute,
then 2, 4, ... up to an hour after the latest one), and failures are forgotten after a day or when
that client signs in. There is no hard block: the right password works as soon as the wait is over.

Keys: the client's address with the account (one guesser), and the account from every address (a
guesser with many addresses). The account-wide key must not stop the owner, so a browser that signed
in to the account before holds a signed device cookie (OWASP "device cookies"); its attempts count
only against that device, and guesses from anywhere else never slow it down.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from accord.clock import Clock
from accord.db import write_transaction
from accord.errors import RateLimited
from accord.i18n import ngettext
from accounts.tables import LoginFailure

FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=1)
DOUBLINGS = math.ceil(math.log2(LONGEST_DELAY / FIRST_DELAY))  # failures past `free` until the longest delay
MEMORY = timedelta(days=1)  # failures older than this no longer count
# Browsers without a device cookie share a budget of this many times the per-address allowance.
ACCOUNT_FACTOR = 5
DEVICE_COOKIE = "accord_device"
DEVICE_COOKIE_DAYS = 365


@dataclass(frozen=True)
class Attempt:
    """Where a password check comes from: the client's address and, when the client holds a valid
    device cookie for this account, that device's id."""

    address: str
    device: str | None = None


@dataclass(frozen=True)
class Throttle:
    key_hash: str
    free: int  # failures allowed before delays begin


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def throttle_of(free: int, *key: str) -> Throttle:
    """A throttle counting under `key` (its parts, e.g. what is counted and for whom), stored hashed."""
    return Throttle(_hash("|".join(key)), free)


def throttles_for(email: str, attempt: Attempt, per_address: int) -> tuple[Throttle, ...]:
    """The keys an attempt is counted under; the first is the client's own, which a success clears."""
    if attempt.device:
        return (throttle_of(per_address, "device", attempt.device, email),)
    return (
        throttle_of(per_address, "ip+account", attempt.address, email),
        throttle_of(per_address * ACCOUNT_FACTOR, "account", email),
    )


def delay_after(failures: int, free: int) -> timedelta:
    """How long after the latest of `failures` the next attempt must wait."""
    beyond = failures - free
    return timedelta(0) if beyond < 0 else min(FIRST_DELAY * 2**beyond, LONGEST_DELAY)


async def _recent_failures(throttle: Throttle, now: datetime) -> list[datetime]:
    """Newest first; only as many as can still lengthen the delay."""
    rows = (
        await LoginFailure.select(LoginFailure.at)
        .where(LoginFailure.key_hash == throttle.key_hash, LoginFailure.at > now - MEMORY)
        .order_by(LoginFailure.at, ascending=False)
        .limit(throttle.free + DOUBLINGS + 1)
    )
    return [row["at"] for row in rows]


def too_many_wrong_passwords(minutes: int) -> str:
    return ngettext(
        "Too many wrong passwords. Try again in %(num)d minute.",
        "Too many wrong passwords. Try again in %(num)d minutes.",
        minutes,
    ) % {"num": minutes}


async def check(
    throttles: tuple[Throttle, ...], clock: Clock, refusal: Callable[[int], str] = too_many_wrong_passwords
) -> int:
    """Raise RateLimited (with the seconds to wait, and `refusal` of the minutes as its words) while a key
    still waits; else the number of failures under the client's own key."""
    now = clock.now()
    own = 0
    for index, throttle in enumerate(throttles):
        failures = await _recent_failures(throttle, now)
        own = len(failures) if index == 0 else own
        if failures and (wait := failures[0] + delay_after(len(failures), throttle.free) - now) > timedelta(0):
            minutes = math.ceil(wait / timedelta(minutes=1))
            raise RateLimited(refusal(minutes), retry_after=math.ceil(wait.total_seconds()))
    return own


async def record_failure(throttles: tuple[Throttle, ...], clock: Clock) -> None:
    now = clock.now()
    async with write_transaction():
        await LoginFailure.delete().where(LoginFailure.at < now - MEMORY)
        await LoginFailure.insert(*(LoginFailure(key_hash=throttle.key_hash, at=now) for throttle in throttles))


async def forget_failures(throttle: Throttle) -> None:
    """The client proved it knows the password: its own earlier slips no longer count. (The account-wide
    count stays: a stranger's guesses from elsewhere keep slowing strangers down.)"""
    async with write_transaction():
        await LoginFailure.delete().where(LoginFailure.key_hash == throttle.key_hash)


def _device_signature(email: str, device: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"device|{email}|{device}".encode(), hashlib.sha256).hexdigest()


def new_device_cookie(email: str, secret: str) -> str:
    """The value of the device cookie a browser gets when it signs in to `email`'s account."""
    device = secrets.token_urlsafe(16)
    return f"{device}.{_device_signature(email, device, secret)}"


def known_device(cookie: str | None, email: str, secret: str) -> str | None:
    """The device id when `cookie` was given to a browser that signed in to `email`'s account; None
    otherwise (also for unknown emails, so the cookie tells nothing about which accounts exist)."""
    device, _dot, signature = (cookie or "").partition(".")
    if device and hmac.compare_digest(signature, _device_signature(email.strip().lower(), device, secret)):
        return device
    return None
