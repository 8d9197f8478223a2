"""No dead ends (issue 12 §7).

Generated from the transition table: in every condition of every state that is not final, someone on the
case can act — the consumer, the merchant, the mediator holding it, or any mediator from the queue (a
registrar's reassignment does not count: nobody should have to ask for it) — or a running deadline's timeout
will move it. A state added without a way out fails here by name. And whoever the "what happens next" panel
says must act has something to do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from accord.clock import FrozenClock
from cases.access import ANY_MEDIATOR, CONSUMER, MEDIATOR, MERCHANT
from cases.next_steps import Situation, facts_of, situation_of
from cases.tables import Case, CaseState
from cases.workflow import DEADLINES, Context, allowed_actions
from tests.cases.conditions import NON_TERMINAL, Condition, case_row, conditions, offers_of, put_case_in
from tests.cases.conftest import Parties, act, to_mediation

PEOPLE = (CONSUMER, MERCHANT, MEDIATOR, ANY_MEDIATOR)


async def _walk(
    state: CaseState, reference: str, parties: Parties, context: Context, clock: FrozenClock
) -> AsyncIterator[tuple[Condition, dict[str, list[str]], set[str], Situation]]:
    """Each condition of the state in turn: what each person on the case may do then, which timeouts would
    move it, and the situation the next-step panel tells."""
    for condition in conditions((state,)):
        await put_case_in(reference, condition, parties, clock)
        case, offers = await case_row(reference), await offers_of(reference)
        acting = {
            who: await allowed_actions(case, parties.by_relation(who), context, offers)
            for who in PEOPLE
            if who != MEDIATOR or condition.mediator  # without a holder, "the mediator" is any mediator
        }
        timeouts = {kind.action for kind in DEADLINES.values() if state in kind.running_in and kind.action}
        timeouts &= set(await allowed_actions(case, None, context, offers))
        yield condition, acting, timeouts, situation_of(state.value, facts_of(case, offers, context))


@pytest.mark.parametrize("state", NON_TERMINAL, ids=lambda state: state.value)
async def test_every_condition_of_a_state_has_a_way_out(
    state: CaseState, parties: Parties, filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    stuck = [
        str(condition)
        async for condition, acting, timeouts, _told in _walk(state, filed_case["reference"], parties, context, clock)
        if not any(acting.values()) and not timeouts
    ]
    assert stuck == [], "nobody can act and no deadline moves the case in: " + "; ".join(stuck)


@pytest.mark.parametrize("state", NON_TERMINAL, ids=lambda state: state.value)
async def test_whoever_must_act_next_can(
    state: CaseState, parties: Parties, filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    idle = []
    async for condition, acting, _timeouts, told in _walk(state, filed_case["reference"], parties, context, clock):
        assert told.actors, f"{condition}: the panel names nobody who must act"
        idle += [f"{condition}: {who}" for who in told.actors if not acting.get(who)]
    assert idle == [], "the panel says they must act, but they are offered nothing: " + "; ".join(idle)


def test_the_conditions_cover_every_state_that_is_not_final() -> None:
    covered = {condition.state for condition in conditions(NON_TERMINAL)}
    assert covered == set(NON_TERMINAL) and len(NON_TERMINAL) == 6


async def test_a_question_ends_with_the_mediation_it_was_asked_in(cast: Any) -> None:
    case = await to_mediation(cast)
    await act(cast.mediator, case, "request_info", party="consumer", question="Which size did you order?")
    closed = (await act(cast.mediator, case, "close_unresolved", note="The parties could not agree.")).json()
    assert closed["state"] == "unresolved"
    assert (await Case.select(Case.info_requested_from).where(Case.reference == case["reference"]).first()) == {
        "info_requested_from": None
    }
    await act(cast.consumer, case, "appeal", reason="The mediator did not wait for my answer.")
    await act(cast.other_mediator, case, "claim")
    admitted = (await act(cast.other_mediator, case, "admit")).json()
    assert admitted["next"]["situation"] == "in_mediation" and "request_info" in admitted["allowed_actions"]
