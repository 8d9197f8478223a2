"""Advance compensation (先行赔付, issue 17 §2): the platform named on a case pays the consumer when its merchant
broke a settlement or never answered; the case is resolved with compensated_by "platform", the platform's
recourse claim against the merchant is in the case's record, and the consumer confirms or disputes the payment.
"""

from __future__ import annotations

from typing import Any

import httpx

from accord.clock import FrozenClock, WeekdayCalendar
from accounts.tables import Enterprise, EnterpriseKind
from cases.service import verify_reference
from cases.tables import Case, Deadline, RecourseClaim
from cases.workflow import Context
from mediation.sweeper import sweep
from tests.cases.conftest import Cast, act, file_case
from tests.conftest import post_form

PAID = {"amount": "199.00", "currency": "CNY"}


async def breached_case(cast: Cast, platform_id: int | None = None) -> dict[str, Any]:
    """A case on the platform whose merchant reported a refund the consumer never got: breached."""
    case = await file_case(cast, platform_enterprise_id=platform_id or cast.platform_id)
    remedies = [{"type": "refund", "amount": PAID}]
    assert (await act(cast.merchant, case, "respond", kind="offer", remedies=remedies, text="Refund.")).status_code == 200
    offer_id = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()["offers"][0]["id"]
    assert (await act(cast.consumer, case, "accept_offer", offer_id=offer_id)).status_code == 200
    assert (await act(cast.merchant, case, "mark_fulfilled", proof="Refund 2026-1.")).status_code == 200
    disputed = await act(cast.consumer, case, "dispute_fulfilment", reason="No refund arrived.")
    assert disputed.json()["state"] == "breached", disputed.text
    return case


async def silent_merchant_case(cast: Cast, context: Context) -> dict[str, Any]:
    """A case on the platform the merchant never answered: the system moved it to the mediators' queue."""
    case = await file_case(cast, platform_enterprise_id=cast.platform_id)
    later = Context(
        clock=FrozenClock(WeekdayCalendar().add_working_days(context.clock.now(), 11)), calendar=WeekdayCalendar()
    )
    await sweep(later)
    state = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()["state"]
    assert state == "awaiting_mediator"
    return case


async def compensate(client: httpx.AsyncClient, case: dict[str, Any], **payload: Any) -> httpx.Response:
    """The action at the case's current version (read from the database: not everyone may see the case)."""
    row = await Case.select(Case.version).where(Case.reference == case["reference"]).first()
    body = {"version": row["version"], "amount": PAID, "note": "Paid via Alipay.", **payload}
    return await client.post(f"/api/v1/cases/{case['reference']}/actions/advance_compensate", json=body)


async def test_advance_compensation_on_a_breached_case(cast: Cast, clock: FrozenClock) -> None:
    case = await breached_case(cast)
    shown = (await cast.platform.get(f"/api/v1/cases/{case['reference']}")).json()
    assert "advance_compensate" in shown["allowed_actions"]
    assert "may also compensate" not in shown["next"]["summary"]  # breached: the breach wording
    assert "compensate the consumer in advance" in shown["next"]["summary"]

    done = await compensate(cast.platform, case)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "resolved" and body["compensated_by"] == "platform"
    assert body["compensation_state"] == "awaiting_confirmation"
    claim = body["recourse_claim"]
    assert claim["amount"] == PAID and claim["state"] == "open" and claim["merchant"]["id"] == cast.enterprise_id
    assert claim["platform"]["id"] == cast.platform_id and claim["case_reference"] == case["reference"]
    assert (claim["platform"]["kind"], claim["merchant"]["kind"]) == ("platform", "merchant")
    # Every party, the platform, mediators and registrars see it.
    for client in (cast.consumer, cast.merchant, cast.mediator, cast.other_mediator, cast.admin):
        seen = (await client.get(f"/api/v1/cases/{case['reference']}")).json()
        assert seen["compensated_by"] == "platform" and seen["recourse_claim"]["id"] == claim["id"]
    # Only the consumer's confirmation clock runs; the story tells it with the amount.
    deadlines = await Deadline.select(Deadline.name).where(
        Deadline.case.reference == case["reference"], Deadline.closed_at.is_null()
    )
    assert [row["name"] for row in deadlines] == ["compensation_confirmation"]
    assert "confirm_compensation" in (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()[
        "allowed_actions"
    ]
    record = (await cast.merchant.get(f"/api/v1/cases/{case['reference']}/record")).json()
    assert record["verified"]
    event = next(e for e in record["events"] if e.get("type") == "advance_compensate")
    assert event["actor_role"] == "platform" and event["data"]["amount"] == 19900
    assert event["writes"]["recourse"][str(claim["id"])]["amount"] == 19900
    assert (await verify_reference(case["reference"], clock.now())).verified


async def test_the_record_covers_the_recourse_claim(cast: Cast, clock: FrozenClock) -> None:
    case = await breached_case(cast)
    claim = (await compensate(cast.platform, case)).json()["recourse_claim"]
    await RecourseClaim.update({RecourseClaim.amount: 100}).where(RecourseClaim.id == claim["id"])
    check = await verify_reference(case["reference"], clock.now())
    assert not check.verified and f"recourse claim {claim['id']} differs" in (check.problem or "")


async def test_who_may_compensate(cast: Cast) -> None:
    case = await breached_case(cast)
    for client, status in (
        (cast.merchant, 403),
        (cast.consumer, 403),
        (cast.mediator, 403),
        (cast.admin, 403),
        (cast.other_platform, 404),  # another platform's agent does not see the case at all
        (cast.other_merchant, 404),
    ):
        refused = await compensate(client, case)
        assert refused.status_code == status, (status, refused.text)
    assert await RecourseClaim.count().where(RecourseClaim.case.reference == case["reference"]) == 0
    assert (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()["state"] == "breached"


async def test_no_compensation_in_the_wrong_state_or_after_the_merchant_answered(cast: Cast) -> None:
    filed = await file_case(cast, platform_enterprise_id=cast.platform_id)
    refused = await compensate(cast.platform, filed)
    assert refused.status_code == 409 and "filed" in refused.json()["detail"]

    answered = await file_case(cast, platform_enterprise_id=cast.platform_id)
    await act(cast.merchant, answered, "respond", kind="reject", text="The product was fine.")
    await act(cast.consumer, answered, "request_mediation")
    seen = (await cast.platform.get(f"/api/v1/cases/{answered['reference']}")).json()
    assert seen["state"] == "awaiting_mediator" and "advance_compensate" not in seen["allowed_actions"]
    refused = await compensate(cast.platform, answered)
    assert refused.status_code == 409 and "merchant answered" in refused.json()["detail"]
    assert await RecourseClaim.count() == 0


async def test_a_bad_amount_is_422_and_stores_nothing(cast: Cast) -> None:
    case = await breached_case(cast)
    for amount in ({"amount": "-5", "currency": "CNY"}, {"amount": "1.001", "currency": "CNY"}, {"amount": "9"}):
        refused = await compensate(cast.platform, case, amount=amount)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] and refused.json()["errors"][0]["field"].startswith("amount")
    assert await RecourseClaim.count().where(RecourseClaim.case.reference == case["reference"]) == 0
    row = await Case.select(Case.state, Case.compensated_by).where(Case.reference == case["reference"]).first()
    assert row == {"state": "breached", "compensated_by": None}


async def test_a_silent_merchants_case_and_the_consumer_confirms(cast: Cast, context: Context) -> None:
    case = await silent_merchant_case(cast, context)
    seen = (await cast.platform.get(f"/api/v1/cases/{case['reference']}")).json()
    assert "may also compensate the consumer in advance" in seen["next"]["summary"]
    assert (await compensate(cast.platform, case)).json()["state"] == "resolved"
    waiting = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()
    assert waiting["next"]["situation"] == "resolved.compensation_to_confirm" and waiting["next"]["you_act"]
    assert "appeal" not in waiting["allowed_actions"]  # first the word on the payment
    confirmed = (await act(cast.consumer, case, "confirm_compensation")).json()
    assert confirmed["compensation_state"] == "confirmed" and confirmed["state"] == "resolved"
    assert "confirm_compensation" not in confirmed["allowed_actions"] and "appeal" in confirmed["allowed_actions"]
    assert confirmed["deadlines"] == {}
    again = await compensate(cast.platform, case)
    assert again.status_code == 409


async def test_the_consumer_disputes_the_payment_and_a_mediator_looks_again(cast: Cast) -> None:
    case = await breached_case(cast)
    claim = (await compensate(cast.platform, case)).json()["recourse_claim"]
    disputed = await act(cast.consumer, case, "dispute_compensation", reason="Nothing arrived on Alipay.")
    assert disputed.status_code == 200, disputed.text
    body = disputed.json()
    assert body["state"] == "awaiting_mediator" and body["compensation_state"] == "disputed"
    assert body["recourse_claim"]["state"] == "open" and body["recourse_claim"]["id"] == claim["id"]
    assert "admissibility" in body["deadlines"]
    # The platform compensated once: it cannot do it again on this case.
    assert (await compensate(cast.platform, case)).status_code == 409
    assert (await cast.merchant.get(f"/api/v1/cases/{case['reference']}/record")).json()["verified"]


async def test_the_consumers_silence_confirms_the_payment(cast: Cast, context: Context) -> None:
    case = await breached_case(cast)
    await compensate(cast.platform, case)
    calendar = WeekdayCalendar()
    early = Context(clock=FrozenClock(calendar.add_working_days(context.clock.now(), 6)), calendar=calendar)
    await sweep(early)
    row = await Case.select(Case.compensation_state).where(Case.reference == case["reference"]).first()
    assert row["compensation_state"] == "awaiting_confirmation"
    late = Context(clock=FrozenClock(calendar.add_working_days(context.clock.now(), 8)), calendar=calendar)
    await sweep(late)
    body = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()
    assert body["compensation_state"] == "confirmed" and body["state"] == "resolved"
    assert "confirm_compensation" not in body["allowed_actions"]
    record = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}/record")).json()
    assert record["verified"] and record["events"][-1]["type"] == "compensation_timeout"


async def test_the_platform_recovers_its_claim(cast: Cast, clock: FrozenClock) -> None:
    case = await breached_case(cast)
    claim = (await compensate(cast.platform, case)).json()["recourse_claim"]
    path = f"/api/v1/platform/recourse/{claim['id']}/recover"
    for client, status in ((cast.merchant, 403), (cast.consumer, 403), (cast.other_platform, 404)):
        assert (await client.post(path, json={})).status_code == status
    assert (await cast.platform.post(f"/api/v1/platform/recourse/{claim['id']}/steal", json={})).status_code == 404
    recovered = await cast.platform.post(path, json={"note": "Deducted from the merchant's deposit."})
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["state"] == "recovered" and recovered.json()["recovered_at"]
    assert (await cast.platform.post(path, json={})).status_code == 409
    seen = (await cast.merchant.get(f"/api/v1/cases/{case['reference']}")).json()
    assert seen["recourse_claim"]["state"] == "recovered"
    record = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}/record")).json()
    assert record["verified"] and record["events"][-1]["type"] == "recourse_recovered"
    assert (await verify_reference(case["reference"], clock.now())).verified


async def test_the_case_page_offers_and_shows_advance_compensation(cast: Cast, signed_in: Any) -> None:
    browser, agent = await signed_in("merchant")
    await Enterprise.update({Enterprise.kind: EnterpriseKind.platform}).where(Enterprise.id == agent["enterprise_id"])
    case = await breached_case(cast, agent["enterprise_id"])
    page = await browser.get(f"/cases/{case['reference']}")
    assert page.status_code == 200 and 'id="action-advance_compensate"' in page.text
    assert 'name="amount.amount"' in page.text and 'name="amount.currency"' in page.text
    version = (await Case.select(Case.version).where(Case.reference == case["reference"]).first())["version"]
    bad = await post_form(
        browser,
        f"/cases/{case['reference']}/actions/advance_compensate",
        {"version": version, "amount.amount": "abc", "amount.currency": "CNY", "note": "Paid."},
    )
    assert bad.status_code == 422 and "Paid." in bad.text
    done = await post_form(
        browser,
        f"/cases/{case['reference']}/actions/advance_compensate",
        {"version": version, "amount.amount": "199.00", "amount.currency": "CNY", "note": "Paid."},
    )
    assert done.status_code == 302, done.text
    shown = await browser.get(f"/cases/{case['reference']}")
    assert "Advance compensation" in shown.text and "record verified" in shown.text
    assert "199.00 in advance and claims it back from the merchant" in shown.text
    claim = await RecourseClaim.select(RecourseClaim.id).where(RecourseClaim.case.reference == case["reference"]).first()
    assert f'action="/platform/recourse/{claim["id"]}/recover"' in shown.text
    waived = await post_form(browser, f"/platform/recourse/{claim['id']}/waive", {"back": "/platform"})
    assert waived.status_code == 302 and waived.headers["location"] == "/platform"
    assert "Waived" in (await browser.get(f"/cases/{case['reference']}")).text

