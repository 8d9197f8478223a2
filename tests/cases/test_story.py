"""The case's story in words (issue 12 §3), the words people must read before they act (§1 acceptance),
what the API gives of them, file names of evidence, and notices in the recipient's language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from markupsafe import Markup

from accord.clock import FrozenClock, WeekdayCalendar
from accord.i18n import label
from cases import story
from cases.access import speaker_role
from cases.tables import Evidence
from cases.workflow import ACTIONS, SPECS, Context, apply
from notifications.tables import OutboxMail
from tests.cases.conftest import Cast, act, file_case, filing_body, to_mediation
from tests.cases.test_api import PDF, PNG
from tests.cases.test_pages import file_by_form
from tests.conftest import SignedIn, csrf_token, mails_written

PARTIAL = {"type": "partial_refund", "amount": {"amount": "100", "currency": "CNY"}}


def timeline_of(page: str) -> str:
    return page.split('id="timeline"')[1].split("</section>")[0]


def test_every_action_of_the_table_is_told_in_words() -> None:
    """By its spec's sentence, or by a teller when the sentence depends on what was said."""
    tellers = set(story._tellers())
    assert tellers <= ACTIONS
    assert {action for action in ACTIONS if not SPECS[action].told} <= tellers


async def test_the_timeline_tells_who_did_what_in_both_languages(cast: Cast) -> None:
    case = await file_case(cast)
    reference = case["reference"]
    offered = await act(cast.merchant, case, "respond", kind="offer", text="Half back?", remedies=[PARTIAL])
    enterprise = offered.json()["enterprise"]["name"]
    await act(cast.consumer, case, "withdraw", reason="Sorted it out with the shop.")

    english = timeline_of((await cast.consumer.get(f"/cases/{reference}?lang=en")).text)
    merchant = f'<strong>Case merchant</strong> <span class="role">(merchant · {enterprise})</span>'
    assert f"{merchant} answered the complaint and offered a partial refund of CN¥100.00" in english
    assert '<strong>Case consumer</strong> <span class="role">(consumer)</span> filed the complaint' in english
    assert "withdrew the complaint" in english and "Sorted it out with the shop." in english
    assert "Answer the complaint" not in english and "Withdraw the complaint" not in english  # no button labels

    chinese = timeline_of((await cast.consumer.get(f"/cases/{reference}?lang=zh-Hans")).text)
    merchant = f'<strong>Case merchant</strong> <span class="role">(商家 · {enterprise})</span>'
    assert f"{merchant}答复了投诉，提出部分退款 ¥100.00" in chinese
    assert "撤回了投诉" in chinese and "Sorted it out with the shop." in chinese


async def test_the_filing_names_its_waybill_and_carrier_on_the_case_and_print_pages(cast: Cast) -> None:
    reference = (await file_case(cast, waybill="sf1402883301276", waybill_carrier="sf"))["reference"]
    filed = '<strong>Case consumer</strong> <span class="role">(consumer)</span> filed the complaint'
    english = timeline_of((await cast.consumer.get(f"/cases/{reference}?lang=en")).text)
    assert f"{filed} (waybill SF1402883301276, SF Express)" in english
    chinese = timeline_of((await cast.merchant.get(f"/cases/{reference}?lang=zh-Hans")).text)
    assert "提交了投诉（运单号 SF1402883301276，顺丰速运）" in chinese
    printed = (await cast.consumer.get(f"/cases/{reference}/print?lang=en")).text
    assert f"{filed} (waybill SF1402883301276, SF Express)" in printed and "SF Express · SF1402883301276" in printed
    # A number only one carrier writes names it; without a waybill the sentence is the plain one.
    guessed = (await file_case(cast, waybill="JDV018827734412"))["reference"]
    assert "(waybill JDV018827734412, JD Logistics)" in (await cast.consumer.get(f"/cases/{guessed}?lang=en")).text
    plain = timeline_of((await cast.consumer.get(f"/cases/{(await file_case(cast))['reference']}?lang=en")).text)
    assert f"{filed}\n" in plain and "waybill" not in plain


async def test_deadlines_that_ran_out_are_told_as_accords_doing(cast: Cast, clock: FrozenClock) -> None:
    case = await file_case(cast)
    clock.advance(timedelta(days=15))
    context = Context(clock=clock, calendar=WeekdayCalendar())
    await apply(case["reference"], "response_timeout", None, {}, context)
    page = (await cast.merchant.get(f"/cases/{case['reference']}?lang=en")).text
    told = "Accord moved the case to mediation because the merchant did not answer within 10 working days"
    assert told in timeline_of(page)
    chinese = timeline_of((await cast.merchant.get(f"/cases/{case['reference']}?lang=zh-Hans")).text)
    assert "商家未在 10 个工作日内答复，协和已将案件转入调解" in chinese
    printed = (await cast.merchant.get(f"/cases/{case['reference']}/print?lang=en")).text
    assert told in printed


async def test_the_question_comes_before_the_answer_form_and_the_proof_before_confirming(cast: Cast) -> None:
    case = await to_mediation(cast)
    asked = await act(cast.mediator, case, "request_info", party="merchant", question="Which courier took it?")
    assert asked.status_code == 200, asked.text
    page = (await cast.merchant.get(f"/cases/{case['reference']}")).text
    assert page.index("Which courier took it?") < page.index('id="action-provide_info"')
    consumer_page = (await cast.consumer.get(f"/cases/{case['reference']}")).text
    assert "Which courier took it?" not in consumer_page  # kept between the mediator and the merchant
    assert "asked the merchant for information by" in consumer_page

    negotiated = await file_case(cast)
    offer = await act(cast.merchant, negotiated, "respond", kind="offer", text="Refund.", remedies=[PARTIAL])
    await act(cast.consumer, negotiated, "accept_offer", offer_id=offer.json()["offers"][0]["id"])
    await act(cast.merchant, negotiated, "mark_fulfilled", proof="Alipay refund 2026112500123")
    page = (await cast.consumer.get(f"/cases/{negotiated['reference']}")).text
    proof = page.index("Alipay refund 2026112500123")
    assert proof < page.index('id="action-confirm_fulfilment"') and proof < page.index('id="action-dispute_fulfilment"')


async def test_the_case_json_gives_the_words_each_caller_may_read(cast: Cast) -> None:
    case = await to_mediation(cast)
    reference = case["reference"]
    await act(cast.mediator, case, "request_info", party="merchant", question="Which courier?")
    for client, question in (
        (cast.merchant, "Which courier?"),
        (cast.mediator, "Which courier?"),
        (cast.consumer, None),
    ):
        request = (await client.get(f"/api/v1/cases/{reference}")).json()["information_request"]
        assert request["party"] == "merchant" and request["open"] and request["due_at"]
        assert request["question"] == question and request["asked_by"]["role"] == "mediator"
    await act(cast.merchant, case, "provide_info", text="SF Express.")
    answered = (await cast.mediator.get(f"/api/v1/cases/{reference}")).json()["information_request"]
    assert (
        answered["answer"] == "SF Express." and not answered["open"] and answered["answered_by"]["role"] == "merchant"
    )
    assert (await cast.consumer.get(f"/api/v1/cases/{reference}")).json()["information_request"]["answer"] is None

    closed = await act(cast.mediator, case, "close_unresolved", note="Try the 12315 hotline.")
    assert closed.json()["closing_note"] == "Try the 12315 hotline."
    await act(cast.consumer, case, "rate", score=2, comment="Slow.")
    for client, rating in (
        (cast.consumer, {"score": 2, "comment": "Slow."}),
        (cast.mediator, {"score": 2, "comment": "Slow."}),
        (cast.admin, {"score": 2, "comment": "Slow."}),
        (cast.merchant, None),
        (cast.other_mediator, None),
    ):
        assert (await client.get(f"/api/v1/cases/{reference}")).json()["rating"] == rating
    said = {s["action"]: s for s in (await cast.consumer.get(f"/api/v1/cases/{reference}")).json()["statements"]}
    assert said["close_unresolved"]["words"] == {"note": "Try the 12315 hotline."}
    assert said["rate"]["words_channel"] == "caucus:consumer" and "request_info" not in said


async def test_evidence_keeps_its_file_name_as_a_label_only(cast: Cast) -> None:
    case = await file_case(cast)
    reference = case["reference"]
    sneaky = "C:\\Users\\li\\..\\\u202efdp.exe  receipt\u200b 2026.pdf"
    uploaded = await cast.consumer.post(
        f"/api/v1/cases/{reference}/evidence",
        files={"file": (sneaky, PDF, "application/pdf")},
        data={"channel": "joint"},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["file_name"] == "fdp.exe receipt 2026.pdf"
    stored = await Evidence.select(Evidence.file_name).where(Evidence.id == uploaded.json()["id"]).first()
    assert stored == {"file_name": "fdp.exe receipt 2026.pdf"}
    page = (await cast.merchant.get(f"/cases/{reference}?lang=en")).text
    assert "fdp.exe receipt 2026.pdf</a> (PDF document, " in page
    assert "added the file fdp.exe receipt 2026.pdf" in timeline_of(page)
    download = await cast.merchant.get(f"/api/v1/cases/{reference}/evidence/{uploaded.json()['id']}")
    assert "receipt" not in download.headers["content-disposition"]  # never the uploader's name
    assert (await cast.merchant.get(f"/api/v1/cases/{reference}/record")).json()["verified"]


async def test_the_page_confirms_uploads_by_the_files_names(signed_in: SignedIn, cast: Cast) -> None:
    browser, _user = await signed_in("consumer")
    filed = await file_by_form(
        browser, files=[("photo.png", PNG), ("receipt.pdf", PDF)], enterprise_id=str(cast.enterprise_id)
    )
    assert filed.status_code == 302, filed.text
    page = (await browser.get(filed.headers["location"])).text
    assert "Files added: photo.png and receipt.pdf." in page
    reference = filed.headers["location"].split("/")[2].split("?")[0]
    token = await csrf_token(browser)
    response = await browser.post(
        f"/cases/{reference}/evidence",
        files={"file": ("invoice.pdf", PDF, "application/pdf")},
        data={"channel": "joint", "description": "", "_csrf_token": token},
    )
    assert response.status_code == 302 and "?added=" in response.headers["location"]
    page = (await browser.get(response.headers["location"])).text
    assert '<div class="alert ok" role="status"><p>invoice.pdf was added.</p></div>' in page


async def test_notices_tell_the_words_in_the_recipients_language(api_client: Any, cast: Cast) -> None:
    consumer, person = await api_client("consumer", language="zh-Hans")
    filed = await consumer.post("/api/v1/cases", json=filing_body(cast.enterprise_id))
    case = filed.json()
    answered = await act(cast.merchant, case, "respond", kind="reject", text="The parcel was signed for.")
    assert answered.status_code == 200, answered.text
    await mails_written()
    mail = (
        await OutboxMail.select(OutboxMail.text_body, OutboxMail.html_body)
        .where(OutboxMail.recipient_email == person["email"])
        .order_by(OutboxMail.id, ascending=False)
        .first()
    )
    assert "答复了投诉，拒绝了诉求" in mail["text_body"] and "The parcel was signed for." in mail["text_body"]
    assert "在协和中查看：" in mail["text_body"] and "退订此类邮件：" in mail["text_body"]
    assert "<strong>Case merchant</strong>" in mail["html_body"]
    inbox = (await consumer.get("/api/v1/notifications")).json()["items"][0]
    assert inbox["words"] == "The parcel was signed for." and "答复了投诉" in inbox["summary"]
    assert "<" not in inbox["summary"]


@pytest.mark.parametrize("name", ["Li <Wei>", 'O"Brien & Sons', "", None])
@pytest.mark.parametrize("role", ["consumer", "merchant", "platform", "mediator", "admin"])
def test_a_speaker_is_escaped_as_markup_formatting_escapes_it(name: str | None, role: str) -> None:
    enterprise = "<Shop> & Co"
    part = label("speaker", speaker_role(role)) + (f" · {enterprise}" if role in ("merchant", "platform") else "")
    formatted = Markup('<strong>{}</strong> <span class="role">({})</span>').format(name or "", part)
    assert story.speaker_html(name, role, enterprise) == formatted
