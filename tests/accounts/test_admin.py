"""Registrars: list and search users, change roles, deactivate, verify enterprises, all audited."""

from __future__ import annotations

import json

import httpx

from accounts.tables import AdminAction, Enterprise, MediatorProfile, User, UserSession
from tests.conftest import SignedIn, UserFactory, login, post_form


async def test_admin_lists_and_searches_users(signed_in: SignedIn, make_user: UserFactory) -> None:
    admin, _me = await signed_in("admin")
    target = await make_user("merchant", display_name="Searchable Sun")
    page = await admin.get("/admin/users", params={"q": "searchable"})
    assert page.status_code == 200
    assert target["email"] in page.text and "Searchable Sun" in page.text
    merchants = await admin.get("/admin/users", params={"role": "merchant"})
    assert target["email"] in merchants.text
    consumers = await admin.get("/admin/users", params={"role": "consumer", "q": "searchable"})
    assert target["email"] not in consumers.text
    literal = await admin.get("/admin/users", params={"q": "%"})
    assert literal.status_code == 200 and target["email"] not in literal.text  # % is not a wildcard


async def test_admin_user_list_pages_with_a_cursor(api_client: SignedIn, make_user: UserFactory) -> None:
    api, _me = await api_client("admin")
    made = [await make_user(display_name="Paged Person") for _ in range(5)]
    first = (await api.get("/api/v1/admin/users", params={"q": "paged person", "limit": 2})).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (await api.get("/api/v1/admin/users", params={"q": "paged person", "limit": 2, "cursor": cursor})).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen, reverse=True) == seen
    assert set(seen) >= {user["id"] for user in made}
    bad = await api.get("/api/v1/admin/users", params={"cursor": "!!not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    too_many = await api.get("/api/v1/admin/users", params={"limit": 500})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "limit"


async def test_role_change_is_audited_and_signs_the_user_out(
    signed_in: SignedIn, new_client: object, make_user: UserFactory
) -> None:
    admin, me = await signed_in("admin")
    user_browser, user = await signed_in("consumer")
    response = await post_form(admin, f"/admin/users/{user['id']}/role", {"role": "mediator"})
    assert response.status_code == 302
    assert (await User.select(User.role).where(User.id == user["id"]).first())["role"] == "mediator"
    assert await MediatorProfile.exists().where(MediatorProfile.user == user["id"])
    assert not await UserSession.exists().where(UserSession.user == user["id"])
    assert (await user_browser.get("/profile")).status_code == 302  # signed out
    action = await AdminAction.select().where(AdminAction.target == f"user:{user['id']}").first()
    assert action["actor"] == me["id"] and action["action"] == "change_role"
    before, after = (json.loads(v) if isinstance(v, str) else v for v in (action["before"], action["after"]))
    assert before == {"role": "consumer"} and after == {"role": "mediator"}
    audit = (await admin.get("/admin/audit")).text  # in words, not the stored target and JSON
    assert f"Registrar Test Admin changed the role of Test Consumer ({user['email']})." in audit
    assert "Role: Consumer → Mediator" in audit and f"user:{user['id']}" not in audit
    in_chinese = (await admin.get("/admin/audit", params={"lang": "zh-Hans"})).text
    assert f"登记员Test Admin 修改了 Test Consumer ({user['email']}) 的角色。" in in_chinese
    assert "角色：由 消费者 改为 调解员" in in_chinese


async def test_role_change_rejects_unknown_roles_and_merchants_without_enterprise(
    signed_in: SignedIn, api_client: SignedIn, make_user: UserFactory
) -> None:
    admin, _me = await signed_in("admin")
    user = await make_user("consumer")
    unknown = await post_form(admin, f"/admin/users/{user['id']}/role", {"role": "superuser"})
    assert unknown.status_code == 422 and 'id="e-role"' in unknown.text
    no_enterprise = await post_form(admin, f"/admin/users/{user['id']}/role", {"role": "merchant"})
    assert no_enterprise.status_code == 422
    api, _me = await api_client("admin")
    response = await api.post(f"/api/v1/admin/users/{user['id']}/role", json={"role": "root"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "role"
    assert (await User.select(User.role).where(User.id == user["id"]).first())["role"] == "consumer"
    assert not await AdminAction.exists().where(AdminAction.target == f"user:{user['id']}")


async def test_admin_cannot_demote_or_deactivate_themselves(api_client: SignedIn) -> None:
    api, me = await api_client("admin")
    assert (await api.post(f"/api/v1/admin/users/{me['id']}/role", json={"role": "consumer"})).status_code == 403
    assert (await api.post(f"/api/v1/admin/users/{me['id']}/active", json={"active": False})).status_code == 403


async def test_deactivation_signs_out_and_reactivation_restores(
    signed_in: SignedIn, new_client: object, make_user: UserFactory
) -> None:
    admin, _me = await signed_in("admin")
    user_browser, user = await signed_in("merchant")
    assert (await post_form(admin, f"/admin/users/{user['id']}/active", {"active": "no"})).status_code == 302
    assert (await user_browser.get("/profile")).status_code == 302
    assert (await login(user_browser, user["email"])).status_code == 401
    page = await admin.get(f"/admin/users/{user['id']}")
    assert "deactivated" in page.text
    await post_form(admin, f"/admin/users/{user['id']}/active", {"active": "yes"})
    assert (await login(user_browser, user["email"])).status_code == 302


async def test_admin_verifies_an_enterprise(
    signed_in: SignedIn, make_user: UserFactory, client: httpx.AsyncClient
) -> None:
    admin, _me = await signed_in("admin")
    merchant_browser, merchant = await signed_in("merchant", enterprise_verified=False)
    assert "unverified" in (await merchant_browser.get("/profile")).text
    listing = await admin.get("/admin/enterprises", params={"q": merchant["enterprise_uscc"]})
    assert merchant["enterprise_name"] in listing.text
    response = await post_form(admin, f"/admin/enterprises/{merchant['enterprise_id']}/verify", {"verified": "yes"})
    assert response.status_code == 302
    stored = await Enterprise.select().where(Enterprise.id == merchant["enterprise_id"]).first()
    assert stored["verified"] and stored["verified_at"] is not None
    profile = await merchant_browser.get("/profile")
    assert "unverified" not in profile.text and "verified" in profile.text
    public = (await client.get("/api/v1/enterprises", params={"q": merchant["enterprise_uscc"]})).json()
    assert public["items"][0]["verified"] is True
    assert await AdminAction.exists().where(AdminAction.target == f"enterprise:{merchant['enterprise_id']}")


async def test_enterprise_search_by_name_or_uscc_is_public(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    merchant = await make_user("merchant")
    by_code = (await client.get("/api/v1/enterprises", params={"q": merchant["enterprise_uscc"].lower()})).json()
    assert [item["id"] for item in by_code["items"]] == [merchant["enterprise_id"]]
    fragment = merchant["enterprise_name"].split()[-1]
    by_name = (await client.get("/api/v1/enterprises", params={"q": fragment.upper()})).json()
    assert merchant["enterprise_id"] in [item["id"] for item in by_name["items"]]
    assert set(by_name["items"][0]) == {"id", "name", "name_zh", "uscc", "verified", "country", "kind"}
