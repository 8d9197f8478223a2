"""Registry pages (public search, listing, enterprise), the registrar's desk, the API and the open data."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, URLEncodedBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED
from pydantic import BaseModel, Field

from accord.auth import Viewer, optional_viewer, require_role, signed_in_viewer
from accord.clock import Clock
from accord.errors import Conflict, InvalidInput, NotFound, TooLarge, UnsupportedMedia
from accord.files import FileStore, file_response, provide_file_store, single_file
from accord.i18n import gettext as _
from accord.i18n import viewer_zone
from accord.pagination import Page, window
from accord.validation import parse
from accord.statemachine import ActionRequest, request_models
from accord.web import JSON_ERRORS, action_route, form_versioned, nest_form, page, payload_from_form, versioned
from integrity import log, reports, service, signing
from integrity.tables import Tier, Violation
from integrity.workflow import (
    ACTIONS,
    MACHINE,
    ROLES_OF_ACTION,
    SPECS,
    SYSTEM,
    Offered,
    RegistryContext,
    apply,
    is_public,
    offered_actions,
    relations,
)

DEPENDENCIES = {"viewer": Provide(optional_viewer)}


def provide_registry_context(state: State) -> RegistryContext:
    return RegistryContext(clock=state.clock, calendar=state.calendar, zone=state.settings.timezone)


class ListingOut(BaseModel):
    id: int
    enterprise_id: int
    enterprise: str
    enterprise_zh: str | None = None
    uscc: str | None
    violation: str
    tier: str
    escalated: bool
    state: str
    version: int
    facts: str
    decision: str | None
    objection_until: datetime | None = None
    published_at: datetime | None
    minimum_until: datetime | None
    maximum_until: datetime | None


def listing_out(listing: dict[str, Any], viewer: Viewer | None) -> ListingOut:
    shown = listing if viewer is not None and relations(listing, viewer) else service.public_view(listing)
    return ListingOut(
        id=shown["id"],
        enterprise_id=shown["enterprise"],
        enterprise=listing.get("enterprise_name", ""),
        enterprise_zh=listing.get("enterprise_name_zh"),
        uscc=listing.get("enterprise_uscc"),
        violation=shown["violation"],
        tier=shown["tier"],
        escalated=shown["escalated"],
        state=shown["state"],
        version=shown["version"],
        facts=shown["facts"],
        decision=shown["decision"],
        objection_until=shown.get("objection_until"),
        published_at=shown["published_at"],
        minimum_until=shown["minimum_until"],
        maximum_until=shown["maximum_until"],
    )


class TreeHeadOut(BaseModel):
    size: int
    root: str
    at: str | None = Field(description="ISO 8601 time of the newest entry, exactly as signed; null while empty")
    signature: str = Field(
        description='Ed25519 signature (base64) over the canonical JSON {"at","root","size"}: sorted keys, no spaces'
    )


class PublicKeyOut(BaseModel):
    algorithm: str
    public_key: str = Field(description="the raw 32-byte Ed25519 public key, base64")
    key_id: str = Field(description="hex SHA-256 of the raw public key")


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="RFC 9162 §2.1.4 consistency proof, hex nodes")


class ProofOut(BaseModel):
    seq: int
    leaf_hash: str
    size: int
    root: str
    proof: list[str]


# --- API -----------------------------------------------------------------------------------------


class EnterpriseMatchOut(BaseModel):
    id: int
    name: str
    name_zh: str | None
    uscc: str | None
    listed: bool  # has a published listing; false reads "no published violations"


class RegistrySearchOut(Page[ListingOut]):
    # Verified enterprises matching `q` (first page only), listed or not.
    enterprises: list[EnterpriseMatchOut] = []


@get("/registry", summary="Published listings, and the verified enterprises matching q by name or USCC (public)")
async def api_search(
    q: FromQuery[str] = "", cursor: FromQuery[str | None] = None, limit: FromQuery[int | None] = None
) -> RegistrySearchOut:
    rows, next_cursor = await service.search_public(q, window(cursor, limit))
    found = [] if cursor else await service.matching_enterprises(q)
    items = [
        ListingOut(
            id=row["id"],
            enterprise_id=row["enterprise"],
            enterprise=row["enterprise_name"],
            enterprise_zh=row["enterprise_name_zh"],
            uscc=row["enterprise_uscc"],
            violation=row["violation"],
            tier=row["tier"],
            escalated=row["escalated"],
            state="published",
            version=0,
            facts="",
            decision=None,
            published_at=row["published_at"],
            minimum_until=None,
            maximum_until=row["maximum_until"],
        )
        for row in rows
    ]
    return RegistrySearchOut(
        items=items,
        next_cursor=next_cursor,
        enterprises=[EnterpriseMatchOut.model_validate(row) for row in found],
    )


@post(
    "/registry/listings",
    status_code=HTTP_201_CREATED,
    dependencies={"viewer": Provide(signed_in_viewer)},
    summary="Propose a listing (registrars, mediators)",
)
async def api_propose(
    viewer: NamedDependency[Viewer], data: JSONBody[service.ListingIn], clock: NamedDependency[Clock]
) -> ListingOut:
    created = await service.propose(viewer, data, clock)
    return listing_out(await service.listing_for(viewer, created["id"]), viewer)


@get("/registry/listings/{listing_id:int}", summary="One listing (published content only, unless you are involved)")
async def api_listing(viewer: NamedDependency[Viewer | None], listing_id: FromPath[int]) -> ListingOut:
    return listing_out(await service.listing_for(viewer, listing_id), viewer)


@post(
    "/registry/listings/{listing_id:int}/actions/{action:str}",
    status_code=200,
    dependencies={"viewer": Provide(signed_in_viewer)},
    include_in_schema=False,
)
async def api_act(
    viewer: NamedDependency[Viewer],
    listing_id: FromPath[int],
    action: FromPath[str],
    data: JSONBody[dict[str, Any]],
    context: NamedDependency[RegistryContext],
) -> ListingOut:
    """Actions without a route of their own: unknown ones (404) and the system's `expire` (403)."""
    version, payload = versioned(data, _("Send the version of the listing you are acting on."))
    await apply(listing_id, action, viewer, payload, context, expected_version=version)
    return listing_out(await service.listing_for(viewer, listing_id), viewer)


async def _act(
    viewer: Viewer, listing_id: int, action: str, data: ActionRequest, context: RegistryContext
) -> ListingOut:
    version, payload = data.split()
    await apply(listing_id, action, viewer, payload, context, expected_version=version)
    return listing_out(await service.listing_for(viewer, listing_id), viewer)


# One documented route per action people take (`expire` is the system's), generated from the table.
ACTION_REQUESTS = request_models(MACHINE, "Listing", frozenset(a for a in ACTIONS if ROLES_OF_ACTION[a] - {SYSTEM}))
action_routes = [
    action_route(
        f"/registry/listings/{{listing_id:int}}/actions/{action}",
        action,
        body,
        _act,
        {
            "viewer": NamedDependency[Viewer],
            "listing_id": FromPath[int],
            "context": NamedDependency[RegistryContext],
        },
        ListingOut,
        dependencies={"viewer": Provide(signed_in_viewer)},
        summary=f"{action}: {MACHINE.specs[action].label}",
        description=f"Who may, and in which states: the registry's transition table (`{action}`).",
    )
    for action, body in ACTION_REQUESTS.items()
]


@get(
    ["/registry/tree-head", "/api/v1/registry/tree-head"],
    opt=JSON_ERRORS,
    summary="The public Merkle log's signed tree head",
)
async def tree_head(state: State) -> TreeHeadOut:
    head = await log.tree_head()
    return TreeHeadOut(**head.signed(state.settings.log_signing_key))


@get(
    ["/registry/public-key", "/api/v1/registry/public-key"],
    opt=JSON_ERRORS,
    summary="The key that signs the log's tree heads",
)
async def public_key(state: State) -> PublicKeyOut:
    key = signing.public_key(state.settings.log_signing_key)
    return PublicKeyOut(
        algorithm=signing.ALGORITHM, public_key=base64.b64encode(key).decode(), key_id=signing.key_id(key)
    )


@get(
    ["/registry/log/consistency", "/api/v1/registry/log/consistency"],
    opt=JSON_ERRORS,
    summary="Consistency proof between two sizes of the log (RFC 9162 §2.1.4)",
)
async def consistency(first: FromQuery[int], second: FromQuery[int]) -> ConsistencyOut:
    return ConsistencyOut(**await log.consistency_for(first, second))


@get(
    ["/registry/export.jsonl", "/api/v1/registry/export.jsonl"],
    opt=JSON_ERRORS,
    media_type="application/x-ndjson",
    summary="Open data: one JSON object per public event",
)
async def export() -> Response[str]:
    lines = await log.export_lines()
    return Response("".join(line + "\n" for line in lines), media_type="application/x-ndjson")


@get(
    ["/registry/log/{seq:int}/proof", "/api/v1/registry/log/{seq:int}/proof"],
    opt=JSON_ERRORS,
    summary="Inclusion proof of one event",
)
async def proof(seq: FromPath[int]) -> ProofOut:
    found = await log.proof_for(seq)
    if found is None:
        raise NotFound(_("There is no such event in the registry log."))
    return ProofOut(**found)


# --- pages ---------------------------------------------------------------------------------------


@get("/registry")
async def registry_page(q: FromQuery[str] = "", cursor: FromQuery[str | None] = None) -> Any:
    rows, next_cursor = await service.search_public(q, window(cursor, 25))
    return page(
        "integrity/search.html",
        q=q,
        listings=rows,
        enterprises=[] if cursor else await service.matching_enterprises(q),
        next_cursor=next_cursor,
        head=await log.tree_head(),
    )


async def _listing_page(
    request: Request[Any, Any, Any],
    viewer: Viewer | None,
    listing_id: int,
    status: int = 200,
    problem: str | None = None,
    errors: dict[str, str] | None = None,
    refused: tuple[str, dict[str, Any]] | None = None,  # the action whose form came back, and what was typed
) -> Any:
    listing = await service.listing_for(viewer, listing_id)
    involved = viewer is not None and bool(relations(listing, viewer))
    context = provide_registry_context(request.app.state)
    offered = await offered_actions(listing, viewer, context) if involved else Offered([], {})
    return page(
        "integrity/listing.html",
        status=status,
        listing=listing if involved else service.public_view(listing),
        case_ref=await service.case_shown_to(viewer, listing),
        involved=involved,
        public=is_public(listing),
        actions=offered.now,
        specs=SPECS,
        later=offered.later,
        zone=viewer_zone(viewer, context.zone),
        events=await service.listing_events(viewer, listing) if viewer else [],
        evidence=await service.evidence_of(viewer, listing_id),
        problem=problem,
        errors=errors or {},
        failed_action=refused[0] if refused else None,
        form=refused[1] if refused else {},
    )


@get("/registry/{listing_id:int}")
async def listing_page(
    request: Request[Any, Any, Any], viewer: NamedDependency[Viewer | None], listing_id: FromPath[int]
) -> Any:
    return await _listing_page(request, viewer, listing_id)


@post("/registry/{listing_id:int}/actions/{action:str}", dependencies={"viewer": Provide(signed_in_viewer)})
async def listing_action_form(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Viewer],
    listing_id: FromPath[int],
    action: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
    context: NamedDependency[RegistryContext],
) -> Any:
    version, payload = form_versioned(payload_from_form(nest_form(data)))
    try:
        await apply(listing_id, action, viewer, payload, context, expected_version=version)
    except InvalidInput as error:
        errors = {e.field: e.message for e in error.errors}
        return await _listing_page(request, viewer, listing_id, 422, errors=errors, refused=(action, data))
    except Conflict as error:
        return await _listing_page(request, viewer, listing_id, 409, problem=error.reason)
    return Redirect(f"/registry/{listing_id}")


@get("/enterprises/{enterprise_id:int}")
async def enterprise_page(viewer: NamedDependency[Viewer | None], enterprise_id: FromPath[int]) -> Any:
    profile = await service.enterprise_profile(enterprise_id, viewer)
    listings = await service.listings_of(viewer, enterprise_id)
    return page("integrity/enterprise.html", enterprise=profile, listings=listings)


@get("/admin/registry", dependencies={"viewer": Provide(require_role("admin"))})
async def registrar_page(viewer: NamedDependency[Viewer], state_filter: FromQuery[str] = "") -> Any:
    return page(
        "integrity/registrar.html",
        listings=await service.all_listings(state_filter or None),
        violations=[v.value for v in Violation],
        tiers=[t.value for t in Tier],
        state=state_filter,
        errors={},
        form={},
    )


def _enterprise_named(form: dict[str, Any]) -> dict[str, Any]:
    """The desk's one enterprise field holds its number in Accord or its USCC (18 characters, which may
    all be digits): the proposal names it by whichever was typed."""
    typed = "".join(str(form.pop("enterprise", "") or "").split())
    if typed.isascii() and typed.isdigit() and len(typed) < 18:
        return {**form, "enterprise_id": typed}
    return {**form, "enterprise_uscc": typed or None}


@post("/admin/registry", dependencies={"viewer": Provide(require_role("admin"))})
async def registrar_propose(
    viewer: NamedDependency[Viewer], data: URLEncodedBody[dict[str, Any]], clock: NamedDependency[Clock]
) -> Any:
    try:
        proposal = _enterprise_named(payload_from_form(nest_form(data)))
        created = await service.propose(viewer, parse(service.ListingIn, proposal), clock)
    except InvalidInput as error:
        return page(
            "integrity/registrar.html",
            status=422,
            listings=await service.all_listings(None),
            violations=[v.value for v in Violation],
            tiers=[t.value for t in Tier],
            state="",
            errors={e.field: e.message for e in error.errors},
            form=data,
        )
    return Redirect(f"/registry/{created['id']}")


# --- rights-holders and their reports ------------------------------------------------------------


class ReportOut(BaseModel):
    id: int
    enterprise_id: int
    violation: str
    marks: list[str]
    description: str
    status: str
    malicious: bool
    counter_notice: str | None
    decision: str | None
    listing_id: int | None
    created_at: datetime


class AccuracyOut(BaseModel):
    id: int
    organisation: str
    marks: list[str]
    open: int
    upheld: int
    rejected: int
    withdrawn: int
    malicious: int


class TextIn(reports.Strict):
    text: reports.LongText


def report_out(report: dict[str, Any]) -> ReportOut:
    return ReportOut(
        id=report["id"],
        enterprise_id=report["enterprise"],
        violation=report["violation"],
        marks=json.loads(report["marks"]),
        description=report["description"],
        status=report["status"],
        malicious=report["malicious"],
        counter_notice=report["counter_notice"],
        decision=report["decision"],
        listing_id=report["listing"],
        created_at=report["created_at"],
    )


_signed_in = {"viewer": Provide(signed_in_viewer)}


@post("/registry/rights-holder", status_code=200, dependencies=_signed_in, summary="Register as a rights-holder")
async def api_rights_holder(
    viewer: NamedDependency[Viewer], data: JSONBody[reports.RightsHolderIn], clock: NamedDependency[Clock]
) -> AccuracyOut:
    holder = await reports.register_rights_holder(viewer, data, clock)
    return AccuracyOut(**await reports.accuracy(holder["id"]))


@post(
    "/registry/reports",
    status_code=HTTP_201_CREATED,
    dependencies=_signed_in,
    summary="Report an enterprise (rights-holders)",
)
async def api_report(
    viewer: NamedDependency[Viewer], data: JSONBody[reports.ReportIn], clock: NamedDependency[Clock]
) -> ReportOut:
    return report_out(await reports.file_report(viewer, data, clock))


@get(
    "/registry/reports/{report_id:int}",
    dependencies=_signed_in,
    summary="One report (reporter, enterprise, registrars)",
)
async def api_get_report(viewer: NamedDependency[Viewer], report_id: FromPath[int]) -> ReportOut:
    return report_out(await reports.report_for(viewer, report_id))


@post(
    "/registry/reports/{report_id:int}/counter-notice",
    status_code=200,
    dependencies=_signed_in,
    summary="Counter-notice",
)
async def api_counter_notice(
    viewer: NamedDependency[Viewer], report_id: FromPath[int], data: JSONBody[TextIn]
) -> ReportOut:
    await reports.counter_notice(viewer, report_id, data.text)
    return report_out(await reports.report_for(viewer, report_id))


@post(
    "/registry/reports/{report_id:int}/withdraw", status_code=200, dependencies=_signed_in, summary="Withdraw a report"
)
async def api_withdraw_report(
    viewer: NamedDependency[Viewer], report_id: FromPath[int], clock: NamedDependency[Clock]
) -> ReportOut:
    await reports.withdraw(viewer, report_id, clock)
    return report_out(await reports.report_for(viewer, report_id))


@post(
    "/registry/reports/{report_id:int}/{verdict:str}",
    status_code=200,
    dependencies=_signed_in,
    summary="Uphold or reject a report (registrars)",
)
async def api_decide_report(
    viewer: NamedDependency[Viewer],
    report_id: FromPath[int],
    verdict: FromPath[str],
    data: JSONBody[reports.DecisionIn],
    clock: NamedDependency[Clock],
) -> ReportOut:
    if verdict not in ("uphold", "reject"):
        raise NotFound(_("There is no such action."))
    return report_out(await reports.decide(viewer, report_id, verdict == "uphold", data, clock))


@get("/registry/reporters/{holder_id:int}", summary="A reporter's public accuracy")
async def api_accuracy(holder_id: FromPath[int]) -> AccuracyOut:
    return AccuracyOut(**await reports.accuracy(holder_id))


@get("/registry/reporters/{holder_id:int}")
async def reporter_page(holder_id: FromPath[int]) -> Any:
    return page("integrity/reporter.html", reporter=await reports.accuracy(holder_id))


class ListingEvidenceOut(BaseModel):
    id: int
    kind: str
    sha256: str
    media_type: str
    size: int


@post(
    "/registry/listings/{listing_id:int}/evidence",
    status_code=HTTP_201_CREATED,
    dependencies=_signed_in,
    summary="Add a file to a listing: facts, objection or repair (JPEG, PNG, WebP, PDF)",
)
async def api_add_listing_evidence(
    viewer: NamedDependency[Viewer],
    listing_id: FromPath[int],
    data: MultipartBody[dict[str, Any]],
    clock: NamedDependency[Clock],
    store: NamedDependency[FileStore],
) -> ListingEvidenceOut:
    content = await single_file(data).read()
    row = await service.add_evidence(
        viewer, listing_id, str(data.get("kind") or ""), content, str(data.get("description") or ""), clock, store
    )
    return ListingEvidenceOut.model_validate(row)


@get(
    "/registry/listings/{listing_id:int}/evidence",
    dependencies=_signed_in,
    summary="A listing's files (those involved)",
)
async def api_listing_evidence(viewer: NamedDependency[Viewer], listing_id: FromPath[int]) -> Page[ListingEvidenceOut]:
    rows = await service.evidence_of(viewer, listing_id)
    return Page[ListingEvidenceOut](
        items=[ListingEvidenceOut.model_validate(row) for row in rows],
        next_cursor=None,
    )


async def listing_evidence_file(
    viewer: NamedDependency[Viewer | None],
    listing_id: FromPath[int],
    evidence_id: FromPath[int],
    store: NamedDependency[FileStore],
) -> Response[bytes]:
    row, content = await service.evidence_file(viewer, listing_id, evidence_id, store)
    return file_response(row, content)


# One function, two routes: the page's errors are pages, the API's are `{detail, errors}` (each documented so).
listing_evidence_download = get("/registry/{listing_id:int}/evidence/{evidence_id:int}")(listing_evidence_file)
api_listing_evidence_file = get(
    "/api/v1/registry/listings/{listing_id:int}/evidence/{evidence_id:int}", summary="Download one of a listing's files"
)(listing_evidence_file)


@post("/registry/{listing_id:int}/evidence", dependencies=_signed_in)
async def listing_evidence_form(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Viewer],
    listing_id: FromPath[int],
    data: MultipartBody[dict[str, Any]],
    clock: NamedDependency[Clock],
    store: NamedDependency[FileStore],
) -> Any:
    try:
        content = await single_file(data).read()
        await service.add_evidence(
            viewer, listing_id, str(data.get("kind") or ""), content, str(data.get("description") or ""), clock, store
        )
    except (InvalidInput, UnsupportedMedia, TooLarge, Conflict) as error:
        return await _listing_page(request, viewer, listing_id, 422, problem=error.detail)
    return Redirect(f"/registry/{listing_id}")


_contexts = {
    **DEPENDENCIES,
    "context": Provide(provide_registry_context, sync_to_thread=False),
    "store": Provide(provide_file_store, sync_to_thread=False),
}
api_router = Router(
    path="/api/v1",
    route_handlers=[
        api_search,
        api_propose,
        api_listing,
        *action_routes,
        api_act,
        api_rights_holder,
        api_report,
        api_get_report,
        api_counter_notice,
        api_withdraw_report,
        api_decide_report,
        api_accuracy,
        api_add_listing_evidence,
        api_listing_evidence,
    ],
    dependencies=_contexts,
    tags=["registry"],
)
open_data = [tree_head, public_key, consistency, export, proof]
page_router = Router(
    path="/",
    route_handlers=[
        registry_page,
        listing_page,
        listing_action_form,
        enterprise_page,
        registrar_page,
        registrar_propose,
        reporter_page,
        listing_evidence_form,
        listing_evidence_download,
        api_listing_evidence_file,
    ],
    dependencies=_contexts,
)
