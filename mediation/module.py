"""The mediation desk's part of the process: its pages, the working-day calendar (and `accord calendar
due`), and the timed work that moves cases on — due deadlines (the sweeper) and, when enabled,
auto-assignment."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from accord.cli import run_with_database
from accord.clock import Calendar
from accord.modules import DomainModule, Job, Runtime
from accord.settings import Settings
from cases.context import case_context
from mediation import routes, sweeper
from mediation.calendar import (
    ChinaWorkingCalendar,
    load_calendar,
    load_entered_years,
    reload_calendar,
    years_by_rule,
)
from mediation.service import assign_waiting_cases


async def _calendar(settings: Settings) -> Calendar:
    return await load_calendar(settings.timezone)


async def refresh_calendar(runtime: Runtime) -> None:
    """Overrides a registrar entered in another process apply here too, from this round on."""
    if isinstance(runtime.calendar, ChinaWorkingCalendar):
        await reload_calendar(runtime.calendar)


async def fire_deadlines(runtime: Runtime) -> list[sweeper.Fired]:
    return await sweeper.sweep(case_context(runtime.settings, runtime.clock, runtime.calendar))


def _fired(fired: list[sweeper.Fired]) -> Iterable[str]:
    yield f"accord: fired {len(fired)} deadline(s)"
    for item in fired:
        yield f"  {item.reference} {item.action} (due {item.due_at.isoformat()})"


async def auto_assign(runtime: Runtime) -> list[str]:
    """Waiting cases go to matching mediators (ACCORD_AUTO_ASSIGN); nothing when it is off."""
    if not runtime.settings.auto_assign:
        return []
    return await assign_waiting_cases(case_context(runtime.settings, runtime.clock, runtime.calendar))


def _assigned(references: list[str]) -> Iterable[str]:
    return (f"  {reference} assigned to a mediator" for reference in references)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-31") from None


def _working_days(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of working days (0 or more)")
    return int(text)


def cmd_calendar_due(settings: Settings, args: argparse.Namespace) -> None:
    """The date `--working-days` working days after `--from`, on the calendar deadlines use (with the
    registrar's entries); years counted by rule are named on standard error."""

    async def load() -> Any:
        return await load_calendar(settings.timezone), await load_entered_years()

    calendar, entered = run_with_database(settings, load)
    start = datetime.combine(args.start, time(), tzinfo=settings.timezone)
    due = calendar.add_working_days(start, args.working_days).date()
    print(due.isoformat())
    for year in years_by_rule(args.start, due, entered):
        print(
            f"accord: {year}: statutory holidays worked out by rule; the official schedule is not entered yet",
            file=sys.stderr,
        )


def add_commands(commands: Any) -> None:
    calendar = commands.add_parser("calendar", help="the working-day calendar deadlines count")
    calendar_commands = calendar.add_subparsers(dest="calendar_command", required=True)
    due = calendar_commands.add_parser("due", help="print the date N working days after a date")
    due.add_argument("--from", dest="start", required=True, type=_date, metavar="DATE", help="e.g. 2026-02-12")
    due.add_argument("--working-days", required=True, type=_working_days, metavar="N")
    due.set_defaults(handler=cmd_calendar_due)


MODULE = DomainModule(
    name="mediation",
    routes=[*routes.page_routes, routes.api_router],
    jobs=[
        Job("calendar", refresh_calendar),
        Job("deadlines", fire_deadlines, _fired),
        Job("auto-assign", auto_assign, _assigned),
    ],
    cli=add_commands,
    template_globals={"missing_schedule_years": routes.missing_schedule_years},
    calendar=_calendar,
)
