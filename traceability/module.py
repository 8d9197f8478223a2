"""Traceability's part of the process: its pages and API, the trace check on filing, and the check shown on
the case page and in the case JSON."""

from __future__ import annotations

import argparse
from typing import Any

from accord.cli import run_with_database
from accord.clock import SystemClock
from accord.modules import DomainModule, Subscription
from accord.settings import Settings
from traceability import routes, service
from traceability.seed import seed_demo_trace


def subscribers(settings: Settings) -> list[Subscription]:
    return [Subscription(service.on_case_filed)]  # transaction phase: the check commits with the filing


def cmd_check(settings: Settings, args: argparse.Namespace) -> None:
    async def check() -> int:
        return await service.check_unchecked(SystemClock().now())

    checked = run_with_database(settings, check)
    print(f"accord: checked the trace codes of {checked} case(s) that had no check")


def add_commands(commands: Any) -> None:
    trace = commands.add_parser("trace", help="traceability (GS1 EPCIS)")
    trace_commands = trace.add_subparsers(dest="trace_command", required=True)
    check = trace_commands.add_parser(
        "check", help="check the trace codes of cases that have no check yet (e.g. filed before trace/ was installed)"
    )
    check.set_defaults(handler=cmd_check)


MODULE = DomainModule(
    name="traceability",
    routes=[*routes.page_routes, routes.api_router],
    subscribers=subscribers,
    cli=add_commands,
    # For a recount of what follows `trace.checked` (insights' counts): the checks as they stand.
    services=lambda settings: {"trace_checks": service.current_checks},
    seed=seed_demo_trace,  # a brand with a few hundred items' events, and cases showing each check result
    case_facts={"trace_check": service.check_for_viewer},
    record_tellers={service.RECORD_EVENT: service.tell_check, service.PARTIES_EVENT: service.tell_plain_check},
)
