"""A mediator claims a case from the queue, admits it and proposes a settlement; the consumer accepts."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.async_api import Browser, expect

from accord.clock import SystemClock, WeekdayCalendar
from accounts.service import act_as
from cases import service
from cases.workflow import Context, apply
from tests.cases.conftest import filing
from tests.conftest import UserFactory
from tests.e2e.test_file_case import sign_in
from tests.servers import ARTIFACTS


async def test_mediator_claims_admits_proposes_and_consumer_accepts(
    live_server: str, browser: Browser, make_user: UserFactory
) -> None:
    consumer, merchant, mediator = await make_user("consumer"), await make_user("merchant"), await make_user("mediator")
    context = Context(clock=SystemClock(), calendar=WeekdayCalendar())
    filed = await service.file_case(act_as(consumer), filing(merchant["enterprise_id"]), context, date.today())
    reference = filed.case["reference"]
    await apply(reference, "respond", act_as(merchant), {"kind": "reject", "text": "Not our fault."}, context)
    await apply(reference, "request_mediation", act_as(consumer), {}, context)

    mediator_context = await browser.new_context(locale="en-US", base_url=live_server)
    page = await mediator_context.new_page()
    await sign_in(page, mediator["email"])
    await page.goto("/queue")
    row = page.locator("tr", has_text=reference)
    await row.get_by_role("button", name="Claim this case").click()
    await expect(page.get_by_text("Done: Claim this case.")).to_be_visible()
    await page.locator("#action-admit").get_by_role("button", name="Admit for mediation").click()
    await expect(page.locator(".case-head .state")).to_have_text("In mediation")
    await page.locator("summary", has_text="Propose a settlement").click()
    form = page.locator("#action-propose_settlement")
    await form.get_by_label("Remedy", exact=True).select_option("partial_refund")
    await form.get_by_label("Amount", exact=True).fill("120.00")
    await form.get_by_label("To be carried out by").fill((date.today() + timedelta(days=10)).isoformat())
    await form.get_by_label("Explanation").fill("Split the difference: 120 back.")
    await form.get_by_role("button", name="Propose a settlement").click()
    await expect(page.locator("#offers")).to_contain_text("Split the difference: 120 back.")

    consumer_context = await browser.new_context(locale="en-US", base_url=live_server)
    consumer_page = await consumer_context.new_page()
    await sign_in(consumer_page, consumer["email"])
    await consumer_page.goto(f"/cases/{reference}")
    await expect(consumer_page.locator("#offers")).to_contain_text("CN¥120.00")
    await consumer_page.locator("#actions").get_by_role("link", name="Accept the proposal").click()
    await expect(consumer_page.locator("article.offer")).to_contain_text("CN¥120.00")  # the terms, and a question
    await consumer_page.get_by_role("button", name="Yes, accept").click()
    await expect(consumer_page.get_by_text("Done: Accept the proposal.")).to_be_visible()
    await consumer_page.screenshot(path=str(ARTIFACTS / "e2e-mediation.png"), full_page=True)
    await apply(reference, "accept_proposal", act_as(merchant), {}, context)
    await consumer_page.reload()
    await expect(consumer_page.locator(".case-head .state")).to_have_text("Settled, waiting for fulfilment")
    await mediator_context.close()
    await consumer_context.close()
