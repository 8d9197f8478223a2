"""Case pages as a browser without JavaScript uses them: forms, redirects, what each person sees."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cases.tables import Case, Evidence
from tests.cases.conftest import force_state
from tests.cases.test_api import PDF, PNG
from tests.conftest import SignedIn, csrf_token, post_form


def filing_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "enterprise_id": "new",
        "enterprise.name": "Seoul Beauty Export Co.",
        "enterprise.country": "KR",
        "category": "counterfeit",
        "platform": "Coupang Global",
        "order_number": "CP-7731",
        "purchase_date": "2026-11-02",
        "product_name": "Sunscreen SPF50",
        "amount_paid.amount": "89.90",
        "amount_paid.currency": "CNY",
        "gtin": "6291041500213",
        "trace_code": "(01)09521234543213(10)ABC123(21)XYZ",
        "desired_remedy": "refund",
        "description": "The packaging looks fake\nand the texture is wrong.",
        "language": "en",
    }
    form.update(overrides)
    return form


async def file_by_form(
    browser: httpx.AsyncClient, files: list[tuple[str, bytes]] = (), **overrides: Any
) -> httpx.Response:
    token = await csrf_token(browser, "/cases/new")
    return await browser.post(
        "/cases/new",
        data={**filing_form(**overrides), "_csrf_token": token},
        files=[("evidence", (name, content, "application/octet-stream")) for name, content in files] or None,
    )


@pytest.fixture
async def consumer(signed_in: SignedIn) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    return await signed_in("consumer")


async def test_filing_form_with_evidence_shows_the_parsed_trace_code(consumer: Any) -> None:
    browser, _user = consumer
    response = await file_by_form(browser, files=[("photo.png", PNG), ("receipt.pdf", PDF)])
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith("/cases/AC-2026-") and location.endswith("?filed=1")
    page = await browser.get(location)
    assert page.status_code == 200
    text = page.text
    assert "Your complaint has been filed." in text
    assert "06291041500213" in text and "09521234543213" in text
    assert "ABC123" in text and "XYZ" in text and "(10)" in text and "(21)" in text
    assert "CN¥89.90" in text
    assert "record verified" in text
    assert text.count("/evidence/") >= 2
    reference = location.split("/")[2].split("?")[0]
    case = await Case.select(Case.id).where(Case.reference == reference).first()
    assert await Evidence.count().where(Evidence.case == case["id"]) == 2


async def test_invalid_gtin_rerenders_the_form_with_the_error(consumer: Any) -> None:
    browser, _user = consumer
    before = await Case.count()
    response = await file_by_form(browser, gtin="6291041500214")
    assert response.status_code == 422
    assert 'id="e-gtin"' in response.text and "check digit" in response.text
    assert "Seoul Beauty Export Co." in response.text  # what was typed is kept
    assert await Case.count() == before


async def test_bad_file_rejects_the_whole_filing(consumer: Any) -> None:
    browser, _user = consumer
    before_cases, before_files = await Case.count(), await Evidence.count()
    response = await file_by_form(browser, files=[("ok.png", PNG), ("virus.jpg", b"MZ\x90\x00" + b"\x00" * 64)])
    assert response.status_code == 422 and 'id="e-evidence"' in response.text
    assert (await Case.count(), await Evidence.count()) == (before_cases, before_files)


async def test_only_consumers_see_the_filing_form(signed_in: SignedIn) -> None:
    merchant, _user = await signed_in("merchant")
    assert (await merchant.get("/cases/new")).status_code == 403


async def test_enterprise_search_on_the_filing_form(consumer: Any, make_user: Any) -> None:
    browser, _user = consumer
    merchant = await make_user("merchant")
    page = await browser.get("/cases/new", params={"q": merchant["enterprise_uscc"]})
    assert merchant["enterprise_name"] in page.text
    assert f'value="{merchant["enterprise_id"]}"' in page.text


async def test_negotiation_through_the_pages(consumer: Any, signed_in: SignedIn, make_user: Any) -> None:
    browser, _user = consumer
    merchant_browser, merchant = await signed_in("merchant")
    response = await file_by_form(browser, enterprise_id=str(merchant["enterprise_id"]))
    reference = response.headers["location"].split("/")[2].split("?")[0]
    listing = await merchant_browser.get("/cases")
    assert reference in listing.text
    case_page = await merchant_browser.get(f"/cases/{reference}")
    assert f'action="/cases/{reference}/actions/respond"' in case_page.text
    version = (await Case.select(Case.version).where(Case.reference == reference).first())["version"]
    bad = await post_form(
        merchant_browser, f"/cases/{reference}/actions/respond", {"version": version, "kind": "offer", "text": ""}
    )
    assert bad.status_code == 422
    offer = await post_form(
        merchant_browser,
        f"/cases/{reference}/actions/respond",
        {
            "version": version,
            "kind": "offer",
            "text": "We refund in full.",
            "remedies.0.type": "refund",
            "remedies.0.amount.amount": "89.90",
            "remedies.0.amount.currency": "CNY",
        },
    )
    assert offer.status_code == 302 and offer.headers["location"] == f"/cases/{reference}?done=respond"
    consumer_page = await browser.get(f"/cases/{reference}")
    assert "We refund in full." in consumer_page.text and "Accept this offer" in consumer_page.text
    stale = await post_form(browser, f"/cases/{reference}/actions/withdraw", {"version": version})
    assert stale.status_code == 409 and "version" in stale.text
    confirm = await browser.get(f"/cases/{reference}/withdraw")
    assert confirm.status_code == 200 and "Yes, withdraw the complaint" in confirm.text


async def test_messages_and_evidence_forms(consumer: Any, signed_in: SignedIn) -> None:
    browser, _user = consumer
    merchant_browser, merchant = await signed_in("merchant")
    response = await file_by_form(browser, enterprise_id=str(merchant["enterprise_id"]))
    reference = response.headers["location"].split("/")[2].split("?")[0]
    sent = await post_form(
        browser, f"/cases/{reference}/messages", {"channel": "joint", "text": "Any news? <b>now</b>"}
    )
    assert sent.status_code == 302
    merchant_page = await merchant_browser.get(f"/cases/{reference}")
    assert "Any news? &lt;b&gt;now&lt;/b&gt;" in merchant_page.text  # user text is escaped
    empty = await post_form(browser, f"/cases/{reference}/messages", {"channel": "joint", "text": "  "})
    assert empty.status_code == 422
    token = await csrf_token(browser)
    exe = await browser.post(
        f"/cases/{reference}/evidence",
        data={"_csrf_token": token, "channel": "joint"},
        files={"file": ("a.jpg", b"MZ" + b"\x00" * 100, "image/jpeg")},
    )
    assert exe.status_code == 415 and "JPEG, PNG or WebP" in exe.text
    ok = await browser.post(
        f"/cases/{reference}/evidence",
        data={"_csrf_token": token, "channel": "joint", "description": "Box photo"},
        files={"file": ("a.png", PNG, "image/png")},
    )
    assert ok.status_code == 302
    assert "Box photo" in (await merchant_browser.get(f"/cases/{reference}")).text


async def test_outsiders_get_404_on_every_case_page(consumer: Any, signed_in: SignedIn) -> None:
    browser, _user = consumer
    response = await file_by_form(browser, files=[("p.png", PNG)])
    reference = response.headers["location"].split("/")[2].split("?")[0]
    case = await Case.select(Case.id).where(Case.reference == reference).first()
    evidence = await Evidence.select(Evidence.id).where(Evidence.case == case["id"]).first()
    for role in ("consumer", "merchant"):
        outsider, _user = await signed_in(role)
        for path in (
            f"/cases/{reference}",
            f"/cases/{reference}/print",
            f"/cases/{reference}/withdraw",
            f"/cases/{reference}/evidence/{evidence['id']}",
        ):
            assert (await outsider.get(path)).status_code == 404, (role, path)
        for path, data in (
            (f"/cases/{reference}/messages", {"channel": "joint", "text": "hi"}),
            (f"/cases/{reference}/actions/withdraw", {"version": "1"}),
        ):
            assert (await post_form(outsider, path, data)).status_code == 404, (role, path)


async def test_internal_notes_appear_only_on_mediators_pages(
    consumer: Any, signed_in: SignedIn, api_client: SignedIn
) -> None:
    browser, _user = consumer
    merchant_browser, merchant = await signed_in("merchant")
    response = await file_by_form(browser, enterprise_id=str(merchant["enterprise_id"]))
    reference = response.headers["location"].split("/")[2].split("?")[0]
    mediator_browser, mediator = await signed_in("mediator")
    await force_state(reference, "in_mediation", mediator=mediator["id"])
    await post_form(
        mediator_browser, f"/cases/{reference}/messages", {"channel": "internal", "text": "Merchant seems evasive"}
    )
    await post_form(
        mediator_browser, f"/cases/{reference}/messages", {"channel": "caucus:merchant", "text": "Private to merchant"}
    )
    assert "Merchant seems evasive" in (await mediator_browser.get(f"/cases/{reference}")).text
    for party in (browser, merchant_browser):
        for path in (f"/cases/{reference}", f"/cases/{reference}/print"):
            assert "Merchant seems evasive" not in (await party.get(path)).text
    assert "Private to merchant" not in (await browser.get(f"/cases/{reference}")).text
    assert "Private to merchant" not in (await browser.get(f"/cases/{reference}/print")).text
    assert "Private to merchant" in (await merchant_browser.get(f"/cases/{reference}")).text
    other_mediator, _other = await signed_in("mediator")  # need to know: only those who hold or held the case
    for path in (f"/cases/{reference}", f"/cases/{reference}/print"):
        assert "Merchant seems evasive" not in (await other_mediator.get(path)).text
        assert "Private to merchant" not in (await other_mediator.get(path)).text
    admin, _admin = await signed_in("admin")  # registrars read the notes (SECURITY.md: need to know)
    assert "Merchant seems evasive" in (await admin.get(f"/cases/{reference}/print")).text


async def test_print_export_lists_parties_timeline_and_evidence_hashes(consumer: Any) -> None:
    browser, _user = consumer
    response = await file_by_form(browser, files=[("p.pdf", PDF)])
    reference = response.headers["location"].split("/")[2].split("?")[0]
    page = await browser.get(f"/cases/{reference}/print")
    assert page.status_code == 200
    import hashlib

    assert hashlib.sha256(PDF).hexdigest() in page.text
    assert "Seoul Beauty Export Co." in page.text and "The hash chain of all" in page.text


def post_forms_without_csrf(html: str) -> list[str]:
    forms = html.split("<form")[1:]
    return [
        form.split(">")[0]
        for form in forms
        if 'method="post"' in form.split(">")[0] and "_csrf_token" not in form.split("</form>")[0]
    ]


async def test_every_form_on_case_pages_carries_the_csrf_token(consumer: Any, signed_in: SignedIn) -> None:
    browser, _user = consumer
    merchant_browser, merchant = await signed_in("merchant")
    response = await file_by_form(browser, enterprise_id=str(merchant["enterprise_id"]))
    reference = response.headers["location"].split("/")[2].split("?")[0]
    for client, path in (
        (browser, f"/cases/{reference}"),
        (merchant_browser, f"/cases/{reference}"),
        (browser, "/cases/new"),
        (browser, f"/cases/{reference}/withdraw"),
        (browser, "/profile"),
        (browser, "/cases"),
    ):
        html = (await client.get(path)).text
        assert 'method="post"' in html
        assert post_forms_without_csrf(html) == [], path


async def test_case_page_with_30_messages_costs_at_most_5_queries(
    consumer: Any, signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accord.db import engine

    browser, _user = consumer
    merchant_browser, merchant = await signed_in("merchant")
    response = await file_by_form(browser, files=[("p.png", PNG)], enterprise_id=str(merchant["enterprise_id"]))
    reference = response.headers["location"].split("/")[2].split("?")[0]
    for number in range(30):
        sender = browser if number % 2 else merchant_browser
        await post_form(sender, f"/cases/{reference}/messages", {"channel": "joint", "text": f"message {number}"})
    await browser.get(f"/cases/{reference}")  # session "last seen" refreshed outside the measurement

    engine_class = type(engine())
    original = engine_class.run_querystring
    count = 0

    async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    page = await browser.get(f"/cases/{reference}")
    assert page.status_code == 200 and page.text.count('class="meta"') == 30
    print(f"case page queries: {count}")
    assert count <= 5, count
