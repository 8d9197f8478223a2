"""The module contract (accord.modules): `accord sweep` does what a server's background loop does, and
nothing is wired by importing a domain."""

from __future__ import annotations

import ast
import dataclasses
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from accord.clock import FrozenClock, WeekdayCalendar
from accord.modules import DOMAINS, background_round, installed, jobs_of
from accord.settings import get_settings
from accounts.tables import User
from cases.tables import Case
from notifications.digest import set_digest
from notifications.tables import OutboxMail, Reminder
from tests.cases.conftest import filing_body
from tests.conftest import SignedIn

ROOT = Path(__file__).resolve().parents[2]
ACCORD = str(Path(sys.executable).with_name("accord"))


async def sweep_by_cli(at: datetime) -> None:
    done = subprocess.run(
        [ACCORD, "sweep", "--at", at.isoformat()],
        capture_output=True,
        text=True,
        env={**os.environ, "ACCORD_AUTO_ASSIGN": "true"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


async def sweep_by_server(at: datetime) -> None:
    """One round of the loop a running server has (accord.app), in this process."""
    settings = dataclasses.replace(get_settings(), auto_assign=True)
    state = SimpleNamespace(clock=FrozenClock(at), calendar=WeekdayCalendar())
    await background_round(jobs_of(installed()), settings, state)


async def sent_to(email: str) -> list[str]:
    rows = await OutboxMail.select(OutboxMail.subject).where(
        OutboxMail.recipient_email == email, OutboxMail.status == "sent"
    )
    return [row["subject"] for row in rows]


@pytest.mark.parametrize("sweep", [sweep_by_cli, sweep_by_server], ids=["accord sweep", "server loop"])
async def test_a_sweep_sends_mail_reminders_and_digests_and_assigns(
    sweep: Any, api_client: SignedIn, make_user: Any, clock: FrozenClock
) -> None:
    consumer_client, consumer = await api_client("consumer")
    _merchant_client, merchant = await api_client("merchant")
    mediator = await make_user("mediator")
    await set_digest(consumer["id"], True, clock.now())  # the consumer takes a daily digest instead of mails
    filed = await consumer_client.post("/api/v1/cases", json=filing_body(merchant["enterprise_id"]))
    assert filed.status_code == 201, filed.text
    reference = filed.json()["reference"]
    calendar = WeekdayCalendar()  # no holidays in the weeks ahead of BASE_TIME, as in China's calendar
    try:
        # Two working days before the merchant's answer is due: the reminder, and the filing's mail.
        await sweep(calendar.add_working_days(clock.now(), 8))
        assert await Reminder.count().where(Reminder.deadline.case.reference == reference) == 1
        subjects = await sent_to(merchant["email"])
        assert f"[{reference}] A complaint was filed against your enterprise" in subjects
        assert f"[{reference}] Your answer to a complaint is due in 2 working days" in subjects

        # The answer never came: the case goes to mediation, a mediator takes it, and everyone hears of it,
        # the consumer in their digest.
        await sweep(calendar.add_working_days(clock.now(), 11))
        case = await Case.select(Case.state, Case.mediator).where(Case.reference == reference).first()
        assert case["mediator"] is not None
        subjects = await sent_to(merchant["email"])
        assert f"[{reference}] The case goes to mediation" in subjects
        assert f"[{reference}] A mediator took on the case" in subjects
        assert [s for s in await sent_to(consumer["email"]) if "today" in s], "no digest for the consumer"
    finally:
        await set_digest(consumer["id"], False, clock.now())
        await User.update({User.active: False}).where(User.id == mediator["id"])  # takes no later test's case


def test_importing_every_domain_wires_nothing() -> None:
    """Subscribers reach the event bus only from the module list, when an app or a command is built."""
    code = """
import importlib, pkgutil
from accord import events
from accord.modules import DOMAINS
names = ["accord.app", "accord.cli"]
for domain in DOMAINS:
    package = importlib.import_module(domain)
    names += [f"{domain}.{info.name}" for info in pkgutil.iter_modules(package.__path__)]
for name in names:
    importlib.import_module(name)
assert events.subscribers() == {"transaction": [], "before_commit": [], "after_commit": []}, events.subscribers()
from accord.app import create_app
create_app()
wired = events.subscribers()
assert wired["transaction"] and wired["before_commit"] and wired["after_commit"], wired
print(len(names))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 30  # every module of every domain was imported


def test_the_cli_and_the_app_read_the_same_modules() -> None:
    names = [module.name for module in installed()]
    assert names == [
        "accounts",
        "cases",
        "mediation",
        "integrity",
        "traceability",
        "insights",
        "guide",
        "notifications",
    ]
    assert [job.name for job in jobs_of(installed())] == [
        "record check",
        "retention",
        "calendar",
        "deadlines",
        "auto-assign",
        "registry expiry",
        "rollups",
        "risk alerts",
        "rollup shards",
        "reminders",
        "digests",
        "mail",
    ]


def _imports(path: Path) -> set[str]:
    """The modules a file imports (`from a import b` counts as a and a.b: b may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_domain_imports_another_domains_routes_or_forms() -> None:
    """What domains share lives in the shell (accord/); their web layers stay their own."""
    web_layers = ("routes", "agency_routes", "forms", "module")
    crossing = []
    for domain in DOMAINS:
        for path in sorted((ROOT / domain).rglob("*.py")):
            for name in _imports(path):
                owner, _, rest = name.partition(".")
                if owner in DOMAINS and owner != domain and rest.split(".")[0] in web_layers:
                    crossing.append(f"{path.relative_to(ROOT)} imports {name}")
    assert crossing == []


def test_dependencies_point_one_way() -> None:
    """accord ← accounts ← cases ← mediation, notifications, integrity (DESIGN §8): the shell imports no
    domain at module level, and cases never imports mediation or notifications."""
    below = {
        "accord": set(DOMAINS),
        "accounts": set(DOMAINS) - {"accounts"},
        "cases": {"mediation", "notifications", "guide"},
    }
    wrong = []
    for package, forbidden in below.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            if "piccolo_migrations" in path.parts:
                continue
            for name in _imports(path):
                if name.split(".")[0] in forbidden:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []
