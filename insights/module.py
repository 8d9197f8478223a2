"""Statistics and risk signals' part of the process: the rollups that follow the case records (a job each
round; figures pages catch up first), the dashboards and public statistics, and `accord insights rebuild`."""

from __future__ import annotations

import argparse
import time
from typing import Any

from accord.cli import run_with_database
from accord.clock import Calendar, Clock
from accord.modules import DomainModule, Job, Runtime, Subscription, installed, load_calendar
from accord.settings import Settings, get_settings
from insights import alerts, metrics, rollups, routes

TRACEABILITY = "traceability"  # the module whose `trace_checks` service a recount reads


async def raise_alerts(runtime: Runtime) -> int:
    """Score today's and yesterday's filings (days where the deployment is)."""
    return await alerts.scan(runtime.clock, runtime.settings.timezone)


def _opened(count: int) -> list[str]:
    return [f"  opened {count} risk alert(s)"] if count else []


async def fold_shards(runtime: Runtime) -> int:
    """Past days' rollup shards into one row each (days where the deployment is)."""
    return await rollups.fold_shards(rollups.local_day(runtime.clock.now(), runtime.settings.timezone))


def _folded(count: int) -> list[str]:
    return [f"  folded {count} rollup shard row(s)"] if count else []


async def follow_record(runtime: Runtime) -> int:
    """The moves since the last round into the rollups (days where the deployment is)."""
    return await rollups.follow_record(runtime.calendar, runtime.settings.timezone)


def _counted(count: int) -> list[str]:
    return [f"  counted the moves of {count} case(s) into the statistics"] if count else []


def subscribers(settings: Settings) -> list[Subscription]:
    """The trace checks' subscriber, counting days in these settings' time zone (the app's)."""
    return [Subscription(rollups.trace_counter(settings.timezone), "before_commit")]


def _trace_checks(settings: Settings) -> Any:
    """The traceability module's `trace_checks` service, when it is installed (insights does not import it):
    only that module's services are built."""
    keeper = next((module for module in installed() if module.name == TRACEABILITY), None)
    return keeper.services(settings).get("trace_checks") if keeper is not None else None


async def seed_rollups(clock: Clock, calendar: Calendar) -> None:
    """The demo cases and trace checks were seeded without subscribers (before any app), by the domains
    seeded before this one: count them from their records and traceability's checks (a seed is given no
    settings: `accord seed-demo` runs with the environment's)."""
    settings = get_settings()
    await rollups.rebuild(calendar, settings.timezone, trace_checks=_trace_checks(settings))


def cmd_rebuild(settings: Settings, args: argparse.Namespace) -> None:
    async def rebuild() -> int:
        calendar = await load_calendar(installed(), settings)
        return await rollups.rebuild(calendar, settings.timezone, trace_checks=_trace_checks(settings))

    counted = run_with_database(settings, rebuild)
    print(f"accord: insights rebuilt from the records of {counted} case(s)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 10_000_000:
        raise argparse.ArgumentTypeError("give 1 to 10000000 cases")
    return value


def _with_bulk_cases(demo: Any) -> Any:
    """`accord seed-demo --cases N`: the demo data (when the database is empty), then N cases in bulk."""

    def seed(settings: Settings, args: argparse.Namespace) -> None:
        demo(settings, args)
        if not args.cases:
            return

        async def bulk() -> int:
            from accord.clock import SystemClock
            from insights.bulk import seed_cases

            calendar = await load_calendar(installed(), settings)
            return await seed_cases(args.cases, SystemClock(), calendar, settings.timezone)

        started = time.perf_counter()
        count = run_with_database(settings, bulk)
        print(f"accord: seeded {count} case(s) over 24 months in {time.perf_counter() - started:.1f} s")

    return seed


def add_commands(commands: Any) -> None:
    demo = commands.choices.get("seed-demo")
    if demo is not None:
        demo.add_argument(
            "--cases", type=_count, default=0, metavar="N", help="then bulk-seed N cases over the last 24 months"
        )
        demo.set_defaults(handler=_with_bulk_cases(demo.get_default("handler")))
    insights = commands.add_parser("insights", help="statistics kept from the case records")
    insights_commands = insights.add_subparsers(dest="insights_command", required=True)
    rebuild = insights_commands.add_parser("rebuild", help="recount every rollup from the case records")
    rebuild.set_defaults(handler=cmd_rebuild)


MODULE = DomainModule(
    name="insights",
    routes=[routes.api_router, *routes.page_routes, metrics.metrics],
    middleware=lambda settings: [metrics.MetricsMiddleware],
    subscribers=subscribers,
    jobs=[
        Job("rollups", follow_record, _counted),  # first: the alerts score what it counted
        Job("risk alerts", raise_alerts, _opened),
        Job("rollup shards", fold_shards, _folded),
    ],
    cli=add_commands,
    seed=seed_rollups,
)
