"""Closing one's own account (PIPL, issue 17 §5): sign-in and tokens stop at once, the name and e-mail address
become a pseudonym wherever they are shown, messages stay and every case record still verifies."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from accord import events
from accord.clock import FrozenClock
from accounts.credentials import ENDED
from accounts.tables import ApiToken, Enterprise, User, UserSession
from cases.service import verify_reference
from cases.tables import CaseEvent
from notifications.tables import Notification, OutboxMail
from tests.cases.conftest import filing_body
from tests.conftest import PASSWORD, ClientFactory, SignedIn, login, mails_written, post_form


async def _act(client: httpx.AsyncClient, reference: str, action: str, **payload: Any) -> None:
    current = (await client.get(f"/api/v1/cases/{reference}")).json()
    response = await client.post(
        f"/api/v1/cases/{reference}/actions/{action}", json={"version": current["version"], **payload}
    )
    assert response.status_code == 200, (action, response.text)


async def _file(consumer: httpx.AsyncClient, enterprise_id: int) -> str:
    response = await consumer.post("/api/v1/cases", json=filing_body(enterprise_id))
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


async def _say(client: httpx.AsyncClient, reference: str, channel: str, text: str) -> None:
    response = await client.post(f"/api/v1/cases/{reference}/messages", json={"channel": channel, "text": text})
    assert response.status_code == 201, response.text


@pytest.fixture
async def closing_world(api_client: SignedIn) -> dict[str, Any]:
    """A consumer with a recognisable name and two cases against one merchant: one in mediation (with words
    in the joint thread and the consumer's caucus), one just filed."""
    name = f"Mei Closing {uuid.uuid4().hex[:8]}"
    consumer, consumer_user = await api_client("consumer", display_name=name)
    merchant, merchant_user = await api_client("merchant")
    mediator, _mediator_user = await api_client("mediator")
    enterprise_id = merchant_user["enterprise_id"]
    mediated = await _file(consumer, enterprise_id)
    await _say(consumer, mediated, "joint", "The lid leaks, see the photo.")
    await _act(merchant, mediated, "respond", kind="reject", text="It was fine when shipped.")
    await _act(consumer, mediated, "request_mediation", reason="No agreement.")
    await _act(mediator, mediated, "claim")
    await _act(mediator, mediated, "admit")
    await _say(consumer, mediated, "caucus:consumer", "Privately: I would take half.")
    filed = await _file(consumer, enterprise_id)
    return {
        "consumer": consumer,
        "consumer_user": consumer_user,
        "merchant": merchant,
        "merchant_user": merchant_user,
        "mediator": mediator,
        "name": name,
        "cases": [mediated, filed],
    }


async def test_after_closing_the_token_is_401_sign_in_fails_others_see_the_pseudonym_and_records_verify(
    closing_world: dict[str, Any], new_client: ClientFactory, clock: FrozenClock
) -> None:
    world = closing_world
    consumer, user, name = world["consumer"], world["consumer_user"], world["name"]
    await mails_written()
    assert await OutboxMail.exists().where(OutboxMail.recipient_email == user["email"])  # mail waits for them
    ended: list[events.DomainEvent] = []

    async def heard(event: events.DomainEvent) -> None:
        if event.kind == ENDED:
            ended.append(event)

    events.subscribe(heard, "after_commit")
    try:
        response = await consumer.post("/api/v1/me/close", json={"password": PASSWORD})
    finally:
        events.unsubscribe(heard, "after_commit")
    assert response.status_code == 202, response.text
    # Every credential ends at once, sockets told after the commit (the same path as deactivation).
    assert [event.data for event in ended] == [{"user": user["id"]}]
    assert (await consumer.get("/api/v1/me")).status_code == 401
    assert not await UserSession.exists().where(UserSession.user == user["id"])
    assert not await ApiToken.exists().where(ApiToken.user == user["id"], ApiToken.revoked_at.is_null())

    # Sign-in fails as for any wrong password: no hint that the account existed or was closed.
    token = await new_client().post("/api/v1/auth/token", json={"email": user["email"], "password": PASSWORD})
    assert token.status_code == 401 and token.json()["detail"] == "The email or password is not correct."
    page = await login(new_client(), user["email"])
    assert page.status_code == 401 and "The email or password is not correct." in page.text
    assert "deactivated" not in page.text

    stored = await User.select().where(User.id == user["id"]).first()
    pseudonym = stored["display_name"]
    assert pseudonym.startswith("Closed account ") and stored["email"].endswith("@closed.invalid")
    assert not stored["active"] and stored["closed_at"] == clock.now()
    assert not await OutboxMail.exists().where(OutboxMail.recipient_email == user["email"])  # mail to them dropped

    # The merchant sees the pseudonym on the case, its messages and record, the case page and their notices.
    merchant, reference = world["merchant"], world["cases"][0]
    case = (await merchant.get(f"/api/v1/cases/{reference}")).json()
    assert case["consumer"]["display_name"] == pseudonym
    messages = (await merchant.get(f"/api/v1/cases/{reference}/messages")).json()["items"]
    said = [m for m in messages if m["text"] == "The lid leaks, see the photo."]
    assert said and said[0]["author"]["display_name"] == pseudonym  # the message stays, under the pseudonym
    browser = new_client()
    assert (await login(browser, world["merchant_user"]["email"])).status_code == 302
    for shown in (
        await browser.get(f"/cases/{reference}"),
        await browser.get(f"/cases/{reference}/print"),
        await browser.get("/inbox"),
        await merchant.get(f"/api/v1/cases/{reference}/record"),
        await merchant.get("/api/v1/notifications"),
    ):
        assert shown.status_code == 200 and name not in shown.text and user["email"] not in shown.text, shown.url
    assert pseudonym in (await browser.get(f"/cases/{reference}")).text
    assert not await Notification.exists().where(Notification.details.like(f"%{name}%"))
    # The mediator's view too.
    assert (await world["mediator"].get(f"/api/v1/cases/{reference}")).json()["consumer"]["display_name"] == pseudonym

    # The record names people by id, never by name (nothing hashed had to change), and `accord verify-case`
    # (its service) passes for every case of theirs.
    assert not await CaseEvent.exists().where(CaseEvent.data.like(f"%{name}%") | CaseEvent.writes.like(f"%{name}%"))
    for each in world["cases"]:
        result = await verify_reference(each, clock.now())
        assert result.verified, (each, result)


async def test_a_wrong_password_is_422_and_changes_nothing(closing_world: dict[str, Any]) -> None:
    consumer, user = closing_world["consumer"], closing_world["consumer_user"]
    before = await User.select().where(User.id == user["id"]).first()
    response = await consumer.post("/api/v1/me/close", json={"password": "not the password at all"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["password"]
    assert await User.select().where(User.id == user["id"]).first() == before
    assert (await consumer.get("/api/v1/me")).status_code == 200


async def test_wrong_passwords_are_slowed_down_like_a_sign_in(api_client: SignedIn) -> None:
    consumer, _user = await api_client("consumer")
    statuses = [
        (await consumer.post("/api/v1/me/close", json={"password": f"wrong guess {n}"})).status_code
        for n in range(12)
    ]
    assert statuses[0] == 422 and statuses[-1] == 429
    assert (await consumer.post("/api/v1/me/close", json={"password": PASSWORD})).status_code == 429


async def test_closing_needs_a_sign_in_and_is_not_for_staff(client: httpx.AsyncClient, api_client: SignedIn) -> None:
    assert (await client.post("/api/v1/me/close", json={"password": PASSWORD})).status_code == 401
    for role in ("mediator", "admin"):
        staff, _user = await api_client(role)
        assert (await staff.post("/api/v1/me/close", json={"password": PASSWORD})).status_code == 403


async def test_a_merchant_agent_closes_and_the_enterprise_stays(
    closing_world: dict[str, Any], clock: FrozenClock
) -> None:
    merchant, agent = closing_world["merchant"], closing_world["merchant_user"]
    assert (await merchant.post("/api/v1/me/close", json={"password": PASSWORD})).status_code == 202
    assert (await merchant.get("/api/v1/me")).status_code == 401
    assert await Enterprise.exists().where(Enterprise.id == agent["enterprise_id"])
    stored = await User.select(User.enterprise, User.display_name).where(User.id == agent["id"]).first()
    assert stored["enterprise"] == agent["enterprise_id"] and stored["display_name"].startswith("Closed account ")
    consumer = closing_world["consumer"]
    reference = closing_world["cases"][0]
    case = (await consumer.get(f"/api/v1/cases/{reference}")).json()
    assert case["enterprise"]["id"] == agent["enterprise_id"]  # the case stays against the enterprise
    for each in closing_world["cases"]:
        assert (await verify_reference(each, clock.now())).verified


async def test_the_profile_page_closes_the_account_after_a_clear_warning(
    signed_in: SignedIn, new_client: ClientFactory
) -> None:
    browser, user = await signed_in("consumer")
    profile = await browser.get("/profile")
    assert 'href="/api/v1/me/export"' in profile.text and "Close your account" in profile.text
    assert "cannot be undone" in profile.text
    wrong = await post_form(browser, "/profile/close", {"close_password": "not my password"})
    assert wrong.status_code == 422 and 'id="e-close_password"' in wrong.text
    assert await User.select(User.active).where(User.id == user["id"]).first() == {"active": True}
    done = await post_form(browser, "/profile/close", {"close_password": PASSWORD})
    assert done.status_code == 302 and done.headers["location"] == "/login?closed=1"
    assert "Your account is closed" in (await browser.get("/login?closed=1")).text
    assert (await browser.get("/profile")).status_code == 302  # signed out
    assert (await login(new_client(), user["email"])).status_code == 401


async def test_nobody_takes_a_closed_accounts_name_and_a_closed_account_stays_closed(
    api_client: SignedIn, client: httpx.AsyncClient
) -> None:
    consumer, user = await api_client("consumer")
    taken = await client.post(
        "/api/v1/auth/register",
        json={
            "email": f"mimic-{uuid.uuid4().hex[:6]}@example.com",
            "password": PASSWORD,
            "display_name": "closed ACCOUNT 7F3K",
            "consent": True,
        },
    )
    assert taken.status_code == 422 and taken.json()["errors"][0]["field"] == "display_name"
    admin, _admin_user = await api_client("admin")
    assert (await consumer.post("/api/v1/me/close", json={"password": PASSWORD})).status_code == 202
    again = await admin.post(f"/api/v1/admin/users/{user['id']}/active", json={"active": True})
    assert again.status_code == 409
    assert await User.select(User.active).where(User.id == user["id"]).first() == {"active": False}
