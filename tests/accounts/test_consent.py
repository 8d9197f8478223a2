"""Registration asks for explicit consent to the privacy notice, on the page and the API alike (PIPL), and
keeps which notice was agreed to and when (issue 17 §5)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accord.clock import FrozenClock
from accounts.tables import PRIVACY_NOTICE_VERSION, User
from tests.accounts.test_registration import consumer_form
from tests.conftest import PASSWORD, post_form, unique_email


def api_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": unique_email("consent"),
        "password": PASSWORD,
        "display_name": "Consenting Adult",
        "language": "en",
        "role": "consumer",
        "consent": True,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize("consent", [None, False, "yes", 1, "true"], ids=["missing", "false", "yes", "1", "'true'"])
async def test_api_registration_without_explicit_consent_is_422_and_stores_nothing(
    client: httpx.AsyncClient, consent: Any
) -> None:
    before = await User.count()
    body = api_body(consent=consent)  # None: left out
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422, response.text
    assert "consent" in {error["field"] for error in response.json()["errors"]}
    assert await User.count() == before
    assert not await User.exists().where(User.email == body["email"])


async def test_api_registration_keeps_the_notice_agreed_to_and_when(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = api_body()
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    stored = await User.select(User.consent_version, User.consent_at).where(User.email == body["email"]).first()
    assert stored == {"consent_version": PRIVACY_NOTICE_VERSION, "consent_at": clock.now()}


async def test_page_registration_keeps_the_consent_too(client: httpx.AsyncClient, clock: FrozenClock) -> None:
    form = consumer_form()
    assert (await post_form(client, "/register", form)).status_code == 302
    stored = await User.select(User.consent_version, User.consent_at).where(User.email == form["email"]).first()
    assert stored == {"consent_version": PRIVACY_NOTICE_VERSION, "consent_at": clock.now()}
    profile = await client.get("/profile")  # the profile says which notice they agreed to
    assert f"Version {PRIVACY_NOTICE_VERSION}, agreed to on" in profile.text


async def test_page_registration_without_the_box_ticked_stores_nothing(client: httpx.AsyncClient) -> None:
    form = consumer_form()
    del form["consent"]
    response = await post_form(client, "/register", form)
    assert response.status_code == 422 and 'id="e-consent"' in response.text
    assert not await User.exists().where(User.email == form["email"])
