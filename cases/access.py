"""Who may see and do what on a case (DESIGN §4). Every read and write path asks here."""

from __future__ import annotations

from typing import Any

from accord.auth import Viewer
from cases.tables import Channel

CONSUMER, MERCHANT, MEDIATOR, ANY_MEDIATOR, ADMIN, SYSTEM = (
    "consumer",
    "merchant",
    "mediator",
    "any_mediator",
    "admin",
    "system",
)


def relations(case: dict[str, Any], viewer: Viewer | None) -> frozenset[str]:
    """The viewer's relations to the case: consumer, merchant, mediator (assigned), any_mediator, admin.

    `None` is the system (timeouts).
    """
    if viewer is None:
        return frozenset({SYSTEM})
    found = set()
    if viewer.id == case["consumer"]:
        found.add(CONSUMER)
    if viewer.role == "merchant" and viewer.enterprise_id == case["enterprise"]:
        found.add(MERCHANT)
    if viewer.role == "mediator":
        found.add(ANY_MEDIATOR)
        if viewer.id == case["mediator"]:
            found.add(MEDIATOR)
    if viewer.role == "admin":
        found.add(ADMIN)
    return frozenset(found)


def can_see(related: frozenset[str]) -> bool:
    return bool(related & {CONSUMER, MERCHANT, ANY_MEDIATOR, ADMIN, SYSTEM})


_READERS = {
    Channel.parties: {CONSUMER, MERCHANT, ANY_MEDIATOR, ADMIN, SYSTEM},
    Channel.joint: {CONSUMER, MERCHANT, ANY_MEDIATOR, ADMIN, SYSTEM},
    Channel.caucus_consumer: {CONSUMER, ANY_MEDIATOR, ADMIN, SYSTEM},
    Channel.caucus_merchant: {MERCHANT, ANY_MEDIATOR, ADMIN, SYSTEM},
    Channel.internal: {ANY_MEDIATOR},  # mediators' notes: nobody else, registrars included
}
_WRITERS = {
    Channel.joint: {CONSUMER, MERCHANT, MEDIATOR},
    Channel.caucus_consumer: {CONSUMER, MEDIATOR},
    Channel.caucus_merchant: {MERCHANT, MEDIATOR},
    Channel.internal: {ANY_MEDIATOR},
}


def readable_channels(related: frozenset[str]) -> list[str]:
    return [channel.value for channel, readers in _READERS.items() if related & readers]


def writable_channels(related: frozenset[str], case: dict[str, Any]) -> list[str]:
    """Caucus channels open once a mediator holds the case; before that the parties talk jointly."""
    channels = [channel.value for channel, writers in _WRITERS.items() if related & writers]
    if case["mediator"] is None:
        channels = [c for c in channels if c not in (Channel.caucus_consumer, Channel.caucus_merchant)]
    return channels
