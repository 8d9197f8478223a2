"""Statistics and risk signals' part of the process: the rollups kept by a transaction-phase subscriber of
case events, the dashboards and public statistics, and `accord insights rebuild`."""

from __future__ import annotations

import argparse
from typing import Any

from accord.cli import run_with_database
from accord.clock import Clock
from accord.modules import DomainModule, Job, Runtime, Subscription, installed, load_calendar
from accord.settings import Settings, get_settings
from insights import alerts, metrics, rollups, routes


async def raise_alerts(runtime: Runtime) -> int:
    """Score today's and yesterday's filings; also hands the rollups the calendar durations are counted in."""
    rollups.use_calendar(runtime.calendar)
    return await alerts.scan(runtime.clock)


def _opened(count: int) -> list[str]:
    return [f"  opened {count} risk alert(s)"] if count else []


def subscribers(settings: Settings) -> list[Subscription]:
    return [Subscription(rollups.on_case_event)]


async def seed_rollups(clock: Clock) -> None:
    """The demo cases were seeded without subscribers (before any app): count them from their records."""
    await rollups.rebuild(await load_calendar(installed(), get_settings()))


def cmd_rebuild(settings: Settings, args: argparse.Namespace) -> None:
    async def rebuild() -> int:
        return await rollups.rebuild(await load_calendar(installed(), settings))

    counted = run_with_database(settings, rebuild)
    print(f"accord: insights rebuilt from the records of {counted} case(s)")


def add_commands(commands: Any) -> None:
    insights = commands.add_parser("insights", help="statistics kept from the case records")
    insights_commands = insights.add_subparsers(dest="insights_command", required=True)
    rebuild = insights_commands.add_parser("rebuild", help="recount every rollup from the case records")
    rebuild.set_defaults(handler=cmd_rebuild)


MODULE = DomainModule(
    name="insights",
    routes=[routes.api_router, *routes.page_routes, metrics.metrics],
    middleware=lambda settings: [metrics.MetricsMiddleware],
    subscribers=subscribers,
    jobs=[Job("risk alerts", raise_alerts, _opened)],
    cli=add_commands,
    seed=seed_rollups,
)
