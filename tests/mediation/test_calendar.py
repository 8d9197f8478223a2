"""The working-day calendar: China's statutory schedule, the registrar's overrides, holidays by rule beyond both."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar

from accord.clock import Calendar, FrozenClock
from mediation.calendar import (
    ChinaWorkingCalendar,
    add_override,
    list_overrides,
    load_calendar,
    load_overrides,
    reload_calendar,
    remove_override,
    years_without_schedule,
)
from mediation.tables import CalendarOverride
from tests.conftest import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEN_AM = time(10, 0)


def shanghai(day: str, at: time = TEN_AM) -> datetime:
    return datetime.combine(date.fromisoformat(day), at, tzinfo=SHANGHAI)


def china(overrides: dict[date, bool] | None = None) -> ChinaWorkingCalendar:
    return ChinaWorkingCalendar(SHANGHAI, overrides or {})


def test_it_is_a_calendar() -> None:
    assert isinstance(china(), Calendar)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2025-09-30", 1, "2025-10-09"),  # National Day week
        ("2025-10-09", 2, "2025-10-11"),  # a working Saturday
        ("2026-02-13", 1, "2026-02-14"),  # a working Saturday before Spring Festival
        ("2026-02-14", 1, "2026-02-24"),  # Spring Festival
    ],
)
def test_statutory_holidays_and_working_saturdays(start: str, days: int, expected: str) -> None:
    result = china().add_working_days(shanghai(start), days)

    assert result == shanghai(expected)
    assert result.tzinfo == SHANGHAI and result.time() == TEN_AM


def test_zero_days_is_the_same_moment() -> None:
    start = shanghai("2025-10-01")
    assert china().add_working_days(start, 0) == start
    assert china().working_days_between(start, start) == 0


def test_days_are_counted_by_the_date_in_shanghai_not_utc() -> None:
    friday_evening_utc = datetime(2025, 10, 10, 16, 30, tzinfo=UTC)  # Saturday 00:30 in Shanghai, a working day

    result = china().add_working_days(friday_evening_utc, 1)

    assert result == shanghai("2025-10-13", time(0, 30))  # Monday; counting by the UTC date would give Saturday
    assert china().working_days_between(friday_evening_utc, datetime(2025, 10, 11, 15, 0, tzinfo=UTC)) == 0


def test_a_year_without_data_counts_the_statutory_holidays_by_rule() -> None:
    thursday = shanghai("2026-12-31")  # nobody has published 2027 yet; its 1 January is a Friday

    assert china().add_working_days(thursday, 1) == shanghai("2027-01-04")  # New Year's Day, then the weekend
    assert china().add_working_days(thursday, 2) == shanghai("2027-01-05")


def test_a_holiday_override_is_skipped() -> None:
    calendar = china({date(2027, 1, 4): False})

    assert calendar.add_working_days(shanghai("2026-12-31"), 1) == shanghai("2027-01-05")
    assert calendar.working_days_between(shanghai("2026-12-31"), shanghai("2027-01-05")) == 1


def test_a_working_saturday_override_counts() -> None:
    calendar = china({date(2027, 3, 6): True})  # a Saturday

    assert calendar.add_working_days(shanghai("2027-03-05"), 1) == shanghai("2027-03-06")
    assert calendar.working_days_between(shanghai("2027-03-05"), shanghai("2027-03-08")) == 2


def test_an_override_wins_over_the_statutory_schedule() -> None:
    calendar = china({date(2025, 10, 8): True, date(2025, 10, 10): False})

    assert calendar.add_working_days(shanghai("2025-09-30"), 1) == shanghai("2025-10-08")
    assert calendar.add_working_days(shanghai("2025-10-08"), 2) == shanghai("2025-10-11")


def test_counting_from_a_later_moment_gives_zero() -> None:
    assert china().working_days_between(shanghai("2025-10-13"), shanghai("2025-10-10")) == 0
    assert china().working_days_between(shanghai("2025-10-13", time(9)), shanghai("2025-10-13", time(18))) == 0


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        china().add_working_days(datetime(2025, 10, 9, 10, 0), 1)


def test_between_and_add_round_trip_for_many_starts() -> None:
    calendar = china({date(2027, 1, 1): False, date(2027, 2, 6): True, date(2025, 12, 1): False})
    rng = random.Random(20261125)
    first, span = date(2025, 1, 1), (date(2027, 12, 31) - date(2025, 1, 1)).days
    for _ in range(400):
        start = datetime.combine(first + timedelta(days=rng.randrange(span)), time(rng.randrange(24), 15), SHANGHAI)
        days = rng.randrange(0, 60)

        due = calendar.add_working_days(start, days)

        assert calendar.working_days_between(start, due) == days, (start, days)
        assert due.time() == start.time()
        if days:
            assert calendar.is_working_day(due.date())
            assert calendar.working_days_between(start, due - timedelta(days=1)) == days - 1


def test_a_year_is_unscheduled_until_it_is_marked_as_entered() -> None:
    today = date(2026, 11, 25)

    assert years_without_schedule(today, set()) == [2027]
    assert years_without_schedule(today, {2026}) == [2027]
    assert years_without_schedule(today, {2027}) == []
    assert years_without_schedule(date(2025, 6, 1), set()) == []
    assert years_without_schedule(date(2027, 3, 1), set()) == [2027, 2028]
    assert years_without_schedule(date(2027, 3, 1), {2028}) == [2027]


# Stored overrides. Each test uses its own days: the database lives for the whole session.


async def test_an_override_is_stored_and_loaded(make_user: UserFactory, clock: FrozenClock) -> None:
    admin = await make_user("admin")

    await add_override(date(2027, 1, 1), False, "New Year's Day", admin["id"], clock)
    await add_override(date(2027, 2, 6), True, "Working Saturday", admin["id"], clock)

    calendar = await load_calendar(SHANGHAI)
    assert calendar.overrides[date(2027, 1, 1)] is False
    assert calendar.overrides[date(2027, 2, 6)] is True
    assert calendar.add_working_days(shanghai("2026-12-31"), 1) == shanghai("2027-01-04")
    stored = {row["day"]: row for row in await list_overrides()}
    assert stored[date(2027, 1, 1)]["note"] == "New Year's Day"
    assert stored[date(2027, 1, 1)]["created_by"] == admin["id"]
    assert stored[date(2027, 1, 1)]["created_at"] == clock.now()
    for day in (date(2027, 1, 1), date(2027, 2, 6)):
        assert await remove_override(day)


async def test_a_new_entry_for_a_day_replaces_the_old_one(make_user: UserFactory, clock: FrozenClock) -> None:
    admin = await make_user("admin")
    day = date(2027, 5, 1)
    await add_override(day, True, "typo", None, clock)
    clock.advance(timedelta(hours=1))

    await add_override(day, False, "Labour Day", admin["id"], clock)

    rows = await CalendarOverride.select().where(CalendarOverride.day == day)
    assert len(rows) == 1
    assert (rows[0]["working"], rows[0]["note"], rows[0]["created_by"]) == (False, "Labour Day", admin["id"])
    assert rows[0]["created_at"] == clock.now()
    assert (await load_overrides())[day] is False
    assert await remove_override(day)


async def test_removing_gives_the_day_back_to_the_statutory_schedule(app: Litestar, clock: FrozenClock) -> None:
    day = date(2025, 10, 9)  # a statutory working day after National Day
    await add_override(day, False, "Extra holiday", None, clock)
    calendar = await load_calendar(SHANGHAI)
    assert calendar.add_working_days(shanghai("2025-09-30"), 1) == shanghai("2025-10-10")

    assert await remove_override(day)
    assert not await remove_override(day)

    await reload_calendar(calendar)
    assert day not in calendar.overrides
    assert calendar.add_working_days(shanghai("2025-09-30"), 1) == shanghai("2025-10-09")


async def test_too_long_a_note_is_refused(app: Litestar, clock: FrozenClock) -> None:
    with pytest.raises(ValueError, match="200"):
        await add_override(date(2027, 6, 1), False, "x" * 201, None, clock)
    assert date(2027, 6, 1) not in await load_overrides()
