"""The mediation desk: the queue, and handing waiting cases to mediators.

Claiming, admitting, proposing and the rest are rows of the case transition table (`cases.workflow`);
this module only decides what a mediator sees first and who gets a case when cases are auto-assigned.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from accord.auth import Viewer
from accord.clock import Calendar, Clock, working_days_left
from accord.db import write_transaction
from accord.errors import DomainError, Forbidden
from accord.i18n import N_, register_labels
from accord.i18n import gettext as _
from accord.pagination import ID, TIME, Window, optional, page_of
from accounts.service import USER_COLUMNS, act_as, record_admin_action, require_admin
from accounts.tables import MediatorProfile, User
from cases.access import conflicted
from cases.tables import TERMINAL_STATES, Case, CaseState
from cases.workflow import CLAIMABLE_STATES, Context, apply
from mediation.calendar import (
    ChinaWorkingCalendar,
    add_override,
    load_overrides,
    mark_year_entered,
    remove_override,
    unmark_year,
)
from mediation.reschedule import recount_deadlines

# The queue holds every case a mediator may claim (a new or appealed case, a broken settlement), claimed or not.
QUEUE_STATES = tuple(state.value for state in CLAIMABLE_STATES)
# Amount bands in minor units (cents, fen): a rough size of the claim whatever the currency.
AMOUNT_BANDS: dict[str, tuple[int | None, int | None]] = {
    "small": (None, 50_000),
    "medium": (50_000, 500_000),
    "large": (500_000, None),
}


register_labels(
    "band",
    {"small": N_("Under 500"), "medium": N_("500 to 5,000"), "large": N_("Over 5,000")},
)


@dataclass(frozen=True)
class QueueFilter:
    category: str | None = None
    language: str | None = None
    band: str | None = None
    appeal: bool | None = None
    overdue: bool = False
    mine: bool = False


def _require_desk(viewer: Viewer) -> None:
    if not viewer.has_role("mediator", "admin"):
        raise Forbidden(_("Only mediators and registrars use the mediation desk."))


# What a queue row shows.
QUEUE_COLUMNS = (
    Case.id,
    Case.reference,
    Case.state,
    Case.category,
    Case.language,
    Case.product_name,
    Case.amount_paid,
    Case.currency,
    Case.is_appeal,
    Case.next_due_at,
    Case.version,
    Case.mediator,
    Case.enterprise.name.as_alias("enterprise_name"),
    Case.enterprise.name_zh.as_alias("enterprise_name_zh"),
    Case.mediator.display_name.as_alias("mediator_name"),
)
OPEN_STATES = tuple(state.value for state in CaseState if state not in TERMINAL_STATES)


async def queue(
    viewer: Viewer, wanted: QueueFilter, window: Window, now: datetime, calendar: Calendar
) -> tuple[list[dict[str, Any]], str | None]:
    """Waiting and breached cases (or the viewer's own open cases), the most urgent deadline first, then
    those without a running deadline.

    One query a state, each walking an index in the queue's order (`dispute_case_queue`, or
    `dispute_case_mediator_queue` for "mine"), merged here: an `IN (states)` list sorted as a whole
    needs a sort of every waiting case, at any page. Cases without a deadline are read only when the
    dated ones do not fill the page."""
    _require_desk(viewer)
    after = window.keys(optional(TIME), ID) if window.after else None
    wanted_rows = window.limit + 1
    states = OPEN_STATES if wanted.mine else QUEUE_STATES
    rows: list[dict[str, Any]] = []
    if after is None or after[0] is not None:
        dated = [await queue_query(viewer, wanted, now, state, after, wanted_rows) for state in states]
        rows = list(heapq.merge(*dated, key=lambda row: (row["next_due_at"], row["id"])))[:wanted_rows]
    if len(rows) < wanted_rows:
        last_id = after[1] if after and after[0] is None else None
        missing = wanted_rows - len(rows)
        undated = [await queue_query(viewer, wanted, now, state, last_id, missing, dated=False) for state in states]
        rows += list(heapq.merge(*undated, key=lambda row: row["id"]))[:missing]
    shown, cursor = page_of(rows, window.limit, key=lambda row: [_iso(row["next_due_at"]), row["id"]])
    for row in shown:
        row["working_days_left"] = working_days_left(calendar, now, row["next_due_at"])
        row["overdue"] = row["next_due_at"] is not None and row["next_due_at"] < now
        row["claimable"] = _claimable(viewer, row)
    return shown, cursor


def queue_query(
    viewer: Viewer,
    wanted: QueueFilter,
    now: datetime,
    state: str,
    after: Any,
    limit: int,
    *,
    dated: bool = True,
) -> Any:
    """The queue's cases in one state, after a cursor: those with a running deadline by (due, id) after
    `after` = [due, id], or (`dated=False`) those without one by id after `after` = the last id."""
    query = Case.select(*QUEUE_COLUMNS).where(Case.state == state)
    if wanted.mine:
        query = query.where(Case.mediator == viewer.id)
    elif viewer.has_role("mediator"):  # nobody is offered a case they are a party to (they may not claim it)
        query = query.where(Case.consumer != viewer.id)
        if viewer.enterprise_id is not None:
            query = query.where(Case.enterprise != viewer.enterprise_id)
    query = _filtered(query, wanted, now)
    if not dated:
        query = query.where(Case.next_due_at.is_null())
        if after is not None:
            query = query.where(Case.id > after)
        # By id; naming next_due_at (null in every row here) lets PostgreSQL see the index's order, too.
        return query.order_by(Case.next_due_at, Case.id).limit(limit)
    query = query.where(Case.next_due_at.is_not_null())
    if after is not None:
        due, last_id = after
        # The first condition alone lets the index start at the cursor; the second is the exact order.
        query = query.where(
            Case.next_due_at >= due, (Case.next_due_at > due) | ((Case.next_due_at == due) & (Case.id > last_id))
        )
    return query.order_by(Case.next_due_at, Case.id).limit(limit)


def _claimable(viewer: Viewer, row: dict[str, Any]) -> bool:
    """Nobody holds it yet and a mediator may take it (conflicted cases never reach their queue)."""
    return viewer.has_role("mediator") and row["mediator"] is None and row["state"] in QUEUE_STATES


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _filtered(query: Any, wanted: QueueFilter, now: datetime) -> Any:
    if wanted.category:
        query = query.where(Case.category == wanted.category)
    if wanted.language:
        query = query.where(Case.language == wanted.language)
    if wanted.appeal is not None:
        query = query.where(Case.is_appeal == wanted.appeal)
    if wanted.overdue:
        query = query.where(Case.next_due_at < now)
    if wanted.band in AMOUNT_BANDS:
        low, high = AMOUNT_BANDS[wanted.band]
        if low is not None:
            query = query.where(Case.amount_paid >= low)
        if high is not None:
            query = query.where(Case.amount_paid < high)
    return query


async def _open_load() -> dict[int, int]:
    """How many open cases each mediator holds."""
    rows = await Case.select(Case.mediator).where(
        Case.mediator.is_not_null(), Case.state.not_in([state.value for state in TERMINAL_STATES])
    )
    load: dict[int, int] = {}
    for row in rows:
        load[row["mediator"]] = load.get(row["mediator"], 0) + 1
    return load


async def choose_mediator(case: dict[str, Any], load: dict[int, int]) -> int | None:
    """The least loaded active mediator who speaks the case's language, takes its category and has room.

    An appeal never goes back to the mediator who handled the case, and nobody mediates a case they are a
    party to.
    """
    profiles = await MediatorProfile.select(
        MediatorProfile.user,
        MediatorProfile.user.enterprise.as_alias("enterprise"),
        MediatorProfile.languages,
        MediatorProfile.categories,
        MediatorProfile.max_active_cases,
    ).where(MediatorProfile.user.active.eq(True), MediatorProfile.user.role == "mediator")
    candidates = [
        profile["user"]
        for profile in profiles
        if case["language"] in profile["languages"]
        and (not profile["categories"] or case["category"] in profile["categories"])
        and load.get(profile["user"], 0) < profile["max_active_cases"]
        and profile["user"] != case["previous_mediator"]
        and not conflicted(case, profile["user"], profile["enterprise"])
    ]
    return min(candidates, key=lambda user: (load.get(user, 0), user)) if candidates else None


async def assign_waiting_cases(context: Context, limit: int = 50) -> list[str]:
    """Claim unclaimed cases of the queue on behalf of matching mediators (ACCORD_AUTO_ASSIGN)."""
    waiting = (
        await Case.select(
            Case.reference,
            Case.language,
            Case.category,
            Case.previous_mediator,
            Case.consumer,
            Case.enterprise,
            Case.platform_enterprise,
        )
        .where(Case.state.is_in(list(QUEUE_STATES)), Case.mediator.is_null())
        .order_by(Case.next_due_at, Case.id)
        .limit(limit)
    )
    load = await _open_load()
    assigned = []
    for case in waiting:
        mediator_id = await choose_mediator(case, load)
        if mediator_id is None:
            continue
        mediator = await User.select(*USER_COLUMNS).where(User.id == mediator_id).first()
        try:
            await apply(case["reference"], "claim", act_as(mediator), {}, context)
        except DomainError:
            continue  # claimed by hand meanwhile
        load[mediator_id] = load.get(mediator_id, 0) + 1
        assigned.append(case["reference"])
    return assigned


async def set_calendar_day(actor: Viewer, day: date, working: bool, note: str, clock: Clock, zone: tzinfo) -> list[str]:
    """A registrar enters a holiday or an adjusted working day (e.g. next year's announced schedule); the
    running deadlines that count the day are recounted. Returns the references of the cases moved."""
    require_admin(actor)
    overrides = await load_overrides()
    before = overrides.get(day)
    await add_override(day, working, note, actor.id, clock)
    async with write_transaction():
        await record_admin_action(
            actor,
            "calendar_day",
            f"day:{day.isoformat()}",
            {"working": before},
            {"working": working, "note": note},
            clock,
        )
    return await _recount(day, overrides, {**overrides, day: working}, clock, zone)


async def clear_calendar_day(actor: Viewer, day: date, clock: Clock, zone: tzinfo) -> list[str]:
    require_admin(actor)
    overrides = await load_overrides()
    before = overrides.get(day)
    if not await remove_override(day):
        return []
    async with write_transaction():
        await record_admin_action(
            actor, "calendar_day", f"day:{day.isoformat()}", {"working": before}, {"working": None}, clock
        )
    after = {other: working for other, working in overrides.items() if other != day}
    return await _recount(day, overrides, after, clock, zone)


async def _recount(
    day: date, before: dict[date, bool], after: dict[date, bool], clock: Clock, zone: tzinfo
) -> list[str]:
    calendars = ChinaWorkingCalendar(zone, before), ChinaWorkingCalendar(zone, after)
    return await recount_deadlines([day], *calendars, clock.now())


async def mark_schedule_entered(actor: Viewer, year: int, entered: bool, clock: Clock) -> None:
    """A registrar says `year`'s official schedule is entered in full (or, `entered` False, that it is not)."""
    require_admin(actor)
    changed = await mark_year_entered(year, actor.id, clock) if entered else await unmark_year(year)
    if changed:
        async with write_transaction():
            await record_admin_action(
                actor, "calendar_year", f"year:{year}", {"entered": not entered}, {"entered": entered}, clock
            )
