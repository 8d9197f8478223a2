"""The case context outside a request (background jobs, the CLI): what `apply()` needs besides the case."""

from __future__ import annotations

from accord.clock import Calendar, Clock
from accord.settings import Settings
from cases.workflow import Context, terms_from


def case_context(settings: Settings, clock: Clock, calendar: Calendar) -> Context:
    terms = terms_from(settings.deadline_overrides)
    return Context(clock=clock, calendar=calendar, terms=terms, zone=settings.timezone)
