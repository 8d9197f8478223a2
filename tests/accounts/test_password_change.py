"""A new password ends every other sign-in: browsers and API tokens (the profile says so)."""

from __future__ import annotations

import httpx

from tests.conftest import PASSWORD, ClientFactory, SignedIn, login, post_form

NEW = "a brand new passphrase"


async def token_of(new_client: ClientFactory, email: str) -> httpx.AsyncClient:
    response = await new_client().post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201
    return new_client(authorization=f"Bearer {response.json()['token']}")


async def test_a_password_changed_on_the_profile_revokes_every_api_token(
    signed_in: SignedIn, new_client: ClientFactory
) -> None:
    browser, user = await signed_in()
    programs = [await token_of(new_client, user["email"]) for _ in range(2)]
    changed = await post_form(browser, "/profile/password", {"current_password": PASSWORD, "new_password": NEW})
    assert changed.status_code == 302
    assert [(await program.get("/api/v1/me")).status_code for program in programs] == [401, 401]
    assert "You have no API tokens." in (await browser.get("/profile")).text  # and this browser stays


async def test_a_password_changed_through_the_api_keeps_only_the_token_that_changed_it(
    new_client: ClientFactory, signed_in: SignedIn
) -> None:
    browser, user = await signed_in()
    changer, other = await token_of(new_client, user["email"]), await token_of(new_client, user["email"])
    changed = await changer.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW})
    assert changed.status_code == 204
    assert (await changer.get("/api/v1/me")).status_code == 200
    assert (await other.get("/api/v1/me")).status_code == 401
    assert (await browser.get("/profile")).status_code == 302  # signed out
    assert (await login(new_client(), user["email"], NEW)).status_code == 302


async def test_a_weak_new_password_through_the_api_is_a_field_error_and_changes_nothing(
    new_client: ClientFactory, signed_in: SignedIn
) -> None:
    _browser, user = await signed_in()
    api = await token_of(new_client, user["email"])
    refused = await api.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "new_password"
    assert (await login(new_client(), user["email"])).status_code == 302


async def test_the_profile_says_a_new_password_signs_out_everywhere_in_both_languages(signed_in: SignedIn) -> None:
    browser, _user = await signed_in()
    english = (await browser.get("/profile")).text
    assert "A new password signs you out everywhere else" in english and "every API token" in english
    chinese = (await browser.get("/profile?lang=zh-Hans")).text
    assert "所有 API 令牌" in chinese
