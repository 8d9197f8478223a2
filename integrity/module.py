"""The integrity registry's part of the process: its pages and open data, the listing a mediator proposes
on a case, expiry at the end of a listing's period, and the `accord registry` commands (export, and the
checks anyone may run on published data: verify, verify-consistency, monitor)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from accord.cli import fail, run_with_database
from accord.modules import DomainModule, Job, Runtime, Subscription
from accord.settings import Settings
from integrity import routes, service
from integrity.log import export_lines, verify_export
from integrity.merkle import root_from_consistency_proof
from integrity.monitor import Unreachable, check, default_state_file
from integrity.seed import seed_demo_registry


async def expire_listings(runtime: Runtime) -> list[int]:
    return await service.expire_due(runtime.clock, runtime.calendar)


def _expired(listing_ids: list[int]) -> Iterable[str]:
    return (f"  listing {listing_id} expired" for listing_id in listing_ids)


def subscribers(settings: Settings) -> list[Subscription]:
    return [Subscription(service.on_case_transition)]


def cmd_export(settings: Settings, args: argparse.Namespace) -> None:
    lines = run_with_database(settings, export_lines)
    text = "".join(line + "\n" for line in lines)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"accord: wrote {len(lines)} event(s) to {args.out}")
    else:
        sys.stdout.write(text)


def cmd_verify(settings: Settings | None, args: argparse.Namespace) -> None:
    try:
        lines = [line for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as error:
        fail(f"{args.file}: {error.strerror}")
    result = verify_export(lines, args.root)
    if result.verified:
        print(f"accord: {args.file}: verified {result.size} event(s) against root {result.root}")
        return
    print(f"accord: {args.file}: line {result.bad_line}: {result.reason}", file=sys.stderr)
    raise SystemExit(1)


def _read_json(name: str) -> Any:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as error:
        fail(f"{name}: {error.strerror}")
    except ValueError:
        fail(f"{name}: not JSON")


def cmd_verify_consistency(settings: Settings | None, args: argparse.Namespace) -> None:
    answer = _read_json(args.file)
    try:
        first, second = int(answer["first"]), int(answer["second"])
        proof = [bytes.fromhex(node) for node in answer["proof"]]
        first_root, second_root = bytes.fromhex(args.first_root), bytes.fromhex(args.second_root)
    except (KeyError, TypeError, ValueError) as error:
        fail(f"{args.file}: not a consistency proof with hex roots ({error})")
    try:
        computed = root_from_consistency_proof(first, second, proof, first_root)
    except ValueError as error:
        problem = str(error)
    else:
        problem = "" if computed == second_root else "the proof leads to another root than --second-root"
    if problem:
        print(f"accord: the log of {second} entries does NOT extend the one of {first}: {problem}", file=sys.stderr)
        raise SystemExit(1)
    print(f"accord: the log of {second} entries extends the one of {first} (root {args.first_root})")


def cmd_monitor(settings: Settings | None, args: argparse.Namespace) -> None:
    try:
        outcome = check(args.url, Path(args.state) if args.state else default_state_file(), args.public_key)
    except Unreachable as error:
        fail(str(error))
    if not outcome.ok:
        print(f"accord: monitor: {args.url}: ALARM: {outcome.message}", file=sys.stderr)
        raise SystemExit(1)
    print(f"accord: monitor: {args.url}: ok: {outcome.message}")


def add_commands(commands: Any) -> None:
    registry = commands.add_parser("registry", help="the integrity registry's open data")
    registry_commands = registry.add_subparsers(dest="registry_command", required=True)
    export = registry_commands.add_parser("export", help="write the open-data export (JSON lines)")
    export.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    export.set_defaults(handler=cmd_export)
    check = registry_commands.add_parser("verify", help="recompute an export's Merkle tree against a published root")
    check.add_argument("file", metavar="FILE")
    check.add_argument("--root", required=True, metavar="HEX", help="the root hash from /registry/tree-head")
    check.set_defaults(handler=cmd_verify, offline=True)  # offline: on published data, no settings needed
    consistent = registry_commands.add_parser(
        "verify-consistency", help="check a consistency proof (from /registry/log/consistency) between two roots"
    )
    consistent.add_argument("file", metavar="FILE", help="the proof's JSON {first, second, proof}; - for stdin")
    consistent.add_argument("--first-root", required=True, metavar="HEX", help="the root of the first size")
    consistent.add_argument("--second-root", required=True, metavar="HEX", help="the root of the second size")
    consistent.set_defaults(handler=cmd_verify_consistency, offline=True)
    monitor = registry_commands.add_parser(
        "monitor",
        help="check a registry's signed tree head and that its log only grew since the last run (exit 1 if not)",
    )
    monitor.add_argument("url", metavar="URL", help="the registry's address, e.g. https://accord.example")
    monitor.add_argument(
        "--state", metavar="FILE", help="where the last good head is kept (default: ~/.local/state/accord/monitor.json)"
    )
    monitor.add_argument(
        "--public-key", metavar="BASE64", help="the log's Ed25519 key (default: the one pinned on the first run)"
    )
    monitor.set_defaults(handler=cmd_monitor, offline=True)


def _services(settings: Settings) -> dict[str, Any]:
    return {
        "listed_enterprises": service.publicly_listed,  # the filing form warns of listed enterprises
        "published_listings": service.published_listings,  # a platform's dashboard lists its merchants'
    }


MODULE = DomainModule(
    name="integrity",
    routes=[routes.api_router, routes.page_router, *routes.open_data],
    subscribers=subscribers,
    jobs=[Job("registry expiry", expire_listings, _expired)],
    cli=add_commands,
    seed=seed_demo_registry,  # listings about the demo enterprises, by the demo registrar
    services=_services,
)
