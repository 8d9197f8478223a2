"""Cases' part of the process: the case pages and API, the live conversation socket, the demo cases, the
daily record check, and `accord verify-case`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from accord.cli import fail, run_with_database
from accord.clock import SystemClock
from accord.errors import NotFound
from accord.modules import DomainModule, Job, Runtime, Subscription
from accord.settings import Settings, SettingsError
from cases import conversation, export, retention, routes
from cases.seed import seed_demo_cases
from cases.record import Verification
from cases.service import recheck_records, verify_reference
from cases.workflow import terms_from


def cmd_verify_case(settings: Settings, args: argparse.Namespace) -> None:
    async def check() -> Any:
        return await verify_reference(args.reference, SystemClock().now())

    try:
        result = run_with_database(settings, check)
    except NotFound:
        fail(f"no case {args.reference}")
    if result.verified:
        print(f"accord: {args.reference}: record verified ({result.events} events)")
        return
    print(f"accord: {args.reference}: record BROKEN at seq {result.first_bad_seq}: {result.problem}", file=sys.stderr)
    raise SystemExit(1)


def add_commands(commands: Any) -> None:
    verify = commands.add_parser("verify-case", help="recompute a case record's hash chain")
    verify.add_argument("reference", metavar="REF", help="the case reference, e.g. AC-2026-48213907")
    verify.set_defaults(handler=cmd_verify_case)


def _services(settings: Settings) -> dict[str, Any]:
    """The deadlines' lengths, overrides applied."""
    try:
        return {"case_terms": terms_from(settings.deadline_overrides)}
    except ValueError as error:
        raise SettingsError(f"ACCORD_DEADLINE_*: {error}") from None


async def check_records(runtime: Runtime) -> list[tuple[str, Verification]]:
    return await recheck_records(runtime.clock.now())


def _broken(checked: list[tuple[str, Verification]]) -> list[str]:
    return [
        f"{reference} record BROKEN at seq {result.first_bad_seq}: {result.problem}"
        for reference, result in checked
        if not result.verified
    ]


def subscribers(settings: Settings) -> list[Subscription]:
    return [Subscription(conversation.poke_case, "after_commit")]  # sockets on the case read what is new


MODULE = DomainModule(
    name="cases",
    routes=[*routes.page_routes, routes.api_router, export.export_router, conversation.case_socket],
    subscribers=subscribers,
    jobs=[Job("record check", check_records, _broken), Job("retention", retention.retention_job, retention.report)],
    cli=add_commands,
    seed=seed_demo_cases,
    services=_services,
)
