"""The rollups count durations in the process's working-day calendar from the first event on: a cron
`accord sweep` or a server with its loop off (ACCORD_SWEEP_SECONDS=0) never runs the insights job before
the deadlines fire, so the calendar cannot wait for that job."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from litestar.datastructures import State

from accord.app import _background
from accord.clock import WeekdayCalendar
from accord.modules import installed, load_calendar
from accord.settings import get_settings
from insights import rollups


async def test_loading_the_calendar_hands_it_to_the_rollups(app: Any) -> None:
    before = rollups._calendar[0]
    rollups.use_calendar(WeekdayCalendar())
    try:
        calendar = await load_calendar(installed(), get_settings())
        assert rollups._calendar[0] is calendar
        assert not isinstance(calendar, WeekdayCalendar)  # China's, kept by the mediation module
    finally:
        rollups.use_calendar(before)


async def test_a_server_hands_its_calendar_to_the_rollups_at_startup(app: Any) -> None:
    given, before = WeekdayCalendar(), rollups._calendar[0]
    for injected in (True, False):
        install_calendar, _start, _stop = _background(installed(), calendar_injected=injected)
        server = SimpleNamespace(state=State({"calendar": given, "settings": get_settings()}))
        try:
            await install_calendar(server)
            assert rollups._calendar[0] is server.state.calendar
            assert (server.state.calendar is given) == injected  # else China's, loaded at startup
        finally:
            rollups.use_calendar(before)
