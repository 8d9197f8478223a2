"""The working-day calendar deadlines run on.

China's statutory holidays and adjusted working days come from the `chinesecalendar` package; the
registrar's overrides, stored in the database, win over it. That is how next year's schedule is entered
once the State Council announces it (the package only knows the years it was released with); years with
neither fall back to Monday to Friday, and admins are warned (`years_without_schedule`).

A day is a calendar date in the deployment's zone (Asia/Shanghai): something filed at 23:30 on a Friday
in Shanghai counts from that Friday, whatever the date is in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import chinese_calendar

from accord.clock import Clock
from accord.db import write_transaction
from mediation.tables import CalendarOverride

NOTE_MAX_LENGTH = 200  # CalendarOverride.note is a Varchar(200); forms should say so before we get here

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def has_statutory_schedule(year: int) -> bool:
    """True when chinesecalendar knows the holidays and adjusted working days of `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)  # about 22 years of dates: every deadline asks about the same few months
def _statutory_working_day(day: date) -> bool:
    """The published schedule for `day`, or Monday to Friday for a year nobody has published yet."""
    if has_statutory_schedule(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


class ChinaWorkingCalendar:
    """Working days in `zone`: the registrar's overrides first, then China's statutory schedule.

    Implements `accord.clock.Calendar` with the semantics of `WeekdayCalendar`.
    """

    def __init__(self, zone: tzinfo, overrides: Mapping[date, bool] | None = None) -> None:
        self.zone = zone
        self._overrides: dict[date, bool] = dict(overrides or {})

    @property
    def overrides(self) -> Mapping[date, bool]:
        return MappingProxyType(self._overrides)

    def replace_overrides(self, overrides: Mapping[date, bool]) -> None:
        """Swap in a fresh set (after the registrar changed it), keeping the object the app was wired with."""
        self._overrides = dict(overrides)

    def is_working_day(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override
        return _statutory_working_day(day)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of `moment` in this calendar's zone."""
        return self._local(moment).date()

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment `days` working days after `start`, at the same local wall-clock time, in our zone."""
        local = self._local(start)
        day = local.date()
        while days > 0:
            day += _ONE_DAY
            if self.is_working_day(day):
                days -= 1
        return datetime.combine(day, local.time(), tzinfo=self.zone)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """How many working days lie after `start`'s date up to and including `end`'s date (0 if none)."""
        day, last = self.local_date(start), self.local_date(end)
        count = 0
        while day < last:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    def _local(self, moment: datetime) -> datetime:
        # A naive datetime would silently be read in the server's zone and shift deadlines by hours.
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"calendar arithmetic needs a timezone-aware datetime, got {moment!r}")
        return moment.astimezone(self.zone)


RANGE_MAX_DAYS = 366  # a year at a time on the registrar's page


def days_between(calendar: ChinaWorkingCalendar, first: date, last: date) -> list[dict[str, Any]]:
    """Every date from `first` to `last`, whether deadlines count it, and why: the registrar's entry,
    China's published schedule, or Monday to Friday for a year nobody has published."""
    days = []
    day = first
    while day <= last:
        entered = day in calendar.overrides
        source = "entered" if entered else "statutory" if has_statutory_schedule(day.year) else "weekdays"
        days.append({"day": day, "working": calendar.is_working_day(day), "source": source})
        day += _ONE_DAY
    return days


def years_without_schedule(today: date, overrides: Iterable[date]) -> list[int]:
    """This year and next, where neither chinesecalendar nor the registrar has entered the schedule.

    `overrides` is any collection of override dates (a `dict[date, bool]` will do): a single entry for a
    year counts as "entered", since the registrar enters the year's announcement as a whole.
    """
    entered = {day.year for day in overrides}
    return [year for year in (today.year, today.year + 1) if not has_statutory_schedule(year) and year not in entered]


async def load_overrides() -> dict[date, bool]:
    rows = await CalendarOverride.select(CalendarOverride.day, CalendarOverride.working)
    return {row["day"]: row["working"] for row in rows}


async def load_calendar(zone: tzinfo) -> ChinaWorkingCalendar:
    return ChinaWorkingCalendar(zone, await load_overrides())


async def reload_calendar(calendar: ChinaWorkingCalendar) -> None:
    """Bring a long-lived calendar up to date with the overrides in the database."""
    calendar.replace_overrides(await load_overrides())


async def list_overrides() -> list[dict[str, Any]]:
    """Every override with its note and author, by date (for the registrar's calendar page)."""
    return await CalendarOverride.select(
        CalendarOverride.day,
        CalendarOverride.working,
        CalendarOverride.note,
        CalendarOverride.created_by,
        CalendarOverride.created_at,
    ).order_by(CalendarOverride.day)


async def add_override(day: date, working: bool, note: str, actor_id: int | None, clock: Clock) -> None:
    """Set `day` to a working day or a holiday; a new entry for a day already overridden replaces it."""
    if len(note) > NOTE_MAX_LENGTH:
        raise ValueError(f"an override note holds at most {NOTE_MAX_LENGTH} characters")
    entry = CalendarOverride(day=day, working=working, note=note, created_by=actor_id, created_at=clock.now())
    replaced = [
        CalendarOverride.working,
        CalendarOverride.note,
        CalendarOverride.created_by,
        CalendarOverride.created_at,
    ]
    async with write_transaction():
        # One statement, so two registrars entering the same day at once cannot trip the unique index.
        await CalendarOverride.insert(entry).on_conflict(
            target=CalendarOverride.day, action="DO UPDATE", values=replaced
        )


async def remove_override(day: date) -> bool:
    """Give `day` back to the statutory schedule; False when it had no override."""
    async with write_transaction():
        removed = await CalendarOverride.delete().where(CalendarOverride.day == day).returning(CalendarOverride.id)
    return bool(removed)
