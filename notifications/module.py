"""Notifications' part of the process: the inbox, mail and the live unread count, the notices every domain
event becomes, and the timed work — reminders before deadlines, daily digests, delivering the mail outbox."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accord.modules import DomainModule, Job, Runtime, Subscription
from accord.settings import Settings
from notifications import digest, live, mailer, reminders, routes, service, sign_out


def subscribers(settings: Settings) -> list[Subscription]:
    return [
        *service.subscribers(settings),
        Subscription(live.poke_recipients, "after_commit"),
        Subscription(sign_out.poke_signed_out, "after_commit"),
    ]


async def send_reminders(runtime: Runtime) -> int:
    return await reminders.send_reminders(runtime.settings, runtime.clock, runtime.calendar)


async def send_digests(runtime: Runtime) -> int:
    return await digest.send_digests(runtime.settings, runtime.clock)


async def deliver_mail(runtime: Runtime) -> int:
    """The mails this round's notices asked for, written, then everything due sent."""
    await service.write_mails(runtime.settings)
    return await mailer.deliver_due(runtime.settings, runtime.clock)


def _counted(what: str) -> Any:
    def report(count: int) -> Iterable[str]:
        return [f"accord: {what}: {count}"] if count else []

    return report


def _services(settings: Settings) -> dict[str, Any]:
    return {
        "unread_badge": service.UNREAD_BADGE,  # the header's badge (accord.auth)
        "outbox_backlog": mailer.backlog,  # for /metrics (insights)
        "personal_data_of_notifications": service.personal_data,  # notifications.json in the data export (cases)
    }


def _middleware(settings: Settings) -> list[Any]:
    return [sign_out.SocketsEndWithCredential]  # a socket closes (4401) once its viewer's credential has ended


MODULE = DomainModule(
    name="notifications",
    routes=[
        routes.api_router,
        live.notifications_socket,
        *routes.page_routes,
    ],
    subscribers=subscribers,
    # Mail last: what this round's deadlines, reminders and digests queued goes out in the same round.
    jobs=[
        Job("reminders", send_reminders, _counted("reminders sent")),
        Job("digests", send_digests, _counted("digests queued")),
        Job("mail", deliver_mail, _counted("mails delivered")),
    ],
    services=_services,
    middleware=_middleware,
)
