"""Case pages and the `/api/v1/cases` endpoints. Thin: parse, call the service or `apply()`, render."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal

from babel.lists import format_list
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED
from markupsafe import Markup, escape
from pydantic import Field

from accord.auth import Viewer, signed_in_viewer
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge, UnsupportedMedia
from accord.extensions import case_facts, with_prefill
from accord.files import (
    FileStore,
    FileTooLarge,
    UnsupportedFile,
    chosen_files,
    file_response,
    provide_file_store,
    single_file,
    sniff,
)
from accord.i18n import babel_locale, label, ngettext
from accord.i18n import gettext as _
from accord.pagination import Page, after_seq, window
from accord.screening import database_int
from accord.validation import Strict, parse
from accord.statemachine import ActionRequest, request_models
from accord.web import action_route, form_versioned, nest_form, page, payload_from_form, versioned
from accounts.schemas import EnterpriseBrief
from accounts.service import active_mediators, get_enterprise, search_enterprises
from accounts.tables import EnterpriseKind
from cases import record, recourse, service, story
from cases.access import SYSTEM, speaker_role
from cases.changes import changes_since
from cases.context import provide_context
from cases.forms import channel_name, typed_values
from cases.schemas import (
    AuthorOut,
    CaseFilingIn,
    CaseOut,
    CaseSummaryOut,
    EvidenceOut,
    FulfilmentOut,
    InformationRequestOut,
    MessageIn,
    MessageOut,
    OfferOut,
    PartyOut,
    PlatformEnterpriseOut,
    RatingOut,
    RecourseClaimOut,
    RecordEventOut,
    RecordOut,
    RemedyOut,
    SealedEventOut,
    StatementOut,
    TraceCheckOut,
    TraceOut,
    money_out,
)
from cases.tables import CaseState, Category, RemedyType
from cases.waybill import Carrier
from cases.words import CaseWords, InformationRequest, Statement, statements
from cases.workflow import ACTIONS, MACHINE, ROLES_OF_ACTION, SPECS, Context, apply

RoleView = Literal["merchant", "platform"]

# --- dependencies --------------------------------------------------------------------------------


def due_soon_cutoff(context: Context, due_soon: bool) -> datetime | None:
    """ "Due soon" means an open deadline within 2 working days."""
    return context.calendar.add_working_days(context.clock.now(), 2) if due_soon else None


def local_today(context: Context) -> date:
    """Today in the service's zone (the case context's, the deployment's)."""
    return context.clock.now().astimezone(context.zone).date()


DEPENDENCIES = {
    "viewer": Provide(signed_in_viewer),
    "context": Provide(provide_context, sync_to_thread=False),
    "store": Provide(provide_file_store, sync_to_thread=False),
}

# --- API shapes ----------------------------------------------------------------------------------


def _party(person: dict[str, Any] | None) -> PartyOut | None:
    return PartyOut(id=person["id"], display_name=person["display_name"]) if person else None


def offer_out(offer: dict[str, Any] | None) -> OfferOut | None:
    if offer is None:
        return None
    return OfferOut(
        id=offer["id"],
        by=offer["by_role"],
        author=AuthorOut(id=offer["author"], display_name=offer["author_name"], role=offer["by_role"]),
        remedies=[
            RemedyOut(type=r["type"], amount=money_out(r["amount"], r["currency"]), description=r["description"])
            for r in offer["remedies"]
        ],
        text=offer["text"],
        fulfil_by=offer["fulfil_by"],
        status=offer["status"],
        consumer_accepted=offer["consumer_accepted_at"] is not None,
        merchant_accepted=offer["merchant_accepted_at"] is not None,
        created_at=offer["created_at"],
    )


def case_out(
    view: service.CaseView, warnings: list[str] | None = None, words: CaseWords | None = None
) -> CaseOut:
    case = view.case
    trace = None
    if case["trace_code"]:
        trace = TraceOut(
            gtin=case["trace_gtin"], batch=case["trace_batch"], serial=case["trace_serial"], expiry=case["trace_expiry"]
        )
    return CaseOut(
        reference=case["reference"],
        state=case["state"],
        version=case["version"],
        category=case["category"],
        enterprise=EnterpriseBrief(**view.enterprise),
        consumer=_party(view.consumer),  # type: ignore[arg-type]
        mediator=_party(view.mediator),
        order_number=case["order_number"],
        platform=case["platform"],
        platform_enterprise=PlatformEnterpriseOut(**view.platform_enterprise) if view.platform_enterprise else None,
        compensated_by=case["compensated_by"],
        purchase_date=case["purchase_date"],
        product_name=case["product_name"],
        gtin=case["gtin"],
        trace=trace,
        waybill=case["waybill"],
        waybill_carrier=case["waybill_carrier"],
        amount_paid=money_out(case["amount_paid"], case["currency"]),
        desired_remedy=case["desired_remedy"],
        description=case["description"],
        language=case["language"],
        is_appeal=case["is_appeal"],
        decline_reason=case["decline_reason"],
        deadlines=view.deadlines,
        offers=[offer_out(offer) for offer in view.offers],  # type: ignore[misc]
        proposal=offer_out(view.proposal),
        settlement=offer_out(view.settlement),
        allowed_actions=view.allowed_actions,
        next=view.next.as_json(),  # type: ignore[arg-type]  # validated into NextOut
        filed_at=case["filed_at"],
        updated_at=case["updated_at"],
        warnings=warnings or [],
        compensation_state=case["compensation_state"],
        recourse_claim=recourse_claim_out(view.recourse_claim),
        **words_out(view, words or CaseWords([])),
    )


def recourse_claim_out(claim: dict[str, Any] | None) -> RecourseClaimOut | None:
    if claim is None:
        return None
    return RecourseClaimOut(
        id=claim["id"],
        case_reference=claim["case_reference"],
        platform=_claim_party(claim, "platform"),
        merchant=_claim_party(claim, "merchant"),
        amount=money_out(claim["amount"], claim["currency"]),  # type: ignore[arg-type]
        note=claim["note"],
        state=claim["state"],
        created_at=claim["created_at"],
        recovered_at=claim["recovered_at"],
    )


def _claim_party(claim: dict[str, Any], side: str) -> EnterpriseBrief:
    """The claim's platform or merchant, from the columns CLAIM_COLUMNS joins in under the side's name."""
    return EnterpriseBrief(
        id=claim[side],
        name=claim[f"{side}_name"],
        uscc=claim[f"{side}_uscc"],
        verified=bool(claim[f"{side}_verified"]),
        kind=claim[f"{side}_kind"],
    )


def message_out(row: dict[str, Any]) -> MessageOut:
    return MessageOut(
        seq=row["seq"],
        channel=row["channel"],
        text=row["text"],
        author=AuthorOut(id=row["author"], display_name=row["author_name"], role=row["author_role"]),
        at=row["created_at"],
    )


def evidence_out(row: dict[str, Any]) -> EvidenceOut:
    return EvidenceOut.model_validate(row)


async def case_json(viewer: Viewer, reference: str, context: Context) -> CaseOut:
    return await case_json_of(viewer, await service.case_view(viewer, reference, context))


async def case_json_of(viewer: Viewer, view: service.CaseView) -> CaseOut:
    """The case as the API shows it, from a view the caller already has."""
    out = case_out(view, words=await service.case_words(view))
    facts = await case_facts(viewer, view.case)
    if facts.get("trace_check"):
        out.trace_check = TraceCheckOut(**facts["trace_check"])
    return out


def author_out(statement: Statement) -> AuthorOut:
    role = speaker_role(statement.actor_role)
    return AuthorOut(id=statement.actor, display_name=statement.actor_name or "", role=role)


def words_out(view: service.CaseView, words: CaseWords) -> dict[str, Any]:
    """The CaseOut fields of what people said, from statements the caller may read (and only those)."""
    ending = words.ending
    rating = None
    if "caucus:consumer" in view.readable_channels and view.case["rating"] is not None:
        rating = RatingOut(score=view.case["rating"], comment=view.case["rating_comment"] or "")
    return {
        "statements": [
            StatementOut(
                seq=statement.seq,
                action=statement.action,
                at=statement.at,
                author=author_out(statement),
                words=statement.words,
                words_channel=statement.words_channel,
            )
            for statement in words.with_words
        ],
        "information_request": _information_request_out(words.information_request),
        "fulfilment": _fulfilment_out(words),
        "decline_note": ending.words.get("note") if ending and ending.action == "decline" else None,
        "closing_note": ending.words.get("note") if ending and ending.action == "close_unresolved" else None,
        "rating": rating,
    }


def _fulfilment_out(words: CaseWords) -> FulfilmentOut | None:
    marked, dispute = words.fulfilment, words.dispute
    if marked is None:
        return None
    return FulfilmentOut(
        proof=marked.words.get("proof", ""),
        marked_at=marked.at,
        marked_by=author_out(marked),
        dispute_reason=dispute.words.get("reason") if dispute else None,
        disputed_at=dispute.at if dispute else None,
    )


def _information_request_out(request: InformationRequest | None) -> InformationRequestOut | None:
    if request is None:
        return None
    answer = request.answer
    return InformationRequestOut(
        party=request.party,
        asked_by=author_out(request.asked),
        asked_at=request.asked.at,
        due_at=request.due_at,
        question=request.question,
        open=request.open,
        answer=answer.words.get("text") if answer else None,
        answered_at=answer.at if answer else None,
        answered_by=author_out(answer) if answer else None,
        lapsed_at=request.lapsed.at if request.lapsed else None,
    )


# --- API -----------------------------------------------------------------------------------------


@post("/cases", status_code=HTTP_201_CREATED, summary="File a case against a merchant (consumers)")
async def api_file_case(
    viewer: NamedDependency[Viewer],
    data: JSONBody[CaseFilingIn],
    context: NamedDependency[Context],
) -> CaseOut:
    result = await service.file_case(viewer, data, context, local_today(context))
    view = await service.case_view(viewer, result.case["reference"], context)
    return case_out(view, result.warnings, await service.case_words(view))


@get("/cases", summary="The cases the caller may see")
async def api_list_cases(
    viewer: NamedDependency[Viewer],
    context: NamedDependency[Context],
    state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
    due_soon: FromQuery[bool] = False,
    role_view: FromQuery[RoleView | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[CaseSummaryOut]:
    """Merchant agents: `role_view=merchant` lists the cases against their enterprise, `role_view=platform`
    those naming it as the platform of the purchase; left out, a platform's agents get the latter."""
    due_before = due_soon_cutoff(context, due_soon)
    rows, next_cursor = await service.list_cases(
        viewer, window(cursor, limit), state_filter or None, due_before, role_view
    )
    items = [
        CaseSummaryOut(
            reference=row["reference"],
            state=row["state"],
            category=row["category"],
            product_name=row["product_name"],
            enterprise=row["enterprise_name"],
            platform_enterprise_id=row["platform_enterprise"],
            filed_at=row["filed_at"],
            updated_at=row["updated_at"],
            next_deadline=row["next_deadline"],
        )
        for row in rows
    ]
    return Page[CaseSummaryOut](items=items, next_cursor=next_cursor)


@get("/cases/{reference:str}", summary="One case, as the caller may see it")
async def api_case(
    viewer: NamedDependency[Viewer], reference: FromPath[str], context: NamedDependency[Context]
) -> CaseOut:
    return await case_json(viewer, reference, context)


async def _act(viewer: Viewer, reference: str, action: str, data: ActionRequest, context: Context) -> CaseOut:
    version, payload = data.split()
    await apply(reference, action, viewer, payload, context, expected_version=version)
    return await case_json(viewer, reference, context)


@post("/cases/{reference:str}/actions/{action:str}", status_code=200, include_in_schema=False)
async def api_apply(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    action: FromPath[str],
    data: JSONBody[dict[str, Any]],
    context: NamedDependency[Context],
) -> CaseOut:
    """Actions without a route of their own: unknown ones (404) and the system's timeouts (403)."""
    version, payload = versioned(data, _("Send the version of the case you are acting on."))
    await apply(reference, action, viewer, payload, context, expected_version=version)
    return await case_json(viewer, reference, context)


# One documented route per action people take (the system's timeouts have none), generated from the table.
ACTION_REQUESTS = request_models(MACHINE, "Case", frozenset(a for a in ACTIONS if ROLES_OF_ACTION[a] - {SYSTEM}))
action_routes = [
    action_route(
        f"/cases/{{reference:str}}/actions/{action}",
        action,
        body,
        _act,
        {"viewer": NamedDependency[Viewer], "reference": FromPath[str], "context": NamedDependency[Context]},
        CaseOut,
        summary=f"{action}: {MACHINE.specs[action].label}",
        description=f"Who may, and in which states: the case transition table (`{action}`). "
        "Returns the case as the caller now sees it.",
    )
    for action, body in ACTION_REQUESTS.items()
]


@get("/cases/{reference:str}/messages", summary="Messages visible to the caller after a sequence number")
async def api_messages(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    after: FromQuery[int] = 0,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[MessageOut]:
    """`next_cursor` is the last sequence number shown: pass it back as `cursor` (or as `after`)."""
    size = window(None, limit).limit
    rows = await service.messages(viewer, reference, after_seq(cursor, after), size + 1)
    shown = rows[:size]
    next_cursor = str(shown[-1]["seq"]) if len(rows) > size else None
    return Page[MessageOut](items=[message_out(row) for row in shown], next_cursor=next_cursor)


@post("/cases/{reference:str}/messages", status_code=HTTP_201_CREATED, summary="Post a message to a channel")
async def api_post_message(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    data: JSONBody[MessageIn],
    context: NamedDependency[Context],
) -> MessageOut:
    return message_out(await service.post_message(viewer, reference, data, context))


@post("/cases/{reference:str}/evidence", status_code=HTTP_201_CREATED, summary="Upload evidence (JPEG, PNG, WebP, PDF)")
async def api_add_evidence(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    data: MultipartBody[dict[str, Any]],
    context: NamedDependency[Context],
    store: NamedDependency[FileStore],
) -> EvidenceOut:
    upload = single_file(data)
    content = await upload.read()
    channel = str(data.get("channel") or "joint")
    description = str(data.get("description") or "")
    row = await service.add_evidence(viewer, reference, content, channel, description, context, store, upload.filename)
    return evidence_out(row)


@get("/cases/{reference:str}/evidence", summary="Evidence visible to the caller")
async def api_evidence_list(viewer: NamedDependency[Viewer], reference: FromPath[str]) -> Page[EvidenceOut]:
    rows = await service.evidence_list(viewer, reference)
    return Page[EvidenceOut](items=[evidence_out(row) for row in rows], next_cursor=None)


async def _evidence_response(viewer: Viewer, reference: str, evidence_id: int, store: FileStore) -> Response[bytes]:
    row, content = await service.evidence_file(viewer, reference, evidence_id, store)
    return file_response(row, content)


@get("/cases/{reference:str}/evidence/{evidence_id:int}", summary="Download one evidence file")
async def api_evidence_file(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    evidence_id: FromPath[int],
    store: NamedDependency[FileStore],
) -> Response[bytes]:
    return await _evidence_response(viewer, reference, evidence_id, store)


@get("/cases/{reference:str}/record", summary="The hash-chained case record")
async def api_record(viewer: NamedDependency[Viewer], reference: FromPath[str]) -> RecordOut:
    return record_out(*await service.case_record(viewer, reference))


def record_out(rows: list[dict[str, Any]], verification: record.Verification) -> RecordOut:
    return RecordOut(
        events=[record_event_out(row) for row in rows],
        verified=verification.verified,
        first_bad_seq=verification.first_bad_seq,
    )


def record_event_out(row: dict[str, Any]) -> RecordEventOut | SealedEventOut:
    if row["sealed"]:
        return SealedEventOut.model_validate(row)
    author = AuthorOut(id=row["actor"], display_name=row["actor_name"] or "", role=speaker_role(row["actor_role"]))
    return RecordEventOut.model_validate({**row, "author": author})


class RecourseDecisionIn(Strict):
    note: Annotated[str, Field(max_length=2000)] = ""


@post(
    "/platform/recourse/{claim_id:int}/{decision:str}",
    status_code=200,
    summary="Close a recourse claim: recover or waive (the platform's agents)",
    description="`decision` is `recover` (the merchant paid the amount back) or `waive`. Recorded in the case's "
    "record. The merchant of the claim gets 403, anyone else who may not see it 404; a closed claim is a 409.",
)
async def api_decide_recourse(
    viewer: NamedDependency[Viewer],
    claim_id: FromPath[int],
    decision: FromPath[str],
    data: JSONBody[RecourseDecisionIn],
    context: NamedDependency[Context],
) -> RecourseClaimOut:
    claim = await recourse.decide(viewer, claim_id, recourse.Decision(decision, data.note), context.clock.now())
    return recourse_claim_out(await recourse.claim_of_case(claim["case"]))  # type: ignore[return-value]


api_router = Router(
    path="/api/v1",
    route_handlers=[
        api_file_case,
        api_list_cases,
        api_case,
        *action_routes,
        api_apply,
        api_messages,
        api_post_message,
        api_add_evidence,
        api_evidence_list,
        api_evidence_file,
        api_record,
        api_decide_recourse,
    ],
    dependencies=DEPENDENCIES,
    tags=["cases"],
)


# --- pages ---------------------------------------------------------------------------------------

Form = URLEncodedBody[dict[str, Any]]
OLD_PURCHASE_DAYS = 3 * 365


@dataclass(frozen=True)
class Refusal:
    """A form that comes back refused (409, 422, 403, 413, 415): what was typed into it, and why."""

    form_of: str  # the action, or "message" / "evidence"
    typed: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # why it was refused, in words (a conflict, a closed conversation)
    since: int | None = None  # the version of the case the form was filled in on
    files: tuple[str, ...] = ()  # files chosen in it, which the browser cannot keep: to be attached again


_STATUS_OF_REFUSAL = {UnsupportedMedia: 415, TooLarge: 413, Conflict: 409, Forbidden: 403}


def _form_shown(view: service.CaseView, refusal: Refusal) -> bool:
    """Whether the refused form is on the case page as it is now (then it comes back filled in)."""
    if refusal.form_of == "message":
        return refusal.typed.get("channel") in view.writable_channels
    if refusal.form_of == "evidence":
        return bool(view.writable_channels)
    spec = SPECS.get(refusal.form_of)
    return refusal.form_of in view.allowed_actions and bool(spec and spec.fields and not spec.confirm_page)


def _stale(view: service.CaseView, refusal: Refusal) -> bool:
    return refusal.since is not None and refusal.since < view.case["version"]


def _explained(view: service.CaseView, record: list[dict[str, Any]], told: dict[int, Any], refusal: Refusal) -> Markup:
    """Why the form came back, in words: what changed while it was filled in, and what became of the text."""
    changes = changes_since(record, refusal.since, told) if refusal.since is not None else None
    said = [_in_words(_("While you were writing, %(changes)s."), changes)] if changes else []
    if refusal.reason and not changes:
        said.append(refusal.reason)
    if _form_shown(view, refusal):
        said.append(_("What you typed is kept below: check the case as it is now, then send again."))
    elif typed_values(refusal.form_of, refusal.typed):
        said.append(_("This can no longer be sent from here; what you typed is kept below, so nothing is lost."))
    said.append(_("The case is now: %(state)s.") % {"state": label("state", view.case["state"])})
    return Markup(" ").join(said)


def _in_words(message: str, changes: Markup) -> Markup:
    """A translated sentence around the timeline's sentences (which carry the actors' markup)."""
    return Markup(escape(message)) % {"changes": changes}


def _live_notice(record: list[dict[str, Any]], told: dict[int, Any], since: int) -> Markup | None:
    """For a page that updates itself (case.js asks with ?since=): what changed since it was drawn."""
    changes = changes_since(record, since, told)
    return _in_words(_("The case has just changed: %(changes)s."), changes) if changes else None


def conversation_shown(view: service.CaseView, messages: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The case page's conversations, each with its messages: every channel the viewer may write in, and those
    they may only read that have messages (the parties' channel holds no conversation)."""
    by_channel: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        by_channel.setdefault(message["channel"], []).append(message)
    return [
        (channel, by_channel.get(channel, []))
        for channel in view.readable_channels
        if channel != "parties" and (channel in view.writable_channels or channel in by_channel)
    ]


async def _case_page(
    viewer: Viewer,
    reference: str,
    context: Context,
    *,
    status: int = 200,
    refusal: Refusal | None = None,
    notice: str | None = None,
    since: int | None = None,
) -> Any:
    view = await service.case_view(viewer, reference, context)
    contents = await service.case_contents(view)
    case = view.case
    told = await _told(view, contents.record, context)
    problem = kept = None
    if refusal is not None and (refusal.reason or _stale(view, refusal)):
        problem = _explained(view, contents.record, told["told"], refusal)
    if refusal is not None and not _form_shown(view, refusal):
        kept = typed_values(refusal.form_of, refusal.typed)
    if since is not None:
        notice = _live_notice(contents.record, told["told"], since) or notice
    return page(
        "cases/case.html",
        status=status,
        view=view,
        case=case,
        trace=case["trace_code"]
        and {
            "gtin": case["trace_gtin"],
            "batch": case["trace_batch"],
            "serial": case["trace_serial"],
            "expiry": case["trace_expiry"],
        },
        facts=with_prefill(await case_facts(viewer, case, contents.record)),
        conversation=conversation_shown(view, contents.messages),
        evidence=contents.evidence,
        record=contents.record,
        verification=contents.verification,
        specs=SPECS,
        errors=refusal.errors if refusal else {},
        failed_action=refusal.form_of if refusal else None,
        form=refusal.typed if refusal else {},
        files_to_attach_again=refusal.files if refusal else (),
        problem=problem,
        kept=kept,
        notice=notice,
        channel_names={channel: channel_name(channel, view.related) for channel in view.readable_channels},
        old_purchase=(case["filed_at"].date() - case["purchase_date"]).days > OLD_PURCHASE_DAYS,
        mediators=await active_mediators() if "reassign" in view.allowed_actions else [],
        **told,
    )


def _errors_by_field(error: InvalidInput) -> dict[str, str]:
    return {item.field: item.message for item in error.errors}


@get("/cases", dependencies=DEPENDENCIES)
async def cases_page(
    viewer: NamedDependency[Viewer],
    context: NamedDependency[Context],
    state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
    due_soon: FromQuery[bool] = False,
    role_view: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
) -> Any:
    if viewer.awaits_approval:
        return Redirect("/agency")  # their waiting page says why there is nothing to see yet
    due_before = due_soon_cutoff(context, due_soon)
    shown = service.role_view_of(viewer, role_view)
    rows, next_cursor = await service.list_cases(viewer, window(cursor, 25), state_filter or None, due_before, shown)
    return page(
        "cases/list.html",
        role_view=shown,
        cases=rows,
        states=[state.value for state in CaseState],
        state=state_filter or "",
        due_soon=due_soon,
        next_cursor=next_cursor,
    )


PLATFORMS_LISTED = 100


async def _filing_page(
    request: Request[Any, Any, Any],
    viewer: Viewer,
    q: str,
    *,
    status: int = 200,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    files: tuple[str, ...] = (),
) -> Any:
    if viewer.role != "consumer":
        raise Forbidden(_("Only consumers file cases."))
    matches: list[dict[str, Any]] = []
    if q.strip():
        matches, _cursor = await search_enterprises(q, window(None, 10))
    chosen = database_int(str((form or {}).get("enterprise_id", "")))
    if chosen is not None and not any(m["id"] == chosen for m in matches):
        with contextlib.suppress(NotFound):  # unknown or unverified: the form asks to choose again
            matches = [await get_enterprise(chosen, verified_only=True)] + matches
    # The registry (another package) tells which of these merchants are publicly listed, if it is installed.
    listed = await request.app.state.get("listed_enterprises", _none_listed)([m["id"] for m in matches])
    # The registered platforms to choose from (few: marketplaces, not shops); a platform not among them is typed.
    platforms, _cursor = await search_enterprises("", window(None, PLATFORMS_LISTED), kind=EnterpriseKind.platform)
    return page(
        "cases/new.html",
        listed=listed,
        platforms=platforms,
        status=status,
        q=q,
        matches=matches,
        form=form or {"amount_paid.currency": "CNY"},
        errors=errors or {},
        files_to_attach_again=files,
        categories=[category.value for category in Category],
        remedies=[remedy.value for remedy in RemedyType],
        carriers=[carrier.value for carrier in Carrier],
    )


async def _none_listed(enterprise_ids: list[int]) -> set[int]:
    return set()


# What a link may fill in on the filing form (the guide's "File a complaint"), with the form's length limits.
PREFILLED_TEXT = {"order_number": 100, "product_name": 300, "platform": 200, "description": 5000}
# The diagnosis a filing follows, as the guide's link names it: opaque here, carried in a hidden field.
GUIDE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def prefilled(query: Any) -> dict[str, str]:
    """The filing form's values a link gives: a known category and remedy, text within its field's length, a
    well-formed guide id. Anything else is left out (the form opens as if it had not been given)."""
    form = {"amount_paid.currency": "CNY"}
    for name, known in (("category", Category.__members__), ("desired_remedy", RemedyType.__members__)):
        if query.get(name) in known:
            form[name] = query.get(name)
    for name, limit in PREFILLED_TEXT.items():
        value = (query.get(name) or "").strip()
        if name != "description":
            value = " ".join(value.split())
        if value and len(value) <= limit:
            form[name] = value
    if GUIDE_ID.fullmatch(query.get("guide_id") or ""):
        form["guide_id"] = query.get("guide_id")
    return form


@get("/cases/new", dependencies=DEPENDENCIES)
async def new_case_page(
    request: Request[Any, Any, Any], viewer: NamedDependency[Viewer], q: FromQuery[str] = ""
) -> Any:
    return await _filing_page(request, viewer, q, form=prefilled(request.query_params))


def _filing_data(form: dict[str, Any]) -> dict[str, Any]:
    data = payload_from_form(nest_form({k: v for k, v in form.items() if k not in ("evidence", "q", "guide_id")}))
    if data.get("enterprise_id") == "new":
        data.pop("enterprise_id")
    else:
        data.pop("enterprise", None)
    return data


@post("/cases/new", dependencies=DEPENDENCIES)
async def file_case_form(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Viewer],
    data: MultipartBody[dict[str, Any]],
    context: NamedDependency[Context],
    store: NamedDependency[FileStore],
) -> Any:
    text_fields = {key: value for key, value in data.items() if isinstance(value, str) and key != "search"}
    chosen = tuple(upload.filename for upload in chosen_files(data, "evidence"))
    query = text_fields.get("q", "")
    if "search" in data:  # the merchant search inside the form: everything typed comes back with the matches
        return await _filing_page(request, viewer, query, form=text_fields, files=chosen)
    try:
        filing = parse(CaseFilingIn, _filing_data(text_fields))
        contents = [await upload.read() for upload in chosen_files(data, "evidence")]
        for content in contents:  # every file is checked before anything is stored
            _check_upload(content)
        files = list(zip(contents, chosen, strict=True))
        today = local_today(context)
        guide_id = text_fields.get("guide_id", "")
        guided = guide_id if GUIDE_ID.fullmatch(guide_id) else None
        result = await service.file_case_with_files(viewer, filing, files, context, today, store, guided)
    except InvalidInput as error:
        errors = _errors_by_field(error)
        return await _filing_page(request, viewer, query, status=422, form=text_fields, errors=errors, files=chosen)
    return Redirect(f"/cases/{result.case['reference']}?filed=1")


def _check_upload(content: bytes) -> None:
    try:
        sniff(content)
    except (UnsupportedFile, FileTooLarge) as error:
        raise InvalidInput.one("evidence", str(error)) from None


@get("/cases/{reference:str}", dependencies=DEPENDENCIES)
async def case_page(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    context: NamedDependency[Context],
    added: FromQuery[int | None] = None,
    filed: FromQuery[bool] = False,
    done: FromQuery[str | None] = None,
    since: FromQuery[str | None] = None,
) -> Any:
    """`since`: the version a page showed before it asked for itself again (case.js, on a live change)."""
    notice = _("Your complaint has been filed. The merchant has been asked to answer.") if filed else None
    if filed or added is not None:  # the page confirms uploads by the files' names
        notice = " ".join(filter(None, [notice, await _uploads_notice(viewer, reference, added)]))
    if done:
        notice = _("Done: %(action)s.") % {"action": label("action", done)}
    shown = int(since) if since and since.isascii() and since.isdigit() and len(since) <= 9 else None
    return await _case_page(viewer, reference, context, notice=notice, since=shown)


@get("/cases/{reference:str}/withdraw", dependencies=DEPENDENCIES)
async def withdraw_page(
    viewer: NamedDependency[Viewer], reference: FromPath[str], context: NamedDependency[Context]
) -> Any:
    return await _withdraw_page(viewer, reference, context)


async def _withdraw_page(
    viewer: Viewer, reference: str, context: Context, status: int = 200, refusal: Refusal | None = None
) -> Any:
    view = await service.case_view(viewer, reference, context)
    if "withdraw" not in view.allowed_actions:
        raise Conflict(_("This complaint can no longer be withdrawn."))
    return page(
        "cases/withdraw.html",
        status=status,
        case=view.case,
        spec=SPECS["withdraw"],
        form=refusal.typed if refusal else {},
        errors=refusal.errors if refusal else {},
    )


@get("/cases/{reference:str}/accept", dependencies=DEPENDENCIES)
async def accept_page(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    context: NamedDependency[Context],
    offer: FromQuery[int | None] = None,
) -> Any:
    """Accepting an offer (`?offer=ID`) or the mediator's proposal (no `offer`) settles the case: first
    the terms once more, and a question."""
    view = await service.case_view(viewer, reference, context)
    action = "accept_proposal" if offer is None else "accept_offer"
    if offer is None:
        chosen = view.proposal
    else:
        chosen = next((o for o in view.offers if o["id"] == offer and o["by_role"] not in view.related), None)
    if action not in view.allowed_actions or chosen is None or chosen["status"] != "open":
        raise Conflict(_("This can no longer be accepted. Open the case to see where it stands."))
    return page(
        "cases/accept.html",
        view=view,
        case=view.case,
        offer=chosen,
        action=action,
        fulfilment_days=context.terms.fulfilment_due,
        other_accepted=_other_party_accepted(view, chosen),
    )


def _other_party_accepted(view: service.CaseView, proposal: dict[str, Any]) -> bool:
    """For a proposal: has the other party accepted it already (then this acceptance settles the case)?"""
    mine = "consumer" if "consumer" in view.related else "merchant"
    other = "merchant" if mine == "consumer" else "consumer"
    return proposal.get(f"{other}_accepted_at") is not None


@post("/cases/{reference:str}/actions/{action:str}", dependencies=DEPENDENCIES)
async def action_form(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    action: FromPath[str],
    data: Form,
    context: NamedDependency[Context],
) -> Any:
    typed = {key: value for key, value in data.items() if not key.startswith("_")}
    version = -1
    try:
        version, payload = form_versioned(payload_from_form(nest_form(data)))
        await apply(reference, action, viewer, payload, context, expected_version=version)
    except InvalidInput as error:
        refusal = Refusal(action, typed, _errors_by_field(error), since=version)
        if action == "withdraw":  # back to its own page while it can still be withdrawn
            with contextlib.suppress(Conflict):
                return await _withdraw_page(viewer, reference, context, 422, refusal)
        return await _case_page(viewer, reference, context, status=422, refusal=refusal)
    except Conflict as error:
        refusal = Refusal(action, typed, reason=error.reason, since=version if version >= 0 else None)
        return await _case_page(viewer, reference, context, status=409, refusal=refusal)
    return Redirect(f"/cases/{reference}?done={action}")


@post("/platform/recourse/{claim_id:int}/{decision:str}", dependencies=DEPENDENCIES)
async def decide_recourse_form(
    viewer: NamedDependency[Viewer],
    claim_id: FromPath[int],
    decision: FromPath[str],
    data: Form,
    context: NamedDependency[Context],
) -> Redirect:
    """The buttons on the case page and the platform's dashboard; back to where they were pressed."""
    note = str(data.get("note", ""))[:2000]
    claim = await recourse.decide(viewer, claim_id, recourse.Decision(decision, note), context.clock.now())
    back = str(data.get("back", ""))
    if back != "/platform":
        back = f"/cases/{(await recourse.claim_of_case(claim['case']) or {}).get('case_reference', '')}"
    return Redirect(back)


@post("/cases/{reference:str}/messages", dependencies=DEPENDENCIES)
async def message_form(
    viewer: NamedDependency[Viewer], reference: FromPath[str], data: Form, context: NamedDependency[Context]
) -> Any:
    typed = {key: value for key, value in data.items() if not key.startswith("_")}
    try:
        message = parse(MessageIn, payload_from_form(nest_form(data)))
        await service.post_message(viewer, reference, message, context)
    except InvalidInput as error:
        refusal = Refusal("message", typed, _errors_by_field(error))
        return await _case_page(viewer, reference, context, status=422, refusal=refusal)
    except Forbidden as error:  # the conversation closed meanwhile (the mediator let the case go)
        refusal = Refusal("message", typed, reason=error.detail)
        return await _case_page(viewer, reference, context, status=403, refusal=refusal)
    return Redirect(f"/cases/{reference}#conversation-{message.channel.replace(':', '-')}")


@post("/cases/{reference:str}/evidence", dependencies=DEPENDENCIES)
async def evidence_form(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    data: MultipartBody[dict[str, Any]],
    context: NamedDependency[Context],
    store: NamedDependency[FileStore],
) -> Any:
    channel = str(data.get("channel") or "joint")
    typed = {key: value for key, value in data.items() if isinstance(value, str) and not key.startswith("_")}
    chosen = tuple(upload.filename for upload in chosen_files(data, "file"))
    try:
        content = await single_file(data).read()
        description, named = str(data.get("description") or ""), single_file(data).filename
        added = await service.add_evidence(viewer, reference, content, channel, description, context, store, named)
    except InvalidInput as error:
        refusal = Refusal("evidence", typed, _errors_by_field(error), files=chosen)
        return await _case_page(viewer, reference, context, status=422, refusal=refusal)
    except (UnsupportedMedia, TooLarge, Conflict, Forbidden) as error:
        refusal = Refusal("evidence", typed, {"file": error.detail}, files=chosen)
        return await _case_page(
            viewer, reference, context, status=_STATUS_OF_REFUSAL[type(error)], refusal=refusal,
        )
    return Redirect(f"/cases/{reference}?added={added['id']}#evidence")


async def _uploads_notice(viewer: Viewer, reference: str, evidence_id: int | None) -> str | None:
    """Which files were added, by name: the one just uploaded, or (after filing) all the case has."""
    files = [
        story.file_name(item)
        for item in await service.evidence_list(viewer, reference)
        if evidence_id is None or item["id"] == evidence_id
    ]
    if not files:
        return None
    if evidence_id is not None:
        return _("%(file)s was added.") % {"file": files[0]}
    return ngettext("File added: %(files)s.", "Files added: %(files)s.", len(files)) % {
        "files": format_list(files, locale=babel_locale())
    }



@get("/cases/{reference:str}/evidence/{evidence_id:int}", dependencies=DEPENDENCIES)
async def evidence_download(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    evidence_id: FromPath[int],
    store: NamedDependency[FileStore],
) -> Response[bytes]:
    return await _evidence_response(viewer, reference, evidence_id, store)


@get("/cases/{reference:str}/print", dependencies=DEPENDENCIES)
async def print_page(
    viewer: NamedDependency[Viewer], reference: FromPath[str], context: NamedDependency[Context]
) -> Any:
    view = await service.case_view(viewer, reference, context)
    contents = await service.case_contents(view, full=True)  # an exported record is verified in full
    return page(
        "cases/print.html",
        exported_at=context.clock.now(),
        view=view,
        case=view.case,
        conversation=contents.messages,
        evidence=contents.evidence,
        record=contents.record,
        verification=contents.verification,
        **await _told(view, contents.record, context),
    )


async def _told(view: service.CaseView, events: list[dict[str, Any]], context: Context) -> dict[str, Any]:
    """What people said and the timeline in words, from the record the page loaded (as the viewer sees it)."""
    timeline = story.timeline(events, await service.story_setting(view, events, context))
    return {"words": CaseWords(statements(events)), "timeline": timeline, "told": {line.seq: line for line in timeline}}


page_routes = [
    cases_page,
    new_case_page,
    file_case_form,
    case_page,
    withdraw_page,
    accept_page,
    action_form,
    decide_recourse_form,
    message_form,
    evidence_form,
    evidence_download,
    print_page,
]
