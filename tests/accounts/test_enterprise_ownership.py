"""Nobody speaks for an enterprise until it vouches for them (issue 11, item 1).

A merchant agent who registers on their own waits for a registrar, who approves them against a proof
document; a colleague's invitation approves them at once. Until then they see nothing of the enterprise:
no case, no consumer, no message, on pages or the API.
"""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from accord.clock import FrozenClock
from accounts import service
from accounts.credentials import digest
from accounts.seed import DEMO_PASSWORD, ensure_demo_accounts
from accounts.schemas import EnterpriseIn
from accounts.tables import AdminAction, AgencyProof, AgentInvitation, Enterprise, Role, User
from notifications.tables import Notification, OutboxMail
from tests.cases.conftest import filing_body
from tests.conftest import (
    PASSWORD,
    ClientFactory,
    SignedIn,
    login,
    mails_written,
    post_form,
    random_uscc,
    unique,
    unique_email,
)

DEMO_USCC = "91330100716105852F"  # Hangzhou Westlake, verified, with the approved agent merchant@demo.test
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- helpers -------------------------------------------------------------------------------------


def agent_body(uscc: str | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": unique_email("agent"),
        "password": PASSWORD,
        "consent": True,
        "display_name": "Would-be Agent",
        "language": "en",
        "role": "merchant",
        "enterprise": {"name": "Whatever They Typed Ltd", "uscc": uscc or random_uscc(), "country": "CN"},
    }
    body.update(changes)
    return body


async def bearer(new_client: ClientFactory, email: str, password: str = PASSWORD) -> httpx.AsyncClient:
    response = await new_client().post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return new_client(authorization=f"Bearer {response.json()['token']}")


async def register(new_client: ClientFactory, body: dict[str, Any]) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    """Self-registration through the API; the new account's API client and the registration answer."""
    response = await new_client().post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    return await bearer(new_client, body["email"]), response.json()


@dataclass
class Planted:
    """A case with everything an outsider must never see: the consumer's name, a message, a file."""

    reference: str
    evidence_id: int
    consumer_name: str
    message: str


async def plant_case(api_client: SignedIn, enterprise_id: int | None = None, uscc: str | None = None) -> Planted:
    """Filed against a verified enterprise by id, or against any enterprise by its USCC (as consumers name one)."""
    marker = unique("secret")
    consumer, _user = await api_client("consumer", display_name=f"Consumer {marker}")
    body = filing_body(enterprise_id or 0, description=f"Order {marker}")
    if uscc:
        del body["enterprise_id"]
        body["enterprise"] = {"name": "As The Consumer Calls It", "uscc": uscc}
    filed = await consumer.post("/api/v1/cases", json=body)
    assert filed.status_code == 201, filed.text
    reference = filed.json()["reference"]
    message = f"My address is {marker} road"
    posted = await consumer.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": message})
    assert posted.status_code == 201, posted.text
    evidence = await consumer.post(
        f"/api/v1/cases/{reference}/evidence", files={"file": ("r.pdf", PDF, "application/pdf")}
    )
    assert evidence.status_code == 201, evidence.text
    return Planted(reference, evidence.json()["id"], f"Consumer {marker}", message)


def local(link: str) -> str:
    """The path and query of an absolute link, to follow it in the in-process app."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def shown_link(page: httpx.Response) -> str:
    return page.text.split('<code class="token">')[1].split("</code>")[0]


def assert_nothing_of(planted: Planted, response: httpx.Response) -> None:
    """Neither who complained nor what they said (the reference may be in a URL the visitor typed)."""
    for secret in (planted.consumer_name, planted.message):
        assert secret not in response.text, (str(response.url), secret)


async def enterprise_id_of(uscc: str) -> int:
    row = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == uscc).first()
    assert row is not None
    return int(row["id"])


# --- the takeover that used to work -----------------------------------------------------------------


async def test_registering_with_a_demo_enterprises_uscc_shows_no_case_no_consumer_no_message(
    clock: FrozenClock, api_client: SignedIn, new_client: ClientFactory
) -> None:
    await ensure_demo_accounts(clock)
    planted = await plant_case(api_client, await enterprise_id_of(DEMO_USCC))
    attacker, registered = await register(new_client, agent_body(DEMO_USCC))

    assert registered["enterprise"] is None
    assert registered["agency"] == {"status": "pending", "enterprise_uscc": DEMO_USCC, "decided_at": None, "note": None}
    assert (await attacker.get("/api/v1/me")).json()["agency"]["status"] == "pending"
    listed = await attacker.get("/api/v1/cases")
    assert listed.status_code == 200 and listed.json()["items"] == []
    case = f"/api/v1/cases/{planted.reference}"
    evidence = f"{case}/evidence"
    for path in (case, f"{case}/messages", f"{case}/record", evidence, f"{evidence}/{planted.evidence_id}"):
        response = await attacker.get(path)
        assert response.status_code == 404, path
        assert_nothing_of(planted, response)
    answer = await attacker.post(f"{case}/actions/respond", json={"version": 1, "kind": "reject", "text": "No."})
    assert answer.status_code == 404
    said = await attacker.post(f"{case}/messages", json={"channel": "joint", "text": "It is ours now."})
    assert said.status_code == 404

    # The same person in a browser: a waiting page instead of the enterprise's cases.
    browser = new_client()
    assert (await login(browser, registered["email"])).status_code == 302
    cases_page = await browser.get("/cases")
    assert cases_page.status_code == 302 and cases_page.headers["location"] == "/agency"
    waiting = await browser.get("/agency")
    assert waiting.status_code == 200 and "Waiting for approval" in waiting.text
    assert_nothing_of(planted, waiting)
    assert planted.reference not in waiting.text
    for path in ("/", "/profile", "/inbox"):
        assert_nothing_of(planted, await browser.get(path))
    page = f"/cases/{planted.reference}"
    for path in (page, f"{page}/print", f"{page}/evidence/{planted.evidence_id}"):
        response = await browser.get(path)
        assert response.status_code == 404, path
        assert_nothing_of(planted, response)

    # The enterprise's real agent still sees it all; the waiting one hears nothing of new cases.
    real_agent = await bearer(new_client, "merchant@demo.test", DEMO_PASSWORD)
    assert planted.reference in (await real_agent.get("/api/v1/cases")).text
    later = await plant_case(api_client, await enterprise_id_of(DEMO_USCC))
    assert not await Notification.exists().where(Notification.recipient == registered["id"])
    await mails_written()
    assert not await OutboxMail.exists().where(OutboxMail.recipient_email == registered["email"])
    assert later.reference in (await real_agent.get("/api/v1/cases")).text


async def test_the_registration_page_tells_a_new_agent_what_comes_next(client: httpx.AsyncClient) -> None:
    form = {
        "role": "merchant",
        "email": unique_email("page-agent"),
        "display_name": "Page Agent",
        "password": PASSWORD,
        "language": "zh-Hans",
        "consent": "yes",
        "enterprise.name": "Ningbo Page Trading Co., Ltd.",
        "enterprise.uscc": random_uscc(),
        "enterprise.country": "CN",
    }
    response = await post_form(client, "/register", form)
    assert response.status_code == 302 and response.headers["location"] == "/agency?done=registered"
    waiting = await client.get("/agency?done=registered")
    assert "等待批准" in waiting.text and 'action="/agency/proofs"' in waiting.text
    assert 'href="/cases"' not in waiting.text  # the menu offers the waiting page, not the cases
    stored = await User.select(User.agent_status).where(User.email == form["email"]).first()
    assert stored == {"agent_status": "pending"}


# --- proof documents and the registrars' decision -------------------------------------------------


async def test_the_registrar_sees_what_kind_of_enterprise_an_agent_speaks_for(
    api_client: SignedIn, new_client: ClientFactory
) -> None:
    body = agent_body()
    body["enterprise"]["kind"] = "platform"
    _agent, registered = await register(new_client, body)
    registrar, _admin = await api_client("admin")
    queue = (await registrar.get("/api/v1/admin/agents")).json()["items"]
    assert next(item for item in queue if item["user"]["id"] == registered["id"])["enterprise"]["kind"] == "platform"


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 200, 415),  # a Windows program called licence.png
        (b"<html><script>alert(1)</script></html>", 415),
        (b"", 415),
        (PDF + b"0" * (10 * 1024 * 1024), 413),
    ],
)
async def test_proofs_that_are_no_image_or_pdf_or_too_large_are_refused(
    new_client: ClientFactory, content: bytes, status: int
) -> None:
    agent, registered = await register(new_client, agent_body())
    response = await agent.post("/api/v1/agency/proofs", files={"file": ("licence.png", content, "image/png")})
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert not await AgencyProof.exists().where(AgencyProof.user == registered["id"])


async def test_a_registrar_approves_the_first_agent_on_their_proof_and_then_they_see_the_cases(
    api_client: SignedIn, new_client: ClientFactory
) -> None:
    uscc = random_uscc()
    agent, registered = await register(new_client, agent_body(uscc))
    registrar, _admin = await api_client("admin")
    refused = await registrar.post(f"/api/v1/admin/agents/{registered['id']}/approve", json={})
    assert refused.status_code == 409 and "proof" in refused.json()["detail"]

    uploaded = await agent.post("/api/v1/agency/proofs", files={"file": ("licence.txt", PNG, "text/plain")})
    assert uploaded.status_code == 201, uploaded.text
    proof = uploaded.json()
    assert proof["media_type"] == "image/png" and proof["size"] == len(PNG)
    assert [item["id"] for item in (await agent.get("/api/v1/agency/proofs")).json()["items"]] == [proof["id"]]

    queue = (await registrar.get("/api/v1/admin/agents")).json()["items"]
    mine = next(item for item in queue if item["user"]["id"] == registered["id"])
    assert mine["status"] == "pending" and mine["enterprise"]["uscc"] == uscc
    assert mine["enterprise"]["kind"] == "merchant"
    assert mine["enterprise"]["verified"] is False and [p["id"] for p in mine["proofs"]] == [proof["id"]]
    document = f"/api/v1/admin/agents/{registered['id']}/proofs/{proof['id']}"
    opened = await registrar.get(document)
    assert opened.status_code == 200 and opened.content == PNG
    assert opened.headers["content-type"] == "image/png" and opened.headers["cache-control"] == "no-store"
    assert (await agent.get(document)).status_code == 403  # not even its uploader: registrars only

    approved = await registrar.post(
        f"/api/v1/admin/agents/{registered['id']}/approve", json={"note": "Licence checked", "verify_enterprise": True}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["enterprise"]["verified"] is True
    me = (await agent.get("/api/v1/me")).json()
    assert me["agency"]["status"] == "approved" and me["enterprise"]["uscc"] == uscc
    assert await AdminAction.exists().where(
        AdminAction.action == "approve_agent", AdminAction.target == f"user:{registered['id']}"
    )
    assert await AdminAction.exists().where(
        AdminAction.action == "verify_enterprise", AdminAction.target == f"enterprise:{me['enterprise']['id']}"
    )
    assert await Notification.exists().where(
        Notification.recipient == registered["id"], Notification.kind == "agent_approved"
    )
    await mails_written()
    mail = await OutboxMail.select().where(OutboxMail.recipient_email == registered["email"]).first()
    assert mail is not None and "act for an enterprise" in mail["text_body"]

    planted = await plant_case(api_client, me["enterprise"]["id"])
    case = await agent.get(f"/api/v1/cases/{planted.reference}")
    assert case.status_code == 200 and case.json()["consumer"]["display_name"] == planted.consumer_name
    again = await registrar.post(f"/api/v1/admin/agents/{registered['id']}/approve", json={})
    assert again.status_code == 409


async def test_a_rejected_agent_reads_why_sees_nothing_and_may_try_again(
    api_client: SignedIn, signed_in: SignedIn, new_client: ClientFactory
) -> None:
    uscc = random_uscc()
    browser = new_client()
    form = {
        "role": "merchant",
        "email": unique_email("rejected"),
        "display_name": "Rejected Agent",
        "password": PASSWORD,
        "consent": "yes",
        "enterprise.name": "Somebody Else's Shop Ltd",
        "enterprise.uscc": uscc,
    }
    assert (await post_form(browser, "/register", form)).status_code == 302
    token = browser.cookies["accord_csrf"]
    bad = await browser.post(
        "/agency/proofs", files={"file": ("a.png", b"GIF89a not allowed", "image/gif")}, data={"_csrf_token": token}
    )
    assert bad.status_code == 415 and 'id="e-file"' in bad.text
    good = await browser.post(
        "/agency/proofs", files={"file": ("a.pdf", PDF, "application/pdf")}, data={"_csrf_token": token}
    )
    assert good.status_code == 302 and good.headers["location"] == "/agency?done=proof"
    user = await User.select(User.id).where(User.email == form["email"]).first()
    assert user is not None

    registrar, _admin = await signed_in("admin")
    queue = await registrar.get("/admin/agents")
    assert queue.status_code == 200 and form["email"] in queue.text
    detail = await registrar.get(f"/admin/agents/{user['id']}")
    assert "Somebody Else&#39;s Shop Ltd" in detail.text and f"/admin/agents/{user['id']}/proofs/" in detail.text
    no_reason = await post_form(registrar, f"/admin/agents/{user['id']}/reject", {"note": "  "})
    assert no_reason.status_code == 422 and 'id="e-note"' in no_reason.text
    rejected = await post_form(
        registrar, f"/admin/agents/{user['id']}/reject", {"note": "The licence names another company."}
    )
    assert rejected.status_code == 302
    assert await AdminAction.exists().where(
        AdminAction.action == "reject_agent", AdminAction.target == f"user:{user['id']}"
    )
    assert await Notification.exists().where(Notification.recipient == user["id"], Notification.kind == "agent_rejected")

    planted = await plant_case(api_client, uscc=uscc)
    waiting = await browser.get("/agency")
    assert "not approved" in waiting.text and "The licence names another company." in waiting.text
    assert_nothing_of(planted, waiting)
    assert (await browser.get("/cases")).headers["location"] == "/agency"
    assert (await browser.get(f"/cases/{planted.reference}")).status_code == 404
    api = await bearer(new_client, form["email"])
    assert (await api.get("/api/v1/cases")).json()["items"] == []
    assert (await api.get("/api/v1/me")).json()["agency"]["note"] == "The licence names another company."
    assert (await api.post(f"/api/v1/admin/agents/{user['id']}/approve", json={})).status_code == 403

    again = await api.post("/api/v1/agency/proofs", files={"file": ("b.png", PNG, "image/png")})
    assert again.status_code == 201
    assert (await api.get("/api/v1/me")).json()["agency"]["status"] == "pending"  # back in the queue
    assert form["email"] in (await registrar.get("/admin/agents")).text


@pytest.mark.parametrize("role", ["consumer", "merchant", "mediator"])
async def test_only_registrars_reach_the_approval_queue(
    role: str, api_client: SignedIn, signed_in: SignedIn, new_client: ClientFactory
) -> None:
    waiting, registered = await register(new_client, agent_body())
    await waiting.post("/api/v1/agency/proofs", files={"file": ("l.png", PNG, "image/png")})
    proof = (await AgencyProof.select(AgencyProof.id).where(AgencyProof.user == registered["id"]).first())["id"]
    api, _user = await api_client(role)
    browser, _user = await signed_in(role)
    base = f"/admin/agents/{registered['id']}"
    for client in (api, waiting):
        for path in ("/admin/agents", base, f"{base}/proofs/{proof}"):
            assert (await client.get(f"/api/v1{path}")).status_code == 403, path
        for action in ("approve", "reject"):
            assert (await client.post(f"/api/v1{base}/{action}", json={"note": "x"})).status_code == 403
    for path in ("/admin/agents", base, f"{base}/proofs/{proof}"):
        assert (await browser.get(path)).status_code == 403, path
    assert (await post_form(browser, f"{base}/approve", {})).status_code == 403
    assert (await new_client().get("/api/v1/admin/agents")).status_code == 401
    assert (await new_client().get("/admin/agents")).headers["location"].startswith("/login")
    assert (await User.select(User.agent_status).where(User.id == registered["id"]).first()) == {
        "agent_status": "pending"
    }


# --- invitations -------------------------------------------------------------------------------------


async def invite(agent: httpx.AsyncClient, note: str = "") -> dict[str, Any]:
    response = await agent.post("/api/v1/agency/invitations", json={"note": note})
    assert response.status_code == 201, response.text
    return response.json()


def invited_body(token: str, **changes: Any) -> dict[str, Any]:
    body = agent_body(invitation=token, **changes)
    del body["enterprise"]
    return body


async def test_an_invitation_approves_its_user_at_once_for_the_inviting_enterprise_and_works_once(
    api_client: SignedIn, new_client: ClientFactory
) -> None:
    inviter, agent = await api_client("merchant")
    invitation = await invite(inviter, "Wang, customer service")
    token = invitation["token"]
    assert invitation["url"].endswith(f"/register?invitation={token}")
    stored = await AgentInvitation.select().where(AgentInvitation.id == invitation["id"]).first()
    assert stored["token_hash"] == digest(token) and token not in str(stored)  # only the hash is kept
    listed = (await inviter.get("/api/v1/agency/invitations")).json()["items"]
    assert [item["note"] for item in listed] == ["Wang, customer service"] and "token" not in listed[0]

    elsewhere = agent_body(invitation=token)  # an invitation cannot be pointed at another enterprise
    refused = await new_client().post("/api/v1/auth/register", json=elsewhere)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "enterprise"

    colleague, joined = await register(new_client, invited_body(token))
    assert joined["agency"]["status"] == "approved" and joined["enterprise"]["id"] == agent["enterprise_id"]
    planted = await plant_case(api_client, agent["enterprise_id"])
    assert planted.reference in (await colleague.get("/api/v1/cases")).text
    row = await AgentInvitation.select().where(AgentInvitation.id == invitation["id"]).first()
    assert row["used_by"] == joined["id"] and row["used_at"] is not None
    assert (await inviter.get("/api/v1/agency/invitations")).json()["items"] == []
    names = [item["display_name"] for item in (await inviter.get("/api/v1/agency/agents")).json()["items"]]
    assert agent["display_name"] in names and joined["display_name"] in names

    users = await User.count()
    second = await new_client().post("/api/v1/auth/register", json=invited_body(token))
    assert second.status_code == 422 and second.json()["errors"][0]["field"] == "invitation"
    assert await User.count() == users


async def test_an_invitation_expires_after_seven_days(
    api_client: SignedIn, new_client: ClientFactory, clock: FrozenClock
) -> None:
    inviter, _agent = await api_client("merchant")
    early, late = await invite(inviter), await invite(inviter)
    clock.advance(timedelta(days=6, hours=23))
    await register(new_client, invited_body(early["token"]))
    clock.advance(timedelta(hours=1, seconds=1))
    expired = await new_client().post("/api/v1/auth/register", json=invited_body(late["token"]))
    assert expired.status_code == 422 and expired.json()["errors"][0]["field"] == "invitation"
    assert (await inviter.get("/api/v1/agency/invitations")).json()["items"] == []


async def test_two_people_using_one_link_at_once_give_one_agent(
    api_client: SignedIn, new_client: ClientFactory
) -> None:
    inviter, _agent = await api_client("merchant")
    token = (await invite(inviter))["token"]
    bodies = [invited_body(token), invited_body(token)]
    responses = await asyncio.gather(*(new_client().post("/api/v1/auth/register", json=body) for body in bodies))
    assert sorted(response.status_code for response in responses) == [201, 422]
    assert await User.count().where(User.email.is_in([body["email"] for body in bodies])) == 1


async def test_only_approved_agents_invite_and_only_their_own_links_can_be_withdrawn(
    api_client: SignedIn, new_client: ClientFactory, clock: FrozenClock
) -> None:
    waiting, registered = await register(new_client, agent_body())
    for client in [waiting] + [(await api_client(role))[0] for role in ("consumer", "mediator", "admin")]:
        assert (await client.post("/api/v1/agency/invitations", json={})).status_code == 403
        assert (await client.get("/api/v1/agency/agents")).status_code == 403
    assert not await AgentInvitation.exists().where(AgentInvitation.invited_by == registered["id"])

    inviter, agent = await api_client("merchant")
    other_enterprise, _other = await api_client("merchant")
    invitation = await invite(inviter)
    assert (await other_enterprise.delete(f"/api/v1/agency/invitations/{invitation['id']}")).status_code == 404
    assert (await other_enterprise.get("/api/v1/agency/invitations")).json()["items"] == []
    assert (await inviter.delete(f"/api/v1/agency/invitations/{invitation['id']}")).status_code == 204
    withdrawn = await new_client().post("/api/v1/auth/register", json=invited_body(invitation["token"]))
    assert withdrawn.status_code == 422

    # A deactivated agent's links stop working with them.
    orphan = await invite(inviter)
    admin = service.act_as(await service.get_user((await api_client("admin"))[1]["id"]))
    await service.set_active(admin, agent["id"], False, clock)
    dead = await new_client().post("/api/v1/auth/register", json=invited_body(orphan["token"]))
    assert dead.status_code == 422 and dead.json()["errors"][0]["field"] == "invitation"


async def test_invited_colleagues_register_on_the_page_and_waiting_agents_join_with_the_link(
    signed_in: SignedIn, new_client: ClientFactory
) -> None:
    inviter, agent = await signed_in("merchant")
    created = await post_form(inviter, "/agency/invitations", {"note": "Li, after-sales"})
    assert created.status_code == 200
    link = shown_link(created)
    assert "Li, after-sales" in created.text

    invitee = new_client()
    invitation_page = await invitee.get(local(link))
    assert agent["enterprise_name"] in invitation_page.text and agent["display_name"] in invitation_page.text
    token = link.split("invitation=")[1]
    form = {
        "role": "merchant",
        "invitation": token,
        "email": unique_email("invitee"),
        "display_name": "Invited Colleague",
        "password": PASSWORD,
        "consent": "yes",
    }
    response = await post_form(invitee, "/register", form)
    assert response.status_code == 302 and response.headers["location"] == "/agency?done=registered"
    colleagues = await invitee.get("/agency")
    assert agent["display_name"] in colleagues.text and "Invited Colleague" in colleagues.text
    spent = await new_client().get(f"/register?invitation={token}")
    assert "cannot be used" in spent.text and agent["enterprise_name"] not in spent.text

    # Someone who registered on their own first uses a later link with their account.
    waiting, registered = await register(new_client, agent_body())
    second = shown_link(await post_form(inviter, "/agency/invitations", {}))
    browser = new_client()
    await login(browser, registered["email"])
    joined = await post_form(browser, "/agency/join", {"invitation": second})  # the whole link, pasted
    assert joined.status_code == 302 and joined.headers["location"] == "/agency?done=joined"
    me = (await waiting.get("/api/v1/me")).json()
    assert me["agency"]["status"] == "approved" and me["enterprise"]["id"] == agent["enterprise_id"]
    again = await post_form(browser, "/agency/join", {"invitation": second})
    assert again.status_code == 409  # approved already


# --- accounts made by the operator, and accounts from before approvals -------------------------------


async def test_command_line_and_demo_merchants_are_approved(clock: FrozenClock) -> None:
    await ensure_demo_accounts(clock)
    demo = await User.select(User.agent_status).where(User.email == "merchant@demo.test").first()
    assert demo == {"agent_status": "approved"}
    uscc = random_uscc()
    await service.create_enterprise(EnterpriseIn(name="CLI Made Ltd", uscc=uscc), clock)
    made = await service.create_user(
        email=unique_email("cli"),
        password=PASSWORD,
        role=Role.merchant,
        display_name="CLI Agent",
        clock=clock,
        enterprise_uscc=uscc,
    )
    assert made["agent_status"] == "approved" and made["agent_decided_at"] == clock.now()
    assert service.act_as(made).enterprise_id == made["enterprise_id"]


async def test_merchants_registered_before_approvals_existed_are_approved_by_the_migration(
    clock: FrozenClock, make_user: Any
) -> None:
    older = await make_user("merchant")
    consumer = await make_user("consumer")
    await User.update({User.agent_status: None, User.agent_decided_at: None}).where(User.id == older["id"])
    assert service.act_as(await service.get_user(older["id"])).enterprise_id is None  # no status: no enterprise
    migration = importlib.import_module("accounts.piccolo_migrations.accounts_2026_11_30t00_05_01_000000")
    for step in (await migration.forwards()).raw:
        await step()
    rows = await User.select(User.id, User.agent_status).where(User.id.is_in([older["id"], consumer["id"]]))
    assert {row["id"]: row["agent_status"] for row in rows} == {older["id"]: "approved", consumer["id"]: None}
