"""A forgotten password (issue 12 §10): /password/forgot mails a one-use link, valid for an hour, through
the outbox, in the owner's language and time zone; asking always gets the same answer and is rate-limited
per account and per client address; the link sets a new password like a change on the profile (every
session ends, every API token is revoked) and opens nothing once used, superseded or expired."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from accord.clock import FrozenClock
from accounts.credentials import digest
from accounts.tables import PasswordReset, User
from notifications.mailer import SmtpTransport, send_due
from notifications.tables import OutboxMail
from tests.conftest import PASSWORD, SignedIn, UserFactory, login, post_form, unique_email
from tests.notifications.conftest import Recorder, smtp  # noqa: F401 - a real SMTP server, found by name

NEW = "a fresh passphrase of mine"
LINK = re.compile(r"http://127\.0\.0\.1:8000/password/reset/([A-Za-z0-9_-]+)")
SAME_ANSWER = "If an Accord account uses this address, we have sent it a link to set a new password."
_addresses = itertools.count(1)

Browser = Callable[[], httpx.AsyncClient]


@pytest.fixture
async def browser_here(app: Litestar) -> AsyncIterator[Browser]:
    """Browsers at one client address of this test's own: the per-address limit counts nobody else's asking."""
    number = next(_addresses)
    address = f"198.18.{number // 250}.{number % 250 + 1}"
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://testserver.local"))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


async def forgot(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/password/forgot", {"email": email})


async def mails_to(email: str) -> list[dict[str, Any]]:
    return await OutboxMail.select().where(OutboxMail.recipient_email == email).order_by(OutboxMail.id)


async def link_mailed_to(email: str) -> str:
    """The token of the newest reset link in the outbox for `email`."""
    mail = (await mails_to(email))[-1]
    found = LINK.search(mail["text_body"])
    assert found and found.group(0) in mail["html_body"]
    return found.group(1)


async def test_the_whole_reset_through_the_outbox_and_a_real_mail_server(
    browser_here: Browser,
    signed_in: SignedIn,
    smtp: tuple[Recorder, int],  # noqa: F811 - the fixture imported above
    clock: FrozenClock,
) -> None:
    recorder, port = smtp
    browser, user = await signed_in()
    program = browser_here()
    issued = await program.post("/api/v1/auth/token", json={"email": user["email"], "password": PASSWORD})
    api = browser_here()
    api.headers["authorization"] = f"Bearer {issued.json()['token']}"

    asked = await forgot(browser_here(), user["email"].upper())  # addresses are matched like at sign-in
    assert asked.status_code == 302 and asked.headers["location"] == "/password/forgot?sent=1"
    assert SAME_ANSWER in (await browser_here().get("/password/forgot?sent=1")).text

    await send_due(SmtpTransport(f"smtp://127.0.0.1:{port}"), clock, "Accord <no-reply@accord.test>", limit=10_000)
    delivered = [message for to, message in recorder.messages if user["email"] in to]
    assert len(delivered) == 1 and delivered[0]["Subject"] == "Accord: set a new password"
    text = "".join(part.get_content() for part in delivered[0].walk() if part.get_content_maintype() == "text")
    token = LINK.search(text).group(1)  # type: ignore[union-attr]
    stored = await PasswordReset.select().where(PasswordReset.user == user["id"]).first()
    assert stored["token_hash"] == digest(token) and token not in str(stored)  # only its hash is kept
    assert stored["expires_at"] == clock.now() + timedelta(hours=1)

    visitor = browser_here()
    form = await visitor.get(f"/password/reset/{token}")
    assert form.status_code == 200 and user["email"] in form.text and 'name="new_password"' in form.text
    done = await post_form(visitor, f"/password/reset/{token}", {"new_password": NEW})
    assert done.status_code == 302 and done.headers["location"] == "/login?reset=1"
    assert "Your new password is set" in (await visitor.get("/login?reset=1")).text

    assert (await browser.get("/profile")).status_code == 302  # the earlier session ended
    assert (await api.get("/api/v1/me")).status_code == 401  # and the API token was revoked
    assert (await login(browser_here(), user["email"])).status_code == 401
    assert (await login(browser_here(), user["email"], NEW)).status_code == 302

    again = await post_form(browser_here(), f"/password/reset/{token}", {"new_password": "yet another passphrase"})
    assert again.status_code == 404 and "cannot be used" in again.text  # one use
    assert (await browser_here().get(f"/password/reset/{token}")).status_code == 404
    assert (await login(browser_here(), user["email"], NEW)).status_code == 302


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    browser_here: Browser, make_user: UserFactory
) -> None:
    user = await make_user()
    nobody = unique_email("nobody")
    mails, links = await OutboxMail.count(), await PasswordReset.count()
    known, unknown = await forgot(browser_here(), user["email"]), await forgot(browser_here(), nobody)
    assert (known.status_code, known.headers["location"]) == (unknown.status_code, unknown.headers["location"])
    assert await OutboxMail.count() == mails + 1 and await PasswordReset.count() == links + 1
    assert await mails_to(nobody) == []
    api_known = await browser_here().post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    api_unknown = await browser_here().post("/api/v1/auth/password/forgot", json={"email": unique_email("ghost")})
    assert api_known.status_code == api_unknown.status_code == 202
    assert api_known.json() == api_unknown.json() == {"detail": SAME_ANSWER}


async def test_a_deactivated_account_gets_no_link_and_its_open_link_stops_working(
    browser_here: Browser, make_user: UserFactory
) -> None:
    user = await make_user()
    await forgot(browser_here(), user["email"])
    token = await link_mailed_to(user["email"])
    await User.update({User.active: False}).where(User.id == user["id"])
    assert (await browser_here().get(f"/password/reset/{token}")).status_code == 404
    answer = await forgot(browser_here(), user["email"])
    assert answer.headers["location"] == "/password/forgot?sent=1" and len(await mails_to(user["email"])) == 1


async def test_asking_is_rate_limited_per_account_from_any_address(
    browser_here: Browser, make_user: UserFactory, app: Litestar, clock: FrozenClock
) -> None:
    user = await make_user()
    for _ in range(3):
        assert (await forgot(browser_here(), user["email"])).status_code == 302
    elsewhere = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.19.7.7", 40000)), base_url="http://testserver.local"
    )
    async with elsewhere:
        refused = await forgot(elsewhere, user["email"])
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 60
        assert "Too many requests for a new password. Try again in 1 minute." in refused.text
        api = await elsewhere.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
        assert api.status_code == 429 and "retry-after" in api.headers
    assert len(await mails_to(user["email"])) == 3
    clock.advance(timedelta(seconds=61))
    assert (await forgot(browser_here(), user["email"])).status_code == 302


async def test_asking_is_rate_limited_per_client_address_whatever_the_address(browser_here: Browser) -> None:
    for _ in range(10):
        assert (await forgot(browser_here(), unique_email("probe"))).status_code == 302
    refused = await forgot(browser_here(), unique_email("probe"))
    assert refused.status_code == 429 and "Try again in 1 minute" in refused.text
    chinese = browser_here()
    chinese.headers["accept-language"] = "zh-CN"
    assert "请求新密码的次数过多" in (await forgot(chinese, unique_email("probe"))).text


async def test_a_link_expires_after_an_hour(browser_here: Browser, make_user: UserFactory, clock: FrozenClock) -> None:
    user = await make_user()
    await forgot(browser_here(), user["email"])
    token = await link_mailed_to(user["email"])
    clock.advance(timedelta(minutes=59))
    assert (await browser_here().get(f"/password/reset/{token}")).status_code == 200
    clock.advance(timedelta(minutes=1, seconds=1))
    expired = await browser_here().get(f"/password/reset/{token}")
    assert expired.status_code == 404 and 'href="/password/forgot"' in expired.text
    refused = await post_form(browser_here(), f"/password/reset/{token}", {"new_password": NEW})
    assert refused.status_code == 404
    assert (await login(browser_here(), user["email"])).status_code == 302  # the password did not change


async def test_a_newer_link_voids_the_older_one(browser_here: Browser, make_user: UserFactory) -> None:
    user = await make_user()
    await forgot(browser_here(), user["email"])
    older = await link_mailed_to(user["email"])
    await forgot(browser_here(), user["email"])
    newer = await link_mailed_to(user["email"])
    assert newer != older
    assert (await browser_here().get(f"/password/reset/{older}")).status_code == 404
    assert (await browser_here().get(f"/password/reset/{newer}")).status_code == 200


async def test_a_weak_password_is_a_field_error_and_keeps_the_link(
    browser_here: Browser, make_user: UserFactory
) -> None:
    user = await make_user()
    await forgot(browser_here(), user["email"])
    token = await link_mailed_to(user["email"])
    weak = await post_form(browser_here(), f"/password/reset/{token}", {"new_password": user["email"]})
    assert weak.status_code == 422 and "Do not use your email address as your password." in weak.text
    api_weak = await browser_here().post("/api/v1/auth/password/reset", json={"token": token, "new_password": "short"})
    assert api_weak.status_code == 422 and api_weak.json()["errors"][0]["field"] == "new_password"
    set_by_api = await browser_here().post("/api/v1/auth/password/reset", json={"token": token, "new_password": NEW})
    assert set_by_api.status_code == 204
    reused = await browser_here().post("/api/v1/auth/password/reset", json={"token": token, "new_password": NEW})
    assert reused.status_code == 404 and "cannot be used" in reused.json()["detail"]
    assert (await login(browser_here(), user["email"], NEW)).status_code == 302


async def test_the_mail_speaks_the_owners_language_and_tells_the_time_in_their_zone(
    browser_here: Browser, make_user: UserFactory
) -> None:
    user = await make_user(language="zh-Hans")
    await User.update({User.timezone: "Europe/Berlin"}).where(User.id == user["id"])
    await forgot(browser_here(), user["email"])
    mail = (await mails_to(user["email"]))[-1]
    assert mail["subject"] == "协和：设置新密码" and mail["language"] == "zh-Hans"
    # Asked at 09:00 UTC: the link works until 10:00 UTC, which is 11:00 in Berlin (and 18:00 in Shanghai).
    assert "2026年11月25日 11:00:00" in mail["text_body"] and "18:00" not in mail["text_body"]
    assert "设置新密码" in mail["html_body"]


async def test_sign_in_page_offers_the_way_back_in_both_languages(browser_here: Browser) -> None:
    assert 'href="/password/forgot"' in (await browser_here().get("/login")).text
    page = await browser_here().get("/password/forgot?lang=zh-Hans")
    assert page.status_code == 200 and "忘记密码" in page.text
    bad = await forgot(browser_here(), "not an address")
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
