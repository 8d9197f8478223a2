"""Platforms' merchants, pages and API (issue 17): a platform's agents at /platform/merchants, registrars at
/admin/enterprises/{id}/merchants (and what an enterprise is, its kind), both on `accounts.platforms`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Router, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from accord.auth import Viewer, require_role, signed_in_viewer
from accord.clock import Clock
from accord.errors import Conflict, Forbidden, InvalidInput
from accord.i18n import gettext as _
from accord.pagination import Page, window
from accord.screening import database_int
from accord.web import page
from accounts import platforms, service
from accounts.schemas import (
    EnterpriseKindIn,
    EnterpriseOut,
    PlatformMerchantIn,
    PlatformMerchantOut,
    platform_merchant_out,
)
from accounts.tables import EnterpriseKind, Role

Form = URLEncodedBody[dict[str, Any]]
_signed_in = {"viewer": Provide(signed_in_viewer)}
_admin = {"viewer": Provide(require_role(Role.admin.value))}
MERCHANTS_SHOWN = 100
MATCHES_SHOWN = 20


# --- API -----------------------------------------------------------------------------------------


@get("/platforms/{platform_id:int}/merchants", dependencies=_signed_in, summary="A platform's merchants")
async def api_merchants(
    viewer: NamedDependency[Viewer],
    platform_id: FromPath[int],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[PlatformMerchantOut]:
    """The platform's approved agents and registrars; the platform must be of kind `platform`."""
    _platform, rows, next_cursor = await platforms.merchants(viewer, platform_id, window(cursor, limit))
    return Page[PlatformMerchantOut](items=[platform_merchant_out(row) for row in rows], next_cursor=next_cursor)


@post(
    "/platforms/{platform_id:int}/merchants",
    status_code=HTTP_201_CREATED,
    dependencies=_signed_in,
    summary="Link a merchant to a platform (its agents, registrars)",
)
async def api_link_merchant(
    viewer: NamedDependency[Viewer],
    platform_id: FromPath[int],
    data: JSONBody[PlatformMerchantIn],
    clock: NamedDependency[Clock],
) -> PlatformMerchantOut:
    return platform_merchant_out(await platforms.link(viewer, platform_id, data.merchant_id, clock))


@delete(
    "/platforms/{platform_id:int}/merchants/{merchant_id:int}",
    status_code=HTTP_204_NO_CONTENT,
    dependencies=_signed_in,
    summary="Unlink a merchant from a platform (its agents, registrars)",
)
async def api_unlink_merchant(
    viewer: NamedDependency[Viewer],
    platform_id: FromPath[int],
    merchant_id: FromPath[int],
    clock: NamedDependency[Clock],
) -> None:
    await platforms.unlink(viewer, platform_id, merchant_id, clock)


@post(
    "/admin/enterprises/{enterprise_id:int}/kind",
    status_code=200,
    dependencies=_admin,
    summary="Say what an enterprise is: merchant, platform or brand (registrars)",
)
async def api_set_kind(
    viewer: NamedDependency[Viewer],
    enterprise_id: FromPath[int],
    data: JSONBody[EnterpriseKindIn],
    clock: NamedDependency[Clock],
) -> EnterpriseOut:
    await platforms.set_kind(viewer, enterprise_id, EnterpriseKind(data.kind), clock)
    row = await service.get_enterprise(enterprise_id)
    return EnterpriseOut(**{key: row[key] for key in EnterpriseOut.model_fields})


# --- pages ---------------------------------------------------------------------------------------


async def _merchants_page(
    viewer: Viewer, platform_id: int, base: str, q: str, status: int = 200, problem: str | None = None
) -> Any:
    platform, rows, _cursor = await platforms.merchants(viewer, platform_id, window(None, MERCHANTS_SHOWN))
    matches: list[dict[str, Any]] = []
    if q.strip():
        everyone = viewer.has_role(Role.admin.value)
        found, _more = await service.search_enterprises(
            q, window(None, MATCHES_SHOWN), include_unverified=everyone, kind=EnterpriseKind.merchant
        )
        linked = {row["merchant_id"] for row in rows}
        matches = [row for row in found if row["id"] not in linked and row["id"] != platform_id]
    return page(
        "accounts/platform_merchants.html",
        status=status,
        platform=platform,
        merchants=rows,
        matches=matches,
        q=q,
        base=base,
        problem=problem,
    )


async def _after_change(viewer: Viewer, platform_id: int, base: str, change: Any) -> Any:
    """Run a link or unlink; a refusal comes back as the page with why, else back to the page."""
    try:
        await change
    except InvalidInput as error:
        return await _merchants_page(viewer, platform_id, base, "", 422, " ".join(e.message for e in error.errors))
    except Conflict as error:
        return await _merchants_page(viewer, platform_id, base, "", 409, error.detail)
    return Redirect(base)


def _own_platform(viewer: Viewer) -> int:
    """The platform of an approved agent (others are told no such platform, or that their role never may:
    registrars manage a platform's merchants from its enterprise, /admin/enterprises/{id}/merchants)."""
    if viewer.role != Role.merchant.value:
        raise Forbidden(_("Only a platform's agents manage its merchants here."))
    return viewer.enterprise_id if viewer.enterprise_id is not None else 0


@get("/platform/merchants", dependencies=_signed_in)
async def merchants_page(viewer: NamedDependency[Viewer], q: FromQuery[str] = "") -> Any:
    platform_id = _own_platform(viewer)
    if viewer.awaits_approval:
        return Redirect("/agency")
    return await _merchants_page(viewer, platform_id, "/platform/merchants", q)


@post("/platform/merchants", dependencies=_signed_in)
async def link_form(viewer: NamedDependency[Viewer], data: Form, clock: NamedDependency[Clock]) -> Any:
    platform_id = _own_platform(viewer)
    merchant_id = database_int(str(data.get("merchant_id", ""))) or 0
    change = platforms.link(viewer, platform_id, merchant_id, clock)
    return await _after_change(viewer, platform_id, "/platform/merchants", change)


@post("/platform/merchants/{merchant_id:int}/remove", dependencies=_signed_in)
async def unlink_form(
    viewer: NamedDependency[Viewer], merchant_id: FromPath[int], clock: NamedDependency[Clock]
) -> Any:
    platform_id = _own_platform(viewer)
    change = platforms.unlink(viewer, platform_id, merchant_id, clock)
    return await _after_change(viewer, platform_id, "/platform/merchants", change)


@get("/admin/enterprises/{enterprise_id:int}/merchants", dependencies=_admin)
async def admin_merchants_page(
    viewer: NamedDependency[Viewer], enterprise_id: FromPath[int], q: FromQuery[str] = ""
) -> Any:
    return await _merchants_page(viewer, enterprise_id, f"/admin/enterprises/{enterprise_id}/merchants", q)


@post("/admin/enterprises/{enterprise_id:int}/merchants", dependencies=_admin)
async def admin_link_form(
    viewer: NamedDependency[Viewer], enterprise_id: FromPath[int], data: Form, clock: NamedDependency[Clock]
) -> Any:
    merchant_id = database_int(str(data.get("merchant_id", ""))) or 0
    change = platforms.link(viewer, enterprise_id, merchant_id, clock)
    return await _after_change(viewer, enterprise_id, f"/admin/enterprises/{enterprise_id}/merchants", change)


@post("/admin/enterprises/{enterprise_id:int}/merchants/{merchant_id:int}/remove", dependencies=_admin)
async def admin_unlink_form(
    viewer: NamedDependency[Viewer],
    enterprise_id: FromPath[int],
    merchant_id: FromPath[int],
    clock: NamedDependency[Clock],
) -> Any:
    change = platforms.unlink(viewer, enterprise_id, merchant_id, clock)
    return await _after_change(viewer, enterprise_id, f"/admin/enterprises/{enterprise_id}/merchants", change)


@post("/admin/enterprises/{enterprise_id:int}/kind", dependencies=_admin)
async def admin_kind_form(
    viewer: NamedDependency[Viewer], enterprise_id: FromPath[int], data: Form, clock: NamedDependency[Clock]
) -> Any:
    kind = str(data.get("kind", ""))
    if kind not in {member.value for member in EnterpriseKind}:
        raise InvalidInput.one("kind", _("Choose what the enterprise is: a merchant, a platform or a brand owner."))
    await platforms.set_kind(viewer, enterprise_id, EnterpriseKind(kind), clock)
    return Redirect(f"/admin/enterprises?q={quote(str(data.get('q', '')))}")


page_routes = [
    merchants_page,
    link_form,
    unlink_form,
    admin_merchants_page,
    admin_link_form,
    admin_unlink_form,
    admin_kind_form,
]
api_router = Router(
    path="/api/v1",
    route_handlers=[api_merchants, api_link_merchant, api_unlink_merchant, api_set_kind],
    tags=["accounts"],
)
