"""The working-day calendar deadlines run on.

China's statutory holidays and adjusted working days come from the `chinesecalendar` package; the
registrar's overrides, stored in the database, win over it. That is how next year's schedule is entered
once the State Council announces it (the package only knows the years it was released with). For a year
the package does not know, the statutory holidays are worked out by rule (mediation/holidays.py), and
admins are warned (`years_without_schedule`) until they mark that year's official schedule as entered.

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
from mediation.holidays import is_working_day_by_rule, rest_days_by_rule
from mediation.tables import CalendarOverride, CalendarYear

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
    """The published schedule for `day`, or the statutory holidays by rule for a year not published yet."""
    if has_statutory_schedule(day.year):
        return chinese_calendar.is_workday(day)
    return is_working_day_by_rule(day)


class ChinaWorkingCalendar:
    """Working days in `zone`: the registrar's overrides first, then China's statutory schedule.

    Implements `accord.clock.Calendar` with the semantics of `WeekdayCalendar`.
    """

    def __init__(
        self, zone: tzinfo, overrides: Mapping[date, bool] | None = None, entered_years: Iterable[int] = ()
    ) -> None:
        self.zone = zone
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._entered_years = frozenset(entered_years)

    @property
    def overrides(self) -> Mapping[date, bool]:
        return MappingProxyType(self._overrides)

    @property
    def entered_years(self) -> frozenset[int]:
        """Years whose official schedule the registrar marked as entered in full."""
        return self._entered_years

    def replace_overrides(self, overrides: Mapping[date, bool], entered_years: Iterable[int] | None = None) -> None:
        """Swap in a fresh set (after the registrar changed it), keeping the object the app was wired with."""
        self._overrides = dict(overrides)
        if entered_years is not None:
            self._entered_years = frozenset(entered_years)

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
    """Every date from `first` to `last`, whether deadlines count it, and why: the registrar's entry
    ("entered"), China's published schedule ("statutory"), or, for a year not published, the holidays by
    rule ("rule", with the holiday's name and whether it is a make-up day)."""
    days = []
    day = first
    while day <= last:
        entry: dict[str, Any] = {"day": day, "working": calendar.is_working_day(day), "source": "statutory"}
        if day in calendar.overrides:
            entry["source"] = "entered"
        elif not has_statutory_schedule(day.year):
            entry["source"] = "rule"
            if rest := rest_days_by_rule(day.year).get(day):
                entry.update(holiday=rest.holiday, made_up=rest.made_up)
        days.append(entry)
        day += _ONE_DAY
    return days


def years_without_schedule(today: date, entered_years: Iterable[int]) -> list[int]:
    """This year and next, where neither chinesecalendar has the schedule nor has the registrar marked it
    as entered: their holidays are worked out by rule, without the State Council's adjusted weekends.

    Entering a few days of a year's schedule does not count: only marking the year (`mark_year_entered`).
    """
    return years_by_rule(today, date(today.year + 1, 1, 1), entered_years)


def years_by_rule(first: date, last: date, entered_years: Iterable[int]) -> list[int]:
    """The years from `first` to `last` whose working days are worked out by rule (see above)."""
    entered = set(entered_years)
    return [
        year for year in range(first.year, last.year + 1) if not has_statutory_schedule(year) and year not in entered
    ]


async def load_overrides() -> dict[date, bool]:
    rows = await CalendarOverride.select(CalendarOverride.day, CalendarOverride.working)
    return {row["day"]: row["working"] for row in rows}


async def load_entered_years() -> set[int]:
    return {row["year"] for row in await CalendarYear.select(CalendarYear.year)}


async def load_calendar(zone: tzinfo) -> ChinaWorkingCalendar:
    return ChinaWorkingCalendar(zone, await load_overrides(), await load_entered_years())


async def reload_calendar(calendar: ChinaWorkingCalendar) -> None:
    """Bring a long-lived calendar up to date with the overrides and marked years in the database."""
    calendar.replace_overrides(await load_overrides(), await load_entered_years())


async def list_entered_years() -> list[dict[str, Any]]:
    return await CalendarYear.select().order_by(CalendarYear.year)


async def mark_year_entered(year: int, actor_id: int | None, clock: Clock) -> bool:
    """The registrar has entered `year`'s official schedule in full: stop warning about it. False when it
    was marked already."""
    entry = CalendarYear(year=year, entered_by=actor_id, entered_at=clock.now())
    async with write_transaction():
        added = await (
            CalendarYear.insert(entry)
            .on_conflict(target=CalendarYear.year, action="DO NOTHING")
            .returning(CalendarYear.id)
        )
    return bool(added)


async def unmark_year(year: int) -> bool:
    """Warn about `year` again; False when it was not marked."""
    async with write_transaction():
        removed = await CalendarYear.delete().where(CalendarYear.year == year).returning(CalendarYear.id)
    return bool(removed)


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
