"""Case pages and the `/api/v1/cases` endpoints. Thin: parse, call the service or `apply()`, render."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Response, Router, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from accord.auth import Viewer, signed_in_viewer
from accord.errors import InvalidInput
from accord.i18n import gettext as _
from accord.pagination import Page, window
from accord.settings import Settings
from accounts.schemas import EnterpriseBrief
from cases import service
from cases.files import FileStore, download_disposition
from cases.schemas import (
    CaseFilingIn,
    CaseOut,
    CaseSummaryOut,
    EvidenceOut,
    MessageIn,
    MessageOut,
    OfferOut,
    PartyOut,
    RecordEventOut,
    RecordOut,
    RemedyOut,
    TraceOut,
    money_out,
)
from cases.workflow import CaseTerms, Context, apply

# --- dependencies --------------------------------------------------------------------------------


def provide_context(state: State) -> Context:
    return Context(clock=state.clock, calendar=state.calendar, terms=state.get("case_terms", CaseTerms()))


def provide_file_store(state: State) -> FileStore:
    return state.file_store  # type: ignore[no-any-return]


def local_today(context: Context, settings: Settings) -> date:
    return context.clock.now().astimezone(settings.timezone).date()


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


def case_out(view: service.CaseView, warnings: list[str] | None = None) -> CaseOut:
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
        purchase_date=case["purchase_date"],
        product_name=case["product_name"],
        gtin=case["gtin"],
        trace=trace,
        waybill=case["waybill"],
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
        rating=case["rating"],
        allowed_actions=view.allowed_actions,
        filed_at=case["filed_at"],
        updated_at=case["updated_at"],
        warnings=warnings or [],
    )


def message_out(row: dict[str, Any]) -> MessageOut:
    return MessageOut(
        seq=row["seq"],
        channel=row["channel"],
        text=row["text"],
        author=PartyOut(id=row["author"], display_name=row["author_name"]),
        at=row["created_at"],
    )


def evidence_out(row: dict[str, Any]) -> EvidenceOut:
    return EvidenceOut(**{key: row[key] for key in EvidenceOut.model_fields})


def _single_file(data: dict[str, Any]) -> UploadFile:
    upload = data.get("file")
    if isinstance(upload, list):
        upload = upload[0] if upload else None
    if not isinstance(upload, UploadFile):
        raise InvalidInput.one("file", _("Choose a file to upload."))
    return upload


# --- API -----------------------------------------------------------------------------------------


@post("/cases", status_code=HTTP_201_CREATED, summary="File a case against a merchant (consumers)")
async def api_file_case(
    viewer: NamedDependency[Viewer],
    data: JSONBody[CaseFilingIn],
    context: NamedDependency[Context],
    settings: NamedDependency[Settings],
) -> CaseOut:
    result = await service.file_case(viewer, data, context, local_today(context, settings))
    view = await service.case_view(viewer, result.case["reference"], context)
    return case_out(view, result.warnings)


@get("/cases", summary="The cases the caller may see")
async def api_list_cases(
    viewer: NamedDependency[Viewer],
    context: NamedDependency[Context],
    state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
    due_soon: FromQuery[bool] = False,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[CaseSummaryOut]:
    due_before = context.calendar.add_working_days(context.clock.now(), 2) if due_soon else None
    rows, next_cursor = await service.list_cases(viewer, window(cursor, limit), state_filter or None, due_before)
    items = [
        CaseSummaryOut(
            reference=row["reference"],
            state=row["state"],
            category=row["category"],
            product_name=row["product_name"],
            enterprise=row["enterprise_name"],
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
    return case_out(await service.case_view(viewer, reference, context))


@post("/cases/{reference:str}/actions/{action:str}", status_code=200, summary="Apply an action of the transition table")
async def api_apply(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    action: FromPath[str],
    data: JSONBody[dict[str, Any]],
    context: NamedDependency[Context],
) -> CaseOut:
    payload = dict(data)
    version = payload.pop("version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput.one("version", _("Send the version of the case you are acting on."))
    await apply(reference, action, viewer, payload, context, expected_version=version)
    return case_out(await service.case_view(viewer, reference, context))


@get("/cases/{reference:str}/messages", summary="Messages visible to the caller after a sequence number")
async def api_messages(
    viewer: NamedDependency[Viewer],
    reference: FromPath[str],
    after: FromQuery[int] = 0,
    limit: FromQuery[int | None] = None,
) -> Page[MessageOut]:
    size = window(None, limit).limit
    rows = await service.messages(viewer, reference, after, size + 1)
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
    upload = _single_file(data)
    content = await upload.read()
    channel = str(data.get("channel") or "joint")
    row = await service.add_evidence(
        viewer, reference, content, channel, str(data.get("description") or ""), context, store
    )
    return evidence_out(row)


@get("/cases/{reference:str}/evidence", summary="Evidence visible to the caller")
async def api_evidence_list(viewer: NamedDependency[Viewer], reference: FromPath[str]) -> Page[EvidenceOut]:
    rows = await service.evidence_list(viewer, reference)
    return Page[EvidenceOut](items=[evidence_out(row) for row in rows], next_cursor=None)


async def _evidence_response(viewer: Viewer, reference: str, evidence_id: int, store: FileStore) -> Response[bytes]:
    row, content = await service.evidence_file(viewer, reference, evidence_id, store)
    return Response(
        content,
        media_type=row["media_type"],
        headers={
            "Content-Disposition": download_disposition(row["media_type"], row["sha256"]),
            "Cache-Control": "private, max-age=3600",
        },
    )


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
    rows, verification = await service.case_record(viewer, reference)
    return RecordOut(
        events=[
            RecordEventOut(
                seq=row["seq"],
                type=row["type"],
                at=row["at"],
                actor=row["actor"],
                actor_role=row["actor_role"],
                channel=row["channel"],
                data=row["data"],
                prev_hash=row["prev_hash"],
                hash=row["hash"],
            )
            for row in rows
        ],
        verified=verification.verified,
        first_bad_seq=verification.first_bad_seq,
    )


api_router = Router(
    path="/api/v1",
    route_handlers=[
        api_file_case,
        api_list_cases,
        api_case,
        api_apply,
        api_messages,
        api_post_message,
        api_add_evidence,
        api_evidence_list,
        api_evidence_file,
        api_record,
    ],
    dependencies=DEPENDENCIES,
    tags=["cases"],
)
