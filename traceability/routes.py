"""Traceability pages and `/api/v1` endpoints: company prefixes, EPCIS ingest, item histories. Thin."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, MultipartBody, URLEncodedBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED

from accord.auth import Viewer, require_role, signed_in_viewer
from accord.clock import Clock
from accord.errors import Conflict, InvalidInput, NotFound
from accord.files import single_file
from accord.web import page
from traceability import service
from traceability.schemas import (
    BizTransactionOut,
    EndOut,
    IngestOut,
    ItemEventOut,
    ItemOut,
    PartyRef,
    PrefixIn,
    PrefixOut,
    RejectedOut,
)

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # 100,000 events are about 30 MB (bench/trace.py); other routes keep 12 MB
_signed_in = {"viewer": Provide(signed_in_viewer)}
_admin = {"viewer": Provide(require_role("admin"))}


def ingest_out(result: service.IngestResult) -> IngestOut:
    return IngestOut(
        accepted=result.accepted,
        stored=result.stored,
        duplicates=result.duplicates,
        rejected=[RejectedOut(index=r.index, message=r.message) for r in result.rejected],
    )


def item_out(history: service.ItemHistory) -> ItemOut:
    return ItemOut(
        gtin=history.gtin,
        serial=history.serial,
        commissioned_by=PartyRef(**history.commissioned_by) if history.commissioned_by else None,
        commissioned_at=history.commissioned_at,
        status=history.status.value,
        events=[
            ItemEventOut(
                event_id=e["event_id"],
                type=e["type"],
                action=e["action"],
                biz_step=e["biz_step"],
                disposition=e["disposition"],
                event_time=e["event_time"],
                read_point=e["read_point"],
                biz_location=e["biz_location"],
                parent=e["parent"],
                biz_transactions=[BizTransactionOut(**t) for t in e["details"]["biz_transactions"]],
                sources=[EndOut(**s) for s in e["details"]["sources"]],
                destinations=[EndOut(**d) for d in e["details"]["destinations"]],
                submitted_by=PartyRef(id=e["enterprise"], name=e["enterprise_name"]),
            )
            for e in history.events
        ],
        cases=history.cases,
    )


# --- API ---------------------------------------------------------------------------------------------


@post(
    "/admin/enterprises/{enterprise_id:int}/prefixes",
    dependencies=_admin,
    status_code=HTTP_201_CREATED,
    summary="Record a GS1 company prefix for an enterprise (registrars)",
)
async def api_add_prefix(
    viewer: NamedDependency[Viewer],
    enterprise_id: FromPath[int],
    data: JSONBody[PrefixIn],
    clock: NamedDependency[Clock],
) -> PrefixOut:
    row = await service.add_prefix(viewer, enterprise_id, data.prefix, clock)
    return PrefixOut(id=row["id"], enterprise_id=row["enterprise"], prefix=row["prefix"], added_at=row["added_at"])


@post(
    "/trace/epcis",
    dependencies=_signed_in,
    status_code=HTTP_201_CREATED,
    request_max_body_size=MAX_DOCUMENT_BYTES,
    summary="Submit an EPCIS 2.0 JSON / JSON-LD document (agents of verified enterprises)",
    description="Body: an EPCISDocument. Bad events are listed in `rejected` by index; the good ones are kept. "
    "A malformed document is refused whole (422).",
)
async def api_ingest(
    request: Request[Any, Any, Any], viewer: NamedDependency[Viewer], clock: NamedDependency[Clock]
) -> IngestOut:
    service.require_submitter(viewer)
    return ingest_out(await service.ingest(viewer, await request.body(), clock))


@get("/trace/items/{gtin:str}/{serial:str}", dependencies=_signed_in, summary="One serialised item's history")
async def api_item(viewer: NamedDependency[Viewer], gtin: FromPath[str], serial: FromPath[str]) -> ItemOut:
    return item_out(await service.item_history(viewer, gtin, serial))


# --- pages -------------------------------------------------------------------------------------------


@get("/trace/upload", dependencies=_signed_in)
async def upload_page(viewer: NamedDependency[Viewer]) -> Any:
    service.require_submitter(viewer)
    return page("trace/upload.html", result=None, errors={})


@post("/trace/upload", dependencies=_signed_in, request_max_body_size=MAX_DOCUMENT_BYTES)
async def upload(
    viewer: NamedDependency[Viewer], data: MultipartBody[dict[str, Any]], clock: NamedDependency[Clock]
) -> Any:
    service.require_submitter(viewer)
    try:
        content = await single_file(data).read()
        result = await service.ingest(viewer, content, clock)
    except InvalidInput as error:
        return page("trace/upload.html", status=422, result=None, errors={e.field: e.message for e in error.errors})
    return page("trace/upload.html", status=201, result=result, errors={})


@get("/trace/items/{gtin:str}/{serial:str}", dependencies=_signed_in)
async def item_page(viewer: NamedDependency[Viewer], gtin: FromPath[str], serial: FromPath[str]) -> Any:
    return page("trace/item.html", item=await service.item_history(viewer, gtin, serial))


async def _prefixes_page(
    status: int = 200, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> Any:
    prefixes = await service.all_prefixes()
    return page("trace/prefixes.html", status=status, prefixes=prefixes, form=form or {}, errors=errors or {})


@get("/admin/trace/prefixes", dependencies=_admin)
async def prefixes_page(viewer: NamedDependency[Viewer]) -> Any:
    return await _prefixes_page()


@post("/admin/trace/prefixes", dependencies=_admin)
async def add_prefix_form(
    viewer: NamedDependency[Viewer], data: URLEncodedBody[dict[str, Any]], clock: NamedDependency[Clock]
) -> Any:
    form = {"uscc": str(data.get("uscc") or ""), "prefix": str(data.get("prefix") or "").strip()}
    try:
        enterprise_id = await service.enterprise_by_uscc(form["uscc"])
        await service.add_prefix(viewer, enterprise_id, form["prefix"], clock)
    except InvalidInput as error:
        return await _prefixes_page(422, form, {e.field: e.message for e in error.errors})
    except (Conflict, NotFound) as error:
        return await _prefixes_page(409 if isinstance(error, Conflict) else 404, form, {"prefix": error.detail})
    return Redirect("/admin/trace/prefixes")


page_routes = [upload_page, upload, item_page, prefixes_page, add_prefix_form]
api_router = Router(path="/api/v1", route_handlers=[api_add_prefix, api_ingest, api_item], tags=["trace"])
