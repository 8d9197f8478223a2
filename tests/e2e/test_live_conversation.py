"""Consumer and mediator, in two browsers, see each other's messages, typing and read receipts live."""

from __future__ import annotations

from datetime import date

from playwright.async_api import Browser, expect

from accord.clock import SystemClock, WeekdayCalendar
from accounts.service import act_as
from cases import service
from cases.workflow import Context, apply
from tests.cases.conftest import filing
from tests.conftest import UserFactory
from tests.e2e.test_file_case import sign_in
from tests.servers import ARTIFACTS, start_server


async def test_messages_and_typing_appear_live(live_server: str, browser: Browser, make_user: UserFactory) -> None:
    consumer = await make_user("consumer", display_name="Cora Consumer")
    merchant = await make_user("merchant")
    mediator = await make_user("mediator", display_name="Mia Mediator")
    context = Context(clock=SystemClock(), calendar=WeekdayCalendar())
    reference = (
        await service.file_case(act_as(consumer), filing(merchant["enterprise_id"]), context, date.today())
    ).case["reference"]
    await apply(reference, "respond", act_as(merchant), {"kind": "reject", "text": "No."}, context)
    await apply(reference, "request_mediation", act_as(consumer), {}, context)
    await apply(reference, "claim", act_as(mediator), {}, context)

    pages = []
    for person in (consumer, mediator):
        browser_context = await browser.new_context(locale="en-US", base_url=live_server)
        page = await browser_context.new_page()
        await sign_in(page, person["email"])
        await page.goto(f"/cases/{reference}")
        pages.append(page)
    consumer_page, mediator_page = pages
    joint = 'div.channel[data-channel="joint"]'
    # Parties see that a mediator is here, not which staff member; the mediator sees the consumer's name.
    await expect(consumer_page.locator("#conversation .presence")).to_have_text("Cora Consumer, mediator")
    await expect(mediator_page.locator("#conversation .presence")).to_contain_text("Cora Consumer")

    await mediator_page.locator(f"{joint} textarea").press_sequentially("Hello both", delay=30)
    await expect(consumer_page.locator(f"{joint} .typing")).to_contain_text("mediator is typing")
    await mediator_page.locator(f"{joint} button[type=submit]").click()
    await expect(consumer_page.locator(f"{joint} ol.messages")).to_contain_text("Hello both")
    await expect(consumer_page.locator(f"{joint} ol.messages li").last).to_contain_text("Mia Mediator (mediator)")

    await consumer_page.locator(f"{joint} textarea").fill("Hi, thanks!")
    await consumer_page.locator(f"{joint} button[type=submit]").click()
    await expect(mediator_page.locator(f"{joint} ol.messages")).to_contain_text("Hi, thanks!")
    await expect(consumer_page.locator(f"{joint} ol.messages li")).to_have_count(2)  # once, not twice
    await consumer_page.screenshot(path=str(ARTIFACTS / "e2e-live-conversation.png"), full_page=True)
    await expect(consumer_page.locator(f"{joint} .seen")).to_have_text("Seen by mediator")  # joint is in view

    caucus = 'div.channel[data-channel="caucus:consumer"]'
    await consumer_page.get_by_role("tab", name="Private with the mediator").click()  # one conversation at a time
    await expect(consumer_page.locator(caucus)).to_be_visible()
    await expect(consumer_page.locator(joint)).to_be_hidden()
    await consumer_page.locator(f"{caucus} textarea").fill("Just between us")
    await consumer_page.locator(f"{caucus} button[type=submit]").click()
    await expect(mediator_page.locator(f"{caucus} ol.messages")).to_contain_text("Just between us")
    # The mediator's page has the message but shows the joint tab: not seen until they open the caucus.
    await expect(consumer_page.locator(f"{caucus} .seen")).to_have_text("")
    await mediator_page.get_by_role("tab", name="Private with the consumer").click()
    await expect(consumer_page.locator(f"{caucus} .seen")).to_have_text("Seen by mediator")

    # The mediator lets the case go: caucus closes while the consumer's page still shows its form.
    await apply(reference, "release", act_as(mediator), {}, context)
    await consumer_page.locator(f"{caucus} textarea").fill("Are you still there?")
    await consumer_page.locator(f"{caucus} button[type=submit]").click()
    await expect(consumer_page.locator(f"{caucus} .send-error")).to_have_text("You cannot write in this conversation.")
    await expect(consumer_page.locator(f"{caucus} ol.messages")).not_to_contain_text("Are you still there?")
    for page in pages:
        await page.context.close()


async def test_a_rate_limited_message_waits_and_goes_out_later(browser: Browser, make_user: UserFactory) -> None:
    consumer, merchant = await make_user("consumer"), await make_user("merchant")
    context = Context(clock=SystemClock(), calendar=WeekdayCalendar())
    reference = (
        await service.file_case(act_as(consumer), filing(merchant["enterprise_id"]), context, date.today())
    ).case["reference"]
    server = start_server({"ACCORD_SWEEP_SECONDS": "0", "ACCORD_MESSAGES_PER_10_SECONDS": "1"})
    try:
        browser_context = await browser.new_context(locale="en-US", base_url=server.url)
        page = await browser_context.new_page()
        await sign_in(page, consumer["email"])
        await page.goto(f"/cases/{reference}")
        joint = 'div.channel[data-channel="joint"]'
        await expect(page.locator("#conversation .presence")).to_be_visible()  # the socket is open
        for text in ("first", "second"):
            await page.locator(f"{joint} textarea").fill(text)
            await page.locator(f"{joint} button[type=submit]").click()
        await expect(page.locator(f"{joint} ol.messages")).to_contain_text("first")
        await page.wait_for_timeout(2000)  # the second was refused for now: nothing shown, no error
        await expect(page.locator(f"{joint} ol.messages")).not_to_contain_text("second")
        await expect(page.locator(f"{joint} .send-error")).to_have_text("")
        await expect(page.locator(f"{joint} ol.messages")).to_contain_text("second", timeout=15000)  # retried
        await expect(page.locator(f"{joint} ol.messages li")).to_have_count(2)
        await browser_context.close()
    finally:
        server.stop()
