"""Who may act for an enterprise: agents' proof documents, the registrars' approval queue, joining by
invitation, and the agents an enterprise has.

Nobody speaks for an enterprise until it vouches for them. A merchant agent who registered on their own
waits (`pending`) until a registrar approves them against a proof document (business licence, letter of
authority); an invitation from an approved agent approves them at once. Until then their Viewer carries
no enterprise (accounts.credentials.viewer_from), so they see nothing of its cases.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from accord import events
from accord.auth import Viewer
from accord.clock import Clock
from accord.errors import Conflict, Forbidden, NotFound
from accord.files import FileStore, store_upload
from accord.i18n import gettext as _
from accord.i18n import label
from accord.pagination import ID, Window, page_of
from accord.validation import Strict
from accounts import invitations
from accounts.service import get_user, record_admin_action, require_admin, verify_enterprise
from accounts.tables import AgencyProof, AgentStatus, Role, User

# Enough for a licence, its translation and a letter of authority, re-sent a few times.
MAX_PROOFS_PER_AGENT = 10


def _one_line(text: str) -> str:
    return " ".join(text.split())


Note = Annotated[str, Field(max_length=500), AfterValidator(_one_line)]


class ApprovalIn(Strict):
    note: Note = ""
    verify_enterprise: bool = False  # the proof also shows the enterprise's USCC: verify it in one step


class RejectionIn(Strict):
    note: Annotated[Note, Field(min_length=1)]


class JoinIn(Strict):
    # The link as pasted, or just its token.
    invitation: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(invitations.token_from)]


PROOF_COLUMNS = (
    AgencyProof.id,
    AgencyProof.sha256,
    AgencyProof.media_type,
    AgencyProof.size,
    AgencyProof.uploaded_at,
)


# --- the agent's side ----------------------------------------------------------------------------


def _require_waiting_agent(viewer: Viewer) -> None:
    if viewer.role != Role.merchant:
        raise Forbidden(_("Only merchant agents ask to act for an enterprise."))
    if not viewer.awaits_approval:
        raise Conflict(_("You are already approved to act for your enterprise."))


async def add_proof(viewer: Viewer, content: bytes, clock: Clock, store: FileStore) -> dict[str, Any]:
    """A waiting agent hands the registrars a document; after a rejection it re-opens their request."""
    _require_waiting_agent(viewer)
    if await AgencyProof.count().where(AgencyProof.user == viewer.id) >= MAX_PROOFS_PER_AGENT:
        raise Conflict(_("You have uploaded %(n)d documents already.") % {"n": MAX_PROOFS_PER_AGENT})
    stored = store_upload(store, content)  # content-addressed: a rolled-back upload leaves a harmless file
    now = clock.now()
    async with events.atomic():
        created = await AgencyProof.insert(
            AgencyProof(
                user=viewer.id, sha256=stored.sha256, media_type=stored.media_type, size=stored.size, uploaded_at=now
            )
        ).returning(*PROOF_COLUMNS)
        await User.update(
            {
                User.agent_status: AgentStatus.pending.value,
                User.agent_decided_by: None,
                User.agent_decided_at: None,
                User.agent_note: None,
            }
        ).where(User.id == viewer.id, User.agent_status == AgentStatus.rejected.value)
    return created[0]  # type: ignore[no-any-return]


async def proofs_of(user_id: int) -> list[dict[str, Any]]:
    return await AgencyProof.select(*PROOF_COLUMNS).where(AgencyProof.user == user_id).order_by(AgencyProof.id)


async def join_by_invitation(viewer: Viewer, token: str, clock: Clock) -> None:
    """A waiting agent who already has an account uses a colleague's link: approved for that enterprise."""
    _require_waiting_agent(viewer)
    async with events.atomic():
        agency = await invitations.accept(token, clock)
        await User.update(
            {
                User.enterprise: agency.enterprise_id,
                User.agent_status: agency.status.value,
                User.agent_decided_by: agency.decided_by,
                User.agent_decided_at: clock.now(),
                User.agent_note: None,
            }
        ).where(User.id == viewer.id)
        assert agency.invitation_id is not None
        await invitations.mark_used_by(agency.invitation_id, viewer.id)


async def enterprise_agents(viewer: Viewer) -> list[dict[str, Any]]:
    """Everyone who is or asks to be an agent of the viewer's enterprise (approved agents only)."""
    enterprise_id = invitations.approved_enterprise(viewer)
    return (
        await User.select(
            User.id, User.display_name, User.email, User.active, User.agent_status, User.agent_decided_at
        )
        .where(User.enterprise == enterprise_id, User.role == Role.merchant.value)
        .order_by(User.id)
    )


# --- the registrars' queue -----------------------------------------------------------------------

APPLICATION_COLUMNS = (
    User.id,
    User.email,
    User.display_name,
    User.language,
    User.timezone,
    User.active,
    User.created_at,
    User.agent_status,
    User.agent_decided_at,
    User.agent_note,
    User.agent_decided_by.display_name.as_alias("decided_by_name"),
    User.enterprise.id.as_alias("enterprise_id"),
    User.enterprise.name.as_alias("enterprise_name"),
    User.enterprise.uscc.as_alias("enterprise_uscc"),
    User.enterprise.country.as_alias("enterprise_country"),
    User.enterprise.verified.as_alias("enterprise_verified"),
    User.enterprise.kind.as_alias("enterprise_kind"),
)


async def applications(
    actor: Viewer, status: AgentStatus, window: Window
) -> tuple[list[dict[str, Any]], str | None]:
    """Agents in one status with their documents, oldest first (the queue is worked in order)."""
    require_admin(actor)
    query = User.select(*APPLICATION_COLUMNS).where(
        User.role == Role.merchant.value, User.agent_status == status.value
    )
    if window.after:
        query = query.where(User.id > window.keys(ID)[0])
    rows = await query.order_by(User.id).limit(window.limit + 1)
    shown, cursor = page_of(rows, window.limit, key=lambda row: [row["id"]])
    await _attach_proofs(shown)
    return shown, cursor


async def _attach_proofs(rows: list[dict[str, Any]]) -> None:
    by_user: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    if by_user:
        for proof in await AgencyProof.select(AgencyProof.user, *PROOF_COLUMNS).where(
            AgencyProof.user.is_in(list(by_user))
        ).order_by(AgencyProof.id):
            by_user[proof.pop("user")].append(proof)
    for row in rows:
        row["proofs"] = by_user[row["id"]]


async def application(actor: Viewer, user_id: int) -> dict[str, Any]:
    """One agent's request, their documents, and the enterprise's other agents (registrars)."""
    require_admin(actor)
    row = await User.select(*APPLICATION_COLUMNS).where(User.id == user_id, User.role == Role.merchant.value).first()
    if row is None:
        raise NotFound(_("There is no such agent."))
    await _attach_proofs([row])
    row["colleagues"] = (
        await User.select(User.id, User.display_name, User.email, User.agent_status)
        .where(User.enterprise == row["enterprise_id"], User.role == Role.merchant.value, User.id != user_id)
        .order_by(User.id)
    )
    return row


async def proof_file(actor: Viewer, user_id: int, proof_id: int, store: FileStore) -> tuple[dict[str, Any], bytes]:
    """A proof document, for registrars only: it may show personal data of the enterprise's people."""
    require_admin(actor)
    row = (
        await AgencyProof.select(*PROOF_COLUMNS)
        .where(AgencyProof.id == proof_id, AgencyProof.user == user_id)
        .first()
    )
    if row is None:
        raise NotFound(_("There is no such document."))
    try:
        return row, store.open(row["sha256"])
    except FileNotFoundError:
        raise NotFound(_("There is no such document.")) from None


async def approve(actor: Viewer, user_id: int, data: ApprovalIn, clock: Clock) -> None:
    """A registrar lets a waiting agent act for their enterprise, having checked their document."""
    require_admin(actor)
    async with events.atomic():
        agent = await _decide(actor, user_id, AgentStatus.approved, data.note, clock)
        if data.verify_enterprise and not agent["enterprise_verified"]:
            await verify_enterprise(actor, agent["enterprise_id"], True, clock)


async def reject(actor: Viewer, user_id: int, data: RejectionIn, clock: Clock) -> None:
    """A registrar refuses a waiting agent, telling them why (they may send another document)."""
    require_admin(actor)
    async with events.atomic():
        await _decide(actor, user_id, AgentStatus.rejected, data.note, clock)


async def _decide(actor: Viewer, user_id: int, status: AgentStatus, note: str, clock: Clock) -> dict[str, Any]:
    agent = await application(actor, user_id)
    if agent["agent_status"] != AgentStatus.pending:
        raise Conflict(
            _("This agent is not waiting for a decision (now: %(status)s).")
            % {"status": label("agent_status", agent["agent_status"])}
        )
    if status is AgentStatus.approved and not agent["proofs"]:
        raise Conflict(_("This agent has not uploaded a proof document yet: approve them once they have."))
    now = clock.now()
    decided = (
        await User.update(
            {
                User.agent_status: status.value,
                User.agent_decided_by: actor.id,
                User.agent_decided_at: now,
                User.agent_note: note or None,
            }
        )
        .where(User.id == user_id, User.agent_status == AgentStatus.pending.value)
        .returning(User.id)
    )
    if not decided:  # another registrar decided meanwhile
        raise Conflict(_("Another registrar has just decided on this agent. Reload to see the decision."))
    await record_admin_action(
        actor,
        "approve_agent" if status is AgentStatus.approved else "reject_agent",
        f"user:{user_id}",
        {"agent_status": AgentStatus.pending.value},
        {"agent_status": status.value, "enterprise": agent["enterprise_id"], "note": note},
        clock,
    )
    # The notifications package (if installed) tells the agent; accounts does not know it.
    decision = {"user": user_id, "status": status.value, "at": now.isoformat()}
    await events.emit(events.DomainEvent("accounts.agent_decided", None, decision))
    return agent


async def agency_of(viewer: Viewer) -> dict[str, Any]:
    """The viewer's own request as their waiting page shows it."""
    user = await get_user(viewer.id)
    return {**user, "proofs": await proofs_of(viewer.id)}
