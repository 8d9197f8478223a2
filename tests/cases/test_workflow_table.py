"""Every row of the transition table, generated from the table: each allowed role succeeds, every other
role is refused with 403, and every action outside its states is a 409 naming the current state."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from accord.clock import FrozenClock
from accord.errors import Conflict, Forbidden
from cases.access import ADMIN, ANY_MEDIATOR, CONSUMER, MEDIATOR, MERCHANT, PLATFORM, SYSTEM
from cases.tables import Case, CaseEvent, CaseState, Offer
from cases.workflow import ACTIONS, ROLES_OF_ACTION, TRANSITIONS, WORDS_EVENT, Context, apply
from tests.cases.conftest import Parties, force_state

# The relations each member of the cast holds on a case they are part of.
CAST = {
    "consumer": {CONSUMER},
    "merchant": {MERCHANT},
    "mediator": {MEDIATOR, ANY_MEDIATOR},
    "any_mediator": {ANY_MEDIATOR},
    "admin": {ADMIN},
    "platform": {PLATFORM},  # an agent of the platform every case here names
    "system": {SYSTEM},
}
MONEY = {"amount": "199.00", "currency": "CNY"}


def payload_for(action: str, parties: Parties, offer_id: int | None) -> dict[str, Any]:
    return {
        "respond": {"kind": "offer", "remedies": [{"type": "refund", "amount": MONEY}], "text": "We will refund."},
        "counter_offer": {"remedies": [{"type": "partial_refund", "amount": MONEY}], "text": "Meet halfway?"},
        "accept_offer": {"offer_id": offer_id},
        "reject_offer": {"offer_id": offer_id, "reason": "Not enough."},
        "reassign": {"mediator_id": parties.other_mediator.id},
        "decline": {"reason": "duplicate", "note": "Same order as another case."},
        "request_info": {"party": "consumer", "question": "Please upload a photo of the box."},
        "provide_info": {"text": "Photo attached."},
        "propose_settlement": {"terms": [{"type": "refund", "amount": MONEY}], "fulfil_by": "2026-12-20"},
        "close_unresolved": {"note": "The parties could not agree."},
        "mark_fulfilled": {"proof": "Refund reference 2026-88."},
        "dispute_fulfilment": {"reason": "Nothing arrived."},
        "propose_listing": {"violation": "settlement_breach", "facts": "Agreed refund never paid."},
        "appeal": {"reason": "The mediator ignored my evidence."},
        "rate": {"score": 4, "comment": "Helpful."},
        "advance_compensate": {"amount": MONEY, "note": "Paid by the platform."},
        "dispute_compensation": {"reason": "Nothing arrived."},
    }.get(action, {})


async def prepare(
    reference: str, state: CaseState, action: str, actor: str, parties: Parties, clock: FrozenClock
) -> int | None:
    """Put the case in `state` with whatever the action's guard needs; return an offer id when relevant."""
    case = await Case.select(Case.id).where(Case.reference == reference).first()
    columns: dict[str, Any] = {"platform_enterprise": parties.platform.enterprise_id}
    if state not in (CaseState.filed, CaseState.negotiating) and action != "claim":
        columns["mediator"] = parties.mediator.id
    if action in ("provide_info",):
        columns["info_requested_from"] = "merchant" if actor == "merchant" else "consumer"
    if action in ("confirm_fulfilment", "dispute_fulfilment", "confirmation_timeout"):
        columns["fulfilment_marked_at"] = clock.now() - timedelta(days=1)
    if action == "appeal":
        columns["terminal_at"] = clock.now() - timedelta(days=1)
    if action in ("confirm_compensation", "dispute_compensation", "compensation_timeout"):
        columns.update(compensated_by="platform", compensation_state="awaiting_confirmation")
    await force_state(reference, state.value, **columns)
    offer_id = None
    if action in ("accept_offer", "reject_offer", "accept_proposal", "reject_proposal"):
        by_role = "mediator" if "proposal" in action else ("consumer" if actor == "merchant" else "merchant")
        author = {"mediator": parties.mediator, "consumer": parties.consumer, "merchant": parties.merchant}[by_role]
        created = await Offer.insert(
            Offer(
                case=case["id"],
                by_role=by_role,
                author=author.id,
                remedies=json.dumps([]),
                text="Offer",
                status="open",
                created_at=clock.now(),
            )
        ).returning(Offer.id)
        offer_id = created[0]["id"]
    return offer_id


ROWS = sorted(TRANSITIONS, key=lambda key: (key[0].value, key[1]))
ALLOWED = [
    (state, action, actor)
    for state, action in ROWS
    for actor, held in CAST.items()
    if held & TRANSITIONS[(state, action)].roles
]
REFUSED = [
    (state, action, actor)
    for state, action in ROWS
    for actor, held in CAST.items()
    if not held & TRANSITIONS[(state, action)].roles
    and actor != "system"
    or (actor == "system" and SYSTEM not in TRANSITIONS[(state, action)].roles)
]
OUT_OF_STATE = [
    (state, action, next(actor for actor, held in CAST.items() if held & ROLES_OF_ACTION[action]))
    for state in CaseState
    for action in sorted(ACTIONS)
    if (state, action) not in TRANSITIONS
]


def _id(item: tuple[CaseState, str, str]) -> str:
    return f"{item[0].value}-{item[1]}-{item[2]}"


@pytest.mark.parametrize("row", ALLOWED, ids=_id)
async def test_allowed_role_applies_the_row(
    row: tuple[CaseState, str, str], parties: Parties, filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    state, action, actor = row
    reference = filed_case["reference"]
    offer_id = await prepare(reference, state, action, actor, parties, clock)
    before = await Case.select(Case.version, Case.last_seq).where(Case.reference == reference).first()
    await apply(
        reference,
        action,
        parties.by_relation(actor),
        payload_for(action, parties, offer_id),
        context,
        expected_version=before["version"],
    )
    after = await Case.select(Case.state, Case.version, Case.last_seq).where(Case.reference == reference).first()
    expected = TRANSITIONS[(state, action)].next_state or state
    assert after["state"] == expected.value
    assert after["version"] == before["version"] + 1
    # One event for the transition, and one for its words when they belong to a caucus (cases.access.placement).
    appended = (
        await CaseEvent.select(CaseEvent.type, CaseEvent.data)
        .where(CaseEvent.seq > before["last_seq"], CaseEvent.case == filed_case["id"])
        .order_by(CaseEvent.seq)
    )
    assert [event["type"] for event in appended] in ([action], [action, WORDS_EVENT])
    assert json.loads(appended[0]["data"])["to"] == expected.value


@pytest.mark.parametrize("row", REFUSED, ids=_id)
async def test_other_roles_are_refused_with_403(
    row: tuple[CaseState, str, str], parties: Parties, filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    state, action, actor = row
    reference = filed_case["reference"]
    offer_id = await prepare(reference, state, action, actor, parties, clock)
    with pytest.raises(Forbidden):
        await apply(reference, action, parties.by_relation(actor), payload_for(action, parties, offer_id), context)
    assert (await Case.select(Case.state).where(Case.reference == reference).first())["state"] == state.value


@pytest.mark.parametrize("row", OUT_OF_STATE, ids=_id)
async def test_actions_outside_their_states_are_409_naming_the_state(
    row: tuple[CaseState, str, str], parties: Parties, filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    state, action, actor = row
    reference = filed_case["reference"]
    offer_id = await prepare(reference, state, action, actor, parties, clock)
    with pytest.raises(Conflict) as refused:
        await apply(reference, action, parties.by_relation(actor), payload_for(action, parties, offer_id), context)
    assert state.value in refused.value.detail
    assert (await Case.select(Case.state).where(Case.reference == reference).first())["state"] == state.value


def test_table_covers_every_state_and_names_no_unknown_state() -> None:
    reached = {row.next_state for row in TRANSITIONS.values() if row.next_state} | {state for state, _a in TRANSITIONS}
    assert reached == set(CaseState)
    assert len(ALLOWED) > 40 and len(REFUSED) > 150 and len(OUT_OF_STATE) > 200
