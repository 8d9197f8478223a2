"""Every condition a case can be in, generated: each state of the transition table crossed with what can be
open on it (a mediator holding it or not, an offer of either party or a proposal, fulfilment reported or not,
a question to a party). Test set-up writes them straight into the database; the product never does."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from accord.clock import FrozenClock
from cases.tables import TERMINAL_STATES, Case, CaseState, Offer
from tests.cases.conftest import Parties, force_state

# What may be open besides the state: nothing, an offer of one party, or the mediator's proposal
# (accepted by nobody yet, or by one party).
OPEN_ITEMS: tuple[str | None, ...] = (
    None,
    "merchant",
    "consumer",
    "proposal",
    "proposal:consumer",
    "proposal:merchant",
)


@dataclass(frozen=True)
class Condition:
    state: CaseState
    mediator: bool
    open_item: str | None
    fulfilment_marked: bool
    info_from: str | None

    def __str__(self) -> str:
        held = "mediator" if self.mediator else "no mediator"
        return (
            f"{self.state.value} ({held}, open: {self.open_item or 'nothing'}, "
            f"fulfilment {'reported' if self.fulfilment_marked else 'not reported'}, "
            f"question to: {self.info_from or 'nobody'})"
        )


def conditions(states: tuple[CaseState, ...]) -> list[Condition]:
    """Every combination for these states, except the impossible one: a case in mediation always has its
    mediator (admit and resettle are the holder's; only a registrar's reassignment changes who)."""
    return [
        Condition(state, mediator, item, marked, info)
        for state, mediator, item, marked, info in itertools.product(
            states, (False, True), OPEN_ITEMS, (False, True), (None, "consumer", "merchant")
        )
        if mediator or state is not CaseState.in_mediation
    ]


def one_change_at_a_time(states: tuple[CaseState, ...]) -> list[Condition]:
    """Fewer: each state, held or not, with nothing open and then each other thing open alone. Enough where
    every check reads one of these at a time (the availability checks do)."""
    found = []
    for state, mediator in itertools.product(states, (False, True)):
        plain = Condition(state, mediator, None, False, None)
        found += [plain, *(replace(plain, open_item=item) for item in OPEN_ITEMS[1:])]
        found += [replace(plain, fulfilment_marked=True)]
        found += [replace(plain, info_from=party) for party in ("consumer", "merchant")]
    return [condition for condition in found if condition.mediator or condition.state is not CaseState.in_mediation]


NON_TERMINAL = tuple(state for state in CaseState if state not in TERMINAL_STATES)


async def put_case_in(reference: str, condition: Condition, parties: Parties, clock: FrozenClock) -> int | None:
    """Write the condition onto the case (and its offers); returns the open offer's or proposal's id."""
    now = clock.now()
    ended = condition.state in TERMINAL_STATES
    await force_state(
        reference,
        condition.state.value,
        mediator=parties.mediator.id if condition.mediator else None,
        info_requested_from=condition.info_from,
        fulfilment_marked_at=now - timedelta(hours=1) if condition.fulfilment_marked else None,
        terminal_at=now - timedelta(days=1) if ended else None,
        rating=None,
        is_appeal=False,
        appealed=False,
    )
    case = await Case.select(Case.id).where(Case.reference == reference).first()
    await Offer.delete().where(Offer.case == case["id"])
    if condition.open_item is None:
        return None
    by_role, _, accepted_by = condition.open_item.partition(":")
    by_role = "mediator" if by_role == "proposal" else by_role
    author = {"mediator": parties.mediator, "consumer": parties.consumer, "merchant": parties.merchant}[by_role]
    created = await Offer.insert(
        Offer(
            case=case["id"],
            by_role=by_role,
            author=author.id,
            remedies=json.dumps([{"type": "refund", "amount": 19900, "currency": "CNY", "description": ""}]),
            text="Offer",
            status="open",
            consumer_accepted_at=now if accepted_by == "consumer" else None,
            merchant_accepted_at=now if accepted_by == "merchant" else None,
            created_at=now,
        )
    ).returning(Offer.id)
    return int(created[0]["id"])


async def case_row(reference: str) -> dict[str, Any]:
    row = await Case.select().where(Case.reference == reference).first()
    assert row is not None
    return row


async def offers_of(reference: str) -> list[dict[str, Any]]:
    return await Offer.select().where(Offer.case.reference == reference).order_by(Offer.id)
