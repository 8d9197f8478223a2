"""Signing in and out: sessions, CSRF, rate limiting, API tokens, role guards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from accord.clock import FrozenClock
from accounts.credentials import digest
from accounts.tables import ApiToken, User, UserSession
from tests.conftest import PASSWORD, ClientFactory, SignedIn, UserFactory, csrf_token, login, post_form


def session_cookie_header(response: httpx.Response) -> str:
    return next(value for value in response.headers.get_list("set-cookie") if value.startswith("accord_session="))


async def test_login_sets_an_httponly_lax_session_cookie(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    response = await login(client, user["email"].upper())
    assert response.status_code == 302
    assert response.headers["location"] == "/profile"
    cookie = session_cookie_header(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert (await client.get("/profile")).status_code == 200
    raw = client.cookies["accord_session"]
    assert not await UserSession.exists().where(UserSession.id_hash == raw)  # only the hash is stored
    assert await UserSession.exists().where(UserSession.id_hash == digest(raw))


async def test_session_id_is_rotated_at_login(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    first, second = await make_user(), await make_user()
    await login(client, first["email"])
    old = client.cookies["accord_session"]
    await login(client, second["email"])
    new = client.cookies["accord_session"]
    assert new != old
    assert not await UserSession.exists().where(UserSession.id_hash == digest(old))
    me = await client.get("/profile")
    assert second["email"] in me.text


async def test_next_parameter_cannot_redirect_off_site(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    token = await csrf_token(client)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = await client.post(
            "/login", data={"email": user["email"], "password": PASSWORD, "next": target, "_csrf_token": token}
        )
        assert response.headers["location"] == "/cases"  # where a consumer's work is, not off-site


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    wrong = await login(client, user["email"], "not the password")
    unknown = await login(client, "nobody-here@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "The email or password is not correct." in wrong.text
        and "The email or password is not correct." in unknown.text
    )
    api_wrong = await client.post("/api/v1/auth/token", json={"email": user["email"], "password": "nope-nope-nope"})
    api_unknown = await client.post("/api/v1/auth/token", json={"email": "ghost@example.com", "password": "nope-nope"})
    assert api_wrong.status_code == api_unknown.status_code == 401
    assert api_wrong.json() == api_unknown.json()


async def test_eleventh_wrong_password_is_429_with_retry_after(
    client: httpx.AsyncClient, make_user: UserFactory, clock: FrozenClock
) -> None:
    user = await make_user()
    for _attempt in range(10):
        assert (await login(client, user["email"], "wrong password!")).status_code == 401
    blocked = await login(client, user["email"], "wrong password!")
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert "Too many wrong passwords. Try again in 1 minute." in blocked.text
    # Even the right password waits until the window has passed.
    assert (await login(client, user["email"])).status_code == 429
    clock.advance(timedelta(seconds=61))
    assert (await login(client, user["email"])).status_code == 302


async def test_token_endpoint_is_rate_limited_too(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    body = {"email": user["email"], "password": "wrong password!"}
    for _attempt in range(10):
        assert (await client.post("/api/v1/auth/token", json=body)).status_code == 401
    blocked = await client.post("/api/v1/auth/token", json=body)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    assert blocked.json()["detail"]


async def test_rate_limit_is_per_address_and_account(
    new_client: ClientFactory, make_user: UserFactory, app: Any
) -> None:
    user, other = await make_user(), await make_user()
    client = new_client()
    for _attempt in range(10):
        await login(client, user["email"], "wrong password!")
    assert (await login(client, other["email"])).status_code == 302  # another account is unaffected
    elsewhere = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1234)), base_url="http://testserver.local"
    )
    async with elsewhere:
        assert (await login(elsewhere, user["email"])).status_code == 302  # another address is unaffected


async def test_logout_deletes_the_server_side_session(signed_in: SignedIn) -> None:
    browser, _user = await signed_in()
    raw = browser.cookies["accord_session"]
    response = await post_form(browser, "/logout", {})
    assert response.status_code == 302
    assert not await UserSession.exists().where(UserSession.id_hash == digest(raw))
    browser.cookies.set("accord_session", raw)  # replaying the old cookie does not work
    assert (await browser.get("/profile")).status_code == 302


async def test_sessions_expire_when_idle_and_at_their_absolute_limit(signed_in: SignedIn, clock: FrozenClock) -> None:
    browser, _user = await signed_in()
    clock.advance(timedelta(minutes=119))
    assert (await browser.get("/profile")).status_code == 200  # activity renews the idle timer
    clock.advance(timedelta(minutes=119))
    assert (await browser.get("/profile")).status_code == 200
    clock.advance(timedelta(minutes=121))
    assert (await browser.get("/profile")).status_code == 302

    browser, _user = await signed_in()
    for _step in range(13):
        clock.advance(timedelta(minutes=59))
        last = await browser.get("/profile")
    assert last.status_code == 302  # 12 hours after sign-in, however active


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "a@example.com", "password": "x"}),
        ("/logout", {}),
        ("/profile", {"display_name": "X", "language": "en"}),
        ("/register", {}),
    ],
)
async def test_unsafe_form_without_csrf_token_is_403(signed_in: SignedIn, path: str, data: dict[str, str]) -> None:
    browser, user = await signed_in()
    response = await browser.post(path, data=data)
    assert response.status_code == 403
    assert (await User.select(User.display_name).where(User.id == user["id"]).first())["display_name"] != "X"


async def test_cookie_authenticated_api_calls_need_the_csrf_header(signed_in: SignedIn) -> None:
    browser, _user = await signed_in()
    assert (await browser.delete("/api/v1/auth/token")).status_code == 403
    assert (await browser.get("/api/v1/me")).status_code == 200  # safe methods need no token


async def test_api_token_lifecycle(
    client: httpx.AsyncClient, make_user: UserFactory, new_client: ClientFactory
) -> None:
    user = await make_user("merchant")
    response = await client.post("/api/v1/auth/token", json={"email": user["email"], "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    token = body["token"]
    assert len(token) >= 43 and body["user"]["email"] == user["email"]
    assert body["user"]["enterprise"]["uscc"] == user["enterprise_uscc"]
    stored = await ApiToken.select(ApiToken.token_hash).where(ApiToken.user == user["id"])
    assert [row["token_hash"] for row in stored] == [digest(token)]

    api = new_client(authorization=f"Bearer {token}")
    me = await api.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json() == {
        "id": user["id"],
        "email": user["email"],
        "display_name": user["display_name"],
        "role": "merchant",
        "language": "en",
        "timezone": "Asia/Shanghai",  # the deployment's (ACCORD_TIMEZONE) until they choose theirs
        "enterprise": {
            "id": user["enterprise_id"],
            "name": user["enterprise_name"],
            "uscc": user["enterprise_uscc"],
            "verified": True,
            "kind": "merchant",
        },
        "agency": {
            "status": "approved",
            "enterprise_uscc": user["enterprise_uscc"],
            "decided_at": user["agent_decided_at"].isoformat().replace("+00:00", "Z"),
            "note": None,
        },
    }
    used = await ApiToken.select(ApiToken.last_used_at).where(ApiToken.user == user["id"]).first()
    assert used["last_used_at"] is not None  # this user's token: other tests' kept tokens may come first
    assert (await api.delete("/api/v1/auth/token")).status_code == 204
    assert (await api.get("/api/v1/me")).status_code == 401


async def test_api_without_or_with_bad_token_is_401(new_client: ClientFactory) -> None:
    for headers in ({}, {"authorization": "Bearer acc_not-a-real-token"}, {"authorization": "Basic abc"}):
        response = await new_client(**headers).get("/api/v1/me")
        assert response.status_code == 401
        assert response.json() == {"detail": "Please sign in to continue.", "errors": []}
        assert response.headers["www-authenticate"] == "Bearer"


async def test_tokens_are_listed_and_revocable_from_the_profile_page(
    signed_in: SignedIn, new_client: ClientFactory
) -> None:
    browser, user = await signed_in()
    created = await post_form(browser, "/profile/tokens", {"label": "order sync"})
    assert created.status_code == 200
    token = created.text.split('<code class="token">')[1].split("</code>")[0]
    api = new_client(authorization=f"Bearer {token}")
    assert (await api.get("/api/v1/me")).json()["id"] == user["id"]
    profile = await browser.get("/profile")
    assert "order sync" in profile.text and token not in profile.text  # shown once only
    token_id = (await ApiToken.select(ApiToken.id).where(ApiToken.token_hash == digest(token)).first())["id"]
    assert (await post_form(browser, f"/profile/tokens/{token_id}/revoke", {})).status_code == 302
    assert (await api.get("/api/v1/me")).status_code == 401


async def test_nobody_revokes_someone_elses_token(signed_in: SignedIn, api_client: SignedIn) -> None:
    _api, owner = await api_client()
    token_id = (await ApiToken.select(ApiToken.id).where(ApiToken.user == owner["id"]).first())["id"]
    browser, _user = await signed_in()
    assert (await post_form(browser, f"/profile/tokens/{token_id}/revoke", {})).status_code == 404
    assert (await ApiToken.select(ApiToken.revoked_at).where(ApiToken.id == token_id).first())["revoked_at"] is None


async def test_deactivated_users_cannot_sign_in_or_use_tokens(
    client: httpx.AsyncClient, api_client: SignedIn, make_user: UserFactory
) -> None:
    api, user = await api_client()
    await User.update({User.active: False}).where(User.id == user["id"])
    assert (await api.get("/api/v1/me")).status_code == 401
    assert (await login(client, user["email"])).status_code == 401


async def test_pages_need_sign_in_and_redirect_back(client: httpx.AsyncClient) -> None:
    response = await client.get("/profile?saved=1")
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=/profile%3Fsaved%3D1"


@pytest.mark.parametrize("role", ["consumer", "merchant", "mediator"])
async def test_admin_pages_and_api_are_403_for_other_roles(
    signed_in: SignedIn, api_client: SignedIn, role: str
) -> None:
    browser, _user = await signed_in(role)
    for path in ("/admin/users", "/admin/enterprises", "/admin/audit", "/admin/users/1"):
        assert (await browser.get(path)).status_code == 403
    api, _user = await api_client(role)
    response = await api.get("/api/v1/admin/users")
    assert response.status_code == 403
    assert response.json()["detail"]


async def test_password_hash_is_upgraded_at_sign_in_when_parameters_change(
    client: httpx.AsyncClient, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher

    from accounts import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())  # the product's cost (tests run at the lowest)
    user = await make_user()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    await User.update({User.password_hash: weak}).where(User.id == user["id"])
    assert (await login(client, user["email"])).status_code == 302
    upgraded = (await User.select(User.password_hash).where(User.id == user["id"]).first())["password_hash"]
    assert upgraded != weak and not PasswordHasher().check_needs_rehash(upgraded)


async def test_password_change_keeps_this_session_and_ends_the_others(
    signed_in: SignedIn, new_client: ClientFactory
) -> None:
    browser, user = await signed_in()
    other = new_client()
    await login(other, user["email"])
    bad = await post_form(
        browser, "/profile/password", {"current_password": "wrong one!", "new_password": "a brand new passphrase"}
    )
    assert bad.status_code == 422 and 'id="e-current_password"' in bad.text
    weak = await post_form(browser, "/profile/password", {"current_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 422 and 'id="e-new_password"' in weak.text
    done = await post_form(
        browser, "/profile/password", {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    )
    assert done.status_code == 302
    assert (await browser.get("/profile")).status_code == 200
    assert (await other.get("/profile")).status_code == 302
    fresh = new_client()
    assert (await login(fresh, user["email"], "a brand new passphrase")).status_code == 302


async def test_profile_update_validates_and_saves(signed_in: SignedIn) -> None:
    browser, user = await signed_in()
    bad = await post_form(browser, "/profile", {"display_name": "  ", "language": "en"})
    assert bad.status_code == 422 and 'id="e-display_name"' in bad.text
    good = await post_form(browser, "/profile", {"display_name": "  New   Name ", "language": "zh-Hans"})
    assert good.status_code == 302
    stored = await User.select(User.display_name, User.language).where(User.id == user["id"]).first()
    assert stored == {"display_name": "New Name", "language": "zh-Hans"}
