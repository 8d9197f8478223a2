"""Wiring the mediation desk into a running process: the case context with the working-day calendar,
and the sweeper loop each server process runs."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from accord.clock import Clock, WeekdayCalendar
from accord.settings import Settings
from cases.workflow import Context, terms_from
from mediation import sweeper
from mediation.service import assign_waiting_cases


async def case_context(settings: Settings, clock: Clock) -> Context:
    return Context(
        clock=clock,
        calendar=WeekdayCalendar(),
        terms=terms_from(settings.deadline_overrides),
        zone=settings.timezone,
    )


async def background_round(settings: Settings, state: Any) -> None:
    """One round of the server's background work: due deadlines, then (if enabled) auto-assignment."""
    context = await case_context(settings, state.clock)
    await sweeper.sweep(context)
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
