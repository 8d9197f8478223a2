"""China's statutory holidays by rule, for the years the calendar package does not know: checked against
every schedule the State Council published since 2008, and the due dates they give in 2027."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from litestar import Litestar

from mediation.calendar import ChinaWorkingCalendar, has_statutory_schedule
from mediation.holidays import REGULATIONS, RestDay, regulation_of, rest_days_by_rule, statutory_holidays
from tests.accord.test_settings_and_cli import run_cli
from tests.cli import accord

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLISHED_YEARS = [year for year in range(min(REGULATIONS), 2100) if has_statutory_schedule(year)]
# The State Council's notices gave these make-up days elsewhere (2012: the Friday before the Dragon Boat
# Festival; 2015: none for the Mid-Autumn Festival on a Sunday, next to the National Day week).
MADE_UP_ELSEWHERE = {date(2012, 6, 25), date(2015, 9, 28)}


def due(start: str, days: int, calendar: ChinaWorkingCalendar | None = None) -> date:
    moment = datetime.combine(date.fromisoformat(start), time(10), SHANGHAI)
    return (calendar or ChinaWorkingCalendar(SHANGHAI)).add_working_days(moment, days).date()


@pytest.mark.parametrize("year", PUBLISHED_YEARS)
def test_every_statutory_holiday_by_rule_is_a_holiday_in_the_published_schedule(year: int) -> None:
    named = sum(len(names) for names in statutory_holidays(year).values())
    assert named == sum(holiday.days for holiday in regulation_of(year))
    working = [day for day in statutory_holidays(year) if chinese_calendar.is_workday(day)]
    assert working == []


@pytest.mark.parametrize("year", PUBLISHED_YEARS)
def test_make_up_days_by_rule_are_days_off_in_the_published_schedule(year: int) -> None:
    working = [day for day in rest_days_by_rule(year) if chinese_calendar.is_workday(day)]
    assert set(working) <= MADE_UP_ELSEWHERE


def test_the_years_of_the_2025_revision_are_among_those_checked() -> None:
    assert {2025, 2026} <= set(PUBLISHED_YEARS) and not has_statutory_schedule(2027)


def test_the_2025_revision_adds_spring_festival_eve_and_a_second_labour_day() -> None:
    days = {holiday.name: holiday.days for holiday in regulation_of(2027)}
    assert days["Spring Festival"] == 4 and days["Labour Day"] == 2 and sum(days.values()) == 13
    assert {holiday.name: holiday.days for holiday in regulation_of(2024)}["Spring Festival"] == 3
    assert regulation_of(1999) == regulation_of(2008)


def test_2027_by_rule() -> None:
    assert rest_days_by_rule(2027) == {
        date(2027, 1, 1): RestDay("New Year's Day", made_up=False),
        date(2027, 2, 5): RestDay("Spring Festival", made_up=False),  # the eve; 1 February lunar is Saturday 6th
        date(2027, 2, 8): RestDay("Spring Festival", made_up=False),
        date(2027, 2, 9): RestDay("Spring Festival", made_up=True),  # for Saturday and Sunday
        date(2027, 2, 10): RestDay("Spring Festival", made_up=True),
        date(2027, 4, 5): RestDay("Qingming Festival", made_up=False),
        date(2027, 5, 3): RestDay("Labour Day", made_up=True),  # 1 and 2 May are a weekend
        date(2027, 5, 4): RestDay("Labour Day", made_up=True),
        date(2027, 6, 9): RestDay("Dragon Boat Festival", made_up=False),
        date(2027, 9, 15): RestDay("Mid-Autumn Festival", made_up=False),
        date(2027, 10, 1): RestDay("National Day", made_up=False),
        date(2027, 10, 4): RestDay("National Day", made_up=True),
        date(2027, 10, 5): RestDay("National Day", made_up=True),
    }


def test_due_dates_across_spring_festival() -> None:
    assert due("2026-02-12", 10) == date(2026, 3, 4)  # the published 2026 schedule
    assert due("2027-02-03", 10) == date(2027, 2, 23)  # by rule: no earlier than 19 February
    # an override still wins over the rule: a working Saturday announced for 2027
    assert due("2027-02-03", 10, ChinaWorkingCalendar(SHANGHAI, {date(2027, 2, 20): True})) == date(2027, 2, 22)


async def test_the_calendar_due_command(app: Litestar) -> None:
    published = run_cli("calendar", "due", "--from", "2026-02-12", "--working-days", "10")
    assert (published.returncode, published.stdout, published.stderr) == (0, "2026-03-04\n", "")
    by_rule = accord("calendar", "due", "--from", "2027-02-03", "--working-days", "10")
    assert by_rule.returncode == 0 and by_rule.stdout == "2027-02-23\n"
    assert "2027: statutory holidays worked out by rule" in by_rule.stderr
    for bad in (["--from", "3 Feb", "--working-days", "1"], ["--from", "2027-02-03", "--working-days", "-1"]):
        refused = accord("calendar", "due", *bad)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
