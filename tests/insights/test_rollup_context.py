"""The rollups count in the deployment's terms, given to whoever follows the records as every other module
gets them: days in the time zone of its settings and durations in its working-day calendar (a job's round: its
runtime's; a figures page catching up: the app's), held by no module."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from accord.clock import FrozenClock, WeekdayCalendar
from accord.modules import Runtime, installed
from accord.settings import get_settings
from cases.tables import Case
from insights import rollups
from insights.module import follow_record
from insights.tables import CaseFact, DailyCount
from tests.cases.conftest import Cast, act, cast, file_case, parties  # noqa: F401 - fixtures, found by name

LATE_EVENING_IN_LOS_ANGELES = datetime(2025, 3, 4, 3, 0, tzinfo=UTC)  # 4 March in Shanghai, 3 March in L.A.


def test_local_day_is_the_day_in_the_zone_given() -> None:
    moment = LATE_EVENING_IN_LOS_ANGELES
    assert rollups.local_day(moment, ZoneInfo("Asia/Shanghai")) == date(2025, 3, 4)
    assert rollups.local_day(moment, ZoneInfo("America/Los_Angeles")) == date(2025, 3, 3)


async def _filing_days(case: dict[str, Any]) -> set[date]:
    """The days with filings against the case's enterprise (each test starts without any)."""
    enterprise = (await Case.select(Case.enterprise).where(Case.reference == case["reference"]).first())["enterprise"]
    rows = await DailyCount.select(DailyCount.day).where(
        DailyCount.enterprise == enterprise, DailyCount.metric == "filed"
    )
    return {row["day"] for row in rows}


async def test_the_follower_counts_days_in_the_time_zone_of_its_settings(
    app: Any, cast: Cast, clock: FrozenClock
) -> None:
    los_angeles = dataclasses.replace(get_settings(), timezone=ZoneInfo("America/Los_Angeles"))
    assert get_settings().timezone != los_angeles.timezone
    clock.set(LATE_EVENING_IN_LOS_ANGELES)
    case = await file_case(cast, purchase_date="2025-02-01")
    assert await _filing_days(case) == set()  # the filing wrote nothing for the statistics
    await follow_record(Runtime(los_angeles, clock, WeekdayCalendar()))  # a round of a deployment in L.A.
    assert await _filing_days(case) == {date(2025, 3, 3)}
    again = await file_case(cast, purchase_date="2025-02-01")
    assert (await cast.consumer.get("/stats")).status_code == 200  # a figures page catches up in the app's terms
    assert await _filing_days(again) == {date(2025, 3, 3), date(2025, 3, 4)}  # the environment's zone (Asia/Shanghai)


class EveryDayCounts:
    """A calendar in which every day is a working day (weekends too)."""

    def add_working_days(self, start: datetime, days: int) -> datetime:
        return start + timedelta(days=days)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        return (end.date() - start.date()).days


async def _fact(case: dict[str, Any], column: Any) -> Any:
    fact = await CaseFact.select(column).where(CaseFact.case.reference == case["reference"]).first()
    return fact[column._meta.name]


async def test_durations_count_in_the_calendar_of_whoever_counts_them(app: Any, cast: Cast, clock: FrozenClock) -> None:
    clock.set(datetime(2025, 3, 7, 2, 0, tzinfo=UTC))  # a Friday
    case = await file_case(cast, purchase_date="2025-02-01")
    clock.set(datetime(2025, 3, 10, 2, 0, tzinfo=UTC))  # the Monday after: 1 weekday, 3 days
    response = await act(cast.merchant, case, "respond", kind="reject", text="We shipped it as described.")
    assert response.status_code == 200, response.text
    before = app.state.calendar
    app.state.calendar = EveryDayCounts()  # as a server's calendar, loaded at its startup
    try:
        assert (await cast.consumer.get("/stats")).status_code == 200  # the page counts in the app's calendar
    finally:
        app.state.calendar = before
    assert await _fact(case, CaseFact.first_response_days) == 3
    response = await act(cast.consumer, case, "withdraw")
    assert response.status_code == 200, response.text
    await follow_record(Runtime(get_settings(), clock, WeekdayCalendar()))  # a job's round, its calendar
    assert await _fact(case, CaseFact.closing_days) == 1


def test_a_recount_builds_only_the_traceability_modules_services(monkeypatch: Any) -> None:
    from insights import module as insights_module
    from traceability.service import current_checks

    built: list[str] = []

    def recording(module: Any) -> Any:
        def services(settings: Any) -> Any:
            built.append(module.name)
            return module.services(settings)

        return dataclasses.replace(module, services=services)

    monkeypatch.setattr(insights_module, "installed", lambda: [recording(module) for module in installed()])
    assert insights_module._trace_checks(get_settings()) is current_checks
    assert built == ["traceability"]
