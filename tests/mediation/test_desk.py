"""The mediation desk end to end over the API: queue, claiming, admissibility, mediation, settlement."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from accord.clock import FrozenClock, WeekdayCalendar
from cases.tables import Case, CaseEvent
from mediation.sweeper import sweep
from tests.cases.conftest import MONEY, Cast, act, file_case, force_state


async def to_queue(cast: Cast) -> dict[str, Any]:
    case = await file_case(cast)
    await act(cast.merchant, case, "respond", kind="reject", text="The product was fine when shipped.")
    response = await act(cast.consumer, case, "request_mediation", reason="We cannot agree.")
    assert response.status_code == 200
    return response.json()


async def queue_refs(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/api/v1/queue", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["reference"] for item in response.json()["items"]]


async def test_queue_shows_waiting_cases_with_working_days_left(cast: Cast) -> None:
    case = await to_queue(cast)
    items = (await cast.mediator.get("/api/v1/queue", params={"limit": 100})).json()["items"]
    item = next(item for item in items if item["reference"] == case["reference"])
    assert item["state"] == "awaiting_mediator" and item["working_days_left"] == 7 and not item["overdue"]
    assert item["due_at"] and item["amount_paid"] == MONEY
    assert case["reference"] in await queue_refs(
        cast.mediator, category="not_as_described", language="en", band="small"
    )
    assert case["reference"] not in await queue_refs(cast.mediator, category="counterfeit")
    assert case["reference"] not in await queue_refs(cast.mediator, band="medium")
    assert case["reference"] not in await queue_refs(cast.mediator, appeal="yes")
    assert case["reference"] not in await queue_refs(cast.mediator, overdue=True)
    for party in (cast.consumer, cast.merchant):
        assert (await party.get("/api/v1/queue")).status_code == 403


async def test_overdue_cases_are_flagged(cast: Cast, clock: FrozenClock) -> None:
    case = await to_queue(cast)
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 9))
    items = (await cast.mediator.get("/api/v1/queue", params={"overdue": True, "limit": 100})).json()["items"]
    item = next(item for item in items if item["reference"] == case["reference"])
    assert item["overdue"] and item["working_days_left"] == -2


async def test_queue_pages_in_deadline_order(cast: Cast, clock: FrozenClock) -> None:
    mine = []
    for _number in range(3):
        mine.append((await to_queue(cast))["reference"])
        clock.advance(timedelta(hours=1))
    undated = await to_queue(cast)  # a waiting case without a running deadline still shows, last
    await Case.update({Case.next_due_at: None}).where(Case.reference == undated["reference"])
    # The queue reads each state apart and merges them: a breached case sorts among the waiting ones.
    await force_state(mine[1], "breached")
    undated_breached = await to_queue(cast)
    await force_state(undated_breached["reference"], "breached", next_due_at=None)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await cast.mediator.get("/api/v1/queue", params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    references = [item["reference"] for item in seen]
    assert len(set(references)) == len(references)
    assert [ref for ref in references if ref in mine] == mine
    dated = [item["due_at"] for item in seen if item["due_at"]]
    assert dated == sorted(dated)
    first_undated = next(i for i, item in enumerate(seen) if item["due_at"] is None)
    assert all(item["due_at"] is None for item in seen[first_undated:])
    assert undated["reference"] in references
    undated_seen = [ref for ref in references if ref in (undated["reference"], undated_breached["reference"])]
    assert undated_seen == [undated["reference"], undated_breached["reference"]]  # by id among themselves


async def test_many_concurrent_claims_exactly_one_wins(cast: Cast, api_client: Any) -> None:
    case = await to_queue(cast)
    mediators = [cast.mediator] + [(await api_client("mediator"))[0] for _ in range(4)]
    path = f"/api/v1/cases/{case['reference']}/actions/claim"
    body = {"version": case["version"]}
    responses = await asyncio.gather(*(mediators[i % len(mediators)].post(path, json=body) for i in range(100)))
    codes = [response.status_code for response in responses]
    assert codes.count(200) == 1 and codes.count(409) == 99
    winner = next(response for response in responses if response.status_code == 200).json()["mediator"]
    assert any(
        winner["display_name"] in r.json()["detail"] or "version" in r.json()["detail"]
        for r in responses
        if r.status_code == 409
    )
    case_id = (await Case.select(Case.id).where(Case.reference == case["reference"]).first())["id"]
    assert await CaseEvent.count().where(CaseEvent.case == case_id, CaseEvent.type == "claim") == 1


async def test_second_claimer_is_told_who_won(cast: Cast, api_client: Any) -> None:
    case = await to_queue(cast)
    other, _user = await api_client("mediator")
    assert (await act(cast.mediator, case, "claim")).status_code == 200
    late = await act(other, case, "claim")
    assert late.status_code == 409 and "Case mediator has already claimed this case." in late.json()["detail"]


async def test_decline_reason_reaches_the_consumer_with_guidance(cast: Cast) -> None:
    case = await to_queue(cast)
    await act(cast.mediator, case, "claim")
    declined = await act(cast.mediator, case, "decline", reason="in_court_or_arbitration", note="Court case 2026-17.")
    assert declined.status_code == 200 and declined.json()["decline_reason"] == "in_court_or_arbitration"
    wrong = await act(cast.mediator, case, "admit")
    assert wrong.status_code == 409 and "declined" in wrong.json()["detail"]


async def test_full_happy_path(cast: Cast, clock: FrozenClock, context: Any) -> None:
    case = await file_case(cast)
    assert (await act(cast.merchant, case, "respond", kind="question", text="Which colour?")).json()[
        "state"
    ] == "negotiating"
    assert (await act(cast.consumer, case, "request_mediation")).json()["state"] == "awaiting_mediator"
    assert (await act(cast.mediator, case, "claim")).json()["mediator"]["id"] == cast.mediator_id
    admitted = (await act(cast.mediator, case, "admit")).json()
    assert admitted["state"] == "in_mediation" and "mediation_limit" in admitted["deadlines"]
    asked = (await act(cast.mediator, case, "request_info", party="consumer", question="Photos of the lid?")).json()
    assert "information_due" in asked["deadlines"]
    clock.advance(timedelta(days=2))
    answered = (await act(cast.consumer, case, "provide_info", text="Uploaded.")).json()
    assert "information_due" not in answered["deadlines"]
    assert answered["deadlines"]["mediation_limit"] > admitted["deadlines"]["mediation_limit"]  # clock was paused
    fulfil_by = (clock.now() + timedelta(days=14)).date().isoformat()
    proposed = await act(
        cast.mediator,
        case,
        "propose_settlement",
        terms=[{"type": "partial_refund", "amount": {"amount": "80", "currency": "CNY"}}],
        fulfil_by=fulfil_by,
        text="Half the price back.",
    )
    assert proposed.json()["proposal"]["remedies"][0]["amount"] == {"amount": "80.00", "currency": "CNY"}
    assert (await act(cast.consumer, case, "accept_proposal")).json()["state"] == "in_mediation"
    settled = (await act(cast.merchant, case, "accept_proposal")).json()
    assert settled["state"] == "settled" and settled["settlement"]["fulfil_by"] == fulfil_by
    marked = (await act(cast.merchant, case, "mark_fulfilled", proof="Refund 2026-11-30 ref 8812")).json()
    assert "confirmation_due" in marked["deadlines"]
    resolved = (await act(cast.consumer, case, "confirm_fulfilment")).json()
    assert resolved["state"] == "resolved" and resolved["deadlines"] == {}
    rated = (await act(cast.consumer, case, "rate", score=5, comment="Fair and fast.")).json()
    assert rated["rating"] == {"score": 5, "comment": "Fair and fast."}
    assert (await act(cast.consumer, case, "rate", score=1)).status_code == 409
    record = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}/record")).json()
    assert record["verified"]


async def test_silent_consumer_is_resolved_automatically_and_appeal_goes_elsewhere(
    cast: Cast, clock: FrozenClock, context: Any, api_client: Any
) -> None:
    case = await to_queue(cast)
    await act(cast.mediator, case, "claim")
    await act(cast.mediator, case, "admit")
    fulfil_by = (clock.now() + timedelta(days=7)).date().isoformat()
    await act(
        cast.mediator,
        case,
        "propose_settlement",
        terms=[{"type": "replacement", "description": "New unit"}],
        fulfil_by=fulfil_by,
    )
    await act(cast.consumer, case, "accept_proposal")
    await act(cast.merchant, case, "accept_proposal")
    await act(cast.merchant, case, "mark_fulfilled", proof="Waybill SF1234567890")
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 8))
    await sweep(context)
    current = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()
    assert current["state"] == "resolved"
    appealed = await act(cast.consumer, case, "appeal", reason="The replacement is also broken.")
    assert (
        appealed.status_code == 200 and appealed.json()["state"] == "awaiting_mediator" and appealed.json()["is_appeal"]
    )
    assert case["reference"] in await queue_refs(cast.mediator, appeal="yes")
    again = await act(cast.mediator, case, "claim")
    assert again.status_code == 409 and "different mediator" in again.json()["detail"]
    other, _user = await api_client("mediator")
    assert (await act(other, case, "claim")).status_code == 200
    assert (await act(cast.consumer, case, "appeal", reason="x")).status_code == 409
