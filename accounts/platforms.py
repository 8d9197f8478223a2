"""Platforms and their merchants (issue 17): a platform answers for the merchants selling on it, so its
approved agents, or a registrar, link those merchants to it. Every function takes the acting viewer and a
clock and checks who may: the platform's own approved agents and registrars; another enterprise's agent is
told there is no such platform (404), consumers and mediators that their role never may (403).
"""

from __future__ import annotations

from typing import Any

from accord.auth import Viewer
from accord.clock import Clock
from accord.db import write_transaction
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.i18n import gettext as _
from accord.pagination import ID, Window, page_of
from accounts.service import ENTERPRISE_COLUMNS, get_enterprise, record_admin_action
from accounts.tables import Enterprise, EnterpriseKind, PlatformMerchant, Role

MERCHANT_COLUMNS = (
    PlatformMerchant.id,
    PlatformMerchant.linked_at,
    PlatformMerchant.merchant.id.as_alias("merchant_id"),
    PlatformMerchant.merchant.name.as_alias("name"),
    PlatformMerchant.merchant.name_zh.as_alias("name_zh"),
    PlatformMerchant.merchant.uscc.as_alias("uscc"),
    PlatformMerchant.merchant.verified.as_alias("verified"),
    PlatformMerchant.merchant.country.as_alias("country"),
)


async def platform_of(viewer: Viewer, platform_id: int) -> dict[str, Any]:
    """The platform enterprise the viewer may manage the merchants of."""
    if viewer.role not in (Role.merchant.value, Role.admin.value):
        raise Forbidden(_("Only a platform's agents and registrars link merchants to it."))
    if viewer.role == Role.merchant.value and viewer.enterprise_id != platform_id:
        raise NotFound(_("There is no such enterprise."))  # another enterprise's, or an agent not yet approved
    enterprise = await get_enterprise(platform_id)
    if enterprise["kind"] != EnterpriseKind.platform.value:
        raise Conflict(_("Only platforms have merchants linked to them; a registrar can make this enterprise one."))
    return enterprise


async def merchants(
    viewer: Viewer, platform_id: int, window: Window
) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
    """The platform and a page of its merchants, in the order they were linked."""
    platform = await platform_of(viewer, platform_id)
    query = PlatformMerchant.select(*MERCHANT_COLUMNS).where(PlatformMerchant.platform == platform_id)
    if window.after:
        (last_id,) = window.keys(ID)
        query = query.where(PlatformMerchant.id > last_id)
    rows = await query.order_by(PlatformMerchant.id).limit(window.limit + 1)
    shown, cursor = page_of(rows, window.limit, key=lambda row: [row["id"]])
    return platform, shown, cursor


async def link(viewer: Viewer, platform_id: int, merchant_id: int, clock: Clock) -> dict[str, Any]:
    """Link a merchant to the platform; registrars' links are in their audit log."""
    async with write_transaction():
        await platform_of(viewer, platform_id)
        if merchant_id == platform_id:
            raise InvalidInput.one("merchant_id", _("A platform is not a merchant on itself."))
        merchant = await Enterprise.select(*ENTERPRISE_COLUMNS).where(Enterprise.id == merchant_id).first()
        # Agents choose from the public list (verified enterprises); registrars see every enterprise.
        if merchant is None or not (merchant["verified"] or viewer.role == Role.admin.value):
            raise InvalidInput.one("merchant_id", _("Choose the merchant from the list."))
        if merchant["kind"] != EnterpriseKind.merchant.value:
            raise InvalidInput.one("merchant_id", _("Only merchants are linked to a platform."))
        if await PlatformMerchant.exists().where(
            PlatformMerchant.platform == platform_id, PlatformMerchant.merchant == merchant_id
        ):
            raise Conflict(_("This merchant is already linked to the platform."))
        now = clock.now()
        created = await PlatformMerchant.insert(
            PlatformMerchant(platform=platform_id, merchant=merchant_id, linked_by=viewer.id, linked_at=now)
        ).returning(PlatformMerchant.id)
        if viewer.role == Role.admin.value:
            target = f"enterprise:{platform_id}"
            await record_admin_action(viewer, "link_merchant", target, {}, {"merchant": merchant_id}, clock)
    return {**merchant, "merchant_id": merchant_id, "id": created[0]["id"], "linked_at": now}


async def unlink(viewer: Viewer, platform_id: int, merchant_id: int, clock: Clock) -> None:
    async with write_transaction():
        await platform_of(viewer, platform_id)
        removed = (
            await PlatformMerchant.delete()
            .where(PlatformMerchant.platform == platform_id, PlatformMerchant.merchant == merchant_id)
            .returning(PlatformMerchant.id)
        )
        if not removed:
            raise NotFound(_("This merchant is not linked to the platform."))
        if viewer.role == Role.admin.value:
            target = f"enterprise:{platform_id}"
            await record_admin_action(viewer, "unlink_merchant", target, {"merchant": merchant_id}, {}, clock)


async def set_kind(actor: Viewer, enterprise_id: int, kind: EnterpriseKind, clock: Clock) -> None:
    """A registrar says what an enterprise is: a merchant, a platform (its agents then answer for the cases
    naming it) or a brand owner."""
    if not actor.has_role(Role.admin.value):
        raise Forbidden(_("Only registrars may do this."))
    async with write_transaction():
        enterprise = await get_enterprise(enterprise_id)
        await Enterprise.update({Enterprise.kind: kind.value}).where(Enterprise.id == enterprise_id)
        before, after = {"kind": enterprise["kind"]}, {"kind": kind.value}
        await record_admin_action(actor, "enterprise_kind", f"enterprise:{enterprise_id}", before, after, clock)
