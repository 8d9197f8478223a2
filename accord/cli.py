"""The `accord` command: serve, migrate, seed-demo, create-user, sweep, registry, calendar, verify-case.

Configuration problems and an unreachable database end the command with one line on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sqlite3
import sys
import warnings
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NoReturn

from accord.settings import Settings, SettingsError, get_settings


def _fail(message: str) -> NoReturn:
    print(f"accord: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _database_errors() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)


async def _with_database(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    from accord.db import engine

    db = engine()
    if db.engine_type == "postgres":
        await db.start_connection_pool()  # type: ignore[attr-defined]
    try:
        return await work()
    finally:
        if db.engine_type == "postgres":
            await db.close_connection_pool()  # type: ignore[attr-defined]


def _run(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    try:
        return asyncio.run(_with_database(settings, work))
    except _database_errors() as error:
        where = settings.database.url.split("@")[-1]
        _fail(f"database {where!r}: {error}".replace("\n", " "))


async def _migrate() -> None:
    from accord.db import migrate

    await migrate()


async def _seed() -> bool:
    from accord.clock import SystemClock
    from accord.demo import seed_demo

    return await seed_demo(SystemClock())


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    _run(settings, _migrate)
    print("accord: database is up to date")


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> None:
    seeded = _run(settings, _seed)
    print("accord: demo data created" if seeded else "accord: database already has data; demo seed skipped")


# The largest frame a client needs is a message of 5,000 characters, JSON-escaped; bigger ones close the
# socket (1009) before anything reads them.
MAX_FRAME_BYTES = 64 * 1024


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    async def prepare() -> None:
        await _migrate()
        if args.demo and await _seed():
            print("accord: demo data created (password for all demo accounts: demo-password)")

    _run(settings, prepare)
    print(f"accord: serving on http://{args.host}:{args.port}")
    uvicorn.run(
        "accord.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Client addresses come from accord.network, which believes X-Forwarded-For only from the
        # proxies in ACCORD_TRUSTED_PROXIES (uvicorn's own rewrite trusts any local peer).
        proxy_headers=False,
        log_level="info",
        # Socket frames are small JSON objects: compressing each one for each socket costs more CPU
        # than the bytes it saves (bench/ws_fanout.py).
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,
    )


def _read_password(args: argparse.Namespace) -> str:
    if args.password:
        return str(args.password)
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            _fail("the passwords do not match")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> None:
    from pydantic import ValidationError

    from accord.clock import SystemClock
    from accord.errors import InvalidInput
    from accounts import service
    from accounts.passwords import password_problem
    from accounts.schemas import RegistrationIn
    from accounts.tables import Role
    from accounts.uscc import normalize_uscc, uscc_problem

    password = _read_password(args)
    try:
        checked = RegistrationIn.model_validate(
            {
                "email": args.email,
                "password": password,
                "display_name": args.name or args.email.split("@")[0],
                "language": args.language,
            }
        )
    except ValidationError as error:
        first = error.errors()[0]
        _fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    if problem := password_problem(password, checked.email):
        _fail(f"password: {problem}")
    uscc = normalize_uscc(args.enterprise) if args.enterprise else None
    if uscc and (problem := uscc_problem(uscc)):
        _fail(f"enterprise: {problem}")

    async def create() -> dict[str, Any]:
        return await service.create_user(
            email=checked.email,
            password=password,
            role=Role(args.role),
            display_name=checked.display_name,
            language=checked.language,
            enterprise_uscc=uscc,
            clock=SystemClock(),
        )

    try:
        user = _run(settings, create)
    except InvalidInput as error:
        _fail("; ".join(f"{e.field}: {e.message}" for e in error.errors))
    print(f"accord: created {user['role']} {user['email']} (id {user['id']})")


def cmd_verify_case(settings: Settings, args: argparse.Namespace) -> None:
    from accord.errors import NotFound
    from cases.service import verify_reference

    async def check() -> Any:
        return await verify_reference(args.reference)

    try:
        result = _run(settings, check)
    except NotFound:
        _fail(f"no case {args.reference}")
    if result.verified:
        print(f"accord: {args.reference}: record verified ({result.events} events)")
        return
    print(f"accord: {args.reference}: record BROKEN at seq {result.first_bad_seq}: {result.problem}", file=sys.stderr)
    raise SystemExit(1)


def _moment(text: str, settings: Settings) -> datetime:
    """An ISO time from the command line; without an offset it is local time where the service runs."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--at {text!r} is not an ISO 8601 time, e.g. 2026-12-10T09:00:00+08:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.timezone)


def cmd_sweep(settings: Settings, args: argparse.Namespace) -> None:
    from accord.clock import FrozenClock, SystemClock
    from mediation.runtime import case_context
    from mediation.sweeper import sweep

    clock = FrozenClock(_moment(args.at, settings)) if args.at else SystemClock()

    from integrity.service import expire_due

    async def run() -> Any:
        context = await case_context(settings, clock)
        return await sweep(context), await expire_due(clock, context.calendar)

    fired, expired = _run(settings, run)
    print(f"accord: fired {len(fired)} deadline(s)")
    for item in fired:
        print(f"  {item.reference} {item.action} (due {item.due_at.isoformat()})")
    for listing_id in expired:
        print(f"  listing {listing_id} expired")


def cmd_registry_export(settings: Settings, args: argparse.Namespace) -> None:
    from integrity.log import export_lines

    lines = _run(settings, export_lines)
    text = "".join(line + "\n" for line in lines)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"accord: wrote {len(lines)} event(s) to {args.out}")
    else:
        sys.stdout.write(text)


def cmd_registry_verify(settings: Settings | None, args: argparse.Namespace) -> None:
    from integrity.log import verify_export

    try:
        lines = [line for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as error:
        _fail(f"{args.file}: {error.strerror}")
    result = verify_export(lines, args.root)
    if result.verified:
        print(f"accord: {args.file}: verified {result.size} event(s) against root {result.root}")
        return
    print(f"accord: {args.file}: line {result.bad_line}: {result.reason}", file=sys.stderr)
    raise SystemExit(1)


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
    from mediation.calendar import load_calendar, load_entered_years, years_by_rule

    async def load() -> Any:
        return await load_calendar(settings.timezone), await load_entered_years()

    calendar, entered = _run(settings, load)
    start = datetime.combine(args.start, time(), tzinfo=settings.timezone)
    due = calendar.add_working_days(start, args.working_days).date()
    print(due.isoformat())
    for year in years_by_rule(args.start, due, entered):
        print(
            f"accord: {year}: statutory holidays worked out by rule; the official schedule is not entered yet",
            file=sys.stderr,
        )


def _read_json(name: str) -> Any:
    import json

    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as error:
        _fail(f"{name}: {error.strerror}")
    except ValueError:
        _fail(f"{name}: not JSON")


def cmd_registry_verify_consistency(settings: Settings | None, args: argparse.Namespace) -> None:
    from integrity.merkle import root_from_consistency_proof

    answer = _read_json(args.file)
    try:
        first, second = int(answer["first"]), int(answer["second"])
        proof = [bytes.fromhex(node) for node in answer["proof"]]
        first_root, second_root = bytes.fromhex(args.first_root), bytes.fromhex(args.second_root)
    except (KeyError, TypeError, ValueError) as error:
        _fail(f"{args.file}: not a consistency proof with hex roots ({error})")
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


def cmd_registry_monitor(settings: Settings | None, args: argparse.Namespace) -> None:
    from integrity.monitor import Unreachable, check, default_state_file

    try:
        outcome = check(args.url, Path(args.state) if args.state else default_state_file(), args.public_key)
    except Unreachable as error:
        _fail(str(error))
    if not outcome.ok:
        print(f"accord: monitor: {args.url}: ALARM: {outcome.message}", file=sys.stderr)
        raise SystemExit(1)
    print(f"accord: monitor: {args.url}: ok: {outcome.message}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accord", description="Accord dispute resolution platform")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="seed demo data when the database is empty")
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=cmd_migrate)
    commands.add_parser("seed-demo", help="create demo accounts and data in an empty database").set_defaults(
        handler=cmd_seed_demo
    )

    create_user = commands.add_parser("create-user", help="create a user of any role")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--role", required=True, choices=["consumer", "merchant", "mediator", "admin"])
    create_user.add_argument("--enterprise", metavar="USCC", help="the enterprise a merchant agent belongs to")
    create_user.add_argument("--name", help="display name (default: the email's local part)")
    create_user.add_argument("--language", default="en", choices=["en", "zh-Hans"])
    create_user.add_argument("--password", help="the password (default: prompt, or read one line from stdin)")
    create_user.set_defaults(handler=cmd_create_user)
    sweep = commands.add_parser("sweep", help="apply every deadline that has run out")
    sweep.add_argument("--at", metavar="ISO-TIME", help="sweep as if it were this time (default: now)")
    sweep.set_defaults(handler=cmd_sweep)

    registry = commands.add_parser("registry", help="the integrity registry's open data")
    registry_commands = registry.add_subparsers(dest="registry_command", required=True)
    export = registry_commands.add_parser("export", help="write the open-data export (JSON lines)")
    export.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    export.set_defaults(handler=cmd_registry_export)
    check = registry_commands.add_parser("verify", help="recompute an export's Merkle tree against a published root")
    check.add_argument("file", metavar="FILE")
    check.add_argument("--root", required=True, metavar="HEX", help="the root hash from /registry/tree-head")
    check.set_defaults(handler=cmd_registry_verify, offline=True)
    consistent = registry_commands.add_parser(
        "verify-consistency", help="check a consistency proof (from /registry/log/consistency) between two roots"
    )
    consistent.add_argument("file", metavar="FILE", help="the proof's JSON {first, second, proof}; - for stdin")
    consistent.add_argument("--first-root", required=True, metavar="HEX", help="the root of the first size")
    consistent.add_argument("--second-root", required=True, metavar="HEX", help="the root of the second size")
    consistent.set_defaults(handler=cmd_registry_verify_consistency, offline=True)
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
    monitor.set_defaults(handler=cmd_registry_monitor, offline=True)

    calendar = commands.add_parser("calendar", help="the working-day calendar deadlines count")
    calendar_commands = calendar.add_subparsers(dest="calendar_command", required=True)
    due = calendar_commands.add_parser("due", help="print the date N working days after a date")
    due.add_argument("--from", dest="start", required=True, type=_date, metavar="DATE", help="e.g. 2026-02-12")
    due.add_argument("--working-days", required=True, type=_working_days, metavar="N")
    due.set_defaults(handler=cmd_calendar_due)

    verify = commands.add_parser("verify-case", help="recompute a case record's hash chain")
    verify.add_argument("reference", metavar="REF", help="the case reference, e.g. AC-2026-000123")
    verify.set_defaults(handler=cmd_verify_case)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if getattr(args, "offline", False):  # checks anyone may run on published data: no settings, no data dir
        args.handler(None, args)
        return
    # Piccolo warns before our own one-line message when the database is unreachable.
    warnings.filterwarnings("ignore", message=".*Unable to connect to database.*")
    try:
        settings = get_settings()
        _check_deadlines(settings)
    except SettingsError as error:
        _fail(str(error))
    args.handler(settings, args)


def _check_deadlines(settings: Settings) -> None:
    from cases.workflow import terms_from

    try:
        terms_from(settings.deadline_overrides)
    except ValueError as error:
        raise SettingsError(f"ACCORD_DEADLINE_*: {error}") from None


if __name__ == "__main__":
    main()
