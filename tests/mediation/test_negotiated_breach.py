"""A settlement reached in negotiation has no mediator. When it is then disputed or missed (breached), the
case must not be stuck: it waits in the queue, claimable, and the mediator who claims it settles again or
closes it (issue 12 §7)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from accord.clock import FrozenClock
from accounts.tables import MediatorProfile
from cases.tables import Case
from cases.workflow import Context
from mediation.service import assign_waiting_cases
from mediation.sweeper import sweep
from tests.cases.conftest import MONEY, Cast, act, file_case
from tests.conftest import SignedIn, UserFactory, post_form


async def negotiated_settlement(cast: Cast) -> dict[str, Any]:
    case = await file_case(cast)
    offered = await act(
        cast.merchant, case, "respond", kind="offer", remedies=[{"type": "refund", "amount": MONEY}], text="Refund."
    )
    settled = await act(cast.consumer, case, "accept_offer", offer_id=offered.json()["offers"][-1]["id"])
    assert settled.json()["state"] == "settled" and settled.json()["mediator"] is None
    return case


async def disputed(cast: Cast) -> dict[str, Any]:
    case = await negotiated_settlement(cast)
    await act(cast.merchant, case, "mark_fulfilled", proof="Refund reference R-1.")
    breached = await act(cast.consumer, case, "dispute_fulfilment", reason="No refund arrived.")
    assert breached.json()["state"] == "breached"
    return case


async def queue_item(client: Any, reference: str) -> dict[str, Any] | None:
    """The case's item on the queue, however many other tests left cases waiting before it."""
    params: dict[str, Any] = {"limit": 100}
    while True:
        listed = (await client.get("/api/v1/queue", params=params)).json()
        found = next((item for item in listed["items"] if item["reference"] == reference), None)
        if found or not listed["next_cursor"]:
            return found
        params["cursor"] = listed["next_cursor"]


async def queue_page_with(browser: Any, reference: str) -> str:
    path = "/queue"
    while True:
        page = (await browser.get(path)).text
        more = re.search(r'href="\?[^"]*cursor=([^"&]+)"', page)
        if reference in page or more is None:
            return page
        path = f"/queue?cursor={more.group(1)}"


async def test_a_disputed_negotiated_settlement_is_claimable_and_can_be_settled_again(cast: Cast) -> None:
    case = await disputed(cast)
    item = await queue_item(cast.other_mediator, case["reference"])
    assert item is not None and item["state"] == "breached" and item["mediator"] is None and item["claimable"]
    seen = (await cast.other_mediator.get(f"/api/v1/cases/{case['reference']}")).json()
    assert "claim" in seen["allowed_actions"]
    assert seen["next"]["situation"] == "breached.unclaimed" and seen["next"]["you_act"]
    assert seen["next"]["actor_roles"] == ["any_mediator"]

    claimed = await act(cast.other_mediator, case, "claim")
    assert claimed.status_code == 200 and claimed.json()["mediator"]["id"] == cast.other_mediator_id
    assert not (await queue_item(cast.mediator, case["reference"]))["claimable"]  # type: ignore[index]
    holder_sees = claimed.json()["allowed_actions"]
    assert {"resettle", "close_unresolved", "release"} <= set(holder_sees)
    resettled = await act(cast.other_mediator, case, "resettle")
    assert resettled.json()["state"] == "in_mediation" and "mediation_limit" in resettled.json()["deadlines"]


async def test_a_missed_negotiated_settlement_lands_in_the_queue_claimable(
    cast: Cast, clock: FrozenClock, context: Context
) -> None:
    case = await negotiated_settlement(cast)
    clock.advance(timedelta(days=12))  # past the 7 working days to carry it out
    fired = await sweep(context)
    assert (case["reference"], "fulfilment_timeout") in {(f.reference, f.action) for f in fired}
    item = await queue_item(cast.mediator, case["reference"])
    assert item is not None and item["state"] == "breached" and item["claimable"]
    assert (await act(cast.mediator, case, "claim")).status_code == 200


async def test_the_queue_page_offers_to_claim_it(cast: Cast, signed_in: SignedIn) -> None:
    case = await disputed(cast)
    browser, _mediator = await signed_in("mediator")
    page = await queue_page_with(browser, case["reference"])
    assert f'action="/cases/{case["reference"]}/actions/claim"' in page
    version = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()["version"]
    claimed = await post_form(browser, f"/cases/{case['reference']}/actions/claim", {"version": version})
    assert claimed.status_code == 302
    assert (await Case.select(Case.mediator).where(Case.reference == case["reference"]).first())["mediator"]


async def test_auto_assignment_hands_out_breached_cases_too(
    cast: Cast, context: Context, make_user: UserFactory
) -> None:
    case = await disputed(cast)
    roomy = await make_user("mediator")
    await MediatorProfile.update(
        {MediatorProfile.languages: ["en"], MediatorProfile.categories: [], MediatorProfile.max_active_cases: 10_000}
    ).where(MediatorProfile.user == roomy["id"])
    assert case["reference"] in await assign_waiting_cases(context, limit=10_000)
    assert (await Case.select(Case.mediator).where(Case.reference == case["reference"]).first())["mediator"]
