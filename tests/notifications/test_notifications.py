"""Notifications: inbox items and mails per event, real SMTP delivery with retries, privacy of channels."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from accord.clock import FrozenClock
from notifications.mailer import FileTransport, SmtpTransport, send_due
from notifications.tables import Notification, OutboxMail
from tests.cases.conftest import Cast, act, file_case
from tests.notifications.conftest import Recorder

SENDER = "Accord <no-reply@accord.test>"


async def deliver_all(port: int, clock: FrozenClock) -> int:
    return await send_due(SmtpTransport(f"smtp://127.0.0.1:{port}"), clock, SENDER, limit=10_000)


def mails_to(recorder: Recorder, email: str) -> list[Any]:
    return [message for recipients, message in recorder.messages if email in recipients]


def body(message: Any) -> str:
    return "".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


async def test_filing_notifies_the_merchant_by_inbox_and_mail(cast: Cast, smtp: Any, clock: FrozenClock) -> None:
    recorder, port = smtp
    case = await file_case(cast)
    inbox = (await cast.merchant.get("/api/v1/notifications")).json()["items"]
    item = next(item for item in inbox if item["subject_ref"] == case["reference"])
    assert item["kind"] == "case_filed" and item["link"] == f"/cases/{case['reference']}" and not item["read"]
    assert not any(
        i["subject_ref"] == case["reference"]
        for i in (await cast.other_merchant.get("/api/v1/notifications")).json()["items"]
    )
    await deliver_all(port, clock)
    me = (await cast.merchant.get("/api/v1/me")).json()
    mails = [m for m in mails_to(recorder, me["email"]) if case["reference"] in m["Subject"]]
    assert len(mails) == 1
    mail = mails[0]
    assert mail["Subject"] == f"[{case['reference']}] A complaint was filed against your enterprise"
    assert f"http://127.0.0.1:8000/cases/{case['reference']}" in body(mail)
    assert mail["From"] == SENDER and mail["Content-Language"] == "en"
    await deliver_all(port, clock)  # nothing is sent twice
    assert len([m for m in mails_to(recorder, me["email"]) if case["reference"] in m["Subject"]]) == 1


async def test_mail_in_the_recipients_language(cast: Cast, smtp: Any, clock: FrozenClock, signed_in: Any) -> None:
    from accounts.tables import User

    recorder, port = smtp
    me = (await cast.consumer.get("/api/v1/me")).json()
    await User.update({User.language: "zh-Hans"}).where(User.id == me["id"])
    try:
        case = await file_case(cast)
        await act(cast.merchant, case, "respond", kind="question", text="Which size?")
        await deliver_all(port, clock)
    finally:
        await User.update({User.language: "en"}).where(User.id == me["id"])
    mail = next(m for m in mails_to(recorder, me["email"]) if case["reference"] in m["Subject"])
    assert mail["Subject"] == f"[{case['reference']}] 商家已答复您的投诉"
    assert mail["Content-Language"] == "zh-Hans"


async def test_refused_then_accepted_is_delivered_once_after_retry(cast: Cast, smtp: Any, clock: FrozenClock) -> None:
    recorder, port = smtp
    await deliver_all(port, clock)  # flush earlier tests' mail
    case = await file_case(cast)
    recorder.refuse = 1000
    assert await deliver_all(port, clock) == 0
    mail = await OutboxMail.select().where(OutboxMail.subject.like(f"[{case['reference']}]%")).first()
    assert mail["status"] == "queued" and mail["attempts"] == 1 and "550" in mail["last_error"]
    recorder.refuse = 0
    assert await deliver_all(port, clock) == 0  # not due yet: backoff
    clock.advance(timedelta(minutes=1))
    await deliver_all(port, clock)
    sent = await OutboxMail.select().where(OutboxMail.id == mail["id"]).first()
    assert sent["status"] == "sent" and sent["attempts"] == 2
    assert len([m for _r, m in recorder.messages if case["reference"] in m["Subject"]]) == 1


async def test_server_down_keeps_mail_queued_and_nothing_is_lost(cast: Cast, clock: FrozenClock, smtp: Any) -> None:
    recorder, port = smtp
    await deliver_all(port, clock)
    case = await file_case(cast)
    dead = SmtpTransport("smtp://127.0.0.1:1")
    assert await send_due(dead, clock, SENDER, limit=10_000) == 0
    mail = await OutboxMail.select().where(OutboxMail.subject.like(f"[{case['reference']}]%")).first()
    assert mail["status"] == "queued" and mail["last_error"]
    clock.advance(timedelta(minutes=5))
    await deliver_all(port, clock)
    assert (await OutboxMail.select(OutboxMail.status).where(OutboxMail.id == mail["id"]).first())["status"] == "sent"


async def test_private_channels_never_reach_other_people(cast: Cast, smtp: Any, clock: FrozenClock) -> None:
    recorder, port = smtp
    case = await file_case(cast)
    await act(cast.merchant, case, "respond", kind="reject", text="No.")
    await act(cast.consumer, case, "request_mediation")
    await act(cast.mediator, case, "claim")
    reference = case["reference"]
    secret = "OUR-MARGIN-IS-THIN-SECRET"
    await cast.merchant.post(f"/api/v1/cases/{reference}/messages", json={"channel": "caucus:merchant", "text": secret})
    consumer_items = (await cast.consumer.get("/api/v1/notifications", params={"limit": 100})).json()["items"]
    assert not any(i["kind"] == "new_message" and i["subject_ref"] == reference for i in consumer_items)
    mediator_items = (await cast.mediator.get("/api/v1/notifications", params={"limit": 100})).json()["items"]
    assert any(i["kind"] == "new_message" and i["subject_ref"] == reference for i in mediator_items)
    await deliver_all(port, clock)
    assert all(secret not in body(message) for _r, message in recorder.messages)
    assert not await OutboxMail.exists().where(OutboxMail.text_body.like(f"%{secret}%"))


async def test_inbox_marks_read(cast: Cast) -> None:
    await file_case(cast)
    items = (await cast.merchant.get("/api/v1/notifications")).json()["items"]
    newest = items[0]["id"]
    marked = (await cast.merchant.post("/api/v1/notifications/read", json={"up_to_id": newest})).json()
    assert marked["unread"] == 0 and marked["marked"] >= 1
    assert all(item["read"] for item in (await cast.merchant.get("/api/v1/notifications")).json()["items"])
    other = (await cast.other_merchant.get("/api/v1/notifications")).json()["items"]
    assert newest not in [item["id"] for item in other]
    page = await cast.merchant.get("/inbox")
    assert page.status_code == 200


async def test_without_smtp_mails_become_eml_files(cast: Cast, clock: FrozenClock, tmp_path: Path) -> None:
    case = await file_case(cast)
    await send_due(FileTransport(tmp_path), clock, SENDER, limit=10_000)
    written = [path.read_text() for path in tmp_path.glob("*.eml")]
    assert any(case["reference"] in text for text in written)


async def test_registry_notice_reaches_the_enterprise(cast: Cast) -> None:
    created = (
        await cast.admin.post(
            "/api/v1/registry/listings",
            json={"enterprise_id": cast.enterprise_id, "violation": "trademark", "facts": "Copied logo."},
        )
    ).json()
    await cast.admin.post(
        f"/api/v1/registry/listings/{created['id']}/actions/notice", json={"version": created["version"]}
    )
    items = (await cast.merchant.get("/api/v1/notifications")).json()["items"]
    assert any(i["kind"] == "registry_notice" and i["link"] == f"/registry/{created['id']}" for i in items)
    assert await Notification.exists().where(Notification.kind == "registry_notice")
