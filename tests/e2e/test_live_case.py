"""The case page in a real browser while others act (issue 12 §4, §8): the status, offers and action forms
update without a reload and keep what the viewer is typing; conversations are named from the viewer's
side, hidden ones count what is new, and a message appended live shows its time exactly as the server
prints it (same format, language and time zone)."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo
from typing import Any

import httpx
import websockets
from playwright.async_api import Browser, Page, expect

from accord import i18n
from accord.clock import SystemClock, WeekdayCalendar
from accord.settings import get_settings
from accounts.tables import User
from accounts.service import act_as
from cases import service
from cases.workflow import Context, apply
from tests.cases.conftest import filing
from tests.conftest import UserFactory
from tests.e2e.test_case_socket import frames_until, token_for
from tests.e2e.test_file_case import sign_in
from tests.servers import ARTIFACTS

CONTEXT = Context(clock=SystemClock(), calendar=WeekdayCalendar())
OFFER = {"remedies": [{"type": "partial_refund", "amount": {"amount": "40.00", "currency": "CNY"}}]}


async def act_live(base: str, person: dict[str, Any], reference: str, action: str, payload: dict[str, Any]) -> None:
    """Act through the running server, as another person's browser would (its sockets hear of it)."""
    token = await token_for(base, person["email"])
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {token}"}) as api:
        version = (await api.get(f"/api/v1/cases/{reference}")).json()["version"]
        done = await api.post(f"/api/v1/cases/{reference}/actions/{action}", json={"version": version, **payload})
        assert done.status_code == 200, done.text


async def answered_with_an_offer(make_user: UserFactory) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A consumer's case the merchant answered with an offer of ¥40: the consumer, the merchant, the reference."""
    consumer, merchant = await make_user("consumer"), await make_user("merchant")
    reference = (
        await service.file_case(act_as(consumer), filing(merchant["enterprise_id"]), CONTEXT, date.today())
    ).case["reference"]
    await apply(reference, "respond", act_as(merchant), {"kind": "offer", "text": "Forty back.", **OFFER}, CONTEXT)
    return consumer, merchant, reference


async def open_case(browser: Browser, base: str, person: dict[str, Any], reference: str, locale: str = "en-US") -> Page:
    page = await (await browser.new_context(locale=locale, base_url=base)).new_page()
    await sign_in(page, person["email"])
    await page.goto(f"/cases/{reference}")
    await expect(page.locator("#conversation .presence")).to_be_visible()  # the socket is open
    await page.evaluate("window.drawnOnce = true")  # gone if the page ever reloads
    return page


async def test_the_page_follows_the_case_and_keeps_what_is_being_typed(
    live_server: str, browser: Browser, make_user: UserFactory
) -> None:
    consumer, merchant, reference = await answered_with_an_offer(make_user)
    page = await open_case(browser, live_server, consumer, reference)
    await page.locator("summary", has_text="Make an offer").click()
    form = page.locator("#action-counter_offer")
    await form.get_by_label("Amount", exact=True).fill("89.90")
    message = form.get_by_label("Message")
    await message.fill("I would take a full refund, as the lid leaks")
    await message.press("Home")  # the cursor at the start, where the viewer is editing
    version = await form.locator('input[name="version"]').input_value()

    newer = {
        "remedies": [{"type": "partial_refund", "amount": {"amount": "60.00", "currency": "CNY"}}],
        "text": "Sixty, final.",
    }
    await act_live(live_server, merchant, reference, "counter_offer", newer)
    await expect(page.locator("#offers")).to_contain_text("Sixty, final.")
    seller = f"Test Merchant (merchant · {merchant['enterprise_name']})"
    await expect(page.locator("#case-head [role=status]")).to_have_text(
        f"The case has just changed: {seller} offered a partial refund of CN¥60.00."
    )
    await expect(message).to_have_value("I would take a full refund, as the lid leaks")
    await expect(form.get_by_label("Amount", exact=True)).to_have_value("89.90")
    await expect(message).to_be_focused()
    assert await message.evaluate("field => field.selectionStart") == 0
    assert await form.locator('input[name="version"]').input_value() == str(int(version) + 1)
    assert await page.evaluate("window.drawnOnce") is True  # no reload
    await page.screenshot(path=str(ARTIFACTS / "e2e-live-stage-change.png"), full_page=True)

    await message.fill("Or sixty-five, and we are done")
    await act_live(live_server, merchant, reference, "request_mediation", {})
    await expect(page.locator(".case-head .state")).to_have_text("Waiting for a mediator")
    await expect(page.locator("#action-counter_offer")).to_have_count(0)  # no offers while waiting for a mediator
    kept = page.locator("#case-head .kept")
    await expect(kept.locator("textarea")).to_have_count(2)  # everything typed into the form that went away
    values = await kept.locator("textarea").evaluate_all("areas => areas.map(area => area.value)")
    assert values == ["89.90", "Or sixty-five, and we are done"]
    await expect(kept).to_contain_text("Message")
    assert await page.evaluate("window.drawnOnce") is True
    await page.context.close()


async def test_conversations_named_from_each_side_count_what_is_new_and_show_times_as_the_server_does(
    live_server: str, browser: Browser, make_user: UserFactory
) -> None:
    consumer = await make_user("consumer", display_name="Chen Jing", language="zh-Hans")
    merchant = await make_user("merchant")
    mediator = await make_user("mediator", display_name="Mia Mediator")
    await User.update({User.timezone: "America/New_York"}).where(User.id == mediator["id"])  # their profile's zone
    reference = (
        await service.file_case(act_as(consumer), filing(merchant["enterprise_id"]), CONTEXT, date.today())
    ).case["reference"]
    await apply(reference, "respond", act_as(merchant), {"kind": "reject", "text": "No."}, CONTEXT)
    await apply(reference, "request_mediation", act_as(consumer), {}, CONTEXT)
    await apply(reference, "claim", act_as(mediator), {}, CONTEXT)
    consumer_page = await open_case(browser, live_server, consumer, reference)  # Chinese: their setting
    mediator_page = await open_case(browser, live_server, mediator, reference)

    await expect(consumer_page.get_by_role("tab")).to_have_text(["共同沟通", "与调解员的私下沟通"])
    await expect(mediator_page.get_by_role("tab")).to_have_text(
        ["Joint conversation", "Private with the consumer", "Private with the merchant", "Mediators' notes"]
    )
    private = mediator_page.get_by_role("tab", name="Private with the consumer")
    caucus = 'div.channel[data-channel="caucus:consumer"]'
    await consumer_page.get_by_role("tab", name="与调解员的私下沟通").click()
    for text in ("只对调解员说", "还有一件事"):
        await consumer_page.locator(f"{caucus} textarea").fill(text)
        await consumer_page.locator(f"{caucus} button[type=submit]").click()
        await expect(mediator_page.locator(f"{caucus} ol.messages")).to_contain_text(text)
    await expect(private.locator(".unread")).to_have_text("2 new")  # the mediator is on the joint tab
    await expect(mediator_page.get_by_role("tab", name="Joint conversation").locator(".unread")).to_have_count(0)
    await mediator_page.screenshot(path=str(ARTIFACTS / "e2e-unread-tab.png"), full_page=True)
    await private.click()
    await expect(private.locator(".unread")).to_have_count(0)

    await mediator_page.locator(f"{caucus} textarea").fill("Noted, thank you.")
    await mediator_page.locator(f"{caucus} button[type=submit]").click()
    zones = {"zh-Hans": get_settings().timezone, "en": ZoneInfo("America/New_York")}
    for page, language in ((consumer_page, "zh-Hans"), (mediator_page, "en")):  # each reader's language and zone
        live = page.locator(f"{caucus} ol.messages li").last
        await expect(live).to_contain_text("Noted, thank you.")
        seq = await live.get_attribute("data-seq")
        shown_live = await live.locator("time").text_content()
        at = datetime.fromisoformat(await live.locator("time").get_attribute("datetime") or "")
        with i18n.speaking(language):
            assert shown_live == i18n.format_datetime(at, zones[language], "short")  # type: ignore[arg-type]
        await page.reload()
        drawn = page.locator(f'{caucus} li[data-seq="{seq}"] time')
        assert await drawn.text_content() == shown_live
        assert "#" not in (await page.locator(f'{caucus} li[data-seq="{seq}"] .meta').text_content() or "")
    await consumer_page.context.close()
    await mediator_page.context.close()


async def test_socket_errors_speak_the_users_language(live_server: str, make_user: UserFactory) -> None:
    consumer = await make_user("consumer", language="zh-Hans")
    merchant = await make_user("merchant")
    reference = (
        await service.file_case(act_as(consumer), filing(merchant["enterprise_id"]), CONTEXT, date.today())
    ).case["reference"]
    token = await token_for(live_server, consumer["email"])
    async with websockets.connect(live_server.replace("http://", "ws://") + f"/ws/cases/{reference}") as socket:
        await socket.send(json.dumps({"type": "auth", "token": token}))
        await socket.send(json.dumps({"type": "send", "channel": "nowhere", "text": "你好", "client_id": "a"}))
        refused = (await frames_until(socket, lambda frame: frame.get("type") == "error"))[-1]
        assert refused == {"type": "error", "code": "invalid", "detail": "请从给出的选项中选择一项。", "client_id": "a"}
        await socket.send(json.dumps({"type": "send", "channel": "joint", "text": "你好", "client_id": "b"}))
        frames = await frames_until(
            socket, lambda frame: frame.get("type") == "event" and frame.get("kind") == "message"
        )
        at = datetime.fromisoformat(frames[-1]["at"])
        with i18n.speaking("zh-Hans"):  # the time as the Chinese page prints it, in the service's zone
            assert frames[-1]["shown_at"] == i18n.format_datetime(at, get_settings().timezone, "short")


async def test_a_form_refused_as_stale_comes_back_filled_in_and_keeps_following_the_case(
    live_server: str, browser: Browser, make_user: UserFactory
) -> None:
    consumer, merchant, reference = await answered_with_an_offer(make_user)
    page = await open_case(browser, live_server, consumer, reference)
    await page.locator("summary", has_text="Make an offer").click()
    form = page.locator("#action-counter_offer")
    await form.locator('input[name="version"]').evaluate("field => { field.value = '1'; }")  # drawn before the offer
    await form.get_by_label("Amount", exact=True).fill("89.90")
    await form.get_by_label("Message").fill("Full refund, please")
    await form.get_by_role("button", name="Make an offer").click()
    await expect(page.locator("#case-head [role=alert]").first).to_contain_text(
        f"While you were writing, Test Merchant (merchant · {merchant['enterprise_name']}) answered the complaint"
    )
    await expect(form.get_by_label("Message")).to_have_value("Full refund, please")
    assert page.url.endswith(f"/cases/{reference}/actions/counter_offer")  # the refused form's answer
    await page.screenshot(path=str(ARTIFACTS / "e2e-stale-form-409.png"), full_page=True)

    await expect(page.locator("#conversation .presence")).to_be_visible()
    await act_live(live_server, merchant, reference, "counter_offer", {**OFFER, "text": "Fifty, then."})
    await expect(page.locator("#offers")).to_contain_text("Fifty, then.")  # redrawn from the case's own page
    await expect(form.get_by_label("Message")).to_have_value("Full refund, please")
    await expect(form.get_by_label("Amount", exact=True)).to_have_value("89.90")
    await form.get_by_role("button", name="Make an offer").click()
    await expect(page.get_by_text("Done: Make an offer.")).to_be_visible()
    await page.context.close()
