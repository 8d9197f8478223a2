"""Invitations: an approved agent vouches for a colleague with a link that works once and expires.

The link carries a random token; only its SHA-256 is stored (like session ids), so the database never
holds a usable link. Using it makes the invitee an approved agent of the inviting enterprise, and of
no other: the enterprise comes from the invitation, never from what the invitee sends.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from accord.auth import Viewer
from accord.clock import Clock
from accord.db import write_transaction
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.i18n import gettext as _
from accounts.credentials import digest
from accounts.tables import AgentInvitation, AgentStatus, Role, User

INVITATION_LIFETIME = timedelta(days=7)
# Open links an enterprise may have at once: enough for a team, few enough that a stolen session
# cannot mint links by the thousand.
MAX_OPEN_INVITATIONS = 20
TOKEN_PREFIX = "inv_"


@dataclass(frozen=True)
class Agency:
    """The enterprise a merchant agent acts for, where their approval stands, and who vouched for them."""

    enterprise_id: int
    status: AgentStatus
    decided_by: int | None = None
    invitation_id: int | None = None


def token_from(pasted: str) -> str:
    """The token of an invitation link as someone pasted it (the whole link, or the token alone)."""
    pasted = pasted.strip()
    if "invitation=" in pasted:
        pasted = pasted.split("invitation=", 1)[1].split("&", 1)[0].split("#", 1)[0]
    return pasted


def approved_enterprise(viewer: Viewer) -> int:
    """The enterprise of an approved agent; anyone else may not speak for an enterprise (403)."""
    if viewer.role != Role.merchant or viewer.enterprise_id is None:
        raise Forbidden(_("Only approved agents of an enterprise may do this."))
    return viewer.enterprise_id


def _unusable() -> InvalidInput:
    return InvalidInput.one(
        "invitation",
        _(
            "This invitation link cannot be used: it was used already, withdrawn, or it has expired. "
            "Ask for a new one."
        ),
    )


def _open_at(clock: Clock) -> Any:
    """Invitations that can still be used at the clock's time."""
    return (
        AgentInvitation.used_at.is_null()
        & AgentInvitation.revoked_at.is_null()
        & (AgentInvitation.expires_at > clock.now())
    )


INVITATION_COLUMNS = (
    AgentInvitation.id,
    AgentInvitation.note,
    AgentInvitation.created_at,
    AgentInvitation.expires_at,
    AgentInvitation.invited_by.display_name.as_alias("invited_by_name"),
)


async def issue(viewer: Viewer, note: str, clock: Clock) -> tuple[str, dict[str, Any]]:
    """A new invitation link's token (shown once) and the stored invitation."""
    enterprise_id = approved_enterprise(viewer)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    async with write_transaction():
        waiting = await AgentInvitation.count().where(AgentInvitation.enterprise == enterprise_id, _open_at(clock))
        if waiting >= MAX_OPEN_INVITATIONS:
            raise Conflict(
                _("Your enterprise has %(n)d open invitations. Withdraw some before inviting more.")
                % {"n": MAX_OPEN_INVITATIONS}
            )
        created = await AgentInvitation.insert(
            AgentInvitation(
                enterprise=enterprise_id,
                invited_by=viewer.id,
                token_hash=digest(token),
                note=" ".join(note.split())[:100],
                created_at=now,
                expires_at=now + INVITATION_LIFETIME,
            )
        ).returning(AgentInvitation.id)
    invitation = (
        await AgentInvitation.select(*INVITATION_COLUMNS).where(AgentInvitation.id == created[0]["id"]).first()
    )
    assert invitation is not None
    return token, invitation


async def open_invitations(viewer: Viewer, clock: Clock) -> list[dict[str, Any]]:
    """The links of the viewer's enterprise that can still be used, newest first."""
    enterprise_id = approved_enterprise(viewer)
    return (
        await AgentInvitation.select(*INVITATION_COLUMNS)
        .where(AgentInvitation.enterprise == enterprise_id, _open_at(clock))
        .order_by(AgentInvitation.id, ascending=False)
    )


async def withdraw(viewer: Viewer, invitation_id: int, clock: Clock) -> None:
    """Withdraw an unused invitation of the viewer's enterprise; another enterprise's is 'not found'."""
    enterprise_id = approved_enterprise(viewer)
    async with write_transaction():
        withdrawn = (
            await AgentInvitation.update({AgentInvitation.revoked_at: clock.now()})
            .where(AgentInvitation.id == invitation_id, AgentInvitation.enterprise == enterprise_id, _open_at(clock))
            .returning(AgentInvitation.id)
        )
    if not withdrawn:
        raise NotFound(_("There is no such invitation."))


async def preview(token: str, clock: Clock) -> dict[str, Any] | None:
    """What the holder of a usable link is invited to (enterprise and inviter names), else None."""
    return (
        await AgentInvitation.select(
            AgentInvitation.expires_at,
            AgentInvitation.enterprise.name.as_alias("enterprise_name"),
            AgentInvitation.invited_by.display_name.as_alias("invited_by_name"),
        )
        .where(AgentInvitation.token_hash == digest(token), _open_at(clock))
        .first()
    )


async def accept(token: str, clock: Clock) -> Agency:
    """Claim an invitation inside the caller's write transaction (which must also store its use).

    The claim is a conditional update, so of two people using one link at once only one gets a row
    back; if the registration fails afterwards the transaction rolls back and the link stays usable.
    """
    claimed = (
        await AgentInvitation.update({AgentInvitation.used_at: clock.now()})
        .where(AgentInvitation.token_hash == digest(token), _open_at(clock))
        .returning(AgentInvitation.id, AgentInvitation.enterprise, AgentInvitation.invited_by)
    )
    if not claimed:
        raise _unusable()
    invitation = claimed[0]
    # The inviter must still speak for the enterprise: a deactivated or removed agent's links die with them.
    if not await User.exists().where(
        User.id == invitation["invited_by"],
        User.enterprise == invitation["enterprise"],
        User.role == Role.merchant.value,
        User.agent_status == AgentStatus.approved.value,
        User.active.eq(True),
    ):
        raise _unusable()
    return Agency(
        invitation["enterprise"],
        AgentStatus.approved,
        decided_by=invitation["invited_by"],
        invitation_id=invitation["id"],
    )


async def mark_used_by(invitation_id: int, user_id: int) -> None:
    """Record who used a claimed invitation (same transaction as `accept`)."""
    await AgentInvitation.update({AgentInvitation.used_by: user_id}).where(AgentInvitation.id == invitation_id)
