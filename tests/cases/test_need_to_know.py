"""Need to know and who is speaking (issue 11 §4–5): private channels reach only those who hold or held the
case and registrars; nobody mediates their own case; authors carry their role; private answers are no-store."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import httpx

from accord.clock import FrozenClock
from accounts.tables import MediatorProfile, User
from cases.tables import Case
from integrity.tables import Listing
from mediation.service import choose_mediator
from tests.cases.test_api import PDF
from tests.cases.conftest import MONEY, Cast, act, file_case, filing_body, force_state
from tests.conftest import PASSWORD, SignedIn, post_form, unique_email
from tests.integrity.test_registry import listing_act

PRIVATE = ("caucus:consumer", "caucus:merchant", "internal")


async def _talk_in_every_channel(cast: Cast, reference: str) -> None:
    writers = {"joint": cast.consumer, "caucus:consumer": cast.consumer, "caucus:merchant": cast.merchant}
    for channel, client in {**writers, "internal": cast.mediator}.items():
        response = await client.post(f"/api/v1/cases/{reference}/messages", json={"channel": channel, "text": channel})
        assert response.status_code == 201, (channel, response.text)


async def _channels_read_by(client: httpx.AsyncClient, reference: str) -> set[str]:
    response = await client.get(f"/api/v1/cases/{reference}/messages")
    assert response.status_code == 200, response.text
    return {message["channel"] for message in response.json()["items"]}


async def test_an_earlier_mediator_keeps_reading_the_private_channels_and_another_mediator_never_does(
    cast: Cast,
) -> None:
    case = await file_case(cast)
    reference = case["reference"]
    await force_state(reference, "in_mediation", mediator=cast.mediator_id)
    await _talk_in_every_channel(cast, reference)
    assert await _channels_read_by(cast.other_mediator, reference) == {"joint"}
    page = (await cast.other_mediator.get(f"/cases/{reference}")).text
    assert "caucus:merchant" not in page and "Mediators&#39; notes" not in page

    handed_on = await act(cast.admin, case, "reassign", mediator_id=cast.other_mediator_id)
    assert handed_on.status_code == 200, handed_on.text
    stored = await Case.select(Case.mediator, Case.former_mediators).where(Case.reference == reference).first()
    assert stored == {"mediator": cast.other_mediator_id, "former_mediators": [cast.mediator_id]}
    for client in (cast.mediator, cast.other_mediator, cast.admin):
        assert await _channels_read_by(client, reference) == {"joint", *PRIVATE}
    # The earlier mediator reads, but only the one holding the case writes.
    refused = await cast.mediator.post(
        f"/api/v1/cases/{reference}/messages", json={"channel": "internal", "text": "still here?"}
    )
    assert refused.status_code == 403


async def test_a_mediator_never_mediates_a_case_they_are_a_party_to(
    cast: Cast, api_client: SignedIn, clock: FrozenClock
) -> None:
    consumer_turned_mediator, person = await api_client("consumer")
    filed = await consumer_turned_mediator.post("/api/v1/cases", json=filing_body(cast.enterprise_id))
    assert filed.status_code == 201, filed.text
    agent_turned_mediator, agent = await api_client("merchant")
    against_agent = await file_case(cast, enterprise_id=agent["enterprise_id"])
    await User.update({User.role: "mediator"}).where(User.id.is_in([person["id"], agent["id"]]))
    for client, case in ((consumer_turned_mediator, filed.json()), (agent_turned_mediator, against_agent)):
        await force_state(case["reference"], "awaiting_mediator")
        queue = (await client.get("/api/v1/queue", params={"limit": 100})).json()["items"]
        assert case["reference"] not in {item["reference"] for item in queue}
        claimed = await act(client, case, "claim")
        assert claimed.status_code == 409 and "party to this case" in claimed.json()["detail"], claimed.text

    assigned = await act(cast.admin, filed.json(), "reassign", mediator_id=person["id"])
    assert assigned.status_code == 422 and assigned.json()["errors"][0]["field"] == "mediator_id"
    assert (await Case.select(Case.mediator).where(Case.reference == filed.json()["reference"]).first()) == {
        "mediator": None
    }


async def test_auto_assignment_skips_a_mediator_who_is_a_party(make_user: Any) -> None:
    mediator = await make_user("mediator")
    await MediatorProfile.update({MediatorProfile.languages: ["x-lone"]}).where(
        MediatorProfile.user == mediator["id"]
    )
    case = {
        "language": "x-lone",
        "category": "other",
        "previous_mediator": None,
        "consumer": -1,
        "enterprise": -1,
    }
    assert await choose_mediator(case, {}) == mediator["id"]
    assert await choose_mediator({**case, "consumer": mediator["id"]}, {}) is None


async def test_messages_and_offers_name_their_author_with_their_part_in_the_case(cast: Cast) -> None:
    case = await file_case(cast)
    reference = case["reference"]
    offered = await act(
        cast.merchant, case, "respond", kind="offer", text="Refund.", remedies=[{"type": "refund", "amount": MONEY}]
    )
    assert offered.status_code == 200, offered.text
    offer_author = offered.json()["offers"][0]["author"]
    assert offer_author["role"] == "merchant" and offer_author["display_name"] == "Case merchant"
    await force_state(reference, "in_mediation", mediator=cast.mediator_id)
    await _talk_in_every_channel(cast, reference)
    listed = (await cast.mediator.get(f"/api/v1/cases/{reference}/messages")).json()["items"]
    authors = {message["channel"]: message["author"] for message in listed}
    assert authors["joint"] == {"id": authors["joint"]["id"], "display_name": "Case consumer", "role": "consumer"}
    assert authors["caucus:merchant"]["role"] == "merchant"
    assert authors["internal"] == {"id": cast.mediator_id, "display_name": "Case mediator", "role": "mediator"}

    page = (await cast.consumer.get(f"/cases/{reference}")).text
    enterprise = (await cast.consumer.get(f"/api/v1/cases/{reference}")).json()["enterprise"]["name"]
    assert '<strong>Case consumer</strong> <span class="role">(consumer)</span>' in page
    assert f'<strong>Case merchant</strong> <span class="role">(merchant · {enterprise})</span>' in page
    timeline = page.split('id="timeline"')[1]
    merchant = f'<strong>Case merchant</strong> <span class="role">(merchant · {enterprise})</span>'
    assert f"{merchant} answered the complaint and offered a full refund of CN¥199.00" in timeline

    events = (await cast.consumer.get(f"/api/v1/cases/{reference}/record")).json()["events"]
    by_type = {event.get("type"): event for event in events}
    assert by_type["respond"]["author"] == {"id": offer_author["id"], "display_name": "Case merchant", "role": "merchant"}
    assert by_type["file"]["author"]["role"] == "consumer"
    sealed = [event for event in events if "type" not in event]  # the caucus with the merchant, the notes
    assert len(sealed) == 2 and all(set(event) == {"seq", "prev_hash", "commitment", "hash"} for event in sealed)
    printed = (await cast.consumer.get(f"/cases/{reference}/print")).text
    assert f'<strong>Case merchant</strong> <span class="role">(merchant · {enterprise})</span>' in printed


async def test_private_answers_are_not_stored_by_caches(cast: Cast, new_client: Any) -> None:
    case = await file_case(cast)
    uploaded = await cast.consumer.post(
        f"/api/v1/cases/{case['reference']}/evidence",
        files={"file": ("receipt.pdf", PDF, "application/pdf")},
        data={"channel": "joint"},
    )
    assert uploaded.status_code == 201, uploaded.text
    for response in (
        await cast.consumer.get(f"/api/v1/cases/{case['reference']}"),
        await cast.consumer.get(f"/cases/{case['reference']}"),
        await cast.consumer.get(f"/api/v1/cases/{case['reference']}/evidence/{uploaded.json()['id']}"),
        await cast.consumer.get(f"/cases/{case['reference']}/evidence/{uploaded.json()['id']}"),
        await new_client().get("/login"),
    ):
        assert response.headers["cache-control"] == "no-store", response.url
        assert "strict-transport-security" not in response.headers  # served over plain http here
    static = await new_client().get("/static/case.js")
    assert "no-store" not in static.headers.get("cache-control", "")


async def test_https_deployments_send_hsts(app: Any, new_client: Any) -> None:
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, base_url="https://accord.example")
    try:
        response = await new_client().get("/")
    finally:
        app.state.settings = settings
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_a_listing_withdrawn_before_notice_is_never_shown_to_the_enterprise(cast: Cast) -> None:
    proposed = await cast.admin.post(
        "/api/v1/registry/listings",
        json={"enterprise_id": cast.enterprise_id, "violation": "counterfeit", "tier": "general", "facts": "Fakes."},
    )
    assert proposed.status_code == 201, proposed.text
    listing = proposed.json()
    withdrawn = await listing_act(cast.admin, listing, "withdraw", decision="Proposed in error.")
    assert withdrawn.status_code == 200, withdrawn.text
    assert (await Listing.select(Listing.state).where(Listing.id == listing["id"]).first())["state"] == "withdrawn"
    assert (await cast.merchant.get(f"/api/v1/registry/listings/{listing['id']}")).status_code == 404
    assert "Proposed in error" not in (await cast.merchant.get(f"/enterprises/{cast.enterprise_id}")).text
    assert (await cast.admin.get(f"/api/v1/registry/listings/{listing['id']}")).status_code == 200


async def test_nobody_registers_or_renames_themselves_as_staff(
    new_client: Any, make_user: Any, signed_in: SignedIn
) -> None:
    staff = await make_user("mediator", display_name=f"Mediator Qian {uuid.uuid4().hex[:6]}")
    lookalike = "  " + staff["display_name"].upper().replace(" ", "  ") + " "  # case and spacing do not matter
    for name in (lookalike, "Mediator", "调解员", "ＡＤＭＩＮ"):
        before = await User.count()
        response = await new_client().post(
            "/api/v1/auth/register",
            json={
                "email": unique_email("lookalike"),
                "password": PASSWORD,
                "consent": True,
                "display_name": name,
                "language": "en",
                "role": "consumer",
            },
        )
        assert response.status_code == 422, (name, response.text)
        assert response.json()["errors"][0]["field"] == "display_name"
        assert await User.count() == before

    browser, consumer = await signed_in("consumer")
    renamed = await post_form(browser, "/profile", {"display_name": staff["display_name"], "language": "en"})
    assert renamed.status_code == 422 and "taken by Accord" in renamed.text
    assert (await User.select(User.display_name).where(User.id == consumer["id"]).first())["display_name"] != staff[
        "display_name"
    ]
    fine = await post_form(browser, "/profile", {"display_name": "Qian the shopper", "language": "en"})
    assert fine.status_code in (200, 302)
