"""A platform hears when a case naming it stalls (issue 17 §1): the merchant silent past its response deadline,
a settlement not kept. Its approved agents get an inbox item and a mail in their language; other platforms'
agents, and the platform when a case merely moves on, hear nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accord.clock import FrozenClock
from accounts.tables import User
from cases.workflow import Context
from mediation.sweeper import sweep
from notifications.service import mail_kinds_for
from notifications.tables import Notification, OutboxMail
from tests.cases.conftest import MONEY, Cast, act, file_case
from tests.conftest import SignedIn, mails_written, make_platform


async def platform_agent(api_client: SignedIn, language: str = "en") -> tuple[Any, dict[str, Any]]:
    client, agent = await api_client("merchant", language=language)
    await make_platform(agent["enterprise_id"])
    return client, agent


async def notices(user_id: int, reference: str) -> list[str]:
    rows = await Notification.select(Notification.kind).where(
        Notification.recipient == user_id, Notification.subject_ref == reference
    )
    return [row["kind"] for row in rows]


async def subjects(user_id: int, reference: str) -> list[str]:
    await mails_written()
    email = (await User.select(User.email).where(User.id == user_id).first())["email"]
    rows = await OutboxMail.select(OutboxMail.subject).where(
        OutboxMail.recipient_email == email, OutboxMail.subject.like(f"[{reference}]%")
    )
    return [row["subject"] for row in rows]


async def test_a_merchant_silent_past_its_deadline_is_told_to_the_platform(
    cast: Cast, api_client: SignedIn, clock: FrozenClock, context: Context
) -> None:
    client, agent = await platform_agent(api_client)
    _chinese_client, chinese = await platform_agent(api_client, language="zh-Hans")
    await User.update({User.enterprise: agent["enterprise_id"]}).where(User.id == chinese["id"])  # a colleague
    _other_client, other = await platform_agent(api_client)
    case = await file_case(cast, platform_enterprise_id=agent["enterprise_id"])
    ref = case["reference"]
    assert await notices(agent["id"], ref) == []  # a filing is the merchant's business

    clock.advance(timedelta(days=15))  # past the merchant's 10 working days
    fired = await sweep(context)
    assert (ref, "response_timeout") in {(f.reference, f.action) for f in fired}
    assert await notices(agent["id"], ref) == ["platform_merchant_silent"]
    silent = f"[{ref}] A merchant on your platform did not answer a complaint in time"
    assert await subjects(agent["id"], ref) == [silent]
    assert await subjects(chinese["id"], ref) == [f"[{ref}] 您平台上的一家商家未按时答复投诉"]
    assert await notices(other["id"], ref) == []
    inbox = (await client.get("/api/v1/notifications")).json()["items"]
    assert [item["link"] for item in inbox if item["subject_ref"] == ref] == [f"/cases/{ref}"]
    assert (await client.get(f"/cases/{ref}")).status_code in (200, 302)  # the link leads to what they may see


async def test_a_timeout_that_is_no_silence_is_not_told(
    cast: Cast, api_client: SignedIn, clock: FrozenClock, context: Context
) -> None:
    """The merchant answered; negotiating ran out: the case goes to a mediator, the platform is not told."""
    _client, agent = await platform_agent(api_client)
    case = await file_case(cast, platform_enterprise_id=agent["enterprise_id"])
    await act(cast.merchant, case, "respond", kind="question", text="Which colour?")
    clock.advance(timedelta(days=30))
    fired = await sweep(context)
    assert (case["reference"], "negotiation_timeout") in {(f.reference, f.action) for f in fired}
    assert await notices(agent["id"], case["reference"]) == []


async def settled_with_platform(cast: Cast, platform_id: int) -> dict[str, Any]:
    case = await file_case(cast, platform_enterprise_id=platform_id)
    offered = await act(
        cast.merchant, case, "respond", kind="offer", remedies=[{"type": "refund", "amount": MONEY}], text="Refund."
    )
    settled = await act(cast.consumer, case, "accept_offer", offer_id=offered.json()["offers"][-1]["id"])
    assert settled.json()["state"] == "settled"
    return case


async def test_a_settlement_not_kept_is_told_to_the_platform(
    cast: Cast, api_client: SignedIn, clock: FrozenClock, context: Context
) -> None:
    _client, agent = await platform_agent(api_client)
    missed = await settled_with_platform(cast, agent["enterprise_id"])
    disputed = await settled_with_platform(cast, agent["enterprise_id"])
    await act(cast.merchant, disputed, "mark_fulfilled", proof="Refund reference R-1.")
    breached = await act(cast.consumer, disputed, "dispute_fulfilment", reason="No refund arrived.")
    assert breached.json()["state"] == "breached"
    assert await notices(agent["id"], disputed["reference"]) == ["platform_settlement_breached"]

    clock.advance(timedelta(days=12))  # past the 7 working days to carry it out
    fired = await sweep(context)
    assert (missed["reference"], "fulfilment_timeout") in {(f.reference, f.action) for f in fired}
    assert await notices(agent["id"], missed["reference"]) == ["platform_settlement_breached"]
    assert await subjects(agent["id"], missed["reference"]) == [
        f"[{missed['reference']}] A merchant on your platform did not keep a settlement"
    ]


def test_platform_agents_choose_whether_these_come_by_mail() -> None:
    assert "platform_settlement_breached" in mail_kinds_for("merchant", platform=True)
    assert "platform_settlement_breached" not in mail_kinds_for("merchant")
