"""The case context: what `apply()` needs besides the case — the clock, the working-day calendar, the
deadlines' lengths and the service's zone. Built here only: per request from the app's state, and for
background jobs and commands from the settings they run with."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency

from accord.auth import Viewer
from accord.clock import Calendar, Clock
from accord.settings import Settings
from cases.workflow import Context, terms_from


def case_context(settings: Settings, clock: Clock, calendar: Calendar) -> Context:
    terms = terms_from(settings.deadline_overrides)
    return Context(clock=clock, calendar=calendar, terms=terms, zone=settings.timezone)


def provide_context(state: State, viewer: NamedDependency[Viewer]) -> Context:
    """Dependency: the request's case context (the deadlines' lengths computed once, at app start).

    It names the viewer only to be resolved after it. Litestar resolves the dependencies that do not depend on
    each other side by side, a task each in an anyio task group; neither of these waits for anything (the
    middleware has found the viewer), and the task group cost a case page about a tenth of its time (0.08 of
    0.75 ms: bench/page_parts.py)."""
    return Context(clock=state.clock, calendar=state.calendar, terms=state.case_terms, zone=state.settings.timezone)
