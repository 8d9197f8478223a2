"""Notices where the work is (issue 12 §9): opening a case reads that case's notices, the merchant hears
"resolved" once however the consumer rates afterwards, and mail settings offer only the kinds of notice
that can reach the viewer's role."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar import Litestar

from accord.auth import SESSION_COOKIE
from accord.clock import FrozenClock
from accounts.credentials import start_session
from accounts.tables import Enterprise
from notifications import service
from notifications.tables import MailOptOut, Notification
from tests.cases.conftest import Cast, Parties, act, filing_body
from tests.cases.test_words import fulfilment_reported
from tests.conftest import SignedIn, post_form

BADGE = re.compile(r'id="unread-count"[^>]*>(\d+)<')


async def browser_of(app: Litestar, user_id: int, clock: FrozenClock) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
    client.cookies.set(SESSION_COOKIE, await start_session(user_id, clock))
    return client


async def notices_of(user_id: int, reference: str) -> list[dict[str, Any]]:
    return await Notification.select().where(Notification.recipient == user_id, Notification.subject_ref == reference)


async def test_opening_a_case_reads_its_notices_and_no_others(
    app: Litestar, cast: Cast, parties: Parties, clock: FrozenClock
) -> None:
    opened = await cast.consumer.post("/api/v1/cases", json=filing_body(cast.enterprise_id))
    other = await cast.consumer.post("/api/v1/cases", json=filing_body(cast.enterprise_id))
    opened_ref, other_ref = opened.json()["reference"], other.json()["reference"]
    merchant = parties.merchant.id
    assert [n["read_at"] for n in await notices_of(merchant, opened_ref)] == [None]
    async with await browser_of(app, merchant, clock) as browser:
        await cast.merchant.get(f"/api/v1/cases/{opened_ref}")  # an API read is no opening: clients mark explicitly
        assert [n["read_at"] for n in await notices_of(merchant, opened_ref)] == [None]
        page = await browser.get(f"/cases/{opened_ref}")
        assert page.status_code == 200
    assert [n["read_at"] for n in await notices_of(merchant, opened_ref)] == [clock.now()]
    assert [n["read_at"] for n in await notices_of(merchant, other_ref)] == [None]
    unread = await Notification.count().where(Notification.recipient == merchant, Notification.read_at.is_null())
    assert BADGE.search(page.text).group(1) == str(unread)  # type: ignore[union-attr]  # the page's own badge knows
    inbox = (await cast.merchant.get("/api/v1/notifications")).json()["items"]
    assert {item["subject_ref"]: item["read"] for item in inbox if item["subject_ref"] in (opened_ref, other_ref)} == {
        opened_ref: True,
        other_ref: False,
    }


async def test_a_rating_tells_the_merchant_nothing_new_after_resolved(cast: Cast, parties: Parties) -> None:
    case, _extra = await fulfilment_reported(cast)
    assert (await act(cast.consumer, case, "confirm_fulfilment")).json()["state"] == "resolved"
    before = await notices_of(parties.merchant.id, case["reference"])
    assert [n["kind"] for n in before].count("resolved") == 1
    assert (await act(cast.consumer, case, "rate", score=2, comment="Slow.")).status_code == 200
    assert await notices_of(parties.merchant.id, case["reference"]) == before


def offered_kinds(page: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="([a-z_]+)" value="yes"', page)) - {"digest"}


async def test_mail_settings_offer_only_the_kinds_that_reach_the_role(signed_in: SignedIn) -> None:
    pages = {}
    for role in ("consumer", "merchant", "mediator", "admin"):
        browser, _user = await signed_in(role)
        pages[role] = (await browser.get("/inbox/settings")).text
    browser, agent = await signed_in("merchant")  # an agent of a platform (issue 17)
    await Enterprise.update({Enterprise.kind: "platform"}).where(Enterprise.id == agent["enterprise_id"])
    platform = offered_kinds((await browser.get("/inbox/settings")).text)
    consumer, merchant, mediator = (offered_kinds(pages[role]) for role in ("consumer", "merchant", "mediator"))
    assert platform - merchant == {"platform_merchant_silent", "platform_settlement_breached"}
    assert {"merchant_responded", "new_offer", "settled", "info_requested"} <= consumer
    assert not {"case_filed", "info_provided", "case_rated", "registry_notice", "agent_approved"} & consumer
    assert {"case_filed", "new_offer", "registry_notice", "agent_approved", "fulfilment_disputed"} <= merchant
    assert not {"merchant_responded", "case_rated", "info_provided"} & merchant
    assert {"info_provided", "case_rated", "fulfilment_disputed", "breached"} <= mediator
    assert not {"case_filed", "merchant_responded", "settled", "registry_notice"} & mediator
    assert consumer | merchant | mediator | platform == set(service.MAIL_KINDS)  # every kind is offered to someone
    assert offered_kinds(pages["admin"]) == set() and "Accord sends no notices by e-mail" in pages["admin"]


async def test_saving_settings_leaves_the_kinds_of_other_roles_alone(signed_in: SignedIn, clock: FrozenClock) -> None:
    browser, user = await signed_in("consumer")
    await service.unsubscribe(user["id"], "case_filed", clock.now())  # kept from a time as a merchant agent
    saved = await post_form(browser, "/inbox/settings", {"new_offer": "yes"})
    assert saved.status_code == 302
    off = {row["kind"] for row in await MailOptOut.select(MailOptOut.kind).where(MailOptOut.user == user["id"])}
    assert "case_filed" in off and "new_offer" not in off and "merchant_responded" in off
    assert "info_provided" not in off  # a mediator's kind is no consumer's choice
