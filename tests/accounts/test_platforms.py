"""Platforms and their merchants (issue 17 §1): enterprises have a kind; a platform's approved agents and
registrars link the merchants selling on it; registrars say what an enterprise is, in their audit log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from accounts.tables import AdminAction, Enterprise, PlatformMerchant
from tests.conftest import PASSWORD, SignedIn, make_platform, post_form, random_uscc, unique_email


async def test_a_platform_s_agent_links_and_unlinks_its_merchants(platform: Any, make_user: Any) -> None:
    client, agent = platform
    merchant = await make_user("merchant")
    path = f"/api/v1/platforms/{agent['enterprise_id']}/merchants"
    linked = await client.post(path, json={"merchant_id": merchant["enterprise_id"]})
    assert linked.status_code == 201, linked.text
    assert linked.json()["id"] == merchant["enterprise_id"] and linked.json()["name"] == merchant["enterprise_name"]
    again = await client.post(path, json={"merchant_id": merchant["enterprise_id"]})
    assert again.status_code == 409
    listed = (await client.get(path)).json()
    assert [item["id"] for item in listed["items"]] == [merchant["enterprise_id"]] and listed["next_cursor"] is None
    assert (await client.delete(f"{path}/{merchant['enterprise_id']}")).status_code == 204
    assert (await client.delete(f"{path}/{merchant['enterprise_id']}")).status_code == 404
    assert (await client.get(path)).json()["items"] == []
    assert await AdminAction.count() == 0  # an agent's own links are no registrar's action


async def test_the_list_pages_with_a_cursor(platform: Any, make_user: Any) -> None:
    client, agent = platform
    path = f"/api/v1/platforms/{agent['enterprise_id']}/merchants"
    ids = [(await make_user("merchant"))["enterprise_id"] for _ in range(3)]
    for merchant_id in ids:
        assert (await client.post(path, json={"merchant_id": merchant_id})).status_code == 201
    first = (await client.get(f"{path}?limit=2")).json()
    second = (await client.get(f"{path}?limit=2&cursor={first['next_cursor']}")).json()
    assert [item["id"] for item in first["items"] + second["items"]] == ids and second["next_cursor"] is None


async def test_only_merchants_are_linked(platform: Any, api_client: SignedIn, make_user: Any) -> None:
    client, agent = platform
    path = f"/api/v1/platforms/{agent['enterprise_id']}/merchants"
    other_platform = (await make_user("merchant"))["enterprise_id"]
    await make_platform(other_platform)
    unverified = (await make_user("merchant", enterprise_verified=False))["enterprise_id"]
    for merchant_id in (agent["enterprise_id"], other_platform, unverified, 2_000_000_000):
        refused = await client.post(path, json={"merchant_id": merchant_id})
        assert refused.status_code == 422, merchant_id
        assert [error["field"] for error in refused.json()["errors"]] == ["merchant_id"]
    assert await PlatformMerchant.count() == 0


@pytest.mark.parametrize(
    ("who", "expected"),
    [("consumer", 403), ("mediator", 403), ("other agent", 404), ("own non-platform", 409), ("admin", 201)],
)
async def test_who_links_merchants_to_a_platform(
    platform: Any, api_client: SignedIn, make_user: Any, who: str, expected: int
) -> None:
    _client, agent = platform
    merchant = await make_user("merchant")
    role = {"other agent": "merchant", "own non-platform": "merchant"}.get(who, who)
    client, person = await api_client(role)
    target = person["enterprise_id"] if who == "own non-platform" else agent["enterprise_id"]
    path = f"/api/v1/platforms/{target}/merchants"
    response = await client.post(path, json={"merchant_id": merchant["enterprise_id"]})
    assert response.status_code == expected, response.text
    assert (await client.get(path)).status_code == (200 if expected == 201 else expected)
    if who == "admin":  # registrars may link an unverified merchant too, and it is in their audit log
        unverified = (await make_user("merchant", enterprise_verified=False))["enterprise_id"]
        linked = await client.post(f"/api/v1/platforms/{target}/merchants", json={"merchant_id": unverified})
        assert linked.status_code == 201
        assert await AdminAction.count().where(AdminAction.action == "link_merchant") == 2


async def test_enterprises_say_what_they_are(platform: Any, client: httpx.AsyncClient, make_user: Any) -> None:
    _client, agent = platform
    merchant = await make_user("merchant")
    everyone = (await client.get("/api/v1/enterprises?kind=platform")).json()["items"]
    assert agent["enterprise_id"] in [item["id"] for item in everyone]
    assert merchant["enterprise_id"] not in [item["id"] for item in everyone]
    assert {item["kind"] for item in everyone} == {"platform"}
    found = (await client.get(f"/api/v1/enterprises?q={merchant['enterprise_uscc']}")).json()["items"]
    assert [item["kind"] for item in found] == ["merchant"]
    assert (await client.get("/api/v1/enterprises?kind=shop")).status_code in (400, 422)


async def test_an_agent_may_register_a_platform(client: httpx.AsyncClient) -> None:
    body = {
        "email": unique_email("platform"),
        "password": PASSWORD,
        "display_name": "Platform Agent",
        "role": "merchant",
        "consent": True,
        "enterprise": {"name": "Registered Marketplace", "uscc": random_uscc(), "kind": "platform"},
    }
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    stored = await Enterprise.select(Enterprise.kind, Enterprise.verified).where(
        Enterprise.uscc == body["enterprise"]["uscc"]
    ).first()
    assert stored == {"kind": "platform", "verified": False}  # a registrar verifies it as any enterprise


async def test_registrars_change_an_enterprise_s_kind_in_their_audit_log(signed_in: SignedIn, make_user: Any) -> None:
    browser, _admin = await signed_in("admin")
    merchant = await make_user("merchant")
    enterprise_id = merchant["enterprise_id"]
    changed = await post_form(browser, f"/admin/enterprises/{enterprise_id}/kind", {"kind": "platform", "q": ""})
    assert changed.status_code == 302
    kind = await Enterprise.select(Enterprise.kind).where(Enterprise.id == enterprise_id).first()
    assert kind["kind"] == "platform"
    audit = await browser.get("/admin/audit")
    assert f"changed what {merchant['enterprise_name']}" in audit.text and "Platform" in audit.text
    listed = await browser.get(f"/admin/enterprises?q={merchant['enterprise_uscc']}")
    assert f"/admin/enterprises/{enterprise_id}/merchants" in listed.text
    refused = await post_form(browser, f"/admin/enterprises/{enterprise_id}/kind", {"kind": "shop"})
    assert refused.status_code == 422


async def test_the_platform_s_merchants_page(signed_in: SignedIn, make_user: Any) -> None:
    browser, agent = await signed_in("merchant")
    await make_platform(agent["enterprise_id"])
    merchant = await make_user("merchant")
    found = await browser.get(f"/platform/merchants?q={merchant['enterprise_uscc']}")
    assert found.status_code == 200 and merchant["enterprise_name"] in found.text
    added = await post_form(browser, "/platform/merchants", {"merchant_id": str(merchant["enterprise_id"])})
    assert added.status_code == 302
    shown = await browser.get("/platform/merchants")
    assert merchant["enterprise_name"] in shown.text
    twice = await post_form(browser, "/platform/merchants", {"merchant_id": str(merchant["enterprise_id"])})
    assert twice.status_code == 409 and "already linked" in twice.text
    removed = await post_form(browser, f"/platform/merchants/{merchant['enterprise_id']}/remove", {})
    assert removed.status_code == 302
    assert await PlatformMerchant.count() == 0


async def test_the_registrar_s_page_of_a_platform_s_merchants(signed_in: SignedIn, make_user: Any) -> None:
    browser, _admin = await signed_in("admin")
    platform_agent, merchant = await make_user("merchant"), await make_user("merchant")
    await make_platform(platform_agent["enterprise_id"])
    base = f"/admin/enterprises/{platform_agent['enterprise_id']}/merchants"
    added = await post_form(browser, base, {"merchant_id": str(merchant["enterprise_id"])})
    assert added.status_code == 302
    assert merchant["enterprise_name"] in (await browser.get(base)).text
    assert (await post_form(browser, f"{base}/{merchant['enterprise_id']}/remove", {})).status_code == 302
    audit = await browser.get("/admin/audit")
    assert "linked a merchant to the platform" in audit.text and "removed a merchant from the platform" in audit.text
    not_a_platform = await browser.get(f"/admin/enterprises/{merchant['enterprise_id']}/merchants")
    assert not_a_platform.status_code == 409
