"""Time is injected: services ask a clock, tests move a fake one instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


@runtime_checkable
class Calendar(Protocol):
    """Working-day arithmetic for deadlines (the real one, with China's holidays, lives in mediation)."""

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment `days` working days after `start` (same time of day)."""

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """How many working days lie after `start` up to and including `end`."""


class WeekdayCalendar:
    """Monday to Friday are working days: the fallback until a holiday calendar is wired in."""

    def add_working_days(self, start: datetime, days: int) -> datetime:
        moment = start
        while days > 0:
            moment += timedelta(days=1)
            if moment.weekday() < 5:
                days -= 1
        return moment

    def working_days_between(self, start: datetime, end: datetime) -> int:
        count, day = 0, start
        while day.date() < end.date():
            day += timedelta(days=1)
            count += day.weekday() < 5
        return count


def working_days_left(calendar: Calendar, now: datetime, due: datetime | None) -> int | None:
    """Whole working days until `due` (0: due today); negative once it has passed."""
    if due is None:
        return None
    if due >= now:
        return calendar.working_days_between(now, due)
    return -calendar.working_days_between(due, now)
