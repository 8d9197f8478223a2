"""Accounts' part of the process: sign-in and who the viewer is (on every request), registration, the
registrars' people pages, enterprise ownership, the demo people, and `accord create-user`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from litestar.middleware import DefineMiddleware
from pydantic import ValidationError

from accord.auth import ViewerMiddleware
from accord.cli import fail, run_with_database
from accord.clock import SystemClock
from accord.errors import InvalidInput
from accord.modules import DomainModule
from accord.settings import Settings
from accounts import agency_routes, platform_routes, routes, service
from accounts.passwords import password_problem
from accounts.schemas import RegistrationIn
from accounts.seed import seed_demo_accounts
from accounts.tables import Role
from accounts.uscc import normalize_uscc, uscc_problem


def _middleware(settings: Settings) -> list[Any]:
    viewer = DefineMiddleware(
        ViewerMiddleware,
        resolver=routes.viewer_resolver(settings),
        skip_prefixes=("/static/", "/healthz", "/schema"),
    )
    return [viewer]


def _read_password(args: argparse.Namespace) -> str:
    if args.password:
        return str(args.password)
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            fail("the passwords do not match")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> None:
    password = _read_password(args)
    try:
        checked = RegistrationIn.model_validate(
            {
                "email": args.email,
                "password": password,
                "display_name": args.name or args.email.split("@")[0],
                "language": args.language,
                "consent": True,  # the operator vouches; no consent is stored for the person (create_user)
            }
        )
    except ValidationError as error:
        first = error.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    if problem := password_problem(password, checked.email):
        fail(f"password: {problem}")
    uscc = normalize_uscc(args.enterprise) if args.enterprise else None
    if uscc and (problem := uscc_problem(uscc)):
        fail(f"enterprise: {problem}")

    async def create() -> dict[str, Any]:
        return await service.create_user(
            email=checked.email,
            password=password,
            role=Role(args.role),
            display_name=checked.display_name,
            language=checked.language,
            enterprise_uscc=uscc,
            clock=SystemClock(),
            timezone=settings.timezone.key,
        )

    try:
        user = run_with_database(settings, create)
    except InvalidInput as error:
        fail("; ".join(f"{e.field}: {e.message}" for e in error.errors))
    print(f"accord: created {user['role']} {user['email']} (id {user['id']})")


def add_commands(commands: Any) -> None:
    create_user = commands.add_parser("create-user", help="create a user of any role")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--role", required=True, choices=["consumer", "merchant", "mediator", "admin"])
    create_user.add_argument("--enterprise", metavar="USCC", help="the enterprise a merchant agent belongs to")
    create_user.add_argument("--name", help="display name (default: the email's local part)")
    create_user.add_argument("--language", default="en", choices=["en", "zh-Hans"])
    create_user.add_argument("--password", help="the password (default: prompt, or read one line from stdin)")
    create_user.set_defaults(handler=cmd_create_user)


MODULE = DomainModule(
    name="accounts",
    routes=[
        *routes.page_routes,
        *agency_routes.page_routes,
        *platform_routes.page_routes,
        routes.api_router,
        agency_routes.api_router,
        platform_routes.api_router,
    ],
    cli=add_commands,
    seed=seed_demo_accounts,
    middleware=_middleware,
)
