"""The merchant's unread badge goes up live when a consumer files a case against their enterprise."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.cases.conftest import filing
from tests.conftest import PASSWORD, UserFactory
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
    try:
        async with websockets.connect(url) as socket:
            await socket.recv()
        raise AssertionError("an anonymous socket was accepted")
    except websockets.exceptions.ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4401
    except websockets.exceptions.InvalidStatus:
        pass  # refused during the handshake: also before any data

    merchant = await make_user("merchant")
    async with httpx.AsyncClient(base_url=live_server) as browser:
        await browser.get("/login")
        response = await browser.post(
            "/login",
            data={
                "email": merchant["email"],
                "password": PASSWORD,
                "next": "/",
                "_csrf_token": browser.cookies["accord_csrf"],
            },
        )
        assert response.status_code == 302
        cookie = f"accord_session={browser.cookies['accord_session']}"
    async with websockets.connect(url, additional_headers={"Cookie": cookie}) as socket:
        assert '"unread"' in await socket.recv()
    try:
        async with websockets.connect(
            url, additional_headers={"Cookie": cookie, "Origin": "https://evil.example"}
        ) as socket:
            await socket.recv()
        raise AssertionError("a cross-site socket was accepted")
    except websockets.exceptions.ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4403
    except websockets.exceptions.InvalidStatus:
        pass
