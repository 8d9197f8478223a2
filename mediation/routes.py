"""The mediation desk's pages and API: the queue (claiming happens through the case actions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect
from pydantic import BaseModel

from accord.auth import Viewer, require_role, signed_in_viewer
from accord.clock import Clock
from accord.errors import InvalidInput, NotFound
from accord.i18n import gettext as _
from accord.pagination import Page, window
from accord.validation import parse
from accord.web import nest_form, page
from cases.context import provide_context
from cases.schemas import MoneyOut, money_out
from cases.tables import Category
from cases.workflow import Context
from mediation.calendar import (
    RANGE_MAX_DAYS,
    ChinaWorkingCalendar,
    days_between,
    list_entered_years,
    list_overrides,
    reload_calendar,
    years_without_schedule,
)
from mediation.schemas import CalendarOverrideIn
from mediation.service import (
    AMOUNT_BANDS,
    QueueFilter,
    clear_calendar_day,
    mark_schedule_entered,
    queue,
    set_calendar_day,
)

DEPENDENCIES = {
    "viewer": Provide(signed_in_viewer),
    "context": Provide(provide_context, sync_to_thread=False),
}


class QueueItemOut(BaseModel):
    reference: str
    state: str
    category: str
    language: str
    product_name: str
    enterprise: str
    amount_paid: MoneyOut | None
    is_appeal: bool
    version: int
    mediator: str | None
    due_at: datetime | None
    working_days_left: int | None
    overdue: bool
    claimable: bool  # nobody holds it and the caller, a mediator, may claim it


def _filter(category: str, language: str, band: str, appeal: str, overdue: bool, mine: bool) -> QueueFilter:
    return QueueFilter(
        category=category or None,
        language=language or None,
        band=band or None,
        appeal={"yes": True, "no": False}.get(appeal),
        overdue=overdue,
        mine=mine,
    )


@get("/queue", summary="The mediation queue (mediators)")
async def api_queue(
    viewer: NamedDependency[Viewer],
    context: NamedDependency[Context],
    category: FromQuery[str] = "",
    language: FromQuery[str] = "",
    band: FromQuery[str] = "",
    appeal: FromQuery[str] = "",
    overdue: FromQuery[bool] = False,
    mine: FromQuery[bool] = False,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[QueueItemOut]:
    wanted = _filter(category, language, band, appeal, overdue, mine)
    rows, next_cursor = await queue(viewer, wanted, window(cursor, limit), context.clock.now(), context.calendar)
    items = [
        QueueItemOut(
            reference=row["reference"],
            state=row["state"],
            category=row["category"],
            language=row["language"],
            product_name=row["product_name"],
            enterprise=row["enterprise_name"],
            amount_paid=money_out(row["amount_paid"], row["currency"]),
            is_appeal=row["is_appeal"],
            version=row["version"],
            mediator=row["mediator_name"],
            due_at=row["next_due_at"],
            working_days_left=row["working_days_left"],
            overdue=row["overdue"],
            claimable=row["claimable"],
        )
        for row in rows
    ]
    return Page[QueueItemOut](items=items, next_cursor=next_cursor)


@get("/queue", dependencies=DEPENDENCIES)
async def queue_page(
    viewer: NamedDependency[Viewer],
    context: NamedDependency[Context],
    category: FromQuery[str] = "",
    language: FromQuery[str] = "",
    band: FromQuery[str] = "",
    appeal: FromQuery[str] = "",
    overdue: FromQuery[bool] = False,
    mine: FromQuery[bool] = False,
    cursor: FromQuery[str | None] = None,
) -> Any:
    wanted = _filter(category, language, band, appeal, overdue, mine)
    rows, next_cursor = await queue(viewer, wanted, window(cursor, 50), context.clock.now(), context.calendar)
    return page(
        "mediation/queue.html",
        items=rows,
        wanted=wanted,
        appeal=appeal,
        next_cursor=next_cursor,
        categories=[category.value for category in Category],
        bands=list(AMOUNT_BANDS),
    )


api_router = Router(path="/api/v1", route_handlers=[api_queue], dependencies=DEPENDENCIES, tags=["mediation"])
page_routes = [queue_page]


# --- registrar: the working-day calendar ---------------------------------------------------------

_admin = {"viewer": Provide(require_role("admin"))}


def missing_schedule_years(request: Any) -> list[int]:
    """Years (this and next) whose holiday schedule nobody has entered: shown to registrars as a warning."""
    calendar = request.app.state.calendar
    if not isinstance(calendar, ChinaWorkingCalendar):
        return []
    today = request.app.state.clock.now().astimezone(calendar.zone).date()
    return years_without_schedule(today, calendar.entered_years)


def _day_asked(field: str, typed: str | None) -> date | None:
    if not typed:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise InvalidInput.one(field, _("Enter a date like 2026-12-31.")) from None


def _range_asked(first_typed: str | None, last_typed: str | None) -> tuple[date, date] | None:
    """The from/to dates of the days to list (both given, in order, at most a year apart), or None."""
    first, last = _day_asked("from", first_typed), _day_asked("to", last_typed)
    if first is None and last is None:
        return None
    if first is None or last is None:
        raise InvalidInput.one("from" if first is None else "to", _("Give both the first and the last date."))
    if last < first:
        raise InvalidInput.one("to", _("The last date cannot be before the first."))
    if (last - first).days >= RANGE_MAX_DAYS:
        raise InvalidInput.one("to", _("List at most %(days)d days at a time.") % {"days": RANGE_MAX_DAYS})
    return first, last


async def _calendar_page(
    request: Request[Any, Any, Any], status: int = 200, asked: tuple[date, date] | None = None, **context: Any
) -> Any:
    overrides = await list_overrides()
    days = []
    if asked:
        entered = {row["day"]: row["working"] for row in overrides}
        calendar = ChinaWorkingCalendar(request.app.state.settings.timezone, entered)
        notes = {row["day"]: row["note"] for row in overrides}
        days = [{**entry, "note": notes.get(entry["day"], "")} for entry in days_between(calendar, *asked)]
    return page(
        "mediation/calendar.html",
        status=status,
        days=days,
        asked=context.pop("asked_form", {}),
        overrides=overrides,
        missing=missing_schedule_years(request),
        entered_years=await list_entered_years(),
        errors=context.pop("errors", {}),
        form=context.pop("form", {}),
        **context,
    )


@get("/admin/calendar", dependencies=_admin)
async def calendar_page(request: Request[Any, Any, Any], viewer: NamedDependency[Viewer]) -> Any:
    # ?from=&to= ("from" is a Python keyword, so the query is read as it came)
    typed = {"from": request.query_params.get("from") or "", "to": request.query_params.get("to") or ""}
    try:
        asked = _range_asked(typed["from"], typed["to"])
    except InvalidInput as error:
        errors = {e.field: e.message for e in error.errors}
        return await _calendar_page(request, status=422, errors=errors, asked_form=typed)
    return await _calendar_page(request, asked=asked, asked_form=typed)


@post("/admin/calendar", dependencies=_admin)
async def add_calendar_day(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Viewer],
    data: URLEncodedBody[dict[str, Any]],
    clock: NamedDependency[Clock],
) -> Any:
    try:
        entry = parse(CalendarOverrideIn, nest_form(data))
    except InvalidInput as error:
        return await _calendar_page(request, status=422, errors={e.field: e.message for e in error.errors}, form=data)
    await set_calendar_day(viewer, entry.day, entry.working, entry.note, clock, request.app.state.settings.timezone)
    await reload_calendar_of(request.app.state)
    return Redirect("/admin/calendar")


@post("/admin/calendar/{day:str}/remove", dependencies=_admin)
async def remove_calendar_day(
    request: Request[Any, Any, Any], viewer: NamedDependency[Viewer], day: FromPath[str], clock: NamedDependency[Clock]
) -> Any:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise NotFound(_("There is no such day in the calendar.")) from None
    await clear_calendar_day(viewer, parsed, clock, request.app.state.settings.timezone)
    await reload_calendar_of(request.app.state)
    return Redirect("/admin/calendar")


def _year_asked(year: int) -> int:
    if not 1901 <= year <= 2199:
        raise NotFound(_("There is no such year in the calendar."))
    return year


@post("/admin/calendar/years/{year:int}", dependencies=_admin)
async def mark_year(
    request: Request[Any, Any, Any], viewer: NamedDependency[Viewer], year: FromPath[int], clock: NamedDependency[Clock]
) -> Any:
    await mark_schedule_entered(viewer, _year_asked(year), True, clock)
    await reload_calendar_of(request.app.state)
    return Redirect("/admin/calendar")


@post("/admin/calendar/years/{year:int}/remove", dependencies=_admin)
async def unmark_year(
    request: Request[Any, Any, Any], viewer: NamedDependency[Viewer], year: FromPath[int], clock: NamedDependency[Clock]
) -> Any:
    await mark_schedule_entered(viewer, _year_asked(year), False, clock)
    await reload_calendar_of(request.app.state)
    return Redirect("/admin/calendar")


async def reload_calendar_of(state: Any) -> None:
    if isinstance(state.calendar, ChinaWorkingCalendar):
        await reload_calendar(state.calendar)


page_routes += [calendar_page, add_calendar_day, remove_calendar_day, mark_year, unmark_year]
