"""When the working-day calendar changes, the running deadlines that count the changed days are recounted.

A deadline counts working days up to its due date. When a registrar turns a day inside that span into a
holiday or a working day, the working days still to run (counted on the calendar as it was) are counted
again on the calendar as it is now, from now, or from the moment the deadline was paused; the days that
already ran are not counted again. The due time of day stays. Each case whose deadline moves gets one
record event, `deadlines_recounted`, in the parties' channel: which deadline, from when to when, and the
day that changed.

A settlement's fulfilment date agreed by the parties is a date, not a count of working days: it never
moves. Deadlines already due are left alone: the sweeper has fired them, or is about to.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from accord import events
from cases import record
from cases.access import SYSTEM
from cases.tables import Channel, Deadline, Offer
from cases.workflow import refresh_next_due
from mediation.calendar import ChinaWorkingCalendar

EVENT = "deadlines_recounted"


async def recount_deadlines(
    changed: Iterable[date], before: ChinaWorkingCalendar, after: ChinaWorkingCalendar, now: datetime
) -> list[str]:
    """Move the open deadlines whose remaining span holds a `changed` day; returns the references of the
    cases moved."""
    days = sorted(set(changed))
    if not days:
        return []
    moves: dict[int, list[dict[str, Any]]] = {}
    for deadline in await _open_deadlines_ending_from(days[0]):
        if (due := _recounted(deadline, days, before, after, now)) is not None:
            moves.setdefault(deadline["case"], []).append({**deadline, "to": due})
    moved = []
    for case_id, deadlines in moves.items():
        async with events.atomic():
            case = await record.lock_case(case_id)
            if case is None:
                continue
            for deadline in deadlines:
                await Deadline.update({Deadline.due_at: deadline["to"]}).where(Deadline.id == deadline["id"])
            await record.append(
                case,
                type=EVENT,
                channel=Channel.parties.value,
                actor_id=None,
                actor_role=SYSTEM,
                at=now,
                data={
                    "because": [day.isoformat() for day in days],
                    "moved": [
                        {"deadline": d["name"], "from": d["due_at"].isoformat(), "to": d["to"].isoformat()}
                        for d in deadlines
                    ],
                },
            )
            await refresh_next_due(case_id)
        moved.append(case["reference"])
    return moved


async def _open_deadlines_ending_from(first: date) -> list[dict[str, Any]]:
    # A day early in UTC: no zone is more than a day ahead of it. _recounted() decides in the calendar's zone.
    ending = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    rows = await Deadline.select(
        Deadline.id,
        Deadline.case,
        Deadline.name,
        Deadline.due_at,
        Deadline.paused_at,
        Deadline.case.settlement.as_alias("settlement"),
    ).where(Deadline.closed_at.is_null(), Deadline.due_at >= ending)
    agreed = await _agreed_dates({row["settlement"] for row in rows if row["name"] == "fulfilment_due"})
    return [row for row in rows if not (row["name"] == "fulfilment_due" and row["settlement"] in agreed)]


async def _agreed_dates(offer_ids: set[int | None]) -> set[int]:
    """The settlements among `offer_ids` with a fulfilment date the parties agreed on."""
    ids = [offer_id for offer_id in offer_ids if offer_id is not None]
    if not ids:
        return set()
    rows = await Offer.select(Offer.id).where(Offer.id.is_in(ids), Offer.fulfil_by.is_not_null())
    return {row["id"] for row in rows}


def _recounted(
    deadline: dict[str, Any],
    changed: list[date],
    before: ChinaWorkingCalendar,
    after: ChinaWorkingCalendar,
    now: datetime,
) -> datetime | None:
    """The new due moment, or None when the deadline does not move."""
    anchor, due = deadline["paused_at"] or now, deadline["due_at"]
    if due <= anchor:
        return None
    first, last = after.local_date(anchor), after.local_date(due)
    if not any(first < day <= last for day in changed):
        return None
    remaining = before.working_days_between(anchor, due)
    counted = after.add_working_days(anchor, remaining).date()
    moved = datetime.combine(counted, due.astimezone(after.zone).time(), tzinfo=after.zone)
    return None if moved == due else moved
