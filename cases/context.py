"""The case context: what `apply()` needs besides the case — the clock, the working-day calendar, the
deadlines' lengths and the service's zone. Built here only: per request from the app's state, and for
background jobs and commands from the settings they run with."""

from __future__ import annotations

from litestar.datastructures import State

from accord.clock import Calendar, Clock
from accord.settings import Settings
from cases.workflow import Context, terms_from


def case_context(settings: Settings, clock: Clock, calendar: Calendar) -> Context:
    terms = terms_from(settings.deadline_overrides)
    return Context(clock=clock, calendar=calendar, terms=terms, zone=settings.timezone)


def provide_context(state: State) -> Context:
    """Dependency: the request's case context (the deadlines' lengths computed once, at app start)."""
    return Context(clock=state.clock, calendar=state.calendar, terms=state.case_terms, zone=state.settings.timezone)
