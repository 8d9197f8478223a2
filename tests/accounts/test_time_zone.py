"""Each user has a time zone (issue 12 §10): a profile field checked against zoneinfo, the deployment's
(ACCORD_TIMEZONE, Asia/Shanghai) until they choose, and every time shown to them is in it — pages (the
profile, the inbox, the case page and its timeline) and mails (tests/accounts/test_password_reset.py)."""

from __future__ import annotations

import dataclasses
import importlib
import re
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from accounts.tables import User
from tests.cases.conftest import act, filing_body
from tests.conftest import SignedIn, UserFactory, post_form

# The suite's clock stands at 2026-11-25 09:00 UTC: 17:00 in Shanghai, 10:00 in Berlin, 04:00 in New York.
# (CLDR puts a narrow no-break space before AM and PM.)
SHANGHAI, BERLIN = "Nov 25, 2026, 5:00:00\u202fPM", "Nov 25, 2026, 10:00:00\u202fAM"
NEW_YORK = "Nov 25, 2026, 4:00:00\u202fAM"


async def choose_zone(browser: httpx.AsyncClient, user: dict[str, Any], zone: str) -> httpx.Response:
    return await post_form(
        browser, "/profile", {"display_name": user["display_name"], "language": "en", "timezone": zone}
    )


async def test_a_new_user_has_the_deployments_zone_and_chooses_theirs_on_the_profile(signed_in: SignedIn) -> None:
    browser, user = await signed_in()
    profile = (await browser.get("/profile")).text
    assert "<option selected>Asia/Shanghai</option>" in profile and SHANGHAI in profile  # member since
    assert (await choose_zone(browser, user, "Europe/Berlin")).status_code == 302
    assert (await User.select(User.timezone).where(User.id == user["id"]).first())["timezone"] == "Europe/Berlin"
    profile = (await browser.get("/profile")).text
    assert "<option selected>Europe/Berlin</option>" in profile and BERLIN in profile and SHANGHAI not in profile
    assert (await browser.get("/api/v1/me")).json()["timezone"] == "Europe/Berlin"


async def test_a_zone_zoneinfo_does_not_know_is_a_field_error_and_changes_nothing(signed_in: SignedIn) -> None:
    browser, user = await signed_in()
    for zone in ("Mars/Olympus_Mons", "../../etc/passwd", "localtime", ""):
        refused = await choose_zone(browser, user, zone)
        assert refused.status_code == 422 and 'id="e-timezone"' in refused.text, zone
    assert "Choose a time zone from the list" in refused.text
    assert (await User.select(User.timezone).where(User.id == user["id"]).first())["timezone"] == "Asia/Shanghai"
    chinese = await post_form(
        browser, "/profile?lang=zh-Hans", {"display_name": "x y", "language": "zh-Hans", "timezone": "Nowhere"}
    )
    assert "请从列表中选择时区" in chinese.text


async def test_switching_language_keeps_the_zone(signed_in: SignedIn) -> None:
    browser, user = await signed_in()
    await choose_zone(browser, user, "America/New_York")
    await post_form(browser, "/language", {"language": "zh-Hans", "next": "/profile"})
    assert (await User.select(User.timezone).where(User.id == user["id"]).first())["timezone"] == "America/New_York"


async def test_the_case_page_and_the_inbox_tell_times_in_the_viewers_zone(
    signed_in: SignedIn, api_client: SignedIn
) -> None:
    merchant_browser, merchant = await signed_in("merchant")
    consumer_browser, consumer = await signed_in("consumer")
    mediator, _mediator = await api_client("mediator")
    merchant_api, _same = await api_client("merchant", enterprise_uscc=merchant["enterprise_uscc"])
    consumer_browser.headers["x-csrftoken"] = consumer_browser.cookies["accord_csrf"]
    filed = await consumer_browser.post("/api/v1/cases", json=filing_body(merchant["enterprise_id"]))
    assert filed.status_code == 201, filed.text
    case = filed.json()
    await act(merchant_api, case, "respond", kind="reject", text="Fine when shipped.")
    await act(consumer_browser, case, "request_mediation")
    await act(mediator, case, "claim")
    await act(mediator, case, "admit")
    asked = await act(mediator, case, "request_info", party="consumer", question="Photos of the box?")
    assert asked.status_code == 200, asked.text
    await choose_zone(consumer_browser, consumer, "America/New_York")
    await choose_zone(merchant_browser, merchant, "Europe/Berlin")

    # The question's due time is 09:00 UTC some working days on: 04:00 in New York.
    inbox = (await consumer_browser.get("/inbox")).text  # before the case page reads its notices
    assert re.search("for information by [^<]*, 4:00\u202fAM", inbox) and "11/25/26, 4:00\u202fAM" in inbox
    consumer_page = (await consumer_browser.get(f"/cases/{case['reference']}")).text
    assert NEW_YORK in consumer_page and SHANGHAI not in consumer_page  # filed at
    assert re.search("for information by [^<]*, 4:00\u202fAM", consumer_page)  # the timeline's sentence
    assert "5:00\u202fPM" not in consumer_page  # nothing in Shanghai's hours
    merchant_page = (await merchant_browser.get(f"/cases/{case['reference']}")).text
    assert BERLIN in merchant_page and re.search("for information by [^<]*, 10:00\u202fAM", merchant_page)


async def test_existing_users_keep_seeing_the_deployments_zone_after_the_migration(
    make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before profiles had a zone, everyone saw ACCORD_TIMEZONE: a deployment in Berlin keeps Berlin."""
    from accord import settings as settings_module
    from accord.db import write_transaction

    user = await make_user()
    before = {row["id"]: row["timezone"] for row in await User.select(User.id, User.timezone)}
    berlin = dataclasses.replace(settings_module.get_settings(), timezone=ZoneInfo("Europe/Berlin"))
    monkeypatch.setattr(settings_module, "get_settings", lambda: berlin)
    migration = importlib.import_module("accounts.piccolo_migrations.accounts_2026_11_30t01_05_01_000000")
    try:
        for step in (await migration.forwards()).raw:
            await step()
        assert (await User.select(User.timezone).where(User.id == user["id"]).first())["timezone"] == "Europe/Berlin"
    finally:  # everyone else in this test database sees their own zone again
        async with write_transaction():
            for zone in set(before.values()):
                await User.update({User.timezone: zone}).where(
                    User.id.is_in([i for i, z in before.items() if z == zone])
                )
