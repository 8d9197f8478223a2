"""Platforms as parties (issue 17 §1): a case names the platform the purchase was made on; the platform's
approved agents see its merchants' cases in the open (the parties' events, the joint thread), speak there as
"platform", and see none of the caucuses, the notes, nor other platforms' cases.

The full route × role matrix (pages, API, sockets, mails) is tests/security/test_authorization_matrix.py,
with a platform agent and another platform's agent among its roles; here the filing and the details.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cases.access import conflicted
from cases.tables import Case, CaseEvent
from tests.cases.conftest import Cast, file_case, filing_body, to_mediation
from tests.cases.test_pages import file_by_form
from tests.conftest import SignedIn, make_platform, post_form


async def test_filing_names_a_registered_platform(cast: Cast, platform: Any) -> None:
    _client, agent = platform
    case = await file_case(cast, platform="", platform_enterprise_id=agent["enterprise_id"])
    assert case["platform_enterprise"] == {"id": agent["enterprise_id"], "name": agent["enterprise_name"]}
    assert case["platform"] == agent["enterprise_name"]  # left empty: named after the chosen platform
    assert case["compensated_by"] is None
    filed = await CaseEvent.select(CaseEvent.data, CaseEvent.writes).where(
        CaseEvent.case.reference == case["reference"], CaseEvent.seq == 1
    ).first()
    data, writes = (json.loads(v) if isinstance(v, str) else v for v in (filed["data"], filed["writes"]))
    assert data["platform_enterprise_id"] == agent["enterprise_id"]
    assert writes["case"]["platform_enterprise"] == agent["enterprise_id"]
    record = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}/record")).json()
    assert record["verified"] is True


async def test_a_typed_platform_name_is_kept_as_typed(cast: Cast, platform: Any) -> None:
    _client, agent = platform
    case = await file_case(cast, platform="My shop", platform_enterprise_id=agent["enterprise_id"])
    assert case["platform"] == "My shop" and case["platform_enterprise"]["id"] == agent["enterprise_id"]


async def test_typing_a_registered_platform_s_name_links_it(cast: Cast, platform: Any) -> None:
    _client, agent = platform
    case = await file_case(cast, platform=agent["enterprise_name"].upper())
    assert case["platform_enterprise"] == {"id": agent["enterprise_id"], "name": agent["enterprise_name"]}
    other = await file_case(cast, platform="Some other marketplace")
    assert other["platform_enterprise"] is None


@pytest.mark.parametrize("which", ["unknown", "merchant", "unverified"])
async def test_filing_refuses_a_platform_that_is_none(
    cast: Cast, api_client: SignedIn, which: str
) -> None:
    """An unknown id, a merchant that is no platform, an unverified platform: 422 on the field, nothing stored."""
    if which == "unknown":
        chosen = 2_000_000_000
    elif which == "merchant":
        chosen = cast.enterprise_id
    else:
        _client, agent = await api_client("merchant", enterprise_verified=False)
        await make_platform(agent["enterprise_id"])
        chosen = agent["enterprise_id"]
    before = await Case.count()
    response = await cast.consumer.post(
        "/api/v1/cases", json=filing_body(cast.enterprise_id, platform_enterprise_id=chosen)
    )
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["platform_enterprise_id"]
    assert await Case.count() == before


async def test_without_a_platform_the_name_is_still_required(cast: Cast) -> None:
    response = await cast.consumer.post("/api/v1/cases", json=filing_body(cast.enterprise_id, platform=" "))
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["platform"]


async def test_a_platform_agent_sees_its_merchants_cases_in_the_open_only(
    cast: Cast, platform: Any, api_client: SignedIn
) -> None:
    client, agent = platform
    other_platform, other_agent = await api_client("merchant")
    await make_platform(other_agent["enterprise_id"])
    case = await to_mediation(cast, platform_enterprise_id=agent["enterprise_id"])
    ref = case["reference"]
    said = {}
    for channel, who in (("joint", cast.consumer), ("caucus:consumer", cast.consumer),
                         ("caucus:merchant", cast.merchant), ("internal", cast.mediator)):
        said[channel] = f"words in {channel} of {ref}"
        posted = await who.post(f"/api/v1/cases/{ref}/messages", json={"channel": channel, "text": said[channel]})
        assert posted.status_code == 201, posted.text

    shown = await client.get(f"/api/v1/cases/{ref}")
    assert shown.status_code == 200 and shown.json()["allowed_actions"] == []
    messages = (await client.get(f"/api/v1/cases/{ref}/messages")).json()["items"]
    assert {m["channel"] for m in messages} == {"joint"}
    record = (await client.get(f"/api/v1/cases/{ref}/record")).json()
    dumped = json.dumps(record, ensure_ascii=False)
    assert said["joint"] in dumped and record["verified"] is True
    assert not [text for channel, text in said.items() if channel != "joint" and text in dumped]

    listed = (await client.get("/api/v1/cases")).json()["items"]  # a platform's agents: its platform's cases
    assert [item["reference"] for item in listed] == [ref]
    assert listed[0]["platform_enterprise_id"] == agent["enterprise_id"]
    assert (await client.get("/api/v1/cases?role_view=merchant")).json()["items"] == []

    # Another platform's agent: the case is not there at all.
    assert (await other_platform.get(f"/api/v1/cases/{ref}")).status_code == 404
    assert (await other_platform.get(f"/api/v1/cases/{ref}/messages")).status_code == 404
    assert (await other_platform.get("/api/v1/cases")).json()["items"] == []
    # The case's merchant keeps its own list; the case is not on the platform's list of a plain merchant.
    assert ref in [item["reference"] for item in (await cast.merchant.get("/api/v1/cases")).json()["items"]]


async def test_the_platform_speaks_in_the_joint_thread_only(cast: Cast, platform: Any) -> None:
    client, agent = platform
    case = await to_mediation(cast, platform_enterprise_id=agent["enterprise_id"])
    ref = case["reference"]
    posted = await client.post(f"/api/v1/cases/{ref}/messages", json={"channel": "joint", "text": "We will look."})
    assert posted.status_code == 201, posted.text
    assert posted.json()["author"]["role"] == "platform"
    for channel in ("caucus:consumer", "caucus:merchant", "internal"):
        refused = await client.post(f"/api/v1/cases/{ref}/messages", json={"channel": channel, "text": "Psst."})
        assert refused.status_code == 404, channel  # a conversation they may not read is not there
    # Everyone in the joint thread sees who spoke: the platform, by its name.
    seen = (await cast.consumer.get(f"/api/v1/cases/{ref}/messages")).json()["items"]
    assert seen[-1]["author"]["role"] == "platform"
    responded = await client.post(
        f"/api/v1/cases/{ref}/actions/close_unresolved", json={"version": 1, "note": "Not ours."}
    )
    assert responded.status_code == 403  # no case action is a platform's (advance compensation aside)


async def test_the_case_page_shows_the_platform_its_part(cast: Cast, signed_in: SignedIn) -> None:
    browser, agent = await signed_in("merchant")
    await make_platform(agent["enterprise_id"])
    case = await to_mediation(cast, platform_enterprise_id=agent["enterprise_id"])
    ref = case["reference"]
    secrets = {}
    for channel, who in (("caucus:merchant", cast.merchant), ("internal", cast.mediator), ("joint", cast.merchant)):
        secrets[channel] = f"page words in {channel} {ref}"
        await who.post(f"/api/v1/cases/{ref}/messages", json={"channel": channel, "text": secrets[channel]})

    page = await browser.get(f"/cases/{ref}")
    assert page.status_code == 200
    assert secrets["joint"] in page.text
    assert secrets["caucus:merchant"] not in page.text and secrets["internal"] not in page.text
    assert 'value="caucus:' not in page.text and 'value="internal"' not in page.text  # no forms for them
    assert f"registered platform: {agent['enterprise_name']}" in page.text
    printed = await browser.get(f"/cases/{ref}/print")
    assert printed.status_code == 200 and secrets["joint"] in printed.text
    assert secrets["caucus:merchant"] not in printed.text and secrets["internal"] not in printed.text
    listed = await browser.get("/cases")
    assert ref in listed.text and "Complaints about merchants on" in listed.text

    sent = await post_form(browser, f"/cases/{ref}/messages", {"channel": "joint", "text": "The platform here."})
    assert sent.status_code == 302
    again = await browser.get(f"/cases/{ref}")
    assert f"(platform · {agent['enterprise_name']})" in again.text


async def test_the_filing_form_offers_the_registered_platforms(
    signed_in: SignedIn, platform: Any, cast: Cast
) -> None:
    _client, agent = platform
    browser, _consumer = await signed_in("consumer")
    form = await browser.get("/cases/new")
    assert f'<option value="{agent["enterprise_id"]}"' in form.text
    filed = await file_by_form(
        browser, enterprise_id=str(cast.enterprise_id), platform="", platform_enterprise_id=str(agent["enterprise_id"])
    )
    assert filed.status_code == 302, filed.text
    reference = filed.headers["location"].split("/")[2].split("?")[0]
    stored = await Case.select(Case.platform, Case.platform_enterprise).where(Case.reference == reference).first()
    assert stored == {"platform": agent["enterprise_name"], "platform_enterprise": agent["enterprise_id"]}
    refused = await file_by_form(browser, enterprise_id=str(cast.enterprise_id), platform_enterprise_id="999999")
    assert refused.status_code == 422 and 'id="e-platform_enterprise_id"' in refused.text


def test_no_agent_of_the_platform_mediates_its_case() -> None:
    case = {"consumer": 1, "enterprise": 2, "platform_enterprise": 3}
    assert conflicted(case, 9, 3) and conflicted(case, 9, 2) and not conflicted(case, 9, 4)
