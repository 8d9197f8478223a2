"""Guided filing: the guide's pages in both languages, where answers lead (rights and a letter, or a referral out
of remit), the filing form filled from the outcome's link, and the registrars' counts of diagnoses that ended
without a complaint."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from accord.i18n import LANGUAGES
from cases.tables import Case, Category
from guide.content import GUIDED, content
from guide.tables import Diagnosis
from tests.accounts.test_registration import consumer_form
from tests.cases.test_pages import file_by_form
from tests.conftest import SignedIn, post_form

ANSWERS = {  # a purchase in remit, received this week, cross-border, with the order number and product typed
    "purpose": "personal",
    "bought_when": "within_7_days",
    "cross_border": "yes",
    "proceedings": "no",
    "remedy": "refund",
    "product_name": "Goat milk formula",
    "order_number": "TMG-20261101-7781",
    "platform": "Tmall Global",
}
OWN_ANSWERS = {  # the first option of each category's own questions
    category.value: {q.key: q.options[0].value for q in content("en").categories[category].questions}
    for category in GUIDED
}


def answers_for(category: str, **changes: str) -> dict[str, str]:
    return {**ANSWERS, **OWN_ANSWERS[category], "done": "1", **changes}


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def link_of(page: str, element_id: str) -> str:
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*id="{element_id}"', page)
    assert found, f"no link #{element_id}"
    return html.unescape(found.group(1))


async def test_the_guide_lists_every_category_and_is_linked_from_home_and_filing(
    client: httpx.AsyncClient, signed_in: SignedIn
) -> None:
    page = await client.get("/guide")
    assert page.status_code == 200
    for category in GUIDED:
        assert f'href="/guide/{category.value}"' in page.text
        assert html.escape(content("en").categories[category].question, quote=False) in page.text
    assert 'href="/guide"' in (await client.get("/")).text
    consumer, _user = await signed_in("consumer")
    assert 'href="/guide"' in (await consumer.get("/cases/new")).text


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("category", [category.value for category in GUIDED])
async def test_every_category_asks_and_answers_in_both_languages(
    client: httpx.AsyncClient, category: str, language: str
) -> None:
    words = content(language)
    guide = words.categories[next(c for c in GUIDED if c.value == category)]
    questions = await client.get(f"/guide/{category}", params={"lang": language})
    assert questions.status_code == 200
    assert html.escape(guide.title, quote=False) in questions.text
    for question in words.questions_of(next(c for c in GUIDED if c.value == category)):
        assert f'name="{question.key}"' in questions.text
        assert html.escape(question.text, quote=False) in questions.text
    outcome = await client.get(f"/guide/{category}", params={**answers_for(category), "lang": language})
    assert outcome.status_code == 200, outcome.text
    text = text_of(outcome.text)
    for topic in guide.rights:
        assert words.rights[topic].title in text
    for item in guide.evidence:
        assert words.evidence[item] in text
    assert "TMG-20261101-7781" in text  # the letter names the order
    assert words.rights["cross_border"].title in text  # a cross-border import: its return rules
    assert words.rights["seven_day_return"].title in text  # received this week


@pytest.mark.parametrize(
    ("category", "question", "answer", "referral"),
    [
        ("not_delivered", "bought_when", "over_3_years", "time_barred"),
        ("defective", "purpose", "business", "not_consumer"),
        ("warranty", "proceedings", "court_or_arbitration", "in_court"),
        ("price_or_fees", "charge", "tax_assessment", "customs"),
        ("defective", "harm", "injury", "injury"),
    ],
)
async def test_an_answer_out_of_remit_ends_in_its_referral(
    client: httpx.AsyncClient, category: str, question: str, answer: str, referral: str
) -> None:
    outcome = await client.get(f"/guide/{category}", params=answers_for(category, **{question: answer}))
    assert outcome.status_code == 200
    text = text_of(outcome.text)
    words = content("en").referrals[referral]
    assert words.title in text and 'id="referral"' in outcome.text
    assert all(contact in text for contact in words.contacts)
    assert 'id="letter"' not in outcome.text  # no letter to a merchant for a matter that is not theirs here
    row = await Diagnosis.select(Diagnosis.category, Diagnosis.outcome).first()
    assert row == {"category": category, "outcome": referral}


async def test_the_letter_carries_the_answers_and_blanks_for_what_was_not_said(client: httpx.AsyncClient) -> None:
    outcome = await client.get("/guide/counterfeit", params=answers_for("counterfeit", goods_kind="food_or_health"))
    letter = html.unescape(re.search(r'<textarea id="letter"[^>]*>(.*?)</textarea>', outcome.text, re.S).group(1))
    assert "TMG-20261101-7781" in letter and "Goat milk formula" in letter and "Tmall Global" in letter
    assert "a full refund" in letter  # the remedy chosen, in the letter's words
    assert content("en").rights["food_safety"].title in text_of(outcome.text)  # the answer added its topic
    blank = await client.get("/guide/counterfeit", params=answers_for("counterfeit", order_number="", platform=""))
    subject = re.search(r'id="letter-subject" value="([^"]*)"', blank.text).group(1)
    assert html.unescape(subject) == "Order [fill in]: goods suspected to be counterfeit"
    chinese = await client.get("/guide/counterfeit", params={**answers_for("counterfeit"), "lang": "zh-Hans"})
    assert "订单 TMG-20261101-7781" in html.unescape(chinese.text) and "退还全部货款" in html.unescape(chinese.text)


async def test_unanswered_or_made_up_answers_ask_again_and_count_nothing(client: httpx.AsyncClient) -> None:
    page = await client.get("/guide/warranty", params=answers_for("warranty", repairs="seven", purpose=""))
    assert page.status_code == 422
    assert 'id="e-repairs"' in page.text and 'id="e-purpose"' in page.text
    assert 'value="TMG-20261101-7781"' in page.text  # what was typed stays
    assert await Diagnosis.count() == 0


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/guide/other", {}),
        ("/guide/nonsense", {"done": "1"}),
        ("/guide/" + "x" * 3000, {}),
        ("/guide/%E2%80%AE", {}),
    ],
)
async def test_unknown_categories_are_not_pages(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> None:
    assert (await client.get(path, params=params)).status_code == 404


@pytest.mark.parametrize(
    "changes",
    [
        {"order_number": "9" * 5000},
        {"product_name": "\u202e\u200b" * 200},
        {"guide_id": "../../etc/passwd"},
        {"guide_id": "A" * 500, "remedy": "other"},
        {"purpose": "personal" * 1000, "lang": "xx"},
        {"done": "1" * 100, "bought_when": "within_7_days\u0301"},
    ],
)
async def test_absurd_answers_are_refused_in_words_never_a_server_error(
    client: httpx.AsyncClient, changes: dict[str, str]
) -> None:
    response = await client.get("/guide/not_delivered", params=answers_for("not_delivered", **changes))
    assert response.status_code in (200, 422), response.text
    assert "Something went wrong on our side" not in response.text


async def test_a_reload_counts_once_and_a_filing_from_the_link_marks_it_followed(
    new_client: Any, signed_in: SignedIn
) -> None:
    anonymous = new_client()
    first = await anonymous.get("/guide/not_as_described")
    token = re.search(r'name="guide_id" value="([^"]+)"', first.text).group(1)
    params = {**answers_for("not_as_described"), "guide_id": token}
    outcome = await anonymous.get("/guide/not_as_described", params=params)
    again = await anonymous.get("/guide/not_as_described", params=params)
    assert outcome.status_code == again.status_code == 200
    assert await Diagnosis.count() == 1

    # A visitor not signed in is sent to sign in, and comes back to the filled-in form.
    link = link_of(outcome.text, "file-link")
    assert link.startswith("/cases/new?")
    to_login = await anonymous.get(link)
    assert to_login.status_code == 302
    next_path = parse_qs(urlsplit(to_login.headers["location"]).query)["next"][0]
    assert next_path == link

    consumer, _user = await signed_in("consumer")
    form = await consumer.get(link)
    assert form.status_code == 200
    assert 'value="TMG-20261101-7781"' in form.text and 'value="Goat milk formula"' in form.text
    assert 'value="Tmall Global"' in form.text
    assert '<option value="not_as_described" selected>' in form.text
    assert '<option value="refund" selected>' in form.text
    assert f'name="guide_id" value="{token}"' in form.text
    description = re.search(r'<textarea id="f-description"[^>]*>(.*?)</textarea>', form.text, re.S).group(1)
    assert "It is not what was described" in html.unescape(description)

    filed = await file_by_form(consumer, category="not_as_described", guide_id=token)
    assert filed.status_code == 302, filed.text
    row = await Diagnosis.select(Diagnosis.followed_at).where(Diagnosis.token == token).first()
    assert row["followed_at"] is not None
    refiled = await file_by_form(consumer, guide_id=token)  # a second complaint from it counts once
    assert refiled.status_code == 302
    assert await Case.count() == 2


async def test_bad_prefill_values_are_left_out(signed_in: SignedIn) -> None:
    consumer, _user = await signed_in("consumer")
    form = await consumer.get(
        "/cases/new",
        params={
            "category": "bribery",
            "desired_remedy": "revenge",
            "order_number": "1" * 101,
            "product_name": "  Tea   set ",
            "guide_id": "<script>",
        },
    )
    assert form.status_code == 200
    filing = form.text.split('<form method="post" action="/cases/new"')[1]  # the header's forms echo the address
    assert "bribery" not in filing and "revenge" not in filing and "1" * 101 not in filing
    assert " selected>" not in filing.split('id="f-waybill_carrier"')[0]  # the first category and remedy stand
    assert 'value="Tea set"' in filing
    assert 'name="guide_id"' not in filing and "<script>" not in form.text


async def test_the_counts_show_diagnoses_with_and_without_a_case(new_client: Any, signed_in: SignedIn) -> None:
    visitor = new_client()
    consumer, _user = await signed_in("consumer")
    await visitor.get("/guide/return_refused", params=answers_for("return_refused"))  # ends without a case
    await visitor.get("/guide/return_refused", params=answers_for("return_refused", purpose="business"))
    outcome = await consumer.get("/guide/return_refused", params=answers_for("return_refused"))
    token = parse_qs(urlsplit(link_of(outcome.text, "file-link")).query)["guide_id"][0]
    assert (await file_by_form(consumer, guide_id=token)).status_code == 302

    registrar, _admin = await signed_in("admin")
    stats = await registrar.get("/api/v1/guide/stats")
    assert stats.status_code == 200
    body = stats.json()
    row = next(item for item in body["items"] if item["category"] == "return_refused")
    assert row == {
        "category": "return_refused",
        "diagnoses": 3,
        "followed_by_case": 1,
        "without_case": 2,
        "referred": 1,
    }
    assert {item["category"] for item in body["items"]} == {c.value for c in GUIDED}
    assert (body["diagnoses"], body["followed_by_case"], body["without_case"]) == (3, 1, 2)
    page = await registrar.get("/admin/guide")
    assert page.status_code == 200
    cells = re.findall(r"<td>(\d+)</td>", page.text.split('id="c-return_refused"')[1].split("</tr>")[0])
    assert cells == ["3", "1", "2", "1"]
    stored = await Diagnosis.select().first()
    assert set(stored) == {"id", "token", "category", "outcome", "language", "at", "followed_at"}  # no person


@pytest.mark.parametrize("role", ["consumer", "merchant", "mediator"])
async def test_only_registrars_see_the_counts(signed_in: SignedIn, client: httpx.AsyncClient, role: str) -> None:
    other, _user = await signed_in(role)
    assert (await other.get("/api/v1/guide/stats")).status_code == 403
    assert (await other.get("/admin/guide")).status_code == 403
    assert (await client.get("/api/v1/guide/stats")).status_code == 401
    assert (await client.get("/admin/guide")).status_code == 302


async def test_a_new_consumer_registers_from_the_sign_in_page_and_lands_on_the_filled_form(
    client: httpx.AsyncClient,
) -> None:
    outcome = await client.get("/guide/warranty", params=answers_for("warranty"))
    link = link_of(outcome.text, "file-link")
    login = await client.get((await client.get(link)).headers["location"])
    below_the_form = login.text.split("No account yet?")[1]
    register_link = html.unescape(re.search(r'<a href="(/register[^"]*)"', below_the_form).group(1))
    assert parse_qs(urlsplit(register_link).query)["next"] == [link]
    register = await client.get(register_link)
    assert f'name="next" value="{html.escape(link)}"' in register.text
    refused = await post_form(client, "/register", {**consumer_form(), "next": link, "password": "short"})
    assert refused.status_code == 422 and f'name="next" value="{html.escape(link)}"' in refused.text
    registered = await post_form(client, "/register", {**consumer_form(), "next": link})
    assert registered.status_code == 302
    assert registered.headers["location"] == link + "&welcome=1"
    form = await client.get(registered.headers["location"])
    assert 'value="TMG-20261101-7781"' in form.text and "Welcome!" in form.text


@pytest.mark.parametrize("target", ["https://evil.example/cases/new?x=1", "//evil.example", "/profile", "/cases/newer"])
async def test_registering_goes_on_only_to_a_filing_form(client: httpx.AsyncClient, target: str) -> None:
    registered = await post_form(client, "/register", {**consumer_form(), "next": target})
    assert registered.headers["location"] == "/cases/new?welcome=1"


async def test_the_counts_cover_the_days_asked_for(client: httpx.AsyncClient, signed_in: SignedIn, clock: Any) -> None:
    await client.get("/guide/defective", params=answers_for("defective"))  # 2026-11-25, Beijing time
    clock.advance(timedelta(days=2))
    await client.get("/guide/defective", params=answers_for("defective"))
    registrar, _admin = await signed_in("admin")

    async def diagnosed(**days: str) -> int:
        response = await registrar.get("/api/v1/guide/stats", params=days)
        assert response.status_code == 200, response.text
        return next(row["diagnoses"] for row in response.json()["items"] if row["category"] == "defective")

    assert await diagnosed() == 2
    assert await diagnosed(**{"from": "2026-11-26"}) == 1
    assert await diagnosed(to="2026-11-25") == 1
    assert await diagnosed(**{"from": "2026-11-26", "to": "2026-11-26"}) == 0
    assert await diagnosed(**{"from": "0001-01-01", "to": "9999-12-31"}) == 2
    page = await registrar.get("/admin/guide", params={"from": "2026-11-27"})
    assert page.status_code == 200 and 'value="2026-11-27"' in page.text
    for days, field in (({"from": "yesterday"}, "from"), ({"from": "2026-11-27", "to": "2026-11-01"}, "from")):
        refused = await registrar.get("/api/v1/guide/stats", params=days)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field
    assert (await registrar.get("/admin/guide", params={"to": "2026-13-01"})).status_code == 422


async def test_the_language_comes_from_the_cookie_too_and_staff_get_no_filing_button(
    new_client: Any, signed_in: SignedIn
) -> None:
    chinese = new_client()
    chinese.cookies.set("accord_lang", "zh-Hans")
    outcome = await chinese.get("/guide/not_delivered", params=answers_for("not_delivered"))
    assert content("zh-Hans").categories[Category.not_delivered].title in outcome.text and "您的权利" in outcome.text
    assert 'id="file-link"' in outcome.text
    row = await Diagnosis.select(Diagnosis.language).first()
    assert row == {"language": "zh-Hans"}
    merchant, _user = await signed_in("merchant")
    staff_view = await merchant.get("/guide/not_delivered", params=answers_for("not_delivered"))
    assert staff_view.status_code == 200 and 'id="file-link"' not in staff_view.text  # only consumers file
