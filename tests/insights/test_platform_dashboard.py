"""A platform's dashboard (issue 17 §3): for its approved agents only; its merchants' cases, rates, the cases
waiting for its decision, its recourse claims and its merchants' registry listings."""

from __future__ import annotations

from typing import Any

from accord.clock import FrozenClock, WeekdayCalendar
from accounts.seed import DEMO_PASSWORD, DEMO_PLATFORM, ensure_demo_accounts
from accounts.tables import PlatformMerchant
from cases.seed import seed_demo_cases
from integrity.seed import seed_demo_registry
from tests.cases.conftest import Cast, act, cast, file_case, parties  # noqa: F401  (fixtures)
from tests.cases.test_advance_compensation import breached_case, compensate
from tests.conftest import BASE_TIME

__all__ = ["cast", "parties"]


async def link(platform_id: int, merchant_id: int, clock: Any) -> None:
    await PlatformMerchant.insert(PlatformMerchant(platform=platform_id, merchant=merchant_id, linked_at=clock.now()))


async def test_the_dashboard_shows_cases_rates_decisions_and_claims(cast: Cast, clock: Any) -> None:
    await link(cast.platform_id, cast.enterprise_id, clock)
    compensated = await breached_case(cast)
    claim = (await compensate(cast.platform, compensated)).json()["recourse_claim"]
    waiting = await breached_case(cast)
    elsewhere = await file_case(cast)  # names no platform

    found = await cast.platform.get("/api/v1/platform/dashboard")
    assert found.status_code == 200, found.text
    board = found.json()
    assert board["platform_id"] == cast.platform_id
    assert board["counts"]["resolved"] == 1 and board["counts"]["breached"] == 1
    listed = [row["reference"] for row in board["cases"]]
    assert set(listed) == {compensated["reference"], waiting["reference"]} and elsewhere["reference"] not in listed
    assert [row["reference"] for row in board["awaiting_decision"]] == [waiting["reference"]]
    assert board["recourse_totals"] == [{"state": "open", "claims": 1, "amount": {"amount": "199.00", "currency": "CNY"}}]
    assert [c["id"] for c in board["recourse_claims"]] == [claim["id"]]
    merchant = next(m for m in board["merchants"] if m["id"] == cast.enterprise_id)
    assert merchant["filed"] == 3 and merchant["response_rate"] == 0.6667 and merchant["fulfilment_rate"] == 0.0
    assert board["filed"] == 3 and board["response_rate"] == 0.6667  # one complaint not answered yet

    # The cases' list pages by keyset; the claims' list too.
    first = (await cast.platform.get("/api/v1/platform/dashboard", params={"limit": 1})).json()
    assert len(first["cases"]) == 1 and first["next_cursor"]
    second = (await cast.platform.get("/api/v1/platform/dashboard", params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert [row["reference"] for row in first["cases"] + second["cases"]] == listed
    bad = await cast.platform.get("/api/v1/platform/dashboard", params={"cursor": "nonsense"})
    assert bad.status_code == 422
    breached = (await cast.platform.get("/api/v1/platform/dashboard", params={"state": "breached"})).json()
    assert [row["reference"] for row in breached["cases"]] == [waiting["reference"]]
    wrong = await cast.platform.get("/api/v1/platform/dashboard", params={"state": "nonsense"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "state"

    # The claim, recovered, counts as recovered.
    await cast.platform.post(f"/api/v1/platform/recourse/{claim['id']}/recover", json={})
    totals = (await cast.platform.get("/api/v1/platform/dashboard")).json()["recourse_totals"]
    assert [(row["state"], row["claims"]) for row in totals] == [("recovered", 1)]

    # Another platform sees none of it.
    other = (await cast.other_platform.get("/api/v1/platform/dashboard")).json()
    assert other["cases"] == [] and other["recourse_claims"] == [] and other["awaiting_decision"] == []

    page = await cast.platform.get("/platform")
    assert page.status_code == 200
    assert waiting["reference"] in page.text and "#action-advance_compensate" in page.text
    assert "Recourse claims" in page.text and "Recovered" in page.text
    chinese = await cast.platform.get("/platform", params={"lang": "zh-Hans"})
    assert "平台看板" in chinese.text and "等待您的决定" in chinese.text and "已追回" in chinese.text


async def test_only_a_platforms_agents_have_a_dashboard(cast: Cast, client: Any) -> None:
    for who in (cast.merchant, cast.consumer, cast.mediator, cast.admin):
        assert (await who.get("/api/v1/platform/dashboard")).status_code == 403
        assert (await who.get("/platform")).status_code == 403
    assert (await client.get("/api/v1/platform/dashboard")).status_code == 401
    assert (await client.get("/platform")).status_code in (302, 303)


async def test_the_demo_platforms_dashboard(app: Any, new_client: Any) -> None:
    """`make run`'s platform@demo.test: its merchants, the case it compensated in advance (an open claim), the
    breached case waiting for its decision, and its merchants' published registry listings."""
    clock = FrozenClock(BASE_TIME)
    await ensure_demo_accounts(clock)
    await seed_demo_cases(clock, WeekdayCalendar())
    await seed_demo_registry(clock, WeekdayCalendar())
    signed = await new_client().post(
        "/api/v1/auth/token", json={"email": "platform@demo.test", "password": DEMO_PASSWORD}
    )
    assert signed.status_code == 201, signed.text
    agent = new_client(authorization=f"Bearer {signed.json()['token']}")
    board = (await agent.get("/api/v1/platform/dashboard")).json()
    assert board["name"] == DEMO_PLATFORM.name and len(board["merchants"]) == 3
    assert [(t["state"], t["amount"]) for t in board["recourse_totals"]] == [
        ("open", {"amount": "399.00", "currency": "CNY"})
    ]
    assert [row["state"] for row in board["awaiting_decision"]] == ["breached"]
    assert board["listings"] and board["counts"]["resolved"] == 1
    assert "西湖全球购" in (await agent.get("/platform", params={"lang": "zh-Hans"})).text
