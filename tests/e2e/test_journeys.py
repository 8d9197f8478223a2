"""Whole journeys in a real browser, as the people who make them, in Chinese and in English (issue 12 §13).

Consumer, merchant and mediator each sign in through /login in their own browser context and act only by
clicking and typing on the pages. At every step the test asserts what that viewer must see before acting
(the mediator's question, the merchant's proof, the timeline's sentence, who must act next), in the
journey's language, and saves a screenshot under tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from accord.i18n import format_money, gettext, label, speaking
from tests.cases.test_api import PNG
from tests.conftest import PASSWORD, UserFactory

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WAIT = 15000  # ms: the machine running the suite may be busy
MOBILE = {"width": 390, "height": 844}
LOCALES = {"en": "en-US", "zh-Hans": "zh-CN"}

class Journey:
    """One journey: its language (the pages' words come from the same catalogs) and its screenshots."""

    def __init__(self, name: str, language: str, live_server: str, browser: Browser) -> None:
        self.name, self.language, self.live_server, self.browser = name, language, live_server, browser
        self.steps = 0
        self.contexts: list[BrowserContext] = []

    def t(self, message: str, **values: object) -> str:
        with speaking(self.language):
            text = gettext(message)
        return text % values if values else text

    def said(self, sentence: str, **values: object) -> str:
        """A timeline sentence without its actor (what follows the person's name), up to its first blank
        unless `values` fill them."""
        text = self.t(sentence).replace("%(actor)s", "").strip()
        return text % values if values else text.split("%(")[0].strip()

    def money(self, yuan: int) -> str:
        with speaking(self.language):
            return format_money(yuan * 100, "CNY")

    def label(self, kind: str, value: str) -> str:
        with speaking(self.language):
            return label(kind, value)

    async def person(self, user: dict[str, object], landing: str, viewport: dict[str, int] | None = None) -> Page:
        """A browser of this person's own, signed in through the login form; it lands where their work is."""
        context = await self.browser.new_context(
            locale=LOCALES[self.language],
            base_url=self.live_server,
            viewport=viewport or {"width": 1280, "height": 900},
        )
        context.set_default_timeout(WAIT)
        self.contexts.append(context)
        page = await context.new_page()
        await page.goto("/login")
        await page.get_by_label(self.t("Email address")).fill(str(user["email"]))
        await page.get_by_label(self.t("Password"), exact=True).fill(PASSWORD)
        await page.locator("main").get_by_role("button", name=self.t("Sign in")).click()
        await expect(page).to_have_url(re.compile(f"{landing}$"), timeout=WAIT)
        return page

    async def shot(self, page: Page, step: str) -> None:
        self.steps += 1
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.steps:02d}-{step}.png"), full_page=True)

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def see(page: Page, selector: str, *texts: str) -> None:
    for text in texts:
        await expect(page.locator(selector)).to_contain_text(text, timeout=WAIT)


async def next_step(page: Page, journey: Journey, summary: str) -> None:
    """The "what happens next" panel names who must act, in the journey's language."""
    await expect(page.locator("#next .summary")).to_contain_text(journey.t(summary), timeout=WAIT)


async def stage(page: Page, journey: Journey, state: str) -> None:
    await expect(page.locator(".case-head .state")).to_have_text(journey.label("state", state), timeout=WAIT)


async def done(page: Page, journey: Journey, action: str) -> None:
    notice = journey.t("Done: %(action)s.", action=journey.label("action", action))
    await expect(page.locator(".case-head .alert.ok")).to_contain_text(notice, timeout=WAIT)


async def open_action(page: Page, journey: Journey, action: str) -> Locator:
    await page.locator("#actions summary", has_text=journey.label("action", action)).click()
    return page.locator(f"#action-{action}")


async def submit(form: Locator, journey: Journey, action: str) -> None:
    await form.get_by_role("button", name=journey.label("action", action)).click()


async def file_complaint(page: Page, journey: Journey, merchant: dict[str, object], tmp_path: Path) -> str:
    """The consumer files with a photo, on the merchant found by USCC; returns the case reference."""
    t = journey.t
    photo = tmp_path / f"{journey.name}-receipt.png"
    photo.write_bytes(PNG)
    await page.goto(f"/cases/new?q={merchant['enterprise_uscc']}")
    await expect(page.get_by_label(str(merchant["enterprise_name"]), exact=False)).to_be_checked()
    await page.get_by_label(t("What went wrong?")).select_option("defective")
    await page.get_by_label(t("Shop or platform")).fill("Tmall")
    await page.get_by_label(t("Order number")).fill("TM-20261120")
    await page.get_by_label(t("Purchase date")).fill((date.today() - timedelta(days=10)).isoformat())
    await page.get_by_label(t("Product"), exact=True).fill("Rice cooker")
    await page.get_by_label(t("Amount paid")).fill("300.00")
    await page.get_by_label(t("Describe the problem")).fill("The inner pot is cracked.")
    await page.get_by_label(t("Evidence: photos, receipts, chat screenshots (optional)")).set_input_files(str(photo))
    await page.get_by_role("button", name=t("File the complaint")).click()
    await see(page, ".case-head", t("Your complaint has been filed. The merchant has been asked to answer."))
    await see(page, "#evidence table", photo.name)
    await next_step(
        page,
        journey,
        "The merchant must answer your complaint: with an offer, a rejection with reasons, or a question.",
    )
    await journey.shot(page, "filed")
    return page.url.split("/cases/")[1].split("?")[0]


async def merchant_offers(page: Page, journey: Journey, reference: str, yuan: int, text: str) -> None:
    await page.goto(f"/cases/{reference}")
    await next_step(
        page, journey, "Answer this complaint: make an offer, reject it with your reasons, or ask a question."
    )
    form = await open_action(page, journey, "respond")
    await form.get_by_label(journey.t("Remedy"), exact=True).select_option("refund")
    await form.get_by_label(journey.t("Amount"), exact=True).fill(f"{yuan}.00")
    await form.get_by_label(journey.t("Message to the consumer")).fill(text)
    await submit(form, journey, "respond")
    await done(page, journey, "respond")
    await see(page, "#timeline", journey.said("%(actor)s answered the complaint and offered %(remedies)s"), text)
    await journey.shot(page, "merchant-offered")


async def accept_on_confirmation_page(page: Page, journey: Journey, link: str, heading: str, reference: str) -> None:
    """Accepting goes through a page that shows the terms once more and asks to confirm."""
    await page.get_by_role("link", name=journey.label("action", link)).first.click()
    await expect(page.locator("h1")).to_have_text(journey.t(heading, reference=reference), timeout=WAIT)
    await journey.shot(page, f"confirm-{link}")
    await page.get_by_role("button", name=journey.t("Yes, accept")).click()


async def report_fulfilment(page: Page, journey: Journey, reference: str, proof: str) -> None:
    await page.goto(f"/cases/{reference}")
    await next_step(
        page, journey, "Carry out the settlement, then report it with proof (a refund reference, a waybill number)."
    )
    form = await open_action(page, journey, "mark_fulfilled")
    await form.get_by_label(journey.t("Proof: refund reference, waybill number…")).fill(proof)
    await submit(form, journey, "mark_fulfilled")
    await done(page, journey, "mark_fulfilled")
    await journey.shot(page, "fulfilment-reported")


async def consumer_sees_proof(page: Page, journey: Journey, reference: str, proof: str) -> None:
    await page.goto(f"/cases/{reference}")
    await see(page, "#fulfilment", proof, journey.said("%(actor)s reported the settlement as carried out"))
    await next_step(
        page,
        journey,
        "The merchant reports the settlement carried out: check the proof, then confirm it or say what is missing.",
    )
    await journey.shot(page, "proof-seen")


async def claim_from_queue(page: Page, journey: Journey, reference: str) -> None:
    await page.goto("/queue")
    row = page.locator("tr", has_text=reference)
    await row.get_by_role("button", name=journey.label("action", "claim")).click()
    await done(page, journey, "claim")
    await see(page, "#timeline", journey.said("%(actor)s took on the case"))


NAMES = {
    "en": ("Ada Buyer", "Max Seller", "Mia Mediator"),
    "zh-Hans": ("王芳", "张敏", "李调解"),
}


@pytest.mark.parametrize("language", ["zh-Hans", "en"])
async def test_the_whole_lifecycle(
    language: str, live_server: str, browser: Browser, make_user: UserFactory, tmp_path: Path
) -> None:
    consumer_name, merchant_name, mediator_name = NAMES[language]
    consumer = await make_user("consumer", display_name=consumer_name, language=language)
    merchant = await make_user("merchant", display_name=merchant_name, language=language)
    mediator = await make_user("mediator", display_name=mediator_name, language=language)
    journey = Journey(f"lifecycle-{language}", language, live_server, browser)
    t = journey.t
    try:
        buyer = await journey.person(consumer, "/cases")
        reference = await file_complaint(buyer, journey, merchant, tmp_path)

        seller = await journey.person(merchant, "/cases")
        await merchant_offers(seller, journey, reference, 100, "We can refund 100.")

        # The consumer reads the offer and counters it.
        await buyer.goto(f"/cases/{reference}")
        await see(buyer, "#offers", "We can refund 100.", journey.money(100), merchant_name)
        form = await open_action(buyer, journey, "counter_offer")
        await form.get_by_label(t("Remedy"), exact=True).select_option("refund")
        await form.get_by_label(t("Amount"), exact=True).fill("300.00")
        await form.get_by_label(t("Message"), exact=True).fill("The whole price, please.")
        await submit(form, journey, "counter_offer")
        await done(buyer, journey, "counter_offer")
        await next_step(
            buyer, journey, "The merchant must answer your counter-offer. You may still replace it with a new one."
        )
        await journey.shot(buyer, "counter-offer")

        await seller.goto(f"/cases/{reference}")
        await see(seller, "#offers", "The whole price, please.", journey.money(300), consumer_name)
        await journey.shot(seller, "counter-offer-seen")

        # No agreement: the consumer asks for a mediator, with a reason.
        form = await open_action(buyer, journey, "request_mediation")
        await form.get_by_label(t("Reason (optional)")).fill("We cannot agree on the amount.")
        await submit(form, journey, "request_mediation")
        await stage(buyer, journey, "awaiting_mediator")
        await see(buyer, "#timeline", journey.said("%(actor)s asked for mediation"), "We cannot agree on the amount.")
        await journey.shot(buyer, "mediation-requested")

        # The mediator lands on the queue, claims and admits the case.
        desk = await journey.person(mediator, "/queue")
        await claim_from_queue(desk, journey, reference)
        await next_step(
            desk, journey, "Decide whether this case can be mediated: admit it, or decline it with a reason."
        )
        await desk.locator("#action-admit").get_by_role("button", name=journey.label("action", "admit")).click()
        await stage(desk, journey, "in_mediation")
        await journey.shot(desk, "admitted")

        # A word in private with the consumer: the tab is named from each side.
        await desk.get_by_role("tab", name=t("Private with the consumer")).click()
        caucus = 'div.channel[data-channel="caucus:consumer"]'
        await desk.locator(f"{caucus} textarea").fill("What would you accept, between us?")
        await desk.locator(f"{caucus} button[type=submit]").click()
        await see(desk, f"{caucus} ol.messages", "What would you accept, between us?")
        await buyer.goto(f"/cases/{reference}")
        await buyer.get_by_role("tab", name=t("Private with the mediator")).click()
        await see(buyer, f"{caucus} ol.messages", "What would you accept, between us?", mediator_name)
        await buyer.locator(f"{caucus} textarea").fill("200 would be fair.")
        await buyer.locator(f"{caucus} button[type=submit]").click()
        await see(desk, f"{caucus} ol.messages", "200 would be fair.")
        await journey.shot(buyer, "caucus")

        # The mediator asks the consumer a question; the consumer reads it before answering.
        form = await open_action(desk, journey, "request_info")
        await form.get_by_label(t("Ask"), exact=True).select_option("consumer")
        await form.get_by_label(t("Question"), exact=True).fill("Please send the date the crack appeared.")
        await submit(form, journey, "request_info")
        await done(desk, journey, "request_info")
        await buyer.goto(f"/cases/{reference}")
        await see(buyer, "#information-request", "Please send the date the crack appeared.")
        await next_step(
            buyer, journey, "The mediator asked you a question: answer it. Mediation waits for your answer."
        )
        await journey.shot(buyer, "question-seen")
        form = await open_action(buyer, journey, "provide_info")
        await form.get_by_label(t("Your answer"), exact=True).fill("On the third day of use.")
        await submit(form, journey, "provide_info")
        await done(buyer, journey, "provide_info")
        await see(
            buyer, "#timeline", journey.said("%(actor)s answered the mediator's question"), "On the third day of use."
        )
        await desk.goto(f"/cases/{reference}")
        await see(desk, "#timeline", "On the third day of use.")
        await journey.shot(desk, "answer-seen")

        # The mediator proposes; both parties accept on the confirmation page.
        form = await open_action(desk, journey, "propose_settlement")
        await form.get_by_label(t("Remedy"), exact=True).select_option("partial_refund")
        await form.get_by_label(t("Amount"), exact=True).fill("200.00")
        await form.get_by_label(t("To be carried out by")).fill((date.today() + timedelta(days=14)).isoformat())
        await form.get_by_label(t("Explanation")).fill("Meet in the middle: 200 back.")
        await submit(form, journey, "propose_settlement")
        await see(desk, "#offers", "Meet in the middle: 200 back.", journey.money(200))
        await next_step(desk, journey, "Both parties must answer the mediator's settlement proposal.")
        await journey.shot(desk, "proposed")

        await buyer.goto(f"/cases/{reference}")
        await see(buyer, "#offers", "Meet in the middle: 200 back.")
        await accept_on_confirmation_page(
            buyer,
            journey,
            "accept_proposal",
            "Accept the mediator's settlement proposal for case %(reference)s?",
            reference,
        )
        await next_step(buyer, journey, "You accepted the proposal. The merchant must accept it too before it binds.")
        await desk.goto(f"/cases/{reference}")
        await next_step(desk, journey, "The consumer accepted the mediator's proposal; the merchant must answer it.")
        await seller.goto(f"/cases/{reference}")
        await next_step(
            seller,
            journey,
            "The consumer accepted the mediator's proposal: accept or reject it. It binds once you accept.",
        )
        await seller.get_by_role("link", name=journey.label("action", "accept_proposal")).click()
        await see(
            seller, "main", t("The other party has already accepted: your acceptance settles the case on these terms.")
        )
        await seller.get_by_role("button", name=t("Yes, accept")).click()
        await stage(seller, journey, "settled")
        await see(seller,
        "#timeline",
        journey.said("%(actor)s accepted the settlement proposal; both parties have now agreed")),
        await journey.shot(seller, "settled")

        # The merchant carries it out with proof; the consumer sees the proof, then confirms.
        await report_fulfilment(seller, journey, reference, "Refund ref. ALI-778812")
        await consumer_sees_proof(buyer, journey, reference, "Refund ref. ALI-778812")
        await buyer.locator("#action-confirm_fulfilment").get_by_role(
            "button", name=journey.label("action", "confirm_fulfilment")
        ).click()
        await stage(buyer, journey, "resolved")
        await see(buyer, "#timeline", journey.said("%(actor)s confirmed that the settlement was carried out"))
        await journey.shot(buyer, "resolved")

        # The consumer rates the service; the mediator reads the rating and its comment.
        form = await open_action(buyer, journey, "rate")
        await form.get_by_label("5", exact=True).check()
        await form.get_by_label(t("Comment (optional)")).fill("Quick and fair.")
        await submit(form, journey, "rate")
        await done(buyer, journey, "rate")
        await journey.shot(buyer, "rated")
        await desk.goto(f"/cases/{reference}")
        rated = journey.said("%(actor)s rated the service %(score)s out of 5", score=5)
        await see(desk, "#timeline", rated, "Quick and fair.")
        await journey.shot(desk, "rating-seen")
    finally:
        await journey.close()


async def fits_the_screen(page: Page) -> None:
    """On a phone nothing is wider than the screen: no sideways scrolling to find a button."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= MOBILE["width"], f"{page.url} is {width}px wide on a {MOBILE['width']}px screen"


async def test_a_broken_negotiated_settlement_is_resettled_by_a_mediator_on_phones(
    live_server: str, browser: Browser, make_user: UserFactory, tmp_path: Path
) -> None:
    """Settled without a mediator, then not kept: the case lands on the queue and a mediator settles it again.
    Everyone uses a 390×844 phone screen."""
    consumer = await make_user("consumer", display_name="Bo Buyer")
    merchant = await make_user("merchant", display_name="Sam Seller")
    mediator = await make_user("mediator", display_name="Meg Mediator")
    journey = Journey("breach-mobile", "en", live_server, browser)
    t = journey.t
    try:
        buyer = await journey.person(consumer, "/cases", MOBILE)
        reference = await file_complaint(buyer, journey, merchant, tmp_path)
        await fits_the_screen(buyer)
        seller = await journey.person(merchant, "/cases", MOBILE)
        await merchant_offers(seller, journey, reference, 300, "Full refund within the week.")
        await fits_the_screen(seller)

        await buyer.goto(f"/cases/{reference}")
        await see(buyer, "#offers", "Full refund within the week.", journey.money(300))
        await accept_on_confirmation_page(
            buyer, journey, "accept_offer", "Accept this offer for case %(reference)s?", reference
        )
        await stage(buyer, journey, "settled")
        await next_step(buyer, journey, "The merchant must carry out the settlement and report it with proof.")

        await report_fulfilment(seller, journey, reference, "Refund ref. WX-1200931")
        await consumer_sees_proof(buyer, journey, reference, "Refund ref. WX-1200931")
        form = await open_action(buyer, journey, "dispute_fulfilment")
        await form.get_by_label(t("What is missing")).fill("No money arrived; that reference does not exist.")
        await submit(form, journey, "dispute_fulfilment")
        await stage(buyer, journey, "breached")
        await see(buyer, "#fulfilment", "No money arrived; that reference does not exist.")
        await next_step(
            buyer, journey, "The settlement was not kept. A mediator will take the case on to settle again or close it."
        )
        await fits_the_screen(buyer)
        await journey.shot(buyer, "disputed")

        # No mediator had the case: it waits on the queue, claimable.
        desk = await journey.person(mediator, "/queue", MOBILE)
        await claim_from_queue(desk, journey, reference)
        await see(desk, "#fulfilment", "Refund ref. WX-1200931", "No money arrived; that reference does not exist.")
        await next_step(
            desk, journey, "The settlement was not kept: mediate a new settlement, or close the case without agreement."
        )
        await fits_the_screen(desk)
        await journey.shot(desk, "claimed")
        await desk.locator("#action-resettle").get_by_role("button", name=journey.label("action", "resettle")).click()
        await stage(desk, journey, "in_mediation")
        await journey.shot(desk, "resettling")

        form = await open_action(desk, journey, "propose_settlement")
        await form.get_by_label(t("Remedy"), exact=True).select_option("refund")
        await form.get_by_label(t("Amount"), exact=True).fill("300.00")
        await form.get_by_label(t("To be carried out by")).fill((date.today() + timedelta(days=7)).isoformat())
        await form.get_by_label(t("Explanation")).fill("The refund, this time with a bank receipt.")
        await submit(form, journey, "propose_settlement")
        await see(desk, "#offers", "The refund, this time with a bank receipt.")
        for party in (buyer, seller):
            await party.goto(f"/cases/{reference}")
            await see(party, "#offers", "The refund, this time with a bank receipt.")
            await party.get_by_role("link", name=journey.label("action", "accept_proposal")).click()
            await party.get_by_role("button", name=t("Yes, accept")).click()
        await stage(seller, journey, "settled")
        await fits_the_screen(seller)
        await journey.shot(seller, "resettled")
    finally:
        await journey.close()


async def test_a_stale_form_comes_back_with_what_was_typed(
    live_server: str, browser: Browser, make_user: UserFactory, tmp_path: Path
) -> None:
    """The consumer (a browser without scripts, so the page cannot refresh itself) writes a counter-offer
    while the merchant changes theirs: the 409 says what changed and gives back every field typed; a past
    date is refused on its field, again keeping the rest."""
    consumer = await make_user("consumer", display_name="Li Lei", language="zh-Hans")
    merchant = await make_user("merchant", display_name="Han Meimei", language="zh-Hans")
    journey = Journey("stale-zh-Hans", "zh-Hans", live_server, browser)
    t = journey.t
    try:
        buyer = await journey.person(consumer, "/cases")
        reference = await file_complaint(buyer, journey, merchant, tmp_path)
        seller = await journey.person(merchant, "/cases")
        await merchant_offers(seller, journey, reference, 100, "退款100元。")

        scriptless = await browser.new_context(
            locale="zh-CN",
            base_url=live_server,
            java_script_enabled=False,
            storage_state=await buyer.context.storage_state(),
        )
        journey.contexts.append(scriptless)
        page = await scriptless.new_page()
        page.set_default_timeout(WAIT)
        await page.goto(f"/cases/{reference}")
        form = await open_action(page, journey, "counter_offer")
        await form.get_by_label(t("Remedy"), exact=True).select_option("refund")
        await form.get_by_label(t("Amount"), exact=True).fill("280.00")
        await form.get_by_label(t("Message"), exact=True).fill("请全额退款，锅已经裂了。")

        form_of_seller = await open_action(seller, journey, "counter_offer")
        await form_of_seller.get_by_label(t("Remedy"), exact=True).select_option("refund")
        await form_of_seller.get_by_label(t("Amount"), exact=True).fill("200.00")
        await form_of_seller.get_by_label(t("Message"), exact=True).fill("可以退200元。")
        await submit(form_of_seller, journey, "counter_offer")
        await done(seller, journey, "counter_offer")

        async with page.expect_response(lambda response: "/actions/counter_offer" in response.url) as answer:
            await submit(form, journey, "counter_offer")
        assert (await answer.value).status == 409
        problem = page.locator(".case-head .alert.error")
        await expect(problem).to_contain_text(t("While you were writing, %(changes)s.").split("%(changes)s")[0])
        await expect(problem).to_contain_text(
            t("What you typed is kept below: check the case as it is now, then send again.")
        )
        await see(page, "#offers", "可以退200元。")
        form = page.locator("#action-counter_offer")
        await expect(form.get_by_label(t("Amount"), exact=True)).to_have_value("280.00")
        await expect(form.get_by_label(t("Message"), exact=True)).to_have_value("请全额退款，锅已经裂了。")
        await journey.shot(page, "stale-409")

        await form.get_by_label(t("To be carried out by")).fill((date.today() - timedelta(days=3)).isoformat())
        async with page.expect_response(lambda response: "/actions/counter_offer" in response.url) as answer:
            await submit(form, journey, "counter_offer")
        assert (await answer.value).status == 422
        form = page.locator("#action-counter_offer")
        await expect(form.locator(".field.invalid")).to_contain_text(t("To be carried out by"))
        await expect(form.get_by_label(t("Message"), exact=True)).to_have_value("请全额退款，锅已经裂了。")
        await expect(form.get_by_label(t("Amount"), exact=True)).to_have_value("280.00")
        await journey.shot(page, "past-date-422")
    finally:
        await journey.close()
