"""The merchant's unread badge goes up live when a consumer files a case against their enterprise."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.cases.conftest import filing
from tests.conftest import PASSWORD, UserFactory
from tests.e2e.test_case_socket import refused_code, session_cookie
from tests.e2e.test_file_case import sign_in
from tests.servers import ARTIFACTS


async def test_unread_badge_increments_live(live_server: str, browser: Browser, make_user: UserFactory) -> None:
    consumer, merchant = await make_user("consumer"), await make_user("merchant")
    context = await browser.new_context(locale="en-US", base_url=live_server)
    page = await context.new_page()
    await sign_in(page, merchant["email"])
    await page.goto("/cases")
    await expect(page.locator("#unread-count")).to_have_count(0)

    async with httpx.AsyncClient(base_url=live_server) as api:
        token = (await api.post("/api/v1/auth/token", json={"email": consumer["email"], "password": PASSWORD})).json()[
            "token"
        ]
        body = filing(merchant["enterprise_id"]).model_dump(mode="json", exclude_none=True)
        filed = await api.post("/api/v1/cases", json=body, headers={"authorization": f"Bearer {token}"})
        assert filed.status_code == 201, filed.text

    await expect(page.locator("#unread-count")).to_have_text("1")  # no reload
    await page.screenshot(path=str(ARTIFACTS / "e2e-live-badge.png"))
    await context.close()


async def test_socket_refuses_strangers_and_other_sites(live_server: str, make_user: UserFactory) -> None:
    import websockets

    url = live_server.replace("http://", "ws://") + "/ws/notifications"
    assert await refused_code(url, {}) == 4401
    cookie = await session_cookie(live_server, (await make_user("merchant"))["email"])
    async with websockets.connect(url, additional_headers={"Cookie": cookie}) as socket:
        assert '"unread"' in await socket.recv()
    assert await refused_code(url, {"Cookie": cookie, "Origin": "https://evil.example"}) == 4403
