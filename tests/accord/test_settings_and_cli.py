"""Settings validation and the `accord` command line, run as a user would run it: the real executable where a
fresh process is the point (its environment, one command of each kind), a child of tests/cli.py's forkserver
for the rest."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from accord import cli
from accord.clock import FrozenClock
from accord.settings import SettingsError, get_settings, load_settings
from accounts import service
from accounts.schemas import EnterpriseIn
from accounts.tables import MediatorProfile, User
from tests.cli import accord
from tests.conftest import random_uscc, unique_email

ACCORD = str(Path(sys.executable).with_name("accord"))


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ACCORD, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, input=stdin, timeout=120
    )


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/db",
        "sqlite://relative.db",
        "postgresql://localhost",
        "postgresql://host:notaport/db",
        "nonsense",
    ],
)
def test_bad_database_url_is_a_settings_error(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings({"ACCORD_DATA_DIR": str(tmp_path), "DATABASE_URL": url})


def test_bad_database_url_is_one_line_from_the_cli(tmp_path: Path) -> None:
    result = run_cli("migrate", env={"DATABASE_URL": "mysql://x", "ACCORD_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("accord: error: DATABASE_URL") and "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_from_the_cli(tmp_path: Path) -> None:
    result = run_cli(
        "migrate", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "ACCORD_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("accord: error: database")


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    env = {"ACCORD_DATA_DIR": str(tmp_path)}
    first = load_settings(env)
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32
    assert load_settings(env).secret_key == first.secret_key
    assert load_settings({**env, "ACCORD_SECRET_KEY": "s" * 40}).secret_key == "s" * 40
    with pytest.raises(SettingsError, match="ACCORD_SECRET_KEY"):
        load_settings({**env, "ACCORD_SECRET_KEY": "short"})


def test_log_signing_key_is_generated_once_into_the_data_dir_or_given(tmp_path: Path) -> None:
    env = {"ACCORD_DATA_DIR": str(tmp_path)}
    first = load_settings(env)
    key_file = tmp_path / "log_signing_key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.log_signing_key) == 32 and load_settings(env).log_signing_key == first.log_signing_key
    assert repr(first.log_signing_key) not in repr(first)  # never in a log line or a traceback
    given = bytes(range(32))
    assert load_settings({**env, "ACCORD_LOG_SIGNING_KEY": base64.b64encode(given).decode()}).log_signing_key == given
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(SettingsError, match="ACCORD_LOG_SIGNING_KEY"):
            load_settings({**env, "ACCORD_LOG_SIGNING_KEY": bad})
    key_file.write_text("garbage")
    with pytest.raises(SettingsError, match="log_signing_key"):
        load_settings(env)


def test_offline_registry_checks_need_no_settings(tmp_path: Path) -> None:
    """An outsider runs them anywhere: no data directory appears, a broken configuration does not matter."""
    result = run_cli(
        "registry",
        "monitor",
        "ftp://example.org",
        "--state",
        str(tmp_path / "state.json"),
        env={"DATABASE_URL": "mysql://x", "ACCORD_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 2 and "http:// or https://" in result.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCORD_SESSION_IDLE_MINUTES", "soon"),
        ("ACCORD_SESSION_MAX_HOURS", "0"),
        ("ACCORD_TIMEZONE", "Mars/Base"),
        ("ACCORD_SECURE_COOKIES", "maybe"),
        ("ACCORD_BASE_URL", "ftp://x"),
        ("ACCORD_TRUSTED_PROXIES", "10.0.0.1, proxy.internal"),
        ("ACCORD_TRUSTED_PROXIES", "10.0.0.0/33"),
    ],
)
def test_other_bad_settings_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"ACCORD_DATA_DIR": str(tmp_path), name: value})


def test_trusted_proxies_are_addresses_and_networks(tmp_path: Path) -> None:
    env = {"ACCORD_DATA_DIR": str(tmp_path), "ACCORD_TRUSTED_PROXIES": " 10.0.0.7 , 172.16.0.0/12,::1,"}
    settings = load_settings(env)
    assert [str(network) for network in settings.trusted_proxies.networks] == ["10.0.0.7/32", "172.16.0.0/12", "::1/128"]
    assert "172.31.255.1" in settings.trusted_proxies and "10.0.0.8" not in settings.trusted_proxies
    assert load_settings({"ACCORD_DATA_DIR": str(tmp_path)}).trusted_proxies.networks == ()


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"ACCORD_DATA_DIR": str(tmp_path)})
    assert settings.database.engine == "sqlite"
    assert settings.database.sqlite_path == tmp_path / "accord.sqlite3"


async def test_create_user_command_creates_each_role() -> None:
    email = unique_email("cli-mediator")
    result = run_cli(
        "create-user",
        "--email",
        email,
        "--role",
        "mediator",
        "--name",
        "CLI Mediator",
        stdin="a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    user = await User.select().where(User.email == email).first()
    assert user["role"] == "mediator" and user["display_name"] == "CLI Mediator"
    assert await MediatorProfile.exists().where(MediatorProfile.user == user["id"])


async def test_create_user_command_links_merchants_to_an_enterprise(clock: FrozenClock) -> None:
    uscc = random_uscc()
    await service.create_enterprise(EnterpriseIn(name="CLI Enterprise", uscc=uscc), clock)
    email = unique_email("cli-merchant")
    result = accord(
        "create-user",
        "--email",
        email,
        "--role",
        "merchant",
        "--enterprise",
        uscc.lower(),
        "--password",
        "another long password",
    )
    assert result.returncode == 0, result.stderr
    user = await User.select(User.enterprise.uscc.as_alias("uscc")).where(User.email == email).first()
    assert user["uscc"] == uscc


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "merchant", "--enterprise", "91110000600037341M"], "enterprise"),
        (["--role", "merchant"], "enterprise"),
        (["--role", "consumer", "--password", "short"], "password"),
    ],
)
async def test_create_user_command_rejects_bad_input(args: list[str], message: str) -> None:
    email = unique_email("cli-bad")
    result = accord("create-user", "--email", email, *args, stdin="a long enough password\n")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not await User.exists().where(User.email == email)


def test_unknown_role_is_refused_by_the_cli() -> None:
    result = accord("create-user", "--email", "x@example.com", "--role", "superuser")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_migrate_and_seed_demo_on_a_fresh_sqlite_database(tmp_path: Path) -> None:
    env = {"ACCORD_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite3"}
    assert run_cli("migrate", env=env).returncode == 0
    seeded = run_cli("seed-demo", env=env)
    assert seeded.returncode == 0 and "demo data created" in seeded.stdout
    again = run_cli("seed-demo", env=env)
    assert again.returncode == 0 and "skipped" in again.stdout
    exported = run_cli("registry", "export", env=env)  # the demo registry's log: published, repaired, expired
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) >= 5
    events = [json.loads(line) for line in exported.stdout.splitlines()]
    assert {event["data"]["event"] for event in events if event["data"]} == {"published"}
    assert any(event["data"] is None for event in events)  # repaired and expired listings forgot their details


@pytest.mark.parametrize(("options", "logged"), [([], True), (["--no-access-log"], False)])
def test_serve_logs_a_line_per_request_unless_told_not_to(
    options: list[str], logged: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, object] = {}
    monkeypatch.setattr(cli, "run_with_database", lambda settings, prepare: None)  # nothing to migrate here
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **given: served.update(given))
    args = cli.build_parser().parse_args(["serve", "--port", "8123", *options])
    args.handler(get_settings(), args)
    assert served["port"] == 8123 and served["access_log"] is logged
