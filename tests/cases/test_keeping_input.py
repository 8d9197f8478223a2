"""No input is ever lost (issue 12 §5): every form refused with 409 or 422 (or 403, 413, 415) comes back with
what was typed, and says in words what changed: no state codes, version numbers or ISO timestamps."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from accord.clock import FrozenClock, WeekdayCalendar
from accounts.service import act_as
from cases.tables import Case, CaseState
from cases.workflow import Context, apply
from tests.cases.test_api import PNG
from tests.cases.test_pages import file_by_form, filing_form
from tests.conftest import SignedIn, csrf_token, post_form

# State codes that are no English word ("settled" or "declined" may well be said in a sentence).
STATE_CODES = [state.value for state in CaseState if "_" in state.value]


async def version_of(reference: str) -> int:
    return (await Case.select(Case.version).where(Case.reference == reference).first())["version"]


def alert_of(page: str) -> str:
    """The text of the page's error alert (where a refusal is explained)."""
    found = re.search(r'<div class="alert error" role="alert"><p>(.*?)</p></div>', page, re.S)
    assert found, "no error alert on the page"
    return text_of(found.group(1))


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))  # people's names come with markup


def says_no_codes(text: str) -> None:
    """A sentence for people: no state codes, version numbers or ISO timestamps."""
    assert not [code for code in STATE_CODES if code in text], text
    assert "version" not in text.lower(), text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text


def form_of(page: str, action: str) -> str:
    found = re.search(rf'<form [^>]*id="action-{action}".*?</form>', page, re.S)
    assert found, f"no {action} form on the page"
    return found.group(0)


class Negotiation:
    """A consumer and a merchant, both signed in as browsers, on a case the merchant answered with an offer."""

    def __init__(self, consumer: httpx.AsyncClient, merchant: httpx.AsyncClient, users: dict[str, Any], ref: str):
        self.consumer, self.merchant, self.users, self.reference = consumer, merchant, users, ref

    @property
    def path(self) -> str:
        return f"/cases/{self.reference}"


@pytest.fixture
def context(clock: FrozenClock) -> Context:
    return Context(clock=clock, calendar=WeekdayCalendar())


async def filed(signed_in: SignedIn) -> Negotiation:
    consumer, consumer_user = await signed_in("consumer")
    merchant, merchant_user = await signed_in("merchant")
    response = await file_by_form(consumer, enterprise_id=str(merchant_user["enterprise_id"]))
    assert response.status_code == 302, response.text
    reference = response.headers["location"].split("/")[2].split("?")[0]
    return Negotiation(consumer, merchant, {"consumer": consumer_user, "merchant": merchant_user}, reference)


async def negotiating(signed_in: SignedIn, context: Context) -> Negotiation:
    case = await filed(signed_in)
    offer = {
        "kind": "offer",
        "text": "We refund half.",
        "remedies": [{"type": "partial_refund", "amount": {"amount": "40.00", "currency": "CNY"}}],
    }
    await apply(case.reference, "respond", act_as(case.users["merchant"]), offer, context)
    return case


async def test_a_stale_counter_offer_comes_back_filled_in_and_says_what_changed(
    signed_in: SignedIn, context: Context
) -> None:
    case = await negotiating(signed_in, context)
    seen = await version_of(case.reference)  # the consumer's page shows this version
    newer = {
        "remedies": [{"type": "partial_refund", "amount": {"amount": "60.00", "currency": "CNY"}}],
        "text": "Sixty then.",
    }
    await apply(case.reference, "counter_offer", act_as(case.users["merchant"]), newer, context)
    typed = {
        "version": seen,
        "remedies.0.type": "refund",
        "remedies.0.amount.amount": "89.90",
        "remedies.0.amount.currency": "CNY",
        "remedies.0.description": "Full refund, I keep nothing",
        "text": "A full refund, please: the lid leaks.",
        "fulfil_by": "2026-12-10",
    }
    refused = await post_form(case.consumer, f"{case.path}/actions/counter_offer", typed)
    assert refused.status_code == 409
    said = alert_of(refused.text)
    merchant = f"Test Merchant (merchant · {case.users['merchant']['enterprise_name']})"
    assert f"While you were writing, {merchant} offered a partial refund of CN¥60.00." in said
    assert "What you typed is kept below" in said and "The case is now: Negotiating." in said
    says_no_codes(said)
    form = form_of(refused.text, "counter_offer")
    for value in ("89.90", "Full refund, I keep nothing", "A full refund, please: the lid leaks.", "2026-12-10"):
        assert value in html.unescape(form), value
    assert 'name="version" value="%d"' % (seen + 1) in form  # sending again acts on the case as it is now
    assert '<details class="action" open>' in refused.text and "Sixty then." in refused.text
    again = await post_form(case.consumer, f"{case.path}/actions/counter_offer", {**typed, "version": seen + 1})
    assert again.status_code == 302


async def test_text_for_a_form_no_longer_offered_is_handed_back(signed_in: SignedIn, context: Context) -> None:
    case = await filed(signed_in)
    await apply(case.reference, "withdraw", act_as(case.users["consumer"]), {"reason": "Sorted it out"}, context)
    answer = {"version": 1, "kind": "reject", "text": "We shipped it intact; see the courier's photo."}
    refused = await post_form(case.merchant, f"{case.path}/actions/respond", answer)
    assert refused.status_code == 409
    said = alert_of(refused.text)
    assert "While you were writing, Test Consumer (consumer) withdrew the complaint." in said
    assert "what you typed is kept below" in said and "The case is now: Withdrawn." in said
    says_no_codes(said)
    kept = re.search(r'<div class="kept" id="kept">(.*?)</div>', refused.text, re.S)
    assert kept and "We shipped it intact; see the courier&#39;s photo." in kept.group(1)
    assert 'id="action-respond"' not in refused.text  # the form itself is gone: the text waits read-only


async def test_a_refusal_at_the_same_version_gives_its_reason_and_keeps_the_text(
    signed_in: SignedIn, context: Context
) -> None:
    case = await negotiating(signed_in, context)
    version = await version_of(case.reference)
    refused = await post_form(
        case.consumer,
        f"{case.path}/actions/reject_offer",
        {"version": version, "offer_id": "999999", "reason": "Too little"},
    )
    assert refused.status_code == 409
    said = alert_of(refused.text)
    assert said.startswith("There is no open offer with this number on the case.")
    says_no_codes(said)


async def test_a_past_fulfilment_date_is_a_field_error_and_the_rest_is_kept(
    signed_in: SignedIn, context: Context
) -> None:
    case = await negotiating(signed_in, context)
    version = await version_of(case.reference)
    typed = {
        "version": version,
        "remedies.0.type": "refund",
        "remedies.0.amount.amount": "89.90",
        "remedies.0.amount.currency": "CNY",
        "text": "Refund by last week, please.",
        "fulfil_by": "2026-11-20",  # the clock says 25 November
    }
    refused = await post_form(case.consumer, f"{case.path}/actions/counter_offer", typed)
    assert refused.status_code == 422
    form = html.unescape(form_of(refused.text, "counter_offer"))
    assert "The fulfilment date must be in the future." in form and 'value="2026-11-20"' in form
    assert "Refund by last week, please." in form and "89.90" in form
    today = await post_form(case.consumer, f"{case.path}/actions/counter_offer", {**typed, "fulfil_by": "2026-11-25"})
    assert today.status_code == 422  # today is not after today either
    assert await version_of(case.reference) == version  # nothing stored


async def test_a_mediators_proposal_dated_in_the_past_is_a_422_on_fulfil_by(
    signed_in: SignedIn, context: Context
) -> None:
    case = await negotiating(signed_in, context)
    mediator, mediator_user = await signed_in("mediator")
    await apply(case.reference, "request_mediation", act_as(case.users["consumer"]), {}, context)
    for action in ("claim", "admit"):
        await apply(case.reference, action, act_as(mediator_user), {}, context)
    proposal = {
        "version": await version_of(case.reference),
        "terms.0.type": "refund",
        "terms.0.amount.amount": "70.00",
        "terms.0.amount.currency": "CNY",
        "fulfil_by": "2026-01-05",
        "text": "Both sides meet in the middle.",
    }
    refused = await post_form(mediator, f"{case.path}/actions/propose_settlement", proposal)
    assert refused.status_code == 422
    form = html.unescape(form_of(refused.text, "propose_settlement"))
    assert "The fulfilment date must be in the future." in form
    assert "Both sides meet in the middle." in form and "70.00" in form and 'value="2026-01-05"' in form
    api = await mediator.post(
        f"/api/v1/cases/{case.reference}/actions/propose_settlement",
        json={
            "version": proposal["version"],
            "terms": [{"type": "refund", "amount": {"amount": "70.00", "currency": "CNY"}}],
            "fulfil_by": "2026-01-05",
        },
        headers={"x-csrftoken": await csrf_token(mediator)},
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "fulfil_by"


async def test_a_message_refused_comes_back_in_its_box(signed_in: SignedIn, context: Context) -> None:
    case = await negotiating(signed_in, context)
    too_long = "Word " * 1001
    refused = await post_form(case.consumer, f"{case.path}/messages", {"channel": "joint", "text": too_long})
    assert refused.status_code == 422
    box = re.search(r'<textarea id="m-joint"[^>]*>(.*?)</textarea>', refused.text, re.S)
    assert box and box.group(1) == too_long


async def test_a_message_to_a_conversation_that_closed_meanwhile_is_handed_back(
    signed_in: SignedIn, context: Context
) -> None:
    case = await negotiating(signed_in, context)
    mediator, mediator_user = await signed_in("mediator")
    await apply(case.reference, "request_mediation", act_as(case.users["consumer"]), {}, context)
    await apply(case.reference, "claim", act_as(mediator_user), {}, context)
    assert "Private with the mediator" in (await case.consumer.get(case.path)).text
    await apply(case.reference, "release", act_as(mediator_user), {}, context)
    words = "Between us: I would settle for 60."
    refused = await post_form(case.consumer, f"{case.path}/messages", {"channel": "caucus:consumer", "text": words})
    assert refused.status_code == 403
    assert "You cannot write in this conversation." in alert_of(refused.text)
    kept = re.search(r'<div class="kept" id="kept">(.*?)</div>', refused.text, re.S)
    assert kept and words in kept.group(1) and "Your message" in kept.group(1)


async def test_a_refused_file_keeps_its_description_and_names_the_file_to_choose_again(
    signed_in: SignedIn, context: Context
) -> None:
    case = await filed(signed_in)
    token = await csrf_token(case.consumer)
    refused = await case.consumer.post(
        f"{case.path}/evidence",
        data={"_csrf_token": token, "channel": "joint", "description": "Courier's photo of the dented box"},
        files={"file": ("dented-box.exe", b"MZ" + b"\x00" * 100, "image/jpeg")},
    )
    assert refused.status_code == 415
    assert 'value="Courier&#39;s photo of the dented box"' in refused.text
    assert "Choose dented-box.exe again: a browser cannot keep a chosen file" in refused.text
    forgotten = await case.consumer.post(  # no file at all: 422, and the description still there
        f"{case.path}/evidence",
        data={"_csrf_token": token, "channel": "joint", "description": "Photo of the label"},
        files={"other": ("x.txt", b"x", "text/plain")},
    )
    assert forgotten.status_code == 422 and "Choose a file to upload." in forgotten.text
    assert 'value="Photo of the label"' in forgotten.text


async def test_a_refused_filing_keeps_its_fields_and_names_the_files_to_attach_again(signed_in: SignedIn) -> None:
    consumer, _user = await signed_in("consumer")
    refused = await file_by_form(
        consumer, files=[("receipt.png", PNG), ("label.png", PNG)], purchase_date="2099-01-01", product_name="Tea set"
    )
    assert refused.status_code == 422
    assert 'value="Tea set"' in refused.text and 'value="2099-01-01"' in refused.text
    assert "The packaging looks fake\nand the texture is wrong." in refused.text
    assert "Choose receipt.png, label.png again" in refused.text


async def test_searching_for_the_merchant_keeps_everything_typed(signed_in: SignedIn, make_user: Any) -> None:
    consumer, _user = await signed_in("consumer")
    merchant = await make_user("merchant")
    token = await csrf_token(consumer, "/cases/new")
    typed = filing_form(product_name="Ceramic teapot", order_number="TM-55102", q=merchant["enterprise_uscc"])
    found = await consumer.post(
        "/cases/new",
        data={**typed, "search": "1", "_csrf_token": token},
        files=[("evidence", ("box.png", PNG, "image/png"))],
    )
    assert found.status_code == 200
    assert merchant["enterprise_name"] in found.text and f'value="{merchant["enterprise_id"]}"' in found.text
    assert 'value="Ceramic teapot"' in found.text and 'value="TM-55102"' in found.text
    assert "The packaging looks fake\nand the texture is wrong." in found.text
    assert "Choose box.png again" in found.text
    assert await Case.count().where(Case.product_name == "Ceramic teapot") == 0  # searching files nothing


async def test_a_withdrawal_refused_for_its_reason_comes_back_to_its_page(signed_in: SignedIn) -> None:
    consumer, _user = await signed_in("consumer")
    response = await file_by_form(consumer)
    path = response.headers["location"].split("?")[0]
    reason = "Changed my mind. " * 150  # over 2,000 characters
    refused = await post_form(consumer, f"{path}/actions/withdraw", {"version": 1, "reason": reason})
    assert refused.status_code == 422
    assert "Yes, withdraw the complaint" in refused.text and reason in refused.text


async def test_a_stale_withdrawal_hands_its_reason_back(signed_in: SignedIn, context: Context) -> None:
    case = await filed(signed_in)
    await apply(case.reference, "respond", act_as(case.users["merchant"]), {"kind": "reject", "text": "No."}, context)
    refused = await post_form(
        case.consumer, f"{case.path}/actions/withdraw", {"version": 1, "reason": "Found a better deal"}
    )
    assert refused.status_code == 409
    said = alert_of(refused.text)
    assert "(merchant · " in said and "answered the complaint and rejected the claim" in said
    assert "Found a better deal" in refused.text.split('id="kept"')[1]


async def test_a_page_asking_since_an_earlier_version_says_what_changed(signed_in: SignedIn, context: Context) -> None:
    case = await negotiating(signed_in, context)
    page = await case.consumer.get(case.path, params={"since": "1"})
    notice = re.search(r'<div class="alert ok" role="status"><p>(.*?)</p>', page.text, re.S)
    merchant = f"Test Merchant (merchant · {case.users['merchant']['enterprise_name']})"
    told = text_of(notice.group(1)) if notice else ""
    assert (
        told
        == f"The case has just changed: {merchant} answered the complaint and offered a partial refund of CN¥40.00."
    )
    assert 'data-version="2"' in page.text
    unchanged = await case.consumer.get(case.path, params={"since": "2"})
    assert 'role="status"' not in unchanged.text
    for garbage in ("x", "-1", "99999999999999999999", "²"):
        assert (await case.consumer.get(case.path, params={"since": garbage})).status_code == 200


async def test_conflicts_are_explained_in_chinese_too(signed_in: SignedIn, context: Context) -> None:
    case = await negotiating(signed_in, context)
    seen = await version_of(case.reference)
    await apply(case.reference, "request_mediation", act_as(case.users["merchant"]), {}, context)
    refused = await post_form(
        case.consumer,
        f"{case.path}/actions/counter_offer?lang=zh-Hans",
        {"version": seen, "text": "全额退款", "remedies.0.type": "refund"},
    )
    assert refused.status_code == 409
    said = alert_of(refused.text)
    says_no_codes(said)
    enterprise = case.users["merchant"]["enterprise_name"]
    assert not re.search(r"[A-Za-z]{3,}", said.replace("Test Merchant", "").replace(enterprise, "")), said  # Chinese
    assert "全额退款" in refused.text.split('id="kept"')[1]
