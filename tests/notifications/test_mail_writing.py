"""A notice's mail is written by the mail job, not by the move that made the notice (issue 14): the move's
transaction writes the notice with `mail_due`, and `write_mails` writes each due notice's mail once, however
many writers run at once, in the recipient's terms as they stand when it is written."""

from __future__ import annotations

import asyncio
from typing import Any

from accord.clock import FrozenClock, WeekdayCalendar
from accord.settings import get_settings
from accounts.schemas import EnterpriseIn
from accounts.service import act_as
from accounts.tables import Enterprise, User
from cases import service as service_cases
from cases.workflow import Context
from notifications import service
from notifications.mailer import backlog
from notifications.tables import Notification, OutboxMail
from tests.cases.conftest import Cast, file_case, filing
from tests.conftest import create_person, mails_written


async def notices_of(reference: str) -> list[dict[str, Any]]:
    return await Notification.select(Notification.id, Notification.recipient, Notification.mail_due).where(
        Notification.subject_ref == reference
    )


async def mails_of(notice_id: int) -> int:
    return await OutboxMail.count().where(OutboxMail.notification == notice_id)


async def merchant_id(cast: Cast) -> int:
    return (await cast.merchant.get("/api/v1/me")).json()["id"]


async def test_a_filing_writes_its_notices_and_the_mail_job_their_mails(cast: Cast) -> None:
    await mails_written()
    case = await file_case(cast)
    (notice,) = [row for row in await notices_of(case["reference"]) if row["recipient"] == await merchant_id(cast)]
    assert notice["mail_due"] and await mails_of(notice["id"]) == 0
    waiting, _oldest = await backlog()
    assert waiting >= 1  # a mail still to be written is waiting too
    assert await mails_written() >= 1
    assert await mails_of(notice["id"]) == 1
    assert not (await Notification.select(Notification.mail_due).where(Notification.id == notice["id"]).first())[
        "mail_due"
    ]
    assert (await backlog())[0] == waiting  # the same mail, now in the outbox
    assert await mails_written() == 0  # nothing written twice


async def test_writers_at_once_write_each_mail_once(cast: Cast) -> None:
    await mails_written()
    references = [(await file_case(cast))["reference"] for _ in range(3)]
    settings = get_settings()
    await asyncio.gather(*(service.write_mails(settings, batch=1) for _ in range(3)))
    due = [row for reference in references for row in await notices_of(reference)]
    assert due and all(not row["mail_due"] for row in due)
    assert [await mails_of(row["id"]) for row in due] == [1] * len(due)


async def test_the_mail_is_written_in_the_recipients_terms_when_it_is_written(cast: Cast, clock: FrozenClock) -> None:
    """Someone who opted out of the mail, or whose account was closed, after the notice and before the job
    gets no mail; the notice stays in the inbox."""
    enterprise = (await cast.merchant.get("/api/v1/me")).json()["enterprise"]
    leaving = await create_person("merchant", clock, enterprise_uscc=enterprise["uscc"])
    merchant = await merchant_id(cast)
    await mails_written()
    case = await file_case(cast)
    notices = {row["recipient"]: row for row in await notices_of(case["reference"])}
    assert notices[merchant]["mail_due"] and notices[leaving["id"]]["mail_due"]
    await service.set_mail_choices(merchant, set(service.MAIL_KINDS) - {"case_filed"}, clock.now())
    await User.update({User.active: False}).where(User.id == leaving["id"])
    try:
        await mails_written()
    finally:
        await service.set_mail_choices(merchant, set(service.MAIL_KINDS), clock.now())
    assert [await mails_of(notices[person]["id"]) for person in (merchant, leaving["id"])] == [0, 0]
    assert [row["mail_due"] for row in await notices_of(case["reference"])] == [False] * len(notices)


async def test_a_filing_tells_the_merchants_approved_active_agents_whom_it_read_with_the_parties(
    cast: Cast, clock: FrozenClock
) -> None:
    """The filing reads the merchant's agents in the statement that reads the enterprises it names (cases.filing
    NAMED_PARTIES) and its notices go to those: approved and active ones, never one waiting for approval or one
    whose account is closed; a filing naming a new enterprise that turns out to be known tells its agents too."""
    consumer = await create_person("consumer", clock)
    approved = await create_person("merchant", clock)
    uscc = (await Enterprise.select(Enterprise.uscc).where(Enterprise.id == approved["enterprise_id"]).first())["uscc"]
    waiting = await create_person("merchant", clock, enterprise_uscc=uscc)
    gone = await create_person("merchant", clock, enterprise_uscc=uscc)
    await User.update({User.agent_status: "pending"}).where(User.id == waiting["id"])
    await User.update({User.active: False}).where(User.id == gone["id"])
    viewer = act_as(consumer)
    context = Context(clock=clock, calendar=WeekdayCalendar())
    chosen = await service_cases.file_case(viewer, filing(approved["enterprise_id"]), context, clock.now().date())
    typed = filing(None, enterprise=EnterpriseIn(name="Whatever it is called", uscc=uscc))
    named = await service_cases.file_case(viewer, typed, context, clock.now().date())
    for filed in (chosen, named):
        told = await notices_of(filed.case["reference"])
        assert [row["recipient"] for row in told] == [approved["id"]]
