"""Registration through the page and the API: what is stored, and bad input that stores nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from accounts.tables import Enterprise, User
from tests.conftest import PASSWORD, post_form, random_uscc, unique_email


def consumer_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "role": "consumer",
        "email": unique_email("reg"),
        "display_name": "Ada Consumer",
        "password": PASSWORD,
        "language": "en",
        "consent": "yes",
    }
    form.update(overrides)
    return form


def merchant_json(**enterprise: Any) -> dict[str, Any]:
    return {
        "email": unique_email("merchant"),
        "password": PASSWORD,
        "consent": True,
        "display_name": "Mo Merchant",
        "language": "zh-Hans",
        "role": "merchant",
        "enterprise": {
            "name": "Ningbo Harbour Trading Co., Ltd.",
            "uscc": random_uscc(),
            "country": "CN",
            **enterprise,
        },
    }


async def counts() -> tuple[int, int]:
    return await User.count(), await Enterprise.count()


async def test_consumer_registers_on_the_page_and_is_signed_in(client: httpx.AsyncClient) -> None:
    form = consumer_form(email="  Ada.Lovelace+Case@Example.COM ")
    response = await post_form(client, "/register", form)
    assert response.status_code == 302
    assert response.headers["location"] == "/cases/new?welcome=1"  # they came to complain
    profile = await client.get("/profile")
    assert profile.status_code == 200
    assert "ada.lovelace+case@example.com" in profile.text
    user = (
        await User.select(User.role, User.active, User.password_hash)
        .where(User.email == "ada.lovelace+case@example.com")
        .first()
    )
    assert user is not None and user["role"] == "consumer" and user["active"]
    assert user["password_hash"].startswith("$argon2id$") and PASSWORD not in user["password_hash"]


async def test_merchant_registration_creates_an_unverified_enterprise_and_waits(client: httpx.AsyncClient) -> None:
    body = merchant_json(shop_urls=["https://ningbo-harbour.example/shop"])
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["role"] == "merchant"
    assert user["language"] == "zh-Hans"
    assert user["enterprise"] is None  # nothing of the enterprise until a registrar approves the agent
    assert user["agency"]["status"] == "pending" and user["agency"]["enterprise_uscc"] == body["enterprise"]["uscc"]
    stored = await Enterprise.select().where(Enterprise.uscc == body["enterprise"]["uscc"]).first()
    assert stored["shop_urls"] == ["https://ningbo-harbour.example/shop"] and not stored["verified"]
    agent = await User.select(User.enterprise, User.agent_status).where(User.id == user["id"]).first()
    assert agent == {"enterprise": stored["id"], "agent_status": "pending"}


async def test_signed_in_waiting_agent_is_labelled(client: httpx.AsyncClient) -> None:
    body = merchant_json()
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    response = await post_form(client, "/login", {"email": body["email"], "password": PASSWORD, "next": "/profile"})
    assert response.status_code == 302
    profile = await client.get("/profile")
    assert "等待批准" in profile.text and 'href="/agency"' in profile.text  # this merchant chose Chinese
    assert body["enterprise"]["name"] not in profile.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "short-pw"}, "password"),
        ({"password": "1234567890"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "admin"}, "role"),
        ({"role": "mediator"}, "role"),
        ({"display_name": "   "}, "display_name"),
        ({"language": "fr"}, "language"),
    ],
)
async def test_bad_registration_fields_are_422_with_the_field_named(
    client: httpx.AsyncClient, change: dict[str, str], field: str
) -> None:
    before = await counts()
    body = {
        "email": unique_email("bad"),
        "password": PASSWORD,
        "consent": True,
        "display_name": "B",
        "language": "en",
        "role": "consumer",
    }
    body.update(change)
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["detail"]
    assert field in {error["field"] for error in payload["errors"]}
    assert all(error["message"] for error in payload["errors"])
    assert await counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "short-pw"}, "password"),
        ({"email": "nobody@"}, "email"),
        ({"role": "admin"}, "role"),
        ({"consent": ""}, "consent"),
    ],
)
async def test_bad_registration_form_is_rerendered_with_field_errors(
    client: httpx.AsyncClient, change: dict[str, str], field: str
) -> None:
    before = await counts()
    form = consumer_form(**change)
    response = await post_form(client, "/register", form)
    assert response.status_code == 422
    assert f'<p class="error" id="e-{field}">' in response.text
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", response.text)
    named = [tag for tag in controls if f'name="{field}"' in tag]
    # Every control of the field is marked invalid and points at its message; no other control is marked.
    assert named and all(f'aria-invalid="true" aria-describedby="e-{field}"' in tag for tag in named), named
    assert all(tag in named for tag in controls if "aria-invalid" in tag), controls
    assert form["password"] not in response.text  # passwords are never echoed back
    assert await counts() == before


async def test_duplicate_email_differs_only_in_case(client: httpx.AsyncClient) -> None:
    email = unique_email("dup")
    assert (await client.post("/api/v1/auth/register", json=consumer_json(email))).status_code == 201
    before = await counts()
    response = await client.post("/api/v1/auth/register", json=consumer_json(email.upper()))
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["email"]
    page = await post_form(client, "/register", consumer_form(email=email.title()))
    assert page.status_code == 422 and 'id="e-email"' in page.text
    assert await counts() == before


def consumer_json(email: str) -> dict[str, str]:
    return {
        "email": email,
        "password": PASSWORD,
        "display_name": "Dup",
        "language": "en",
        "role": "consumer",
        "consent": True,
    }


@pytest.mark.parametrize(
    "uscc",
    ["91110000600037341M", "9111000060003734", "911100006000373410L", "91110000600037341I", "9111000060003O341L"],
)
async def test_invalid_uscc_is_a_field_error_and_nothing_is_stored(client: httpx.AsyncClient, uscc: str) -> None:
    before = await counts()
    response = await client.post("/api/v1/auth/register", json=merchant_json(uscc=uscc))
    assert response.status_code == 422
    assert "enterprise.uscc" in {error["field"] for error in response.json()["errors"]}
    form = {
        **consumer_form(role="merchant"),
        "enterprise.name": "Bad Code Co",
        "enterprise.uscc": uscc,
        "enterprise.country": "CN",
    }
    page = await post_form(client, "/register", form)
    assert page.status_code == 422 and 'id="e-enterprise.uscc"' in page.text
    assert await counts() == before


async def test_merchant_needs_enterprise_and_chinese_enterprise_needs_uscc(client: httpx.AsyncClient) -> None:
    body = merchant_json()
    del body["enterprise"]
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "enterprise"
    response = await client.post("/api/v1/auth/register", json=merchant_json(uscc=None))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "enterprise.uscc"
    foreign = merchant_json(uscc=None, country="US")
    assert (await client.post("/api/v1/auth/register", json=foreign)).status_code == 201


async def test_unknown_fields_are_rejected_so_nothing_can_be_mass_assigned(client: httpx.AsyncClient) -> None:
    body = {**consumer_json(unique_email("mass")), "active": False, "verified": True}
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert {"active", "verified"} <= {error["field"] for error in response.json()["errors"]}


async def test_a_second_claim_on_an_enterprise_waits_too_and_copies_nothing(client: httpx.AsyncClient) -> None:
    first = merchant_json()
    assert (await client.post("/api/v1/auth/register", json=first)).status_code == 201
    second = merchant_json(uscc=first["enterprise"]["uscc"], name="Another Name For It Ltd")
    users, enterprises = await counts()
    response = await client.post("/api/v1/auth/register", json=second)
    assert response.status_code == 201 and response.json()["agency"]["status"] == "pending"
    assert await counts() == (users + 1, enterprises)
    claimed = await User.select(User.enterprise).where(User.email.is_in([first["email"], second["email"]]))
    assert len({row["enterprise"] for row in claimed}) == 1


async def test_an_enterprise_consumers_named_is_claimed_not_taken(client: httpx.AsyncClient, clock: Any) -> None:
    from accounts import service
    from accounts.schemas import EnterpriseIn

    uscc = random_uscc()
    existing = await service.create_enterprise(EnterpriseIn(name="Named By A Consumer Ltd", uscc=uscc), clock)
    response = await client.post("/api/v1/auth/register", json=merchant_json(uscc=uscc))
    assert response.status_code == 201
    assert response.json()["enterprise"] is None and response.json()["agency"]["status"] == "pending"
    assert "Named By A Consumer" not in response.text
    claimed = await User.select(User.enterprise).where(User.id == response.json()["id"]).first()
    assert claimed == {"enterprise": existing["id"]}
