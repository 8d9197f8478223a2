"""A change of the working-day calendar moves the running deadlines that count the changed day, with a record
event on each case moved; the record still verifies."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Litestar

from accord.clock import FrozenClock
from accord.i18n import speaking
from cases import record, story
from cases.tables import Case, CaseEvent, Deadline
from mediation.calendar import ChinaWorkingCalendar, load_overrides
from mediation.reschedule import EVENT, _recounted
from mediation.service import clear_calendar_day, set_calendar_day
from tests.cases.conftest import Cast, Parties, file_case

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = ChinaWorkingCalendar(SHANGHAI)


def shanghai(day: str, at: time = time(9)) -> datetime:
    return datetime.combine(date.fromisoformat(day), at, tzinfo=SHANGHAI)


async def deadlines_of(case: dict[str, Any]) -> dict[str, datetime]:
    rows = await Deadline.select(Deadline.name, Deadline.due_at).where(Deadline.case.reference == case["reference"])
    return {row["name"]: row["due_at"].astimezone(SHANGHAI) for row in rows}


async def test_a_holiday_entered_moves_the_deadlines_that_count_it(
    app: Litestar, cast: Cast, parties: Parties, clock: FrozenClock
) -> None:
    # Far from other tests' deadlines: 2031 is counted by rule, and no holiday falls in early March.
    clock.set(shanghai("2031-03-03").astimezone(UTC))
    saved, app.state.calendar = app.state.calendar, ChinaWorkingCalendar(SHANGHAI, await load_overrides())
    try:
        case = await file_case(cast)
        assert await deadlines_of(case) == {
            "merchant_response": shanghai("2031-03-17"),
            "negotiation_limit": shanghai("2031-03-24"),
        }
        admin = parties.admin

        moved = await set_calendar_day(admin, date(2031, 3, 10), False, "Test holiday", clock, SHANGHAI)

        assert case["reference"] in moved
        assert await deadlines_of(case) == {
            "merchant_response": shanghai("2031-03-18"),
            "negotiation_limit": shanghai("2031-03-25"),
        }
        row = await Case.select(Case.id, Case.next_due_at).where(Case.reference == case["reference"]).first()
        assert row["next_due_at"] == shanghai("2031-03-18")
        event = await CaseEvent.select().where(CaseEvent.case == row["id"]).order_by(CaseEvent.seq, ascending=False)
        assert event[0]["type"] == EVENT and event[0]["actor"] is None and event[0]["channel"] == "parties"
        assert '"because":["2031-03-10"]' in event[0]["data"]
        assert (await record.verify(row["id"])).verified

        # a day outside every remaining span moves nothing; removing the holiday moves them back
        assert case["reference"] not in await set_calendar_day(admin, date(2031, 4, 30), False, "", clock, SHANGHAI)
        assert case["reference"] in await clear_calendar_day(admin, date(2031, 3, 10), clock, SHANGHAI)
        assert (await deadlines_of(case))["merchant_response"] == shanghai("2031-03-17")
        await clear_calendar_day(admin, date(2031, 4, 30), clock, SHANGHAI)
        assert (await record.verify(row["id"])).verified
        recorded = await CaseEvent.count().where(CaseEvent.case == row["id"], CaseEvent.type == EVENT)
        assert recorded == 2
    finally:
        app.state.calendar = saved


def deadline(due: datetime, paused_at: datetime | None = None) -> dict[str, Any]:
    return {"due_at": due, "paused_at": paused_at, "name": "mediation_limit"}


def test_only_the_days_still_to_run_are_recounted() -> None:
    holiday = ChinaWorkingCalendar(SHANGHAI, {date(2031, 3, 12): False})
    now = shanghai("2031-03-10", time(15))
    due = shanghai("2031-03-14", time(18))

    assert _recounted(deadline(due), [date(2031, 3, 12)], CALENDAR, holiday, now) == shanghai("2031-03-17", time(18))
    # a day that has passed, or that lies after the due date, changes nothing
    assert _recounted(deadline(due), [date(2031, 3, 10)], CALENDAR, holiday, now) is None
    assert _recounted(deadline(due), [date(2031, 3, 17)], CALENDAR, holiday, now) is None
    # a deadline already due is left to the sweeper
    assert _recounted(deadline(now), [date(2031, 3, 12)], CALENDAR, holiday, now) is None
    # a paused deadline counts from the moment it was paused: a day since then still lies ahead of it
    paused, earlier = shanghai("2031-03-03"), ChinaWorkingCalendar(SHANGHAI, {date(2031, 3, 5): False})
    assert _recounted(deadline(due), [date(2031, 3, 5)], CALENDAR, earlier, now) is None
    assert _recounted(deadline(due, paused), [date(2031, 3, 5)], CALENDAR, earlier, now) == shanghai(
        "2031-03-17", time(18)
    )


def test_the_case_story_tells_the_move_in_both_languages() -> None:
    event = {
        "seq": 7,
        "type": EVENT,
        "at": shanghai("2031-03-04"),
        "actor": None,
        "actor_role": "system",
        "channel": "parties",
        "data": {
            "because": ["2031-03-10"],
            "moved": [
                {
                    "deadline": "merchant_response",
                    "from": shanghai("2031-03-17").isoformat(),
                    "to": shanghai("2031-03-18").isoformat(),
                }
            ],
        },
    }
    setting = story.Setting(zone=SHANGHAI)
    with speaking("en"):
        (line,) = story.timeline([event], setting)
        assert "The working-day calendar changed, so Accord moved “Merchant&#39;s answer due” from" in str(line.lead)
        assert "Mar 18, 2031" in str(line.lead)
    with speaking("zh-Hans"):
        (line,) = story.timeline([event], setting)
        assert "工作日日历已变更" in str(line.lead) and "2031年3月18日" in str(line.lead)
