"""People land where their work is (issue 12 §9): after signing in each role goes to its own page unless
a safe `next` was given, a new consumer goes to file their complaint, registrars have a desk at /admin,
registration shows the enterprise fields for merchants only, and a deactivated user who gives the right
password is told their account is deactivated (anyone else gets the usual answer)."""

from __future__ import annotations

import re

import httpx
import pytest

from accounts.tables import User
from tests.accounts.test_registration import consumer_form, merchant_json
from tests.conftest import PASSWORD, ClientFactory, UserFactory, csrf_token, post_form


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    return await post_form(client, "/login", {"email": email, "password": password, **extra})


@pytest.mark.parametrize(
    ("role", "landing"),
    [("consumer", "/cases"), ("merchant", "/cases"), ("mediator", "/queue"), ("admin", "/admin")],
)
async def test_each_role_lands_where_its_work_is(
    new_client: ClientFactory, make_user: UserFactory, role: str, landing: str
) -> None:
    user = await make_user(role)
    browser = new_client()
    response = await sign_in(browser, user["email"])
    assert response.status_code == 302 and response.headers["location"] == landing
    assert (await browser.get(landing)).status_code == 200


async def test_a_merchant_agent_nobody_approved_yet_lands_on_their_waiting_page(client: httpx.AsyncClient) -> None:
    body = merchant_json()
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    response = await sign_in(client, body["email"])
    assert response.headers["location"] == "/agency"


async def test_a_safe_next_wins_and_an_unsafe_one_is_ignored(new_client: ClientFactory, make_user: UserFactory) -> None:
    mediator = await make_user("mediator")
    asked = await sign_in(new_client(), mediator["email"], next="/inbox/settings")
    assert asked.headers["location"] == "/inbox/settings"
    off_site = await sign_in(new_client(), mediator["email"], next="https://evil.example/queue")
    assert off_site.headers["location"] == "/queue"


async def test_the_login_form_carries_next_only_when_one_was_given(client: httpx.AsyncClient) -> None:
    plain, asked = (await client.get("/login")).text, (await client.get("/login?next=/cases/new")).text
    assert 'name="next"' not in sign_in_form(plain)
    assert '<input type="hidden" name="next" value="/cases/new">' in sign_in_form(asked)


def sign_in_form(page: str) -> str:
    form = page[page.index('<form method="post" action="/login"') :]
    return form[: form.index("</form>")]


async def test_a_new_consumer_goes_to_file_their_complaint(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/register", consumer_form())
    assert response.status_code == 302 and response.headers["location"] == "/cases/new?welcome=1"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200 and "Welcome! Your account is ready." in page.text
    chinese = await client.get("/cases/new?welcome=1&lang=zh-Hans")
    assert "欢迎！您的账户已创建。" in chinese.text


async def test_the_registrars_desk_links_every_desk_in_both_languages(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    browser = new_client()
    await sign_in(browser, admin["email"])
    waiting = merchant_json()
    assert (await new_client().post("/api/v1/auth/register", json=waiting)).status_code == 201
    page = (await browser.get("/admin")).text
    for desk in (
        "/admin/agents",
        "/admin/users",
        "/admin/enterprises",
        "/admin/registry",
        "/admin/outbox",
        "/admin/audit",
        "/admin/calendar",
        "/queue",
    ):
        assert f'href="{desk}"' in page, desk
    waiting_count = await User.count().where(User.role == "merchant", User.agent_status == "pending")
    assert re.search(rf'Merchant agents waiting for approval</a>\s*<span class="badge warn">{waiting_count}<', page)
    chinese = (await browser.get("/admin?lang=zh-Hans")).text
    assert "登记员工作台" in chinese and "等待批准的商家代理人" in chinese


async def test_only_registrars_open_the_desk(new_client: ClientFactory, make_user: UserFactory) -> None:
    mediator = await make_user("mediator")
    browser = new_client()
    await sign_in(browser, mediator["email"])
    assert (await browser.get("/admin")).status_code == 403
    assert (await new_client().get("/admin")).headers["location"] == "/login?next=/admin"


async def test_registration_groups_the_enterprise_fields_for_merchants_only(client: httpx.AsyncClient) -> None:
    page = (await client.get("/register")).text
    group = page[page.index('<fieldset class="merchant-only" id="merchant-only">') :]
    group = group[: group.index("</fieldset>")]
    assert "Your enterprise — for merchant agents only" in group and 'name="enterprise.uscc"' in group
    assert 'name="email"' not in group  # everyone's fields stay outside it
    assert '<script src="/static/register.js" defer></script>' in page  # which hides it until "merchant"
    script = (await client.get("/static/register.js")).text
    assert 'getElementById("merchant-only")' in script and "group.hidden" in script
    assert "仅限商家代理人" in (await client.get("/register?lang=zh-Hans")).text


async def test_a_deactivated_user_is_told_only_after_the_right_password(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = await make_user()
    await User.update({User.active: False}).where(User.id == user["id"])
    right = await sign_in(new_client(), user["email"])
    assert right.status_code == 401 and "Your account has been deactivated." in right.text
    wrong = await sign_in(new_client(), user["email"], "not the password at all")
    assert wrong.status_code == 401 and "deactivated" not in wrong.text
    assert "The email or password is not correct." in wrong.text
    api = await new_client().post("/api/v1/auth/token", json={"email": user["email"], "password": PASSWORD})
    assert api.status_code == 401 and "deactivated" in api.json()["detail"]
    chinese = new_client(**{"accept-language": "zh-CN"})
    token = await csrf_token(chinese)
    told = await chinese.post("/login", data={"email": user["email"], "password": PASSWORD, "_csrf_token": token})
    assert "您的账户已被停用" in told.text
