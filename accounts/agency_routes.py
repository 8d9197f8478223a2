"""Enterprise ownership pages and API: an agent's waiting page and proof upload, an approved agent's
colleagues and invitations, and the registrars' approval queue under /admin/agents.

Handlers stay thin: parse, call `accounts.agency` / `accounts.invitations`, render or redirect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Response, Router, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, URLEncodedBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from accord.auth import Viewer, require_role, signed_in_viewer
from accord.clock import Clock
from accord.errors import Conflict, Forbidden, InvalidInput, TooLarge, UnsupportedMedia
from accord.files import FileStore, file_response, single_file
from accord.i18n import gettext as _
from accord.pagination import Page, window
from accord.settings import Settings
from accord.validation import parse
from accord.web import nest_form, page
from accounts import agency, invitations, service
from accounts.schemas import (
    AgentApplicationOut,
    AgentOut,
    InvitationIn,
    InvitationOut,
    NewInvitationOut,
    ProofOut,
    UserOut,
    agent_out,
    application_out,
    invitation_out,
    proof_out,
    user_out,
)
from accounts.tables import AgentStatus, Role

Form = URLEncodedBody[dict[str, Any]]
PROOF_FILE_PREFIX = "proof"


def provide_proof_store(settings: NamedDependency[Settings]) -> FileStore:
    """Proof documents live apart from case evidence: a different audience (registrars only)."""
    return FileStore(settings.data_dir / "agency-proofs")


def invitation_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/register?invitation={token}"


_agent = {"viewer": Provide(signed_in_viewer), "store": Provide(provide_proof_store, sync_to_thread=False)}
_admin = {
    "viewer": Provide(require_role(Role.admin.value)),
    "store": Provide(provide_proof_store, sync_to_thread=False),
}


def _by_field(errors: list[Any]) -> dict[str, str]:
    return {error.field: error.message for error in errors}


# --- the agent's pages ---------------------------------------------------------------------------


async def _agency_page(viewer: Viewer, clock: Clock, status: int = 200, **extra: Any) -> Any:
    """Waiting agents see where their request stands; approved ones their colleagues and invitations."""
    if viewer.role != Role.merchant:
        raise Forbidden(_("Only merchant agents act for an enterprise."))
    context: dict[str, Any] = {"errors": {}, **extra}
    if viewer.awaits_approval:
        return page("accounts/agency_waiting.html", status=status, me=await agency.agency_of(viewer), **context)
    return page(
        "accounts/agency.html",
        status=status,
        agents=await agency.enterprise_agents(viewer),
        invitations=await invitations.open_invitations(viewer, clock),
        **context,
    )


@get("/agency", dependencies=_agent)
async def agency_page(
    viewer: NamedDependency[Viewer], clock: NamedDependency[Clock], done: FromQuery[str | None] = None
) -> Any:
    return await _agency_page(viewer, clock, done=done)


@post("/agency/proofs", dependencies=_agent)
async def proof_form(
    viewer: NamedDependency[Viewer],
    data: MultipartBody[dict[str, Any]],
    clock: NamedDependency[Clock],
    store: NamedDependency[FileStore],
) -> Any:
    try:
        await agency.add_proof(viewer, await single_file(data).read(), clock, store)
    except InvalidInput as error:
        return await _agency_page(viewer, clock, status=422, errors=_by_field(error.errors))
    except (UnsupportedMedia, TooLarge) as error:
        status = 415 if isinstance(error, UnsupportedMedia) else 413
        return await _agency_page(viewer, clock, status=status, errors={"file": error.detail})
    return Redirect("/agency?done=proof")


@post("/agency/join", dependencies=_agent)
async def join_form(viewer: NamedDependency[Viewer], data: Form, clock: NamedDependency[Clock]) -> Any:
    try:
        joining = parse(agency.JoinIn, nest_form(data))
        await agency.join_by_invitation(viewer, joining.invitation, clock)
    except InvalidInput as error:
        return await _agency_page(viewer, clock, status=422, errors=_by_field(error.errors))
    return Redirect("/agency?done=joined")


@post("/agency/invitations", dependencies=_agent)
async def invitation_form(
    viewer: NamedDependency[Viewer], data: Form, clock: NamedDependency[Clock], settings: NamedDependency[Settings]
) -> Any:
    try:
        note = parse(InvitationIn, nest_form(data)).note
    except InvalidInput as error:
        return await _agency_page(viewer, clock, status=422, errors=_by_field(error.errors))
    token, _invitation = await invitations.issue(viewer, note, clock)
    return await _agency_page(viewer, clock, new_link=invitation_url(settings, token))


@post("/agency/invitations/{invitation_id:int}/withdraw", dependencies=_agent)
async def withdraw_invitation_form(
    viewer: NamedDependency[Viewer], invitation_id: FromPath[int], clock: NamedDependency[Clock]
) -> Any:
    await invitations.withdraw(viewer, invitation_id, clock)
    return Redirect("/agency?done=withdrawn")


# --- the registrars' queue -----------------------------------------------------------------------


def _status(value: str) -> AgentStatus:
    try:
        return AgentStatus(value)
    except ValueError:
        raise InvalidInput.one("status", _("Choose one of the offered options.")) from None


@get("/admin/agents", dependencies=_admin)
async def queue_page(
    viewer: NamedDependency[Viewer],
    status: FromQuery[str] = AgentStatus.pending.value,
    cursor: FromQuery[str | None] = None,
    done: FromQuery[str | None] = None,
) -> Any:
    rows, next_cursor = await agency.applications(viewer, _status(status), window(cursor, 50))
    return page(
        "admin/agents.html",
        agents=rows,
        shown_status=status,
        statuses=[s.value for s in AgentStatus],
        next_cursor=next_cursor,
        done=done,
    )


async def _application_page(viewer: Viewer, user_id: int, status: int = 200, **extra: Any) -> Any:
    context: dict[str, Any] = {"errors": {}, "problem": None, **extra}
    return page("admin/agent.html", status=status, agent=await agency.application(viewer, user_id), **context)


@get("/admin/agents/{user_id:int}", dependencies=_admin)
async def application_page(viewer: NamedDependency[Viewer], user_id: FromPath[int]) -> Any:
    return await _application_page(viewer, user_id)


@get("/admin/agents/{user_id:int}/proofs/{proof_id:int}", dependencies=_admin)
async def proof_download(
    viewer: NamedDependency[Viewer],
    user_id: FromPath[int],
    proof_id: FromPath[int],
    store: NamedDependency[FileStore],
) -> Response[bytes]:
    return await _proof_response(viewer, user_id, proof_id, store)


async def _decide_by_form(
    viewer: Viewer, user_id: int, form: dict[str, Any], decide: Callable[[], Awaitable[None]]
) -> Any:
    """Approve or reject from the agent's page; a problem re-renders it with the reason."""
    try:
        await decide()
    except InvalidInput as error:
        return await _application_page(viewer, user_id, status=422, errors=_by_field(error.errors), form=form)
    except Conflict as error:
        return await _application_page(viewer, user_id, status=409, problem=error.detail)
    return Redirect(f"/admin/agents?done={user_id}")


@post("/admin/agents/{user_id:int}/approve", dependencies=_admin)
async def approve_form(
    viewer: NamedDependency[Viewer], user_id: FromPath[int], data: Form, clock: NamedDependency[Clock]
) -> Any:
    async def decide() -> None:
        fields = {"note": data.get("note", ""), "verify_enterprise": data.get("verify_enterprise") == "yes"}
        await agency.approve(viewer, user_id, parse(agency.ApprovalIn, fields), clock)

    return await _decide_by_form(viewer, user_id, data, decide)


@post("/admin/agents/{user_id:int}/reject", dependencies=_admin)
async def reject_form(
    viewer: NamedDependency[Viewer], user_id: FromPath[int], data: Form, clock: NamedDependency[Clock]
) -> Any:
    async def decide() -> None:
        await agency.reject(viewer, user_id, parse(agency.RejectionIn, {"note": data.get("note", "")}), clock)

    return await _decide_by_form(viewer, user_id, data, decide)


async def _proof_response(viewer: Viewer, user_id: int, proof_id: int, store: FileStore) -> Response[bytes]:
    row, content = await agency.proof_file(viewer, user_id, proof_id, store)
    return file_response(row, content, prefix=PROOF_FILE_PREFIX)


# --- JSON API ------------------------------------------------------------------------------------


@get("/agency/proofs", dependencies=_agent, summary="The documents you gave the registrars")
async def api_proofs(viewer: NamedDependency[Viewer]) -> Page[ProofOut]:
    if viewer.role != Role.merchant:
        raise Forbidden(_("Only merchant agents act for an enterprise."))
    return Page[ProofOut](items=[proof_out(row) for row in await agency.proofs_of(viewer.id)], next_cursor=None)


@post(
    "/agency/proofs",
    status_code=HTTP_201_CREATED,
    dependencies=_agent,
    summary="Upload a proof that you may act for your enterprise (JPEG, PNG, WebP, PDF)",
)
async def api_add_proof(
    viewer: NamedDependency[Viewer],
    data: MultipartBody[dict[str, Any]],
    clock: NamedDependency[Clock],
    store: NamedDependency[FileStore],
) -> ProofOut:
    return proof_out(await agency.add_proof(viewer, await single_file(data).read(), clock, store))


@post("/agency/join", status_code=200, dependencies=_agent, summary="Join your enterprise with an invitation")
async def api_join(
    viewer: NamedDependency[Viewer], data: JSONBody[agency.JoinIn], clock: NamedDependency[Clock]
) -> UserOut:
    await agency.join_by_invitation(viewer, data.invitation, clock)
    return user_out(await service.get_user(viewer.id))


@get("/agency/agents", dependencies=_agent, summary="Your enterprise's agents (approved agents)")
async def api_agents(viewer: NamedDependency[Viewer]) -> Page[AgentOut]:
    return Page[AgentOut](items=[agent_out(row) for row in await agency.enterprise_agents(viewer)], next_cursor=None)


@get("/agency/invitations", dependencies=_agent, summary="Your enterprise's open invitation links")
async def api_invitations(viewer: NamedDependency[Viewer], clock: NamedDependency[Clock]) -> Page[InvitationOut]:
    rows = await invitations.open_invitations(viewer, clock)
    return Page[InvitationOut](items=[invitation_out(row) for row in rows], next_cursor=None)


@post(
    "/agency/invitations",
    status_code=HTTP_201_CREATED,
    dependencies=_agent,
    summary="Invite a colleague (approved agents): a one-use link, valid 7 days, shown once",
)
async def api_invite(
    viewer: NamedDependency[Viewer],
    data: JSONBody[InvitationIn],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> NewInvitationOut:
    token, row = await invitations.issue(viewer, data.note, clock)
    return NewInvitationOut(**invitation_out(row).model_dump(), token=token, url=invitation_url(settings, token))


@delete(
    "/agency/invitations/{invitation_id:int}",
    status_code=HTTP_204_NO_CONTENT,
    dependencies=_agent,
    summary="Withdraw an unused invitation",
)
async def api_withdraw_invitation(
    viewer: NamedDependency[Viewer], invitation_id: FromPath[int], clock: NamedDependency[Clock]
) -> None:
    await invitations.withdraw(viewer, invitation_id, clock)


@get("/admin/agents", dependencies=_admin, summary="Agents by approval status, oldest first (registrars)")
async def api_queue(
    viewer: NamedDependency[Viewer],
    status: FromQuery[str] = AgentStatus.pending.value,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[AgentApplicationOut]:
    rows, next_cursor = await agency.applications(viewer, _status(status), window(cursor, limit))
    return Page[AgentApplicationOut](items=[application_out(row) for row in rows], next_cursor=next_cursor)


@get("/admin/agents/{user_id:int}", dependencies=_admin, summary="One agent's request (registrars)")
async def api_application(viewer: NamedDependency[Viewer], user_id: FromPath[int]) -> AgentApplicationOut:
    return application_out(await agency.application(viewer, user_id))


@get(
    "/admin/agents/{user_id:int}/proofs/{proof_id:int}",
    dependencies=_admin,
    summary="Download an agent's proof document (registrars)",
)
async def api_proof_file(
    viewer: NamedDependency[Viewer], user_id: FromPath[int], proof_id: FromPath[int], store: NamedDependency[FileStore]
) -> Response[bytes]:
    return await _proof_response(viewer, user_id, proof_id, store)


@post("/admin/agents/{user_id:int}/approve", status_code=200, dependencies=_admin, summary="Approve a waiting agent")
async def api_approve(
    viewer: NamedDependency[Viewer],
    user_id: FromPath[int],
    data: JSONBody[agency.ApprovalIn],
    clock: NamedDependency[Clock],
) -> AgentApplicationOut:
    await agency.approve(viewer, user_id, data, clock)
    return application_out(await agency.application(viewer, user_id))


@post("/admin/agents/{user_id:int}/reject", status_code=200, dependencies=_admin, summary="Reject a waiting agent")
async def api_reject(
    viewer: NamedDependency[Viewer],
    user_id: FromPath[int],
    data: JSONBody[agency.RejectionIn],
    clock: NamedDependency[Clock],
) -> AgentApplicationOut:
    await agency.reject(viewer, user_id, data, clock)
    return application_out(await agency.application(viewer, user_id))


page_routes = [
    agency_page,
    proof_form,
    join_form,
    invitation_form,
    withdraw_invitation_form,
    queue_page,
    application_page,
    proof_download,
    approve_form,
    reject_form,
]
api_routes = [
    api_proofs,
    api_add_proof,
    api_join,
    api_agents,
    api_invitations,
    api_invite,
    api_withdraw_invitation,
    api_queue,
    api_application,
    api_proof_file,
    api_approve,
    api_reject,
]
api_router = Router(path="/api/v1", route_handlers=api_routes, tags=["enterprise ownership"])
