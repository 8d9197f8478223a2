"""Deployment settings, read once from the environment and validated.

A bad value raises `SettingsError` with a one-line message naming the variable; the CLI prints it
instead of a traceback.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.network import TrustedProxies

DEADLINE_PREFIX = "ACCORD_DEADLINE_"
DEFAULT_TIMEZONE = "Asia/Shanghai"


class SettingsError(Exception):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Database:
    """Where the data lives: a SQLite file or a PostgreSQL server."""

    engine: str  # "sqlite" | "postgres"
    url: str
    sqlite_path: Path | None = None


@dataclass(frozen=True)
class Settings:
    database: Database
    data_dir: Path
    secret_key: str
    base_url: str
    timezone: ZoneInfo
    secure_cookies: bool
    session_idle_minutes: int
    session_max_hours: int
    login_attempts_per_minute: int
    messages_per_10_seconds: int  # live messages one user may send on case sockets in any 10 seconds
    sweep_seconds: int  # how often each server process applies due deadlines; 0 turns the loop off
    auto_assign: bool  # hand waiting cases to the least loaded matching mediator
    deadline_overrides: dict[str, int]  # ACCORD_DEADLINE_<NAME>=<working days>, e.g. MERCHANT_RESPONSE
    redis_url: str | None  # fan-out of live pokes between processes; PostgreSQL LISTEN/NOTIFY otherwise
    smtp_url: str | None  # smtp://user:pass@host:port (STARTTLS with ?starttls=true) or smtps://...; None: .eml files
    mail_from: str
    trusted_proxies: TrustedProxies = TrustedProxies()  # peers whose X-Forwarded-For names the client
    # The 32-byte Ed25519 private key (seed) that signs the registry log's tree heads.
    log_signing_key: bytes = field(default=b"", repr=False)
    # The bearer token /metrics asks for; "" keeps /metrics answering 404.
    metrics_token: str = field(default="", repr=False)
    # Personal details of a case are masked this many years after it ended (cases/retention.py, PIPL).
    retention_years: int = 3


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def parse_database_url(url: str) -> Database:
    """Accept `sqlite:///relative.db`, `sqlite:////absolute.db` or `postgresql://user@host:port/db`."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw_path = url[len("sqlite://") :]
        if not raw_path.startswith("/") or len(raw_path) < 2:
            raise SettingsError(f"DATABASE_URL {url!r} must look like sqlite:///path/to/file.sqlite3")
        return Database(engine="sqlite", url=url, sqlite_path=Path(raw_path[1:]))
    if parts.scheme in {"postgres", "postgresql"}:
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise SettingsError(f"DATABASE_URL has an invalid port: {url!r}") from None
        database = parts.path.lstrip("/")
        if not parts.hostname or not database or "/" in database:
            raise SettingsError(
                f"DATABASE_URL {url!r} must look like postgresql://user[:password]@host[:port]/database"
            )
        return Database(engine="postgres", url=url)
    raise SettingsError(f"DATABASE_URL {url!r} is not supported: use sqlite:///path or postgresql://user@host:port/db")


def _generated_once(key_file: Path, make: Callable[[], str]) -> str:
    """The key in `key_file`, written there first (readable by us only) when it does not exist yet; when
    several processes start at once, the first one's key is everybody's."""
    if not key_file.exists():
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
    return key_file.read_text().strip()


def _secret_key(env: dict[str, str], data_dir: Path) -> str:
    """Use ACCORD_SECRET_KEY, else a key generated once into the data dir (readable by us only)."""
    configured = env.get("ACCORD_SECRET_KEY", "").strip()
    if configured:
        if len(configured) < 32:
            raise SettingsError("ACCORD_SECRET_KEY must be at least 32 characters long")
        return configured
    return _generated_once(data_dir / "secret_key", lambda: secrets.token_urlsafe(48))


def _log_signing_key(env: dict[str, str], data_dir: Path) -> bytes:
    """ACCORD_LOG_SIGNING_KEY (base64 of a 32-byte Ed25519 private key), else one generated once into the
    data dir. Every process and host serving the registry must sign with the same key."""
    name = "ACCORD_LOG_SIGNING_KEY"
    configured = env.get(name, "").strip()
    where = name if configured else str(data_dir / "log_signing_key")
    text = configured or _generated_once(
        data_dir / "log_signing_key", lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    )
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{where} must be the base64 of a 32-byte Ed25519 private key") from None
    if len(key) != 32:
        raise SettingsError(f"{where} must be the base64 of a 32-byte Ed25519 private key, not {len(key)} bytes")
    return key


def _redis_url(env: dict[str, str]) -> str | None:
    url = env.get("ACCORD_REDIS_URL", "").strip()
    if url and urlsplit(url).scheme not in {"redis", "rediss"}:
        raise SettingsError(f"ACCORD_REDIS_URL must look like redis://host:6379/0, got {url!r}")
    return url or None


def _smtp_url(env: dict[str, str]) -> str | None:
    url = env.get("ACCORD_SMTP_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SettingsError(f"ACCORD_SMTP_URL must look like smtp://user:password@host:port, got {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise SettingsError(f"ACCORD_SMTP_URL has an invalid port: {url!r}") from None
    return url


def _trusted_proxies(env: dict[str, str]) -> TrustedProxies:
    try:
        return TrustedProxies.parse(env.get("ACCORD_TRUSTED_PROXIES", ""))
    except ValueError as error:
        raise SettingsError(f"ACCORD_TRUSTED_PROXIES: {error}; give IPs or CIDRs separated by commas") from None


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("ACCORD_DATA_DIR") or "data").resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"ACCORD_DATA_DIR {str(data_dir)!r} cannot be created: {error.strerror}") from None
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'accord.sqlite3'}"
    database = parse_database_url(database_url)
    base_url = (env.get("ACCORD_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    if urlsplit(base_url).scheme not in {"http", "https"}:
        raise SettingsError(f"ACCORD_BASE_URL must start with http:// or https://, got {base_url!r}")
    try:
        timezone = ZoneInfo(env.get("ACCORD_TIMEZONE") or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"ACCORD_TIMEZONE {env.get('ACCORD_TIMEZONE')!r} is not a known time zone") from None
    return Settings(
        database=database,
        data_dir=data_dir,
        secret_key=_secret_key(env, data_dir),
        base_url=base_url,
        timezone=timezone,
        secure_cookies=_bool(env, "ACCORD_SECURE_COOKIES", base_url.startswith("https://")),
        session_idle_minutes=_int(env, "ACCORD_SESSION_IDLE_MINUTES", 120),
        session_max_hours=_int(env, "ACCORD_SESSION_MAX_HOURS", 12),
        login_attempts_per_minute=_int(env, "ACCORD_LOGIN_ATTEMPTS_PER_MINUTE", 10),
        messages_per_10_seconds=_int(env, "ACCORD_MESSAGES_PER_10_SECONDS", 20),
        sweep_seconds=_int(env, "ACCORD_SWEEP_SECONDS", 30, minimum=0),
        auto_assign=_bool(env, "ACCORD_AUTO_ASSIGN", False),
        redis_url=_redis_url(env),
        smtp_url=_smtp_url(env),
        mail_from=env.get("ACCORD_MAIL_FROM") or "Accord <no-reply@accord.invalid>",
        trusted_proxies=_trusted_proxies(env),
        log_signing_key=_log_signing_key(env, data_dir),
        metrics_token=env.get("ACCORD_METRICS_TOKEN", "").strip(),
        retention_years=_int(env, "ACCORD_RETENTION_YEARS", 3),
        deadline_overrides={
            name[len(DEADLINE_PREFIX) :].lower(): _int(env, name, 1)
            for name in sorted(env)
            if name.startswith(DEADLINE_PREFIX)
        },
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return load_settings()
