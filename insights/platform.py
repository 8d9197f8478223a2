"""A platform's dashboard (issue 17 §3): what a marketplace that answers for its merchants needs to see.

For the approved agents of a platform enterprise only (anyone else: 403, a role that may never): the cases
naming the platform (counts by state, and a list, keyset-paginated on the platform's (updated_at, id) index),
its linked merchants' response and fulfilment rates over a range (from the rollups, as every rate here is:
counted in the database, see insights/service.py), the cases waiting for its decision (breached, or waiting
for a mediator with a merchant who never answered, not compensated yet: it may compensate in advance), its
recourse claims (totals by state and currency, and a list) and its merchants' published registry listings
(through the integrity module's `published_listings` service: insights does not read the registry's tables).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from accord.auth import Viewer
from accord.errors import Forbidden
from accord.i18n import gettext as _
from accord.pagination import Window
from accounts.tables import Enterprise, EnterpriseKind, PlatformMerchant
from cases import recourse
from cases.service import changed_page, latest_changed_first
from cases.tables import Case, CaseState
from insights.service import Filters, enterprise_rates, rates_of

ListingsOf = Callable[[list[int]], Awaitable[list[dict[str, Any]]]]
WAITING_SHOWN = 100  # cases waiting for the platform's decision listed at once (oldest change first)


async def no_listings(enterprise_ids: list[int]) -> list[dict[str, Any]]:
    return []


async def platform_of(viewer: Viewer) -> dict[str, Any]:
    """The platform enterprise the viewer speaks for; 403 for everyone else (a role that may never)."""
    if viewer.role == "merchant" and viewer.enterprise_id is not None:
        found = (
            await Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.name_zh, Enterprise.kind)
            .where(Enterprise.id == viewer.enterprise_id)
            .first()
        )
        if found and found["kind"] == EnterpriseKind.platform:
            return found
    raise Forbidden(_("Only the agents of a platform have a platform dashboard."))


CASE_COLUMNS = (
    Case.id,
    Case.reference,
    Case.state,
    Case.category,
    Case.product_name,
    Case.enterprise,
    Case.enterprise.name.as_alias("enterprise_name"),
    Case.compensated_by,
    Case.merchant_responded,
    Case.filed_at,
    Case.updated_at,
)


async def cases_of(
    platform_id: int, window: Window, state: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The cases naming the platform, most recently changed first."""
    query = Case.select(*CASE_COLUMNS).where(Case.platform_enterprise == platform_id)
    if state:
        query = query.where(Case.state == state)
    return changed_page(await latest_changed_first(query, window), window)


async def counts_by_state(platform_id: int) -> dict[str, int]:
    rows = await (
        Case.select(Case.state, Count(Case.id).as_alias("n"))
        .where(Case.platform_enterprise == platform_id)
        .group_by(Case.state)
    )
    found = {row["state"]: int(row["n"]) for row in rows}
    return {state.value: found.get(state.value, 0) for state in CaseState}


async def waiting_for_decision(platform_id: int) -> list[dict[str, Any]]:
    """Where the platform may compensate the consumer in advance now (the case table's `advance_compensate`
    rows and their check: breached, or waiting for a mediator with a merchant who never answered)."""
    silent = (Case.state == CaseState.awaiting_mediator.value) & Case.merchant_responded.eq(False)
    return await (
        Case.select(*CASE_COLUMNS)
        .where(
            Case.platform_enterprise == platform_id,
            Case.compensated_by.is_null(),
            (Case.state == CaseState.breached.value) | silent,
        )
        .order_by(Case.updated_at)
        .limit(WAITING_SHOWN)
    )


async def merchants_of(platform_id: int) -> list[dict[str, Any]]:
    return await (
        PlatformMerchant.select(
            PlatformMerchant.merchant.id.as_alias("id"),
            PlatformMerchant.merchant.name.as_alias("name"),
            PlatformMerchant.merchant.name_zh.as_alias("name_zh"),
            PlatformMerchant.merchant.uscc.as_alias("uscc"),
            PlatformMerchant.merchant.verified.as_alias("verified"),
        )
        .where(PlatformMerchant.platform == platform_id)
        .order_by(PlatformMerchant.merchant.name)
    )


@dataclass(frozen=True)
class Dashboard:
    platform: dict[str, Any]
    filters: Filters
    counts: dict[str, int]
    cases: list[dict[str, Any]]
    next_cursor: str | None
    waiting: list[dict[str, Any]]
    merchants: list[dict[str, Any]]  # each with its rates in the range (None where it had no case)
    rates: dict[str, Any]  # all its merchants together
    recourse_totals: list[dict[str, Any]]
    recourse: list[dict[str, Any]]
    recourse_next_cursor: str | None
    listings: list[dict[str, Any]]
    state: str | None = None  # the cases list shows only this state


async def dashboard(
    viewer: Viewer,
    filters: Filters,
    cases_window: Window,
    recourse_window: Window,
    state: str | None = None,
    listings_of: ListingsOf = no_listings,
) -> Dashboard:
    platform = await platform_of(viewer)
    platform_id = platform["id"]
    merchants = await merchants_of(platform_id)
    ids = tuple(merchant["id"] for merchant in merchants)
    rates: dict[str, Any] = {}
    by_merchant: dict[int, dict[str, Any]] = {}
    if ids:
        ranged = Filters(filters.start, filters.end, enterprises=ids)
        rates = await rates_of(ranged)
        by_merchant = {row["enterprise_id"]: row for row in await enterprise_rates(ranged, minimum=1)}
    cases, next_cursor = await cases_of(platform_id, cases_window, state)
    claims, claims_cursor = await recourse.claims_of_platform(platform_id, recourse_window)
    return Dashboard(
        platform=platform,
        filters=filters,
        counts=await counts_by_state(platform_id),
        cases=cases,
        next_cursor=next_cursor,
        waiting=await waiting_for_decision(platform_id),
        merchants=[{**merchant, "rates": by_merchant.get(merchant["id"])} for merchant in merchants],
        rates=rates,
        recourse_totals=await recourse.totals_of_platform(platform_id),
        recourse=claims,
        recourse_next_cursor=claims_cursor,
        listings=await listings_of(list(ids)),
        state=state,
    )
