"""A consumer files a case with evidence in a real browser; the merchant offers; the consumer sees it and accepts."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.cases.test_api import PNG
from tests.conftest import PASSWORD, UserFactory
from tests.servers import ARTIFACTS


async def sign_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.locator("main").get_by_role("button", name="Sign in").click()


async def test_file_with_evidence_and_see_the_merchants_offer(
    live_server: str, browser: Browser, make_user: UserFactory, tmp_path: Path
) -> None:
    consumer = await make_user("consumer", display_name="Ada Buyer")
    merchant = await make_user("merchant", display_name="Max Seller")
    photo = tmp_path / "damaged-box.png"
    photo.write_bytes(PNG)

    consumer_context = await browser.new_context(locale="en-US", base_url=live_server)
    page = await consumer_context.new_page()
    await sign_in(page, consumer["email"])
    await page.goto(f"/cases/new?q={merchant['enterprise_uscc']}")
    await expect(page.get_by_label(merchant["enterprise_name"], exact=False)).to_be_checked()
    await page.get_by_label("What went wrong?").select_option("defective")
    await page.get_by_label("Shop or platform").fill("AliExpress")
    await page.get_by_label("Order number").fill("AE-55120")
    await page.get_by_label("Purchase date").fill("2026-11-01")
    await page.get_by_label("Product").fill("Electric kettle")
    await page.get_by_label("Amount paid").fill("239.00")
    await page.get_by_label("Barcode number (GTIN), if any").fill("6291041500213")
    await page.get_by_label("Describe the problem").fill("The kettle stopped heating after two days.")
    await page.get_by_label("Evidence: photos, receipts, chat screenshots (optional)").set_input_files(str(photo))
    await page.get_by_role("button", name="File the complaint").click()
    await expect(page.get_by_text("Your complaint has been filed.")).to_contain_text("File added: damaged-box.png.")
    await expect(page.locator("#evidence table")).to_contain_text("damaged-box.png (PNG image, 69 bytes)")
    reference = page.url.split("/cases/")[1].split("?")[0]

    merchant_context = await browser.new_context(locale="en-US", base_url=live_server)
    merchant_page = await merchant_context.new_page()
    await sign_in(merchant_page, merchant["email"])
    await merchant_page.goto(f"/cases/{reference}")
    await merchant_page.locator("summary", has_text="Answer the complaint").click()
    form = merchant_page.locator("#action-respond")
    await form.get_by_label("Remedy", exact=True).select_option("refund")
    await form.get_by_label("Amount", exact=True).fill("239.00")
    await form.get_by_label("Message to the consumer").fill("Sorry about that: full refund.")
    await form.get_by_role("button", name="Answer the complaint").click()
    await expect(merchant_page.get_by_text("Done: Answer the complaint.")).to_be_visible()

    await page.reload()
    offer = page.locator("#offers")
    await expect(offer).to_contain_text("Sorry about that: full refund.")
    await expect(offer).to_contain_text("CN¥239.00")
    await page.screenshot(path=str(ARTIFACTS / "e2e-case-offer.png"), full_page=True)
    await offer.get_by_role("link", name="Accept this offer").click()  # the terms once more, and a question
    await expect(page.locator("h1")).to_have_text(f"Accept this offer for case {reference}?")
    await expect(page.locator("article.offer")).to_contain_text("CN¥239.00")
    await page.get_by_role("button", name="Yes, accept").click()
    await expect(page.locator(".case-head .state")).to_have_text("Settled, waiting for fulfilment")
    await consumer_context.close()
    await merchant_context.close()
