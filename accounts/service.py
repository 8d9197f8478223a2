"""Accounts domain logic: registration, profiles, enterprises and what administrators change.

Every function takes the acting viewer (where there is one) and a clock, checks authorization itself,
and raises domain errors; nothing here knows about HTTP.
"""

from __future__ import annotations

import asyncio
import secrets
import unicodedata
from typing import Any

from accord import events
from accord.auth import Viewer
from accord.clock import Clock
from accord.db import contains_text, is_unique_violation, write_transaction
from accord.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from accord.i18n import gettext as _
from accord.pagination import ID, TEXT, Window, page_of
from accord.settings import DEFAULT_TIMEZONE
from accounts import invitations
from accounts.credentials import Attempt, authenticate, sign_out_everywhere, viewer_from
from accounts.invitations import Agency
from accounts.passwords import hash_password
from accounts.schemas import EnterpriseIn, PasswordChangeIn, ProfileIn, RegistrationIn
from accounts.tables import (
    PRIVACY_NOTICE_VERSION,
    AdminAction,
    AgentStatus,
    Enterprise,
    EnterpriseKind,
    MediatorProfile,
    PasswordReset,
    Role,
    User,
)

USER_COLUMNS = (
    User.id,
    User.email,
    User.display_name,
    User.role,
    User.language,
    User.timezone,
    User.active,
    User.created_at,
    User.enterprise.id.as_alias("enterprise_id"),
    User.enterprise.name.as_alias("enterprise_name"),
    User.enterprise.uscc.as_alias("enterprise_uscc"),
    User.enterprise.verified.as_alias("enterprise_verified"),
    User.enterprise.kind.as_alias("enterprise_kind"),
    User.agent_status,
    User.agent_decided_at,
    User.agent_note,
    User.consent_version,
    User.consent_at,
    User.closed_at,
)
ENTERPRISE_COLUMNS = (
    Enterprise.id,
    Enterprise.name,
    Enterprise.name_zh,
    Enterprise.uscc,
    Enterprise.country,
    Enterprise.verified,
    Enterprise.verified_at,
    Enterprise.shop_urls,
    Enterprise.created_at,
    Enterprise.kind,
)


def _duplicate_email() -> InvalidInput:
    return InvalidInput.one("email", _("An account with this email address already exists. Sign in instead."))


async def _agency_for_new_agent(data: RegistrationIn, clock: Clock) -> Agency:
    """The enterprise a self-registering merchant agent asks to act for, and where that request stands.

    Anyone may claim an enterprise (a USCC is public), so a claim alone gives nothing: the agent waits
    until a registrar approves them against a proof document. An invitation from an approved agent is
    the enterprise vouching for them, so it approves them at once, for that enterprise only.
    """
    if data.invitation:
        return await invitations.accept(data.invitation, clock)
    assert data.enterprise is not None
    return Agency(await find_or_create_enterprise(data.enterprise, clock), AgentStatus.pending)


async def _insert_enterprise(data: EnterpriseIn, clock: Clock, *, verified: bool) -> int:
    now = clock.now()
    created = await Enterprise.insert(
        Enterprise(
            name=data.name,
            name_zh=data.name_zh,
            uscc=data.uscc,
            country=data.country,
            shop_urls=data.shop_urls,
            kind=getattr(data, "kind", EnterpriseKind.merchant.value),  # agents may register a platform
            verified=verified,
            verified_at=now if verified else None,
            created_at=now,
        )
    ).returning(Enterprise.id)
    return int(created[0]["id"])


async def _insert_user(
    *,
    email: str,
    display_name: str,
    language: str,
    password_hash: str,
    role: str,
    agency: Agency | None,
    clock: Clock,
    timezone: str,
    consented: bool = False,
) -> int:
    """Insert a user inside the caller's write transaction; the email must be free. `consented`: they agreed
    to the current privacy notice now (self-registration), which is kept with its version."""
    if await User.exists().where(User.email == email):
        raise _duplicate_email()
    now = clock.now()
    decided = agency is not None and agency.status is not AgentStatus.pending
    created = await User.insert(
        User(
            email=email,
            display_name=display_name,
            language=language,
            timezone=timezone,  # the service's, until they choose theirs on the profile
            password_hash=password_hash,
            role=role,
            active=True,
            enterprise=agency.enterprise_id if agency else None,
            created_at=now,
            agent_status=agency.status.value if agency else None,
            agent_decided_by=agency.decided_by if agency else None,
            agent_decided_at=now if decided else None,
            consent_version=PRIVACY_NOTICE_VERSION if consented else None,
            consent_at=now if consented else None,
        )
    ).returning(User.id)
    return int(created[0]["id"])


# Names that would pass for Accord's own people in a conversation (every message shows its author's name).
STAFF_WORDS = frozenset(
    {"mediator", "registrar", "admin", "administrator", "accord", "system", "调解员", "登记员", "管理员", "客服"}
)


def _name_key(name: str) -> str:
    """How alike two names look to a reader: width, case and spacing make no difference."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


# A closed account's name (close_account): "Closed account 7F3K". Nobody else may call themselves so.
CLOSED_NAME = "Closed account {code}"
_CLOSED_KEY = _name_key(CLOSED_NAME.format(code=""))
_CODE_LETTERS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud or copied without mistakes


async def _require_own_name(display_name: str, user_id: int | None = None) -> None:
    """A consumer or merchant agent may not take a staff member's name, nor pass for staff or for a closed
    account."""
    key = _name_key(display_name)
    if key.startswith(_CLOSED_KEY):
        raise InvalidInput.one("display_name", _("Names of closed accounts look like this. Choose another name."))
    staff = await User.select(User.id, User.display_name).where(User.role.is_in([Role.mediator, Role.admin]))
    if key in STAFF_WORDS or any(_name_key(person["display_name"]) == key for person in staff if person["id"] != user_id):
        raise InvalidInput.one("display_name", _("This name is taken by Accord's staff. Choose another name."))


async def register(data: RegistrationIn, clock: Clock, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """Self-registration of a consumer, or of a merchant agent (waiting for approval unless invited)."""
    await _require_own_name(data.display_name)
    password_hash = await asyncio.to_thread(hash_password, data.password)
    try:
        async with write_transaction():
            agency_of_agent = await _agency_for_new_agent(data, clock) if data.role == Role.merchant else None
            user_id = await _insert_user(
                email=data.email,
                display_name=data.display_name,
                language=data.language,
                password_hash=password_hash,
                role=data.role,
                agency=agency_of_agent,
                clock=clock,
                timezone=timezone,
                consented=data.consent,  # always true: RegistrationIn refuses anything else
            )
            if agency_of_agent and agency_of_agent.invitation_id:
                await invitations.mark_used_by(agency_of_agent.invitation_id, user_id)
    except Exception as error:
        if is_unique_violation(error):
            raise _duplicate_email() from None
        raise
    return await get_user(user_id)


async def create_user(
    *,
    email: str,
    password: str,
    role: Role,
    display_name: str,
    clock: Clock,
    language: str = "en",
    enterprise_uscc: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> dict[str, Any]:
    """Create any kind of user (CLI and seeding): mediators and admins cannot self-register.

    Whoever runs the command vouches for a merchant agent, so they are approved at once.
    """
    enterprise_id = None
    if role is Role.merchant:
        if not enterprise_uscc:
            raise InvalidInput.one("enterprise", _("A merchant agent belongs to an enterprise: give its USCC."))
        enterprise = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == enterprise_uscc).first()
        if enterprise is None:
            raise InvalidInput.one("enterprise", _("No enterprise with this USCC is registered."))
        enterprise_id = enterprise["id"]
    password_hash = await asyncio.to_thread(hash_password, password)
    async with write_transaction():
        user_id = await _insert_user(
            email=email.lower(),
            display_name=display_name,
            language=language,
            password_hash=password_hash,
            role=role.value,
            agency=Agency(enterprise_id, AgentStatus.approved) if enterprise_id else None,
            clock=clock,
            timezone=timezone,
        )
        if role is Role.mediator:
            await _ensure_mediator_profile(user_id, language)
    return await get_user(user_id)


async def create_enterprise(data: EnterpriseIn, clock: Clock, *, verified: bool = False) -> dict[str, Any]:
    async with write_transaction():
        if data.uscc and await Enterprise.exists().where(Enterprise.uscc == data.uscc):
            raise InvalidInput.one("uscc", _("An enterprise with this USCC is already registered."))
        enterprise_id = await _insert_enterprise(data, clock, verified=verified)
    return await get_enterprise(enterprise_id)


async def find_or_create_enterprise(data: EnterpriseIn, clock: Clock) -> int:
    """The enterprise a consumer names in a case: an existing one with this USCC, or a new unverified one.

    Runs inside the caller's write transaction.
    """
    if data.uscc:
        existing = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == data.uscc).first()
        if existing:
            return int(existing["id"])
    return await _insert_enterprise(data, clock, verified=False)


async def _ensure_mediator_profile(user_id: int, language: str) -> None:
    if not await MediatorProfile.exists().where(MediatorProfile.user == user_id):
        await MediatorProfile.insert(
            MediatorProfile(user=user_id, languages=[language], categories=[], max_active_cases=20)
        )


async def active_mediators() -> list[dict[str, Any]]:
    """Active mediators, for registrars reassigning a case."""
    return (
        await User.select(User.id, User.display_name, User.email)
        .where(User.role == Role.mediator.value, User.active.eq(True))
        .order_by(User.display_name)
    )


def act_as(user: dict[str, Any]) -> Viewer:
    """A Viewer for a user row (USER_COLUMNS), for work done on their behalf outside a request (seeding)."""
    return viewer_from(user, user["id"], "internal", 0)


async def get_user(user_id: int) -> dict[str, Any]:
    row = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
    if row is None:
        raise NotFound(_("There is no such user."))
    return row


async def get_enterprise(enterprise_id: int, *, verified_only: bool = False) -> dict[str, Any]:
    query = Enterprise.select(*ENTERPRISE_COLUMNS).where(Enterprise.id == enterprise_id)
    if verified_only:
        query = query.where(Enterprise.verified.eq(True))
    row = await query.first()
    if row is None:
        raise NotFound(_("There is no such enterprise."))
    return row


def sees_unverified_enterprises(viewer: Viewer | None) -> bool:
    """Names of unverified enterprises are what some consumer typed: only registrars list them."""
    return viewer is not None and viewer.has_role(Role.admin.value)


async def search_enterprises(
    query: str, window: Window, *, include_unverified: bool = False, kind: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Enterprises whose name contains `query` or whose USCC starts with it, by name then id; of that
    `kind` (merchant, platform, brand) when one is given.

    Unless `include_unverified`, only enterprises a registrar verified by their USCC are listed.
    """
    select = Enterprise.select(*ENTERPRISE_COLUMNS)
    if not include_unverified:
        select = select.where(Enterprise.verified.eq(True))
    if kind is not None:
        select = select.where(Enterprise.kind == kind)
    query = query.strip()
    code_prefix = "".join(char for char in query.upper() if char.isalnum())
    if query:
        matches = contains_text('"enterprise"."name"', query) | contains_text('"enterprise"."name_zh"', query)
        select = select.where(matches | Enterprise.uscc.like(code_prefix + "%") if code_prefix else matches)
    if window.after:
        name, last_id = window.keys(TEXT, ID)
        select = select.where(
            (Enterprise.name > name) | ((Enterprise.name == name) & (Enterprise.id > last_id))  # type: ignore[arg-type]
        )
    rows = await select.order_by(Enterprise.name, Enterprise.id).limit(window.limit + 1)
    return page_of(rows, window.limit, key=lambda row: [row["name"], row["id"]])


async def agents_waiting() -> int:
    """How many merchant agents wait for a registrar's decision (their registrars' desk says so)."""
    return await User.count().where(User.role == Role.merchant.value, User.agent_status == AgentStatus.pending.value)


async def search_users(query: str, role: str | None, window: Window) -> tuple[list[dict[str, Any]], str | None]:
    """Users by email or display name, newest first (admin)."""
    select = User.select(*USER_COLUMNS)
    query = query.strip()
    if query:
        select = select.where(contains_text('"users"."email"', query) | contains_text('"users"."display_name"', query))
    if role:
        select = select.where(User.role == role)
    if window.after:
        select = select.where(User.id < window.keys(ID)[0])
    rows = await select.order_by(User.id, ascending=False).limit(window.limit + 1)
    return page_of(rows, window.limit, key=lambda row: [row["id"]])


async def update_profile(viewer: Viewer, data: ProfileIn) -> None:
    if not viewer.has_role(Role.mediator, Role.admin) and data.display_name != viewer.display_name:
        await _require_own_name(data.display_name, viewer.id)
    changes: dict[Any, Any] = {User.display_name: data.display_name, User.language: data.language}
    if data.timezone is not None:
        changes[User.timezone] = data.timezone
    async with write_transaction():
        await User.update(changes).where(User.id == viewer.id)


async def change_password(
    viewer: Viewer, data: PasswordChangeIn, attempt: Attempt, clock: Clock, per_address: int
) -> None:
    """Change the viewer's password. Their other browsers are signed out and their API tokens revoked
    (all but the credential making the change), so whoever knew the old password is out everywhere.

    The current password is checked like a sign-in, wrong ones making the next try wait (RateLimited).
    """
    try:
        await authenticate(viewer.email, data.current_password, attempt, clock, per_address)
    except NotAuthenticated:
        raise InvalidInput.one("current_password", _("Your current password is not correct.")) from None
    new_hash = await asyncio.to_thread(hash_password, data.new_password)
    await store_password(viewer.id, new_hash, clock, keeping=viewer)


async def store_password(user_id: int, new_hash: str, clock: Clock, *, keeping: Viewer | None = None) -> None:
    """A new password (hashed) for the user, which ends every sign-in of theirs: sessions, sockets and API
    tokens, all but the credential `keeping` holds (the one that changed it, if any). Joins the caller's
    transaction (a reset link is spent in the same one)."""
    async with events.atomic():
        await User.update({User.password_hash: new_hash}).where(User.id == user_id)
        await sign_out_everywhere(user_id, clock, keeping=keeping, revoke_tokens=True)


# --- closing an account (PIPL) --------------------------------------------------------------------


def pseudonym() -> tuple[str, str]:
    """A closed account's name and e-mail address: "Closed account 7F3K" (short, for people to tell two
    apart on a case) and an address nobody can receive at (`.invalid`, RFC 2606), random so it stays unique."""
    code = "".join(secrets.choice(_CODE_LETTERS) for _ in range(4))
    return CLOSED_NAME.format(code=code), f"closed-{secrets.token_hex(12)}@closed.invalid"


CLOSED = "accounts.closed"  # event: {user, email and name (what they were), display_name (the pseudonym)}


async def close_account(
    viewer: Viewer, password: str, attempt: Attempt, clock: Clock, per_address: int
) -> dict[str, Any]:
    """The viewer closes their own account, confirming with their password (checked like a sign-in, so
    wrong ones make the next try wait). In one transaction: they can no longer sign in (inactive, the
    password unusable, the address gone), every session ends and every API token is revoked (sockets close
    after the commit), unused password-reset links die, and their name and e-mail become a pseudonym.

    Everything else stays: their cases, messages and files are part of records the other party and the
    authorities still need (the record holds user ids, never names, so it verifies as before, and every
    page, list and API names them by the pseudonym since names are read from here when shown). Other
    domains drop what they copied (`accounts.closed`: the notifications package deletes their unsent mail
    and renames them in the notices it kept). An enterprise stays when its agent leaves.

    Staff accounts (mediators, registrars) are closed by a registrar (deactivation), not by themselves:
    cases they hold must be handed over first. Returns the user row as it is now."""
    if viewer.has_role(Role.mediator, Role.admin):
        raise Forbidden(_("Staff accounts are closed by a registrar. Ask another registrar to deactivate yours."))
    try:
        await authenticate(viewer.email, password, attempt, clock, per_address)
    except NotAuthenticated:
        raise InvalidInput.one("password", _("Your password is not correct.")) from None
    name, email = pseudonym()
    now = clock.now()
    async with events.atomic():
        closed = (
            await User.update(
                {
                    User.display_name: name,
                    User.email: email,
                    User.active: False,
                    User.closed_at: now,
                    User.password_hash: "!closed",  # no password verifies against it
                }
            )
            .where(User.id == viewer.id, User.closed_at.is_null())
            .returning(User.id)
        )
        if not closed:
            raise Conflict(_("This account is already closed."))
        await PasswordReset.update({PasswordReset.used_at: now}).where(
            PasswordReset.user == viewer.id, PasswordReset.used_at.is_null()
        )
        await sign_out_everywhere(viewer.id, clock, revoke_tokens=True)
        told = {"user": viewer.id, "email": viewer.email, "name": viewer.display_name, "display_name": name}
        await events.emit(events.DomainEvent(CLOSED, None, told))
    return await get_user(viewer.id)


def require_admin(actor: Viewer) -> None:
    if not actor.has_role(Role.admin.value):
        raise Forbidden(_("Only registrars may do this."))


async def record_admin_action(
    actor: Viewer, action: str, target: str, before: dict[str, Any], after: dict[str, Any], clock: Clock
) -> None:
    """Audit trail: who changed what, when, with the values before and after (inside the change's transaction)."""
    await AdminAction.insert(
        AdminAction(actor=actor.id, action=action, target=target, before=before, after=after, at=clock.now())
    )


async def change_role(actor: Viewer, user_id: int, role: Role, clock: Clock) -> None:
    """An admin gives a user another role; the user's sessions end so the change applies at once."""
    require_admin(actor)
    if user_id == actor.id:
        raise Forbidden(_("You cannot change your own role; ask another registrar."))
    async with events.atomic():  # sockets opened in the old role close after the commit
        user = await get_user(user_id)
        if role is Role.merchant and user["enterprise_id"] is None:
            raise InvalidInput.one("role", _("Only users linked to an enterprise can be merchant agents."))
        if role is Role.mediator:
            await _ensure_mediator_profile(user_id, user["language"])
        changes: dict[Any, Any] = {User.role: role.value}
        after: dict[str, Any] = {"role": role.value}
        if role is Role.merchant and user["role"] != Role.merchant:
            # A registrar who makes someone an agent of their enterprise vouches for them. (An agent
            # already waiting is decided in the approval queue, against their proof document.)
            changes.update(
                {
                    User.agent_status: AgentStatus.approved.value,
                    User.agent_decided_by: actor.id,
                    User.agent_decided_at: clock.now(),
                }
            )
            after["agent_status"] = AgentStatus.approved.value
        await User.update(changes).where(User.id == user_id)
        await record_admin_action(actor, "change_role", f"user:{user_id}", {"role": user["role"]}, after, clock)
        await sign_out_everywhere(user_id, clock)


async def set_active(actor: Viewer, user_id: int, active: bool, clock: Clock) -> None:
    """Deactivate (sign out everywhere, tokens stop working) or reactivate a user."""
    require_admin(actor)
    if user_id == actor.id:
        raise Forbidden(_("You cannot deactivate your own account."))
    async with events.atomic():
        user = await get_user(user_id)
        if user["closed_at"] is not None:
            raise Conflict(_("Its owner closed this account: it cannot be used again."))
        await User.update({User.active: active}).where(User.id == user_id)
        await record_admin_action(
            actor, "set_active", f"user:{user_id}", {"active": user["active"]}, {"active": active}, clock
        )
        if not active:
            await sign_out_everywhere(user_id, clock)


async def verify_enterprise(actor: Viewer, enterprise_id: int, verified: bool, clock: Clock) -> None:
    require_admin(actor)
    async with write_transaction():
        enterprise = await get_enterprise(enterprise_id)
        await Enterprise.update(
            {Enterprise.verified: verified, Enterprise.verified_at: clock.now() if verified else None}
        ).where(Enterprise.id == enterprise_id)
        await record_admin_action(
            actor,
            "verify_enterprise",
            f"enterprise:{enterprise_id}",
            {"verified": enterprise["verified"]},
            {"verified": verified},
            clock,
        )


async def set_enterprise_name_zh(actor: Viewer, enterprise_id: int, name_zh: str | None, clock: Clock) -> None:
    """A registrar gives an enterprise its Chinese name (as on its licence or as people know it)."""
    require_admin(actor)
    async with write_transaction():
        enterprise = await get_enterprise(enterprise_id)
        await Enterprise.update({Enterprise.name_zh: name_zh}).where(Enterprise.id == enterprise_id)
        await record_admin_action(
            actor,
            "enterprise_name_zh",
            f"enterprise:{enterprise_id}",
            {"name_zh": enterprise["name_zh"]},
            {"name_zh": name_zh},
            clock,
        )
