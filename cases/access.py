"""Who may see and do what on a case (DESIGN §4). Every read and write path asks here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.auth import Viewer
from cases.tables import Channel

CONSUMER, MERCHANT, PLATFORM, MEDIATOR, FORMER_MEDIATOR, ANY_MEDIATOR, ADMIN, SYSTEM = (
    "consumer",
    "merchant",
    "platform",
    "mediator",
    "former_mediator",
    "any_mediator",
    "admin",
    "system",
)


def relations(case: dict[str, Any], viewer: Viewer | None) -> frozenset[str]:
    """The viewer's relations to the case: consumer, merchant, platform (an agent of the platform enterprise
    the case names), mediator (assigned), former_mediator (held it before), any_mediator, admin.

    `None` is the system (timeouts).
    """
    if viewer is None:
        return frozenset({SYSTEM})
    found = set()
    if viewer.id == case["consumer"]:
        found.add(CONSUMER)
    if viewer.role == "merchant" and viewer.enterprise_id == case["enterprise"]:
        found.add(MERCHANT)
    if viewer.role == "merchant" and viewer.enterprise_id is not None:
        if viewer.enterprise_id == case.get("platform_enterprise"):
            found.add(PLATFORM)
    if viewer.role == "mediator":
        found.add(ANY_MEDIATOR)
        if viewer.id == case["mediator"]:
            found.add(MEDIATOR)
        elif viewer.id in (case.get("former_mediators") or ()):
            found.add(FORMER_MEDIATOR)
    if viewer.role == "admin":
        found.add(ADMIN)
    return frozenset(found)


def can_see(related: frozenset[str]) -> bool:
    return bool(related & {CONSUMER, MERCHANT, PLATFORM, ANY_MEDIATOR, ADMIN, SYSTEM})


# Need to know: any mediator may read what the queue needs (the joint thread, transitions), but a party's
# private words and the notes only reach those who hold or held the case, and registrars (SECURITY.md).
# A platform answers for its merchants' cases in the open (the parties' events, the joint thread), never in
# a caucus or the notes.
_CASE_HOLDERS = {MEDIATOR, FORMER_MEDIATOR, ADMIN}
_READERS = {
    Channel.parties: {CONSUMER, MERCHANT, PLATFORM, ANY_MEDIATOR, ADMIN, SYSTEM},
    Channel.joint: {CONSUMER, MERCHANT, PLATFORM, ANY_MEDIATOR, ADMIN, SYSTEM},
    Channel.caucus_consumer: {CONSUMER, SYSTEM, *_CASE_HOLDERS},
    Channel.caucus_merchant: {MERCHANT, SYSTEM, *_CASE_HOLDERS},
    Channel.internal: _CASE_HOLDERS,
}
_WRITERS = {
    Channel.joint: {CONSUMER, MERCHANT, PLATFORM, MEDIATOR},
    Channel.caucus_consumer: {CONSUMER, MEDIATOR},
    Channel.caucus_merchant: {MERCHANT, MEDIATOR},
    Channel.internal: {MEDIATOR},
}


def readable_channels(related: frozenset[str]) -> list[str]:
    return [channel.value for channel, readers in _READERS.items() if related & readers]


def writable_channels(related: frozenset[str], case: dict[str, Any]) -> list[str]:
    """Caucus channels open once a mediator holds the case; before that the parties talk jointly."""
    channels = [channel.value for channel, writers in _WRITERS.items() if related & writers]
    if case["mediator"] is None:
        channels = [c for c in channels if c not in (Channel.caucus_consumer, Channel.caucus_merchant)]
    return channels


def conflicted(case: dict[str, Any], mediator_id: int, mediator_enterprise_id: int | None) -> bool:
    """A mediator who is a party to the case, or an agent of its enterprise or of its platform, may never
    mediate it."""
    return mediator_id == case["consumer"] or (
        mediator_enterprise_id is not None
        and mediator_enterprise_id in (case["enterprise"], case.get("platform_enterprise"))
    )


def speaker_role(relation: str) -> str:
    """The part an actor is shown with (API `author.role`, socket frames): any mediator acting is a mediator."""
    return MEDIATOR if relation == ANY_MEDIATOR else relation


# --- where each action's words are kept (issue 12 §1; each action's `kept_in`, `words_to` in its spec) ---
# Most of what people type into action forms is said to the whole case: the transition's record event
# in the parties' channel carries it (both parties, any mediator, registrars). These are not:
# - a mediator's question to one party, and that party's answer, belong to that party's caucus: the asked
#   party, the mediators who hold or held the case and registrars read them. The transition itself (who
#   was asked, by when; that they answered) stays in the parties' channel, so the other party knows why
#   mediation waits, and the words go into a "words" event of their own in the caucus.
# - a rating rates the service: the consumer who gave it, the case's mediators and registrars read it, not
#   the merchant (who could press for a better one) nor mediators who never held the case. The whole
#   event is the consumer's caucus, as it also writes the rating onto the case row.
# - a proposed registry listing stays among the mediators' notes: the registry's own notice tells the
#   enterprise, and a proposal withdrawn before notice must never reach it.


@dataclass(frozen=True)
class Placement:
    """Channels of an action's record event and of its typed words (a separate event when they differ)."""

    event: str = Channel.parties.value
    words: str = Channel.parties.value


def placement(kept_in: str, said_to: str | None) -> Placement:
    """Where an action's event and words go: the channel its spec keeps it in (`kept_in`), its words in
    the caucus of the party they are said to (the party asked, the party answering), if any."""
    if said_to in (CONSUMER, MERCHANT):
        return Placement(kept_in, f"caucus:{said_to}")
    return Placement(kept_in, kept_in)
