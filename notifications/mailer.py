"""Delivering the outbox: SMTP through aiosmtplib, or .eml files under the data dir when no SMTP is set.

Several processes may send at once: a mail is leased with a conditional update (queued → sending) so
only one process sends it; a failure puts it back with exponential backoff until the attempts run out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from jinja2 import Environment
from piccolo.query.functions.aggregate import Count, Min

from accord import i18n
from accord.clock import Clock
from accord.db import write_transaction
from accord.settings import Settings
from accord.templating import create_environment
from notifications.tables import Notification, OutboxMail

log = logging.getLogger("accord.mail")
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
LEASE = timedelta(minutes=5)  # a process that died while sending gives the mail back after this
SMTP_TIMEOUT = 30


_templates: dict[Any, Environment] = {}  # per time zone: the environment renders times in the service's zone


def mail_templates(settings: Settings) -> Environment:
    if settings.timezone not in _templates:
        _templates[settings.timezone] = create_environment(settings)
    return _templates[settings.timezone]


def outbox_mail(
    settings: Settings,
    person: dict[str, Any],
    template: str,
    content: Any,
    at: datetime,
    notification_id: int | None = None,
) -> dict[str, Any]:
    """A queued mail's row (for `accord.db.insert_rows`), rendered in the recipient's language: `content()` gives
    the subject and template context (it runs in that language), `template` names the .txt/.html pair."""
    templates = mail_templates(settings)
    with i18n.speaking(person["language"], i18n.viewer_zone(person, settings.timezone)):
        subject, context = content()
        text = templates.get_template(f"{template}.txt").render(context)
        html = templates.get_template(f"{template}.html").render(context)
    return {
        "notification": notification_id,
        "recipient_email": person["email"],
        "language": person["language"],
        "subject": subject,
        "text_body": text,
        "html_body": html,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }


class Transport(Protocol):
    async def deliver(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    url: str

    async def deliver(self, message: EmailMessage) -> None:
        parts = urlsplit(self.url)
        options = parse_qs(parts.query)
        await aiosmtplib.send(
            message,
            hostname=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=options.get("starttls", ["false"])[0] == "true",
            timeout=SMTP_TIMEOUT,
        )


@dataclass(frozen=True)
class FileTransport:
    """The embedded default: each mail becomes an .eml file to open in any mail program."""

    folder: Path

    async def deliver(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["X-Accord-Outbox-Id"] + ".eml"
        (self.folder / name).write_bytes(bytes(message))
        log.info("mail %s written to %s", message["X-Accord-Outbox-Id"], self.folder / name)


def transport_for(settings: Settings) -> Transport:
    return SmtpTransport(settings.smtp_url) if settings.smtp_url else FileTransport(settings.data_dir / "outbox")


def _message(mail: dict[str, Any], sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail["recipient_email"]
    message["Subject"] = mail["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox{mail['id']}")
    message["X-Accord-Outbox-Id"] = str(mail["id"])
    message.set_content(mail["text_body"])
    message.add_alternative(mail["html_body"], subtype="html")
    message["Content-Language"] = mail["language"]  # after the body: set_content drops Content-* headers
    return message


async def _lease(mail_id: int, clock: Clock) -> dict[str, Any] | None:
    now = clock.now()
    async with write_transaction():
        leased = (
            await OutboxMail.update(
                {
                    OutboxMail.status: "sending",
                    OutboxMail.attempts: OutboxMail.attempts + 1,
                    OutboxMail.next_attempt_at: now + LEASE,
                }
            )
            .where(
                OutboxMail.id == mail_id,
                OutboxMail.status.is_in(["queued", "sending"]),
                OutboxMail.next_attempt_at <= now,
            )
            .returning(*OutboxMail.all_columns())
        )
    return leased[0] if leased else None


def backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


async def _settle(mail: dict[str, Any], clock: Clock, error: Exception | None) -> None:
    now = clock.now()
    if error is None:
        changes = {OutboxMail.status: "sent", OutboxMail.sent_at: now, OutboxMail.last_error: None}
    elif mail["attempts"] >= MAX_ATTEMPTS:
        changes = {OutboxMail.status: "failed", OutboxMail.last_error: str(error)[:2000]}
    else:
        changes = {
            OutboxMail.status: "queued",
            OutboxMail.next_attempt_at: now + backoff(mail["attempts"]),
            OutboxMail.last_error: str(error)[:2000],
        }
    async with write_transaction():
        await OutboxMail.update(changes).where(OutboxMail.id == mail["id"])


async def send_due(transport: Transport, clock: Clock, sender: str, limit: int = 100) -> int:
    """Send every mail that is due; returns how many this process delivered."""
    due = (
        await OutboxMail.select(OutboxMail.id)
        .where(OutboxMail.status.is_in(["queued", "sending"]), OutboxMail.next_attempt_at <= clock.now())
        .order_by(OutboxMail.id)
        .limit(limit)
    )
    delivered = 0
    for row in due:
        mail = await _lease(row["id"], clock)
        if mail is None:
            continue  # another process has it
        try:
            await transport.deliver(_message(mail, sender))
        except (aiosmtplib.SMTPException, OSError) as error:
            log.warning("mail %s not delivered (attempt %s): %s", mail["id"], mail["attempts"], error)
            await _settle(mail, clock, error)
            continue
        await _settle(mail, clock, None)
        delivered += 1
    return delivered


async def retry(mail_id: int, clock: Clock) -> bool:
    """A registrar sends a failed mail again."""
    async with write_transaction():
        changed = (
            await OutboxMail.update(
                {OutboxMail.status: "queued", OutboxMail.attempts: 0, OutboxMail.next_attempt_at: clock.now()}
            )
            .where(OutboxMail.id == mail_id, OutboxMail.status == "failed")
            .returning(OutboxMail.id)
        )
    return bool(changed)


async def deliver_due(settings: Settings, clock: Clock) -> int:
    """The mail job: send everything due, batch after batch, through the configured transport."""
    transport = transport_for(settings)
    delivered = 0
    while sent := await send_due(transport, clock, settings.mail_from):
        delivered += sent
    return delivered


async def backlog() -> tuple[int, Any]:
    """How many mails wait to go out (queued or being sent, or still to be written for a notice), and when
    the oldest of them was queued."""
    waiting = (
        OutboxMail.select(Count(OutboxMail.id).as_alias("n"), Min(OutboxMail.created_at).as_alias("oldest")).where(
            OutboxMail.status.is_in(["queued", "sending"])
        ),
        Notification.select(
            Count(Notification.id).as_alias("n"), Min(Notification.created_at).as_alias("oldest")
        ).where(Notification.mail_due.eq(True)),
    )
    rows = [await query.first() or {"n": 0, "oldest": None} for query in waiting]
    oldest = [row["oldest"] for row in rows if row["oldest"] is not None]
    return sum(row["n"] for row in rows), min(oldest, default=None)
