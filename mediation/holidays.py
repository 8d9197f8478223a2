"""China's statutory public holidays worked out by rule, for years nobody has published a schedule for.

The State Council announces each year's schedule (holidays, and the weekends worked to make long breaks)
only in the November before; `chinesecalendar` ships the years announced when it was released. For any
other year the holidays themselves still follow from the regulation in force, 全国年节及纪念日放假办法
(Measures on National Holidays and Memorial Days, art. 2 and 6):

- each holiday falls on a fixed Gregorian date, a lunar date, or the day of the Qingming solar term;
- a holiday that falls on a Saturday or Sunday is made up on a working day (补假): we give the working
  days right after it, as the State Council's schedules do when they do not swap weekends.

What no rule can say is which weekends the State Council will turn into working days: that part waits
for the official schedule, which registrars enter (see mediation/calendar.py).

Lunar dates and solar terms come from `sxtwl` (寿星天文历, astronomical calculation, not a table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

import sxtwl

from accord.i18n import N_

_ONE_DAY = timedelta(days=1)
_QINGMING = 7  # sxtwl numbers the 24 solar terms from the winter solstice (冬至 = 0)


@dataclass(frozen=True)
class Holiday:
    name: str  # N_-marked: translate when shown
    reckoning: str  # "gregorian", "lunar" (first day of the lunar month `month`, day `day`) or "qingming"
    month: int = 0
    day: int = 0
    days: int = 1
    starts: int = 0  # days before that date the holiday starts: -1 for Spring Festival's eve (除夕)


# Each revision of the Measures, by the year it took effect. Our rule for a year is the newest revision in
# force on its 1 January (every revision since 2008 took effect on one).
REGULATIONS: dict[int, tuple[Holiday, ...]] = {
    # State Council Decree 513 (2007 revision)
    2008: (
        Holiday(N_("New Year's Day"), "gregorian", 1, 1),
        Holiday(N_("Spring Festival"), "lunar", 1, 1, days=3, starts=-1),
        Holiday(N_("Qingming Festival"), "qingming"),
        Holiday(N_("Labour Day"), "gregorian", 5, 1),
        Holiday(N_("Dragon Boat Festival"), "lunar", 5, 5),
        Holiday(N_("Mid-Autumn Festival"), "lunar", 8, 15),
        Holiday(N_("National Day"), "gregorian", 10, 1, days=3),
    ),
    # State Council Decree 644 (2013 revision): Spring Festival from the first lunar day, not the eve
    2014: (
        Holiday(N_("New Year's Day"), "gregorian", 1, 1),
        Holiday(N_("Spring Festival"), "lunar", 1, 1, days=3),
        Holiday(N_("Qingming Festival"), "qingming"),
        Holiday(N_("Labour Day"), "gregorian", 5, 1),
        Holiday(N_("Dragon Boat Festival"), "lunar", 5, 5),
        Holiday(N_("Mid-Autumn Festival"), "lunar", 8, 15),
        Holiday(N_("National Day"), "gregorian", 10, 1, days=3),
    ),
    # State Council Decree 795 (2024 revision, in force since 1 January 2025): the eve and the first three
    # days of Spring Festival, two days of Labour Day
    2025: (
        Holiday(N_("New Year's Day"), "gregorian", 1, 1),
        Holiday(N_("Spring Festival"), "lunar", 1, 1, days=4, starts=-1),
        Holiday(N_("Qingming Festival"), "qingming"),
        Holiday(N_("Labour Day"), "gregorian", 5, 1, days=2),
        Holiday(N_("Dragon Boat Festival"), "lunar", 5, 5),
        Holiday(N_("Mid-Autumn Festival"), "lunar", 8, 15),
        Holiday(N_("National Day"), "gregorian", 10, 1, days=3),
    ),
}
FIRST_YEAR = min(REGULATIONS)


def regulation_of(year: int) -> tuple[Holiday, ...]:
    """The holidays of the revision in force in `year` (the first revision we know for earlier years)."""
    return REGULATIONS[max((since for since in REGULATIONS if since <= year), default=FIRST_YEAR)]


def _first_day(holiday: Holiday, year: int) -> date:
    if holiday.reckoning == "gregorian":
        start = date(year, holiday.month, holiday.day)
    elif holiday.reckoning == "lunar":
        lunar = sxtwl.fromLunar(year, holiday.month, holiday.day)
        start = date(lunar.getSolarYear(), lunar.getSolarMonth(), lunar.getSolarDay())
    else:
        start = next(day for day in _days(date(year, 4, 1), 10) if _solar_term(day) == _QINGMING)
    return start + holiday.starts * _ONE_DAY


def _solar_term(day: date) -> int | None:
    found = sxtwl.fromSolar(day.year, day.month, day.day)
    return found.getJieQi() if found.hasJieQi() else None


def _days(first: date, count: int) -> list[date]:
    return [first + offset * _ONE_DAY for offset in range(count)]


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[date, tuple[str, ...]]:
    """The statutory holidays of `year` by rule: each day with the names of its holidays (two when, as in
    2009 and 2020, the Mid-Autumn Festival falls in the National Day holiday)."""
    found: dict[date, tuple[str, ...]] = {}
    for holiday in regulation_of(year):
        for day in _days(_first_day(holiday, year), holiday.days):
            found[day] = (*found.get(day, ()), holiday.name)
    return dict(sorted(found.items()))


class RestDay(NamedTuple):
    holiday: str  # its name, N_-marked
    made_up: bool  # a working day given for the holiday falling on a weekend


@lru_cache(maxsize=64)
def rest_days_by_rule(year: int) -> dict[date, RestDay]:
    """The weekdays of `year` off by rule: holidays on a weekday, and the make-up days (补假) for holidays that
    fall on a weekend or on another holiday, given on the first working days after them."""
    holidays = statutory_holidays(year)
    rest: dict[date, RestDay] = {}
    owed: list[str] = []  # names of holiday days not given yet, oldest first
    day = date(year, 1, 1)
    while day.year == year:
        weekend = day.weekday() >= 5
        if day in holidays:
            first, *others = holidays[day]
            owed += [first, *others] if weekend else others
            if not weekend:
                rest[day] = RestDay(first, made_up=False)
        elif owed and not weekend:
            rest[day] = RestDay(owed.pop(0), made_up=True)
        day += _ONE_DAY
    return rest


def is_working_day_by_rule(day: date) -> bool:
    """Monday to Friday, except the holidays and make-up days of `day`'s year by rule."""
    return day.weekday() < 5 and day not in rest_days_by_rule(day.year)
