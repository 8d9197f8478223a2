"""The daily digest: one mail a day listing what happened, for users who chose it over single mails."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accord import i18n
from accord.clock import Clock
from accord.db import insert_rows, write_transaction
from accord.settings import Settings
from accounts.tables import User
from notifications.mailer import outbox_mail
from notifications.tables import DigestSubscription, Notification, OutboxMail

DIGEST_EVERY = timedelta(days=1)


async def wants_digest(user_id: int) -> bool:
    return await DigestSubscription.exists().where(DigestSubscription.user == user_id)


async def set_digest(user_id: int, wanted: bool, at: datetime) -> None:
    async with write_transaction():
        if not wanted:
            await DigestSubscription.delete().where(DigestSubscription.user == user_id)
        elif not await DigestSubscription.exists().where(DigestSubscription.user == user_id):
            await DigestSubscription.insert(DigestSubscription(user=user_id, last_sent_at=at, created_at=at))


async def send_digests(settings: Settings, clock: Clock) -> int:
    """Queue one summary per subscriber whose last digest is a day old and who has news since."""
    now = clock.now()
    due = await DigestSubscription.select().where(
        (DigestSubscription.last_sent_at.is_null()) | (DigestSubscription.last_sent_at <= now - DIGEST_EVERY)
    )
    queued = 0
    for subscription in due:
        queued += await _digest_for(settings, subscription, now)
    return queued


async def _digest_for(settings: Settings, subscription: dict[str, Any], now: datetime) -> int:
    since = subscription["last_sent_at"] or now - DIGEST_EVERY
    async with write_transaction():
        # Claim this round first, so two processes never send the same digest.
        claimed = (
            await DigestSubscription.update({DigestSubscription.last_sent_at: now})
            .where(
                DigestSubscription.id == subscription["id"],
                (DigestSubscription.last_sent_at.is_null())
                | (DigestSubscription.last_sent_at == subscription["last_sent_at"]),
            )
            .returning(DigestSubscription.id)
        )
        if not claimed:
            return 0
        news = (
            await Notification.select()
            .where(Notification.recipient == subscription["user"], Notification.created_at > since)
            .order_by(Notification.id)
        )
        person = (
            await User.select(User.id, User.email, User.language, User.timezone, User.display_name)
            .where(User.id == subscription["user"])
            .first()
        )
        if not news or person is None:
            return 0
        await insert_rows(OutboxMail, [_digest_mail(settings, person, news, now)])
    return 1


def _digest_mail(
    settings: Settings, person: dict[str, Any], news: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    def content() -> tuple[str, dict[str, Any]]:
        items = [
            {
                "title": i18n.label("notification", item["kind"]),
                "ref": item["subject_ref"],
                "url": settings.base_url + item["link"],
            }
            for item in news
        ]
        subject = i18n.ngettext("Accord: %(num)d update today", "Accord: %(num)d updates today", len(items)) % {
            "num": len(items)
        }
        return subject, {"name": person["display_name"], "items": items, "inbox": settings.base_url + "/inbox"}

    return outbox_mail(settings, person, "notifications/digest", content, now)
