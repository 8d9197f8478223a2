"""Statistics pages and API: public transparency (/stats), the dashboard for registrars and mediators
(/insights, its CSV), and the JSON under /api/v1. Thin: figures come from insights/service.py."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect
from pydantic import BaseModel, Field

from accord.auth import Viewer, require_role
from accord.clock import Clock
from accord.errors import InvalidInput
from accord.i18n import gettext as _
from accord.i18n import country_name, label
from accord.pagination import window
from accord.screening import database_int
from accord.settings import Settings
from accord.validation import day_asked
from accord.web import page
from cases.schemas import MoneyOut, money_out
from cases.tables import CaseState, Category
from insights import alerts, platform, rollups, scorecard, service
from insights.rollups import TRACE_STATUSES
from insights.service import Filters

MAX_SPAN_DAYS = 3660  # ten years
Start = Annotated[
    str | None, QueryParameter(name="from", description="first day, YYYY-MM-DD (default: a year before `to`)")
]
End = Annotated[str | None, QueryParameter(name="to", description="last day, YYYY-MM-DD (default: today)")]
CategoryQuery = Annotated[str | None, QueryParameter(name="category", description="one case category")]
EnterpriseQuery = Annotated[str | None, QueryParameter(name="enterprise_id", description="one enterprise's id")]
EnterprisesOffset = Annotated[
    str | None,
    QueryParameter(
        name="enterprises_offset",
        description=f"the per-enterprise table from this place on (it shows {service.ENTERPRISES_SHOWN} at a time)",
    ),
]


def enterprises_offset(text: str | None) -> int:
    if not text:
        return 0
    offset = database_int(text)
    if offset is None or offset < 0:
        raise InvalidInput.one("enterprises_offset", _("Enter a whole number, 0 or more."))
    return offset


def filters_from(
    clock: Clock,
    settings: Settings,
    start: str | None,
    end: str | None,
    category: str | None = None,
    enterprise_id: str | None = None,
) -> Filters:
    """The range (default: the year up to today where the deployment is), category and enterprise asked for."""
    last = day_asked("to", end) or clock.now().astimezone(settings.timezone).date()
    first = day_asked("from", start) or last - timedelta(days=365)
    if first > last:
        raise InvalidInput.one("from", _("The first day must not be after the last."))
    if (last - first).days > MAX_SPAN_DAYS:
        raise InvalidInput.one("from", _("Ask for at most ten years at a time."))
    if category and category not in Category.__members__:
        raise InvalidInput.one("category", _("There is no such category."))
    enterprise = None
    if enterprise_id:
        enterprise = database_int(enterprise_id)
        if enterprise is None:
            raise InvalidInput.one("enterprise_id", _("Enter an enterprise's number."))
    return Filters(first, last, category or None, enterprise)


async def provide_filters(
    state: State,
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
    start: Start = None,
    end: End = None,
    category: CategoryQuery = None,
    enterprise_id: EnterpriseQuery = None,
) -> Filters:
    """The range, category and enterprise asked for, once every committed move is counted (`provide_range`)."""
    filters = filters_from(clock, settings, start, end, category, enterprise_id)
    await rollups.caught_up(state.calendar, settings.timezone)
    return filters


async def provide_range(
    state: State,
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
    start: Start = None,
    end: End = None,
) -> Filters:
    """The range asked for, once every committed move is counted (the rollups follow the records: the figures
    a page shows include the moves made before it was asked for)."""
    return await provide_filters(state, clock, settings, start, end)


_ranged = {"filters": Provide(provide_range)}
_desk = {"viewer": Provide(require_role("admin", "mediator")), "filters": Provide(provide_filters)}


# --- shapes ----------------------------------------------------------------------------------------


class DurationsOut(BaseModel):
    count: int
    median: int | None
    p90: int | None


class MonthOut(BaseModel):
    month: str
    filed: int
    closed: int
    resolved: int


class CategoryCountOut(BaseModel):
    category: str
    filed: int


class ValueCountOut(BaseModel):
    value: str
    filed: int


class ListingCountOut(BaseModel):
    violation: str
    tier: str
    state: str
    n: int


class RatesOut(BaseModel):
    filed: int
    responded: int
    response_rate: float | None
    settled: int
    settlement_rate: float | None
    fulfilled: int
    breached: int
    fulfilment_rate: float | None
    breach_rate: float | None


class EnterpriseRatesOut(RatesOut):
    enterprise_id: int
    name: str
    name_zh: str | None


class StatsOut(RatesOut):
    """Public figures: counts and rates only, no person, case or message."""

    from_date: date
    to_date: date
    closed: int
    outcomes: dict[str, int]
    outcome_shares: dict[str, float | None]
    first_response_days: DurationsOut
    closing_days: DurationsOut
    by_month: list[MonthOut]
    by_category: list[CategoryCountOut]
    by_currency: list[ValueCountOut]
    by_country: list[ValueCountOut] = Field(description="the merchant's country (ISO 3166 code)")
    by_platform: list[ValueCountOut] = Field(description="the marketplace named at filing, lower-cased")
    by_trace_check: dict[str, int] = Field(
        description="the cases filed in the range with a trace code, by their trace-check result now "
        "(verified, unknown, mismatch, cloned)"
    )
    enterprises: list[EnterpriseRatesOut] = Field(
        description="most cases first, at most 50 from `enterprises_offset` (ask again with a larger one for more)"
    )
    enterprises_total: int = Field(description="how many enterprises the per-enterprise table has in all")
    enterprises_offset: int


class AppealsOut(BaseModel):
    filed: int
    outcomes: dict[str, int]


class RatingsOut(BaseModel):
    count: int
    mean: float | None
    by_score: dict[str, int]


class MediatorLoadOut(BaseModel):
    mediator_id: int
    name: str
    open: int
    by_state: dict[str, int]
    closed: int = Field(description="cases they closed (first closings) in the range")


class TraceChecksOut(BaseModel):
    enterprise_id: int
    name: str
    name_zh: str | None
    verified: int
    unknown: int
    mismatch: int
    cloned: int


class InsightsOut(StatsOut):
    category: str | None
    enterprise_id: int | None
    by_state: dict[str, int]
    appeals: AppealsOut
    ratings: RatingsOut
    mediators: list[MediatorLoadOut]
    listings: list[ListingCountOut] = Field(description="registry listings by violation, tier and state (now)")
    trace_checks: list[TraceChecksOut] = Field(
        description="per enterprise, the cases filed in the range with a trace code, by their trace-check result now"
    )


async def _stats_out(
    found: dict[str, Any], filters: Filters, offset: int, whole: bool = False, **which: Any
) -> dict[str, Any]:
    """The figures with one page of the per-enterprise table, or all of it when `whole` (an export);
    `which`: its minimum and verified_only."""
    ranked = await service.ranked_enterprises(filters, **which)
    limit = None if whole else service.ENTERPRISES_SHOWN
    enterprises = await service.enterprise_rates(filters, **which, offset=offset, limit=limit, ranked=ranked)
    return {
        **found,
        "from_date": found["from"],
        "to_date": found["to"],
        "enterprises": enterprises,
        "enterprises_total": len(ranked),
        "enterprises_offset": offset,
    }


async def public_stats(filters: Filters, offset: int = 0) -> dict[str, Any]:
    found = await service.figures(Filters(filters.start, filters.end))
    return await _stats_out(found, filters, offset, verified_only=True)


async def dashboard(filters: Filters, viewer: Viewer, offset: int = 0, whole: bool = False) -> dict[str, Any]:
    found = await service.figures(filters)
    mediators = await service.mediator_load(found["closed_by_mediator"], None if viewer.role == "admin" else viewer.id)
    return {
        **await _stats_out(found, filters, offset, whole, minimum=1),
        "mediators": mediators,
        "listings": await service.listings_by_violation(),
        "trace_checks": await service.trace_checks(filters),
    }


# --- API -------------------------------------------------------------------------------------------


@get(
    "/stats",
    dependencies=_ranged,
    summary="Public statistics: monthly totals, rates, median working days (no login, no personal data)",
)
async def api_stats(filters: NamedDependency[Filters], offset: EnterprisesOffset = None) -> StatsOut:
    return StatsOut.model_validate(await public_stats(filters, enterprises_offset(offset)))


@get("/insights", dependencies=_desk, summary="Dashboard figures (registrars and mediators)")
async def api_insights(
    viewer: NamedDependency[Viewer], filters: NamedDependency[Filters], offset: EnterprisesOffset = None
) -> InsightsOut:
    return InsightsOut.model_validate(await dashboard(filters, viewer, enterprises_offset(offset)))


# --- pages -----------------------------------------------------------------------------------------


def _chart_rows(pairs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"label": name, "value": value} for name, value in pairs]


def charts(found: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each chart's rows (label, value), drawn as SVG bars with the same numbers in a table beside them."""
    return {
        "filed_by_month": _chart_rows([(m["month"], m["filed"]) for m in found["by_month"]]),
        "closed_by_month": _chart_rows([(m["month"], m["closed"]) for m in found["by_month"]]),
        "by_category": _chart_rows([(label("category", c["category"]), c["filed"]) for c in found["by_category"]]),
        "outcomes": _chart_rows([(label("state", o), n) for o, n in found["outcomes"].items()]),
        "by_state": _chart_rows([(label("state", s), n) for s, n in found.get("by_state", {}).items()]),
        "by_platform": _chart_rows([(row["value"], row["filed"]) for row in found["by_platform"][:15]]),
        "by_country": _chart_rows(
            [(country_name(row["value"]) or row["value"], row["filed"]) for row in found["by_country"][:15]]
        ),
        "by_currency": _chart_rows([(row["value"], row["filed"]) for row in found["by_currency"][:15]]),
        "by_trace_check": _chart_rows([(label("trace_check", s), n) for s, n in found["by_trace_check"].items()]),
    }


@get("/stats", dependencies=_ranged)
async def stats_page(filters: NamedDependency[Filters], offset: EnterprisesOffset = None) -> Any:
    found = await public_stats(filters, enterprises_offset(offset))
    return page("insights/stats.html", stats=found, charts=charts(found), shown=service.ENTERPRISES_SHOWN)


@get("/insights", dependencies=_desk)
async def insights_page(
    viewer: NamedDependency[Viewer], filters: NamedDependency[Filters], offset: EnterprisesOffset = None
) -> Any:
    found = await dashboard(filters, viewer, enterprises_offset(offset))
    return page(
        "insights/dashboard.html",
        stats=found,
        charts=charts(found),
        shown=service.ENTERPRISES_SHOWN,
        categories=[c.value for c in Category],
        alerts=await alerts.list_alerts("open", None, 20),
        query={
            "from": filters.start,
            "to": filters.end,
            "category": filters.category or "",
            "enterprise_id": "" if filters.enterprise_id is None else filters.enterprise_id,
        },
    )


def csv_rows(found: dict[str, Any]) -> list[list[Any]]:
    """The dashboard's numbers as (section, key, value) rows."""
    rows: list[list[Any]] = [
        ["section", "key", "value"],
        ["range", "from", found["from"]],
        ["range", "to", found["to"]],
    ]
    for key in ("filed", "responded", "response_rate", "settled", "settlement_rate", "fulfilled", "breached"):
        rows.append(["totals", key, found[key]])
    rows += [["totals", "fulfilment_rate", found["fulfilment_rate"]], ["totals", "closed", found["closed"]]]
    for name in ("first_response_days", "closing_days"):
        rows += [[name, key, value] for key, value in found[name].items()]
    rows += [["outcomes", key, value] for key, value in found["outcomes"].items()]
    rows += [["state_now", key, value] for key, value in found["by_state"].items()]
    rows += [["category", c["category"], c["filed"]] for c in found["by_category"]]
    for dimension in ("currency", "country", "platform"):
        rows += [[dimension, row["value"], row["filed"]] for row in found[f"by_{dimension}"]]
    rows += [
        ["mediator", f"{m['mediator_id']}:{m['name']}", f"open {m['open']} closed {m['closed']}"]
        for m in found["mediators"]
    ]
    rows += [["listings", f"{l['violation']}:{l['tier']}:{l['state']}", l["n"]] for l in found["listings"]]
    rows += [["trace_check", status, n] for status, n in found["by_trace_check"].items()]
    for row in found["trace_checks"]:
        rows += [[f"trace_check:{row['enterprise_id']}:{row['name']}", key, row[key]] for key in TRACE_STATUSES]
    for month in found["by_month"]:
        rows += [[f"month:{month['month']}", key, month[key]] for key in ("filed", "closed", "resolved")]
    for enterprise in found["enterprises"]:
        for key in ("filed", "response_rate", "settlement_rate", "fulfilment_rate"):
            rows.append([f"enterprise:{enterprise['enterprise_id']}:{enterprise['name']}", key, enterprise[key]])
    return rows


@get("/insights/export.csv", dependencies=_desk)
async def insights_csv(viewer: NamedDependency[Viewer], filters: NamedDependency[Filters]) -> Response[bytes]:
    found = await dashboard(filters, viewer, whole=True)  # a download holds every enterprise, not a page
    text = io.StringIO()
    csv.writer(text).writerows(csv_rows(found))
    return Response(
        ("\ufeff" + text.getvalue()).encode("utf-8"),  # the BOM tells spreadsheet tools it is UTF-8 (Chinese names)
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="insights-{filters.start}-{filters.end}.csv"'},
    )


# --- risk alerts ----------------------------------------------------------------------------------


class AlertOut(BaseModel):
    id: int
    kind: str
    enterprise_id: int | None
    category: str | None
    window: date = Field(description="the day scored (deployment time zone)")
    observed: int = Field(description="complaints filed that day")
    expected: float = Field(description="the day's expected count from its own history")
    score: float = Field(description="-log10 of the Poisson probability of at least `observed`")
    opened_at: datetime
    state: str = Field(description="open | acknowledged | dismissed")
    decided_by: int | None
    decided_at: datetime | None
    note: str


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None


class DecisionIn(BaseModel):
    model_config = {"extra": "forbid"}
    note: str = Field(default="", max_length=500)


def alert_out(alert: dict[str, Any]) -> AlertOut:
    return AlertOut(
        id=alert["id"],
        kind=alert["kind"],
        enterprise_id=alert["enterprise"],
        category=alert["category"],
        window=alert["day"],
        observed=alert["observed"],
        expected=alert["expected"],
        score=alert["score"],
        opened_at=alert["opened_at"],
        state=alert["state"],
        decided_by=alert["decided_by"],
        decided_at=alert["decided_at"],
        note=alert["note"],
    )


@get("/insights/alerts", dependencies=_desk, summary="Risk alerts, newest first (registrars and mediators)")
async def api_alerts(
    viewer: NamedDependency[Viewer],
    state_filter: Annotated[
        str | None, QueryParameter(name="state", description="open | acknowledged | dismissed")
    ] = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[str | None] = None,
) -> AlertPage:
    state = state_filter
    if state and state not in ("open", *alerts.DECISIONS.values()):
        raise InvalidInput.one("state", _("There is no such state."))
    after = database_int(cursor) if cursor else None
    if cursor and after is None:
        raise InvalidInput.one("cursor", _("This cursor is not one we gave out."))
    size = database_int(limit) if limit else 50
    if size is None or not 1 <= size <= 100:
        raise InvalidInput.one("limit", _("Ask for 1 to 100 items."))
    rows = await alerts.list_alerts(state, after, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return AlertPage(items=[alert_out(row) for row in rows], next_cursor=str(rows[-1]["id"]) if more else None)


_registrar = {"viewer": Provide(require_role("admin"))}


@post(
    "/insights/alerts/{alert_id:int}/{decision:str}",
    status_code=200,
    dependencies=_registrar,
    summary="Acknowledge or dismiss an alert (registrars)",
)
async def api_decide_alert(
    viewer: NamedDependency[Viewer],
    clock: NamedDependency[Clock],
    alert_id: FromPath[int],
    decision: FromPath[str],
    data: JSONBody[DecisionIn],
) -> AlertOut:
    return alert_out(await alerts.decide(alert_id, decision, data.note, viewer, clock))


@post("/insights/alerts/{alert_id:int}/{decision:str}", dependencies=_registrar)
async def decide_alert_form(
    viewer: NamedDependency[Viewer],
    clock: NamedDependency[Clock],
    alert_id: FromPath[int],
    decision: FromPath[str],
    data: URLEncodedBody[dict[str, Any]],
) -> Redirect:
    note = str(data.get("note", ""))[:500]
    await alerts.decide(alert_id, decision, note, viewer, clock)
    return Redirect("/insights")


# --- merchant scorecard ----------------------------------------------------------------------------


class MeasureOut(BaseModel):
    name: str
    value: float | None
    platform_median: float | None = Field(description="median over enterprises with at least 5 complaints")
    target: float
    at_risk: float
    higher_is_better: bool
    standing: str | None = Field(description="ok | watch | at_risk; null without data")


class ScorecardOut(BaseModel):
    enterprise_id: int
    name: str
    name_zh: str | None
    from_date: date
    to_date: date
    filed: int
    peers: int = Field(description="enterprises the platform median is taken over")
    measures: list[MeasureOut]


_signed_in = {"viewer": Provide(require_role("admin", "mediator", "merchant", "consumer")), **_ranged}


@get(
    "/enterprises/{enterprise_id:int}/scorecard",
    dependencies=_signed_in,
    summary="An enterprise's scorecard beside the platform median (its agents, registrars, mediators)",
)
async def api_scorecard(
    viewer: NamedDependency[Viewer], filters: NamedDependency[Filters], enterprise_id: FromPath[int]
) -> ScorecardOut:
    return ScorecardOut.model_validate(await scorecard.scorecard(enterprise_id, viewer, filters))


@get("/enterprises/{enterprise_id:int}/scorecard", dependencies=_signed_in)
async def scorecard_page(
    viewer: NamedDependency[Viewer], filters: NamedDependency[Filters], enterprise_id: FromPath[int]
) -> Any:
    return page("insights/scorecard.html", card=await scorecard.scorecard(enterprise_id, viewer, filters))


# --- a platform's dashboard (issue 17 §3) ----------------------------------------------------------


class PlatformCaseOut(BaseModel):
    reference: str
    state: str
    category: str
    product_name: str
    merchant_id: int
    merchant: str
    compensated_by: str | None
    merchant_responded: bool
    filed_at: datetime
    updated_at: datetime


class MerchantRatesOut(BaseModel):
    id: int
    name: str
    name_zh: str | None
    uscc: str | None
    verified: bool
    filed: int = Field(description="complaints filed in the range")
    response_rate: float | None
    fulfilment_rate: float | None


class RecourseTotalOut(BaseModel):
    state: str
    claims: int
    amount: MoneyOut


class PlatformClaimOut(BaseModel):
    id: int
    case_reference: str
    merchant_id: int
    merchant: str
    amount: MoneyOut
    note: str
    state: str
    created_at: datetime
    recovered_at: datetime | None


class PlatformListingOut(BaseModel):
    id: int
    enterprise_id: int
    enterprise: str
    violation: str
    tier: str
    published_at: datetime | None


class PlatformDashboardOut(BaseModel):
    platform_id: int
    name: str
    from_date: date
    to_date: date
    counts: dict[str, int] = Field(description="the cases naming the platform, by state (all time)")
    cases: list[PlatformCaseOut]
    next_cursor: str | None = Field(description="the cases' next page (`cursor`)")
    awaiting_decision: list[PlatformCaseOut] = Field(
        description="breached cases, and cases waiting for a mediator whose merchant never answered, that the "
        "platform may compensate in advance (`advance_compensate`)"
    )
    filed: int = Field(description="complaints against its merchants filed in the range")
    response_rate: float | None = Field(description="its merchants together, in the range")
    fulfilment_rate: float | None
    merchants: list[MerchantRatesOut]
    recourse_totals: list[RecourseTotalOut]
    recourse_claims: list[PlatformClaimOut]
    recourse_next_cursor: str | None = Field(description="the claims' next page (`recourse_cursor`)")
    listings: list[PlatformListingOut] = Field(description="its merchants' published registry listings")


def _platform_case_out(row: dict[str, Any]) -> PlatformCaseOut:
    return PlatformCaseOut(merchant_id=row["enterprise"], merchant=row["enterprise_name"], **row)


def platform_dashboard_out(found: platform.Dashboard) -> PlatformDashboardOut:
    rates = found.rates
    return PlatformDashboardOut(
        platform_id=found.platform["id"],
        name=found.platform["name"],
        from_date=found.filters.start,
        to_date=found.filters.end,
        counts=found.counts,
        cases=[_platform_case_out(row) for row in found.cases],
        next_cursor=found.next_cursor,
        awaiting_decision=[_platform_case_out(row) for row in found.waiting],
        filed=rates.get("filed", 0),
        response_rate=rates.get("response_rate"),
        fulfilment_rate=rates.get("fulfilment_rate"),
        merchants=[
            MerchantRatesOut(
                **{key: merchant[key] for key in ("id", "name", "name_zh", "uscc")},
                verified=bool(merchant["verified"]),
                filed=(merchant["rates"] or {}).get("filed", 0),
                response_rate=(merchant["rates"] or {}).get("response_rate"),
                fulfilment_rate=(merchant["rates"] or {}).get("fulfilment_rate"),
            )
            for merchant in found.merchants
        ],
        recourse_totals=[
            RecourseTotalOut(
                state=row["state"], claims=int(row["claims"]), amount=money_out(int(row["amount"]), row["currency"])
            )
            for row in found.recourse_totals
        ],
        recourse_claims=[
            PlatformClaimOut(
                merchant_id=claim["merchant"],
                merchant=claim["merchant_name"],
                amount=money_out(claim["amount"], claim["currency"]),
                **{key: claim[key] for key in ("id", "case_reference", "note", "state", "created_at", "recovered_at")},
            )
            for claim in found.recourse
        ],
        recourse_next_cursor=found.recourse_next_cursor,
        listings=[
            PlatformListingOut(
                id=row["id"],
                enterprise_id=row["enterprise"],
                enterprise=row["enterprise_name"],
                violation=row["violation"],
                tier=row["tier"],
                published_at=row["published_at"],
            )
            for row in found.listings
        ],
    )


StateQuery = Annotated[str | None, QueryParameter(name="state", description="the cases list: one state")]


async def provide_board(
    request: Request,
    viewer: NamedDependency[Viewer],
    filters: NamedDependency[Filters],
    state_filter: StateQuery = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
    recourse_cursor: FromQuery[str | None] = None,
) -> platform.Dashboard:
    """The dashboard of the viewer's platform, for the page and the API alike."""
    if state_filter and state_filter not in CaseState.__members__:
        raise InvalidInput.one("state", _("There is no such state."))
    return await platform.dashboard(
        viewer,
        filters,
        window(cursor, limit),
        window(recourse_cursor, None),
        state_filter or None,
        listings_of=request.app.state.get("published_listings", platform.no_listings),
    )


_platform_agents = {"viewer": Provide(require_role("merchant")), **_ranged, "board": Provide(provide_board)}


@get(
    "/platform/dashboard",
    dependencies=_platform_agents,
    summary="A platform's dashboard: its merchants' cases, rates, decisions waiting, recourse claims, listings",
    description="For the approved agents of a platform enterprise (403 for everyone else).",
)
async def api_platform_dashboard(board: NamedDependency[platform.Dashboard]) -> PlatformDashboardOut:
    return platform_dashboard_out(board)


@get("/platform", dependencies=_platform_agents)
async def platform_page(board: NamedDependency[platform.Dashboard]) -> Any:
    return page("insights/platform.html", board=board, state=board.state or "")


api_router = Router(
    path="/api/v1",
    route_handlers=[api_stats, api_insights, api_alerts, api_decide_alert, api_scorecard, api_platform_dashboard],
    tags=["insights"],
)
page_routes = [stats_page, insights_page, insights_csv, decide_alert_form, scorecard_page, platform_page]
