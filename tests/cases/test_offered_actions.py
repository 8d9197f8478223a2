"""Only actions that can succeed are offered (issue 12 §6).

Generated: in every state, with each thing that can be open on a case (tests/cases/conditions.py), each
action a person is offered succeeds when they take it, and every other action their role has in that state
is refused with 409: the buttons, the API's `allowed_actions` and apply() use the same checks on the same
clock and calendar. Each attempt runs in a transaction that is rolled back, so one case serves every condition.
"""

from __future__ import annotations

from typing import Any

import pytest

from accord import events
from accord.clock import FrozenClock
from accord.errors import Conflict
from cases.access import ADMIN, ANY_MEDIATOR, CONSUMER, MEDIATOR, MERCHANT, SYSTEM, relations
from cases.tables import CaseState
from cases.workflow import TRANSITIONS, Context, allowed_actions, apply
from tests.cases.conditions import Condition, case_row, offers_of, one_change_at_a_time, put_case_in
from tests.cases.conftest import MONEY, Parties, act, file_case, to_mediation
from tests.cases.test_workflow_table import payload_for

EVERYONE = (CONSUMER, MERCHANT, MEDIATOR, ANY_MEDIATOR, ADMIN, SYSTEM)


class _Undo(Exception):
    """Raised inside the attempt's transaction so that nothing of it stays."""


async def _succeeds(
    reference: str, action: str, who: str, parties: Parties, offer: int | None, context: Context
) -> bool:
    payload = payload_for(action, parties, offer or 0)
    try:
        async with events.atomic():
            await apply(reference, action, parties.by_relation(who), payload, context)
            raise _Undo
    except _Undo:
        return True
    except Conflict:
        return False


async def _mismatches(
    reference: str, condition: Condition, parties: Parties, context: Context, offer: int | None
) -> list[str]:
    case, offers = await case_row(reference), await offers_of(reference)
    found = []
    for who in EVERYONE:
        if who == MEDIATOR and not condition.mediator:
            continue  # without a holder, "the mediator" is any mediator
        viewer = parties.by_relation(who)
        offered = set(await allowed_actions(case, viewer, context, offers))
        related = relations(case, viewer)
        for (state, action), row in TRANSITIONS.items():
            if state is not condition.state or not related & row.roles:
                continue
            if (action in offered) != await _succeeds(reference, action, who, parties, offer, context):
                found.append(f"{condition}: {who} {'offered' if action in offered else 'not offered'} {action}")
    return found


@pytest.mark.parametrize("state", list(CaseState), ids=lambda state: state.value)
async def test_offered_actions_succeed_and_the_others_are_refused(
    state: CaseState, parties: Parties, filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    reference, wrong = filed_case["reference"], []
    for condition in one_change_at_a_time((state,)):
        offer = await put_case_in(reference, condition, parties, clock)
        wrong += await _mismatches(reference, condition, parties, context, offer)
    assert wrong == [], "; ".join(wrong)


# --- the cases the issue names, through the API ---------------------------------------------------


async def test_no_answer_to_an_offer_or_proposal_that_is_not_there(cast: Any) -> None:
    case = await file_case(cast)
    answered = (await act(cast.merchant, case, "respond", kind="question", text="Which colour was it?")).json()
    assert answered["state"] == "negotiating"
    for client in (cast.consumer, cast.merchant):
        shown = (await client.get(f"/api/v1/cases/{case['reference']}")).json()["allowed_actions"]
        assert "accept_offer" not in shown and "reject_offer" not in shown and "counter_offer" in shown
    await act(cast.consumer, case, "counter_offer", remedies=[{"type": "refund", "amount": MONEY}], text="Refund me.")
    consumer_sees = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()["allowed_actions"]
    merchant_sees = (await cast.merchant.get(f"/api/v1/cases/{case['reference']}")).json()["allowed_actions"]
    assert "accept_offer" not in consumer_sees  # their own offer
    assert {"accept_offer", "reject_offer"} <= set(merchant_sees)

    mediated = await to_mediation(cast)
    for client in (cast.consumer, cast.merchant):
        shown = (await client.get(f"/api/v1/cases/{mediated['reference']}")).json()["allowed_actions"]
        assert "reject_proposal" not in shown and "accept_proposal" not in shown and "refuse_mediation" in shown
    refused = await act(cast.consumer, mediated, "reject_proposal")
    assert refused.status_code == 409 and "no settlement proposal" in refused.json()["detail"]


async def test_fulfilment_is_confirmed_or_disputed_only_once_reported(cast: Any) -> None:
    case = await file_case(cast)
    refund = [{"type": "refund", "amount": MONEY}]
    offered = await act(cast.merchant, case, "respond", kind="offer", remedies=refund, text="All of it.")
    offer_id = offered.json()["offers"][-1]["id"]
    assert (await act(cast.consumer, case, "accept_offer", offer_id=offer_id)).json()["state"] == "settled"
    consumer_sees = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()["allowed_actions"]
    assert "confirm_fulfilment" not in consumer_sees and "dispute_fulfilment" not in consumer_sees
    assert "mark_fulfilled" in (await cast.merchant.get(f"/api/v1/cases/{case['reference']}")).json()["allowed_actions"]
    await act(cast.merchant, case, "mark_fulfilled", proof="Refund reference 2026-88.")
    consumer_sees = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}")).json()["allowed_actions"]
    assert {"confirm_fulfilment", "dispute_fulfilment"} <= set(consumer_sees)
    merchant_sees = (await cast.merchant.get(f"/api/v1/cases/{case['reference']}")).json()["allowed_actions"]
    assert "mark_fulfilled" not in merchant_sees
