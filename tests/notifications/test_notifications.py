"""Notifications: inbox items and mails per event, real SMTP delivery with retries, privacy of channels."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from accord.clock import FrozenClock
from accord.settings import get_settings
from notifications.mailer import FileTransport, SmtpTransport, send_due
from notifications.tables import Notification, OutboxMail
from tests.cases.conftest import Cast, act, file_case
from tests.conftest import mails_written
from tests.notifications.conftest import Recorder

SENDER = "Accord <no-reply@accord.test>"


async def deliver_all(port: int, clock: FrozenClock) -> int:
    """As the mail job does: the notices' mails written, then everything due sent."""
    await mails_written()
    return await send_due(SmtpTransport(f"smtp://127.0.0.1:{port}"), clock, SENDER, limit=10_000)


def mails_to(recorder: Recorder, email: str) -> list[Any]:
    return [message for recipients, message in recorder.messages if email in recipients]


def subject_of(message: Any) -> str:
    """The subject as a mail program shows it: one too long for its line is folded before its first word, and
    Python's parser keeps the fold's space (RFC 5322 unfolding does too; programs drop it, as here)."""
    return str(message["Subject"]).strip()


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
    await mails_written()
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
    await mails_written()
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


async def test_mail_preferences_and_one_click_unsubscribe(
    cast: Cast, smtp: Any, clock: FrozenClock, new_client: Any
) -> None:
    from notifications import service

    recorder, port = smtp
    await deliver_all(port, clock)
    me = (await cast.merchant.get("/api/v1/me")).json()
    case = await file_case(cast)
    await deliver_all(port, clock)
    mail = next(m for m in mails_to(recorder, me["email"]) if case["reference"] in m["Subject"])
    link = next(line for line in body(mail).splitlines() if "/unsubscribe?" in line).split()[-1]
    path = link.replace("http://127.0.0.1:8000", "")
    browser = new_client()
    page = await browser.get(path)
    assert page.status_code == 200
    token = browser.cookies["accord_csrf"]
    query = dict(part.split("=") for part in path.split("?")[1].split("&"))
    done = await browser.post("/unsubscribe", data={**query, "_csrf_token": token})
    assert done.status_code == 200
    assert (await service.mail_choices(me["id"]))["case_filed"] is False
    second = await file_case(cast)
    await deliver_all(port, clock)
    assert not [m for m in mails_to(recorder, me["email"]) if second["reference"] in m["Subject"]]
    inbox = (await cast.merchant.get("/api/v1/notifications")).json()["items"]
    assert any(item["subject_ref"] == second["reference"] for item in inbox)  # still in the inbox
    forged = await new_client().get(path.replace(query["t"], "0" * 64))
    assert forged.status_code == 404
    await service.set_mail_choices(me["id"], set(service.MAIL_KINDS), clock.now())


async def test_a_mail_left_half_sent_by_a_dead_process_is_sent_once_later(
    cast: Cast, smtp: Any, clock: FrozenClock
) -> None:
    from notifications.mailer import LEASE

    recorder, port = smtp
    await deliver_all(port, clock)
    case = await file_case(cast)
    await mails_written()
    mail = await OutboxMail.select().where(OutboxMail.subject.like(f"[{case['reference']}]%")).first()
    # A process leased it and died before sending: nobody else may touch it until the lease runs out.
    await OutboxMail.update(
        {OutboxMail.status: "sending", OutboxMail.attempts: 1, OutboxMail.next_attempt_at: clock.now() + LEASE}
    ).where(OutboxMail.id == mail["id"])
    await deliver_all(port, clock)
    assert not [m for _r, m in recorder.messages if case["reference"] in m["Subject"]]
    clock.advance(LEASE + timedelta(seconds=1))
    await deliver_all(port, clock)
    await deliver_all(port, clock)
    assert len([m for _r, m in recorder.messages if case["reference"] in m["Subject"]]) == 1


async def test_registrar_sees_the_outbox_and_retries_a_failed_mail(
    cast: Cast, clock: FrozenClock, signed_in: Any
) -> None:
    from tests.conftest import post_form

    case = await file_case(cast)
    await mails_written()
    mail = await OutboxMail.select().where(OutboxMail.subject.like(f"[{case['reference']}]%")).first()
    await OutboxMail.update(
        {OutboxMail.status: "failed", OutboxMail.attempts: 8, OutboxMail.last_error: "550 no such user"}
    ).where(OutboxMail.id == mail["id"])
    admin, _me = await signed_in("admin")
    page = await admin.get("/admin/outbox", params={"status": "failed"})
    assert page.status_code == 200 and "550 no such user" in page.text
    assert (await post_form(admin, f"/admin/outbox/{mail['id']}/retry", {})).status_code == 302
    assert (await OutboxMail.select(OutboxMail.status).where(OutboxMail.id == mail["id"]).first())["status"] == "queued"
    merchant, _user = await signed_in("merchant")
    assert (await merchant.get("/admin/outbox")).status_code == 403


async def test_pages_show_the_unread_count(cast: Cast, signed_in: Any, context: Any) -> None:
    from accounts.service import act_as, get_user
    from cases import service as cases
    from tests.cases.conftest import filing

    merchant_browser, merchant = await signed_in("merchant")
    consumer = act_as(await get_user((await cast.consumer.get("/api/v1/me")).json()["id"]))
    before = await merchant_browser.get("/profile")
    assert 'id="unread-count"' not in before.text
    await cases.file_case(consumer, filing(merchant["enterprise_id"]), context, context.clock.now().date())
    after = await merchant_browser.get("/profile")
    assert '<span class="badge warn" id="unread-count"' in after.text and ">1</span>" in after.text


async def test_reminders_are_sent_once_each(cast: Cast, clock: FrozenClock) -> None:
    import asyncio

    from accord.clock import WeekdayCalendar
    from notifications.reminders import send_reminders

    calendar = WeekdayCalendar()
    case = await file_case(cast)
    assert await send_reminders(get_settings(), clock, calendar) >= 0
    inbox = (await cast.merchant.get("/api/v1/notifications", params={"limit": 100})).json()["items"]
    assert not any(i["kind"] == "response_due" and i["subject_ref"] == case["reference"] for i in inbox)
    clock.set(calendar.add_working_days(clock.now(), 8))
    settings = get_settings()
    await asyncio.gather(send_reminders(settings, clock, calendar), send_reminders(settings, clock, calendar))
    await send_reminders(get_settings(), clock, calendar)
    inbox = (await cast.merchant.get("/api/v1/notifications", params={"limit": 100})).json()["items"]
    reminders = [i for i in inbox if i["kind"] == "response_due" and i["subject_ref"] == case["reference"]]
    assert len(reminders) == 1
    await mails_written()
    assert (
        await OutboxMail.count().where(
            OutboxMail.subject == f"[{case['reference']}] Your answer to a complaint is due in 2 working days"
        )
    ) >= 1


async def test_each_case_mail_kind_reaches_the_right_people(cast: Cast, smtp: Any, clock: FrozenClock) -> None:
    from accord.i18n import label

    recorder, port = smtp
    await deliver_all(port, clock)
    recorder.messages.clear()
    emails = {
        who: (await getattr(cast, who).get("/api/v1/me")).json()["email"]
        for who in ("consumer", "merchant", "mediator")
    }
    case = await file_case(cast)
    await act(cast.merchant, case, "respond", kind="question", text="Photo?")
    await act(
        cast.consumer,
        case,
        "counter_offer",
        text="Refund please",
        remedies=[{"type": "refund", "amount": {"amount": "10", "currency": "CNY"}}],
    )
    await act(cast.merchant, case, "request_mediation")
    await act(cast.mediator, case, "claim")
    await act(cast.mediator, case, "admit")
    await act(cast.mediator, case, "request_info", party="merchant", question="Invoice?")
    await act(cast.merchant, case, "provide_info", text="Attached.")
    fulfil_by = (clock.now() + timedelta(days=9)).date().isoformat()
    await act(
        cast.mediator,
        case,
        "propose_settlement",
        terms=[{"type": "refund", "amount": {"amount": "10", "currency": "CNY"}}],
        fulfil_by=fulfil_by,
    )
    await act(cast.consumer, case, "accept_proposal")
    await act(cast.merchant, case, "accept_proposal")
    await act(cast.merchant, case, "mark_fulfilled", proof="Ref 1")
    await act(cast.consumer, case, "dispute_fulfilment", reason="Nothing came.")
    await deliver_all(port, clock)
    expected = {
        "case_filed": ["merchant"],
        "merchant_responded": ["consumer"],
        "new_offer": ["merchant"],
        "mediation_requested": ["consumer"],
        "case_claimed": ["consumer", "merchant"],
        "case_admitted": ["consumer", "merchant"],
        "info_requested": ["merchant"],
        "info_provided": ["mediator"],  # the mediator hears that their question was answered
        "proposal_posted": ["consumer", "merchant"],
        "settled": ["consumer"],  # the merchant settled it by accepting last: no notice of their own act
        "fulfilment_marked": ["consumer"],
        "fulfilment_disputed": ["merchant", "mediator"],
    }
    link = f"http://127.0.0.1:8000/cases/{case['reference']}"
    for kind, people in expected.items():
        subject = f"[{case['reference']}] {label('notification', kind)}"
        for who in people:
            mails = [m for m in mails_to(recorder, emails[who]) if subject_of(m) == subject]
            assert len(mails) >= 1, (kind, who)
            assert link in body(mails[0])
        others = {"consumer", "merchant", "mediator"} - set(people)
        for who in others:
            assert not [m for m in mails_to(recorder, emails[who]) if subject_of(m) == subject], (kind, who)


async def test_daily_digest_replaces_single_mails(cast: Cast, smtp: Any, clock: FrozenClock) -> None:
    from notifications.digest import send_digests, set_digest

    recorder, port = smtp
    await deliver_all(port, clock)
    me = (await cast.merchant.get("/api/v1/me")).json()
    await set_digest(me["id"], True, clock.now())
    clock.advance(timedelta(seconds=1))
    try:
        first, second = await file_case(cast), await file_case(cast)
        await deliver_all(port, clock)
        singles = [
            m
            for m in mails_to(recorder, me["email"])
            if first["reference"] in m["Subject"] or second["reference"] in m["Subject"]
        ]
        assert singles == []
        assert await send_digests(get_settings(), clock) == 0  # not a day yet
        clock.advance(timedelta(days=1, minutes=1))
        await send_digests(get_settings(), clock)
        await send_digests(get_settings(), clock)  # once per day, however often it runs
        await deliver_all(port, clock)
        digests = [m for m in mails_to(recorder, me["email"]) if "updates today" in m["Subject"]]
        assert len(digests) == 1
        assert first["reference"] in body(digests[0]) and second["reference"] in body(digests[0])
    finally:
        await set_digest(me["id"], False, clock.now())


async def test_no_message_notice_for_someone_looking_at_the_case(cast: Cast) -> None:
    from accord import live

    case = await file_case(cast)
    reference = case["reference"]
    me = (await cast.merchant.get("/api/v1/me")).json()
    live._viewing.setdefault(me["id"], []).append(f"/cases/{reference}")
    try:
        await cast.consumer.post(
            f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": "Are you there?"}
        )
    finally:
        live._viewing[me["id"]].remove(f"/cases/{reference}")
    items = (await cast.merchant.get("/api/v1/notifications", params={"limit": 100})).json()["items"]
    assert not any(i["kind"] == "new_message" and i["subject_ref"] == reference for i in items)
    await cast.consumer.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": "Hello?"})
    items = (await cast.merchant.get("/api/v1/notifications", params={"limit": 100})).json()["items"]
    assert any(i["kind"] == "new_message" and i["subject_ref"] == reference for i in items)
