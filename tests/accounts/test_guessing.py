"""Guessing passwords gets slower and slower, but never locks the owner out; addresses come from
X-Forwarded-For only through trusted proxies."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from accord.clock import FrozenClock
from accord.network import TrustedProxies
from accounts.throttle import DEVICE_COOKIE
from tests.conftest import PASSWORD, SignedIn, UserFactory, login, post_form

WRONG = "not the password!"
Configure = Callable[..., None]


@pytest.fixture
def configure(app: Litestar) -> Iterator[Configure]:
    """Change settings of the in-process app for one test."""
    original = app.state.settings

    def change(**fields: Any) -> None:
        app.state.settings = dataclasses.replace(original, **fields)

    yield change
    app.state.settings = original


def browser_at(app: Litestar, address: str, **headers: str) -> httpx.AsyncClient:
    """A browser whose connections come from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local", headers=headers)


async def test_each_wrong_password_past_the_free_ones_doubles_the_wait_and_the_right_one_works_after_it(
    client: httpx.AsyncClient, make_user: UserFactory, clock: FrozenClock, configure: Configure
) -> None:
    configure(login_attempts_per_minute=2)
    user = await make_user()
    assert [(await login(client, user["email"], WRONG)).status_code for _ in range(2)] == [401, 401]
    for wait in (60, 120, 240):
        blocked = await login(client, user["email"])
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) == wait
        clock.advance(timedelta(seconds=wait))
        assert (await login(client, user["email"], WRONG)).status_code == 401  # the wait is over: tried again
    clock.advance(timedelta(minutes=8))
    assert (await login(client, user["email"])).status_code == 302  # no hard block, ever
    assert (await login(client, user["email"], WRONG)).status_code == 401  # and the slate is clean again


async def test_the_wait_stops_growing_at_an_hour(
    client: httpx.AsyncClient, make_user: UserFactory, clock: FrozenClock, configure: Configure
) -> None:
    configure(login_attempts_per_minute=1)
    user = await make_user()
    for _attempt in range(9):
        clock.advance(timedelta(hours=1))  # each wait is over (the 8th and 9th would be 128 and 256 minutes)
        assert (await login(client, user["email"], WRONG)).status_code == 401
    blocked = await login(client, user["email"])
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) == 3600
    assert "Too many wrong passwords. Try again in 60 minutes." in blocked.text


async def test_a_stranger_guessing_from_many_addresses_does_not_keep_the_owner_out_of_their_browser(
    app: Litestar, make_user: UserFactory, configure: Configure
) -> None:
    configure(login_attempts_per_minute=2)  # strangers together: 10 free failures on the account
    owner, other = await make_user(), await make_user()
    async with browser_at(app, "192.0.2.10") as known:
        assert (await login(known, owner["email"])).status_code == 302
        assert DEVICE_COOKIE in known.cookies
        await post_form(known, "/logout", {})
        for number in range(12):
            async with browser_at(app, f"198.51.100.{number}") as stranger:
                await login(stranger, owner["email"], WRONG)
        async with browser_at(app, "203.0.113.99") as new_browser:
            refused = await login(new_browser, owner["email"])
            assert refused.status_code == 429  # strangers are slowed down on this account...
            assert (await login(new_browser, other["email"])).status_code == 302  # ...not on others
        assert (await login(known, owner["email"])).status_code == 302  # the owner's browser is not


async def test_a_device_cookie_counts_for_its_own_account_only_and_cannot_be_forged(
    app: Litestar, make_user: UserFactory, configure: Configure
) -> None:
    configure(login_attempts_per_minute=1)
    owner, victim = await make_user(), await make_user()
    async with browser_at(app, "192.0.2.20") as attacker:
        assert (await login(attacker, owner["email"])).status_code == 302  # a device cookie of their own
        for number in range(5):
            async with browser_at(app, f"198.51.100.{number + 20}") as helper:
                await login(helper, victim["email"], WRONG)
        assert (await login(attacker, victim["email"])).status_code == 429  # not the victim's device
        device = attacker.cookies[DEVICE_COOKIE]
        attacker.cookies.set(DEVICE_COOKIE, device.split(".")[0] + ".forged")
        assert (await login(attacker, victim["email"])).status_code == 429


async def test_a_known_browser_is_slowed_by_its_own_wrong_passwords(
    app: Litestar, make_user: UserFactory, clock: FrozenClock, configure: Configure
) -> None:
    configure(login_attempts_per_minute=2)
    owner = await make_user()
    async with browser_at(app, "192.0.2.30") as known:
        assert (await login(known, owner["email"])).status_code == 302
        assert [(await login(known, owner["email"], WRONG)).status_code for _ in range(3)] == [401, 401, 429]
        clock.advance(timedelta(minutes=1))
        assert (await login(known, owner["email"])).status_code == 302


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    app: Litestar, make_user: UserFactory, configure: Configure
) -> None:
    configure(login_attempts_per_minute=2)
    user = await make_user()
    async with browser_at(app, "192.0.2.40") as direct:
        for number in range(2):  # a fresh made-up address for every guess changes nothing
            direct.headers["x-forwarded-for"] = f"198.51.100.{number + 40}"
            await login(direct, user["email"], WRONG)
        direct.headers["x-forwarded-for"] = "198.51.100.99"
        assert (await login(direct, user["email"])).status_code == 429


async def test_x_forwarded_for_names_the_client_behind_a_trusted_proxy(
    app: Litestar, make_user: UserFactory, configure: Configure
) -> None:
    configure(login_attempts_per_minute=2, trusted_proxies=TrustedProxies.parse("10.0.0.0/8"))
    user = await make_user()
    async with browser_at(app, "10.1.2.3") as proxy:
        for _attempt in range(2):  # the client prepends a lie; the proxy appends what it saw
            proxy.headers["x-forwarded-for"] = "1.1.1.1, 198.51.100.50, 10.9.9.9"
            await login(proxy, user["email"], WRONG)
        assert (await login(proxy, user["email"])).status_code == 429  # 198.51.100.50 must wait
        proxy.headers["x-forwarded-for"] = "1.1.1.1, 198.51.100.51"
        proxy.cookies.clear()
        assert (await login(proxy, user["email"])).status_code == 302  # another client behind the proxy


async def test_the_current_password_check_on_the_profile_is_throttled_like_sign_in(
    signed_in: SignedIn, clock: FrozenClock, configure: Configure
) -> None:
    configure(login_attempts_per_minute=2)
    browser, _user = await signed_in()
    change = {"current_password": WRONG, "new_password": "a brand new passphrase"}
    assert [(await post_form(browser, "/profile/password", change)).status_code for _ in range(2)] == [422, 422]
    blocked = await post_form(browser, "/profile/password", {**change, "current_password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) == 60
    assert 'id="e-current_password"' in blocked.text and "Too many wrong passwords" in blocked.text
    clock.advance(timedelta(minutes=1))
    assert (await post_form(browser, "/profile/password", {**change, "current_password": PASSWORD})).status_code == 302


async def test_the_api_password_change_is_throttled_with_retry_after(
    api_client: SignedIn, clock: FrozenClock, configure: Configure
) -> None:
    configure(login_attempts_per_minute=2)
    api, _user = await api_client()
    change = {"current_password": WRONG, "new_password": "a brand new passphrase"}
    wrong = [await api.post("/api/v1/me/password", json=change) for _ in range(2)]
    assert [response.status_code for response in wrong] == [422, 422]
    assert wrong[0].json()["errors"][0]["field"] == "current_password"
    blocked = await api.post("/api/v1/me/password", json={**change, "current_password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) == 60
    assert blocked.json()["detail"].startswith("Too many wrong passwords")
    clock.advance(timedelta(minutes=1))
    assert (await api.post("/api/v1/me/password", json={**change, "current_password": PASSWORD})).status_code == 204
