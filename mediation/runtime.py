"""Wiring the mediation desk into a running process: the case context with the working-day calendar,
and the sweeper loop each server process runs."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from accord.clock import Calendar, Clock
from accord.settings import Settings
from cases.workflow import Context, terms_from
from mediation import sweeper
from mediation.calendar import ChinaWorkingCalendar, load_calendar, reload_calendar
from mediation.service import assign_waiting_cases


async def case_context(settings: Settings, clock: Clock, calendar: Calendar | None = None) -> Context:
    """Everything apply() needs outside a request (CLI, background loop): China's working days by default."""
    return Context(
        clock=clock,
        calendar=calendar or await load_calendar(settings.timezone),
        terms=terms_from(settings.deadline_overrides),
        zone=settings.timezone,
    )


async def install_calendar(app: Any) -> None:
    """Startup: the working-day calendar with registrar overrides, unless one was injected (tests)."""
    if not app.state.get("calendar_injected"):
        app.state.calendar = await load_calendar(app.state.settings.timezone)


async def background_round(settings: Settings, state: Any) -> None:
    """One round of the server's background work: due deadlines, then (if enabled) auto-assignment.

    The calendar is reloaded first, so overrides a registrar entered in another process apply here too.
    """
    if isinstance(state.calendar, ChinaWorkingCalendar):
        await reload_calendar(state.calendar)
    context = await case_context(settings, state.clock, state.calendar)
    await sweeper.sweep(context)
    for job in state.get("background_jobs", ()):  # other domains' timed work, e.g. registry expiry
        await job(state.clock, state.calendar)
    if settings.auto_assign:
        await assign_waiting_cases(context)


def start_background(app: Any) -> None:
    settings: Settings = app.state.settings
    if settings.sweep_seconds <= 0:
        return
    app.state.background = asyncio.create_task(
        sweeper.every(settings.sweep_seconds, lambda: background_round(settings, app.state))
    )


async def stop_background(app: Any) -> None:
    task = getattr(app.state, "background", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
