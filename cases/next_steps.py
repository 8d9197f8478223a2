"""What happens next on a case, told to the person looking at it (issue 12 §2): who must act, what they
must do, by when, and what happens by itself if nobody does.

Data, not branches. A case is in one *situation*: its state, refined by what is open on it (an offer, a
proposal, a question to a party, fulfilment reported, a mediator holding it or not). SITUATIONS names, for
each, who must act and what to tell each part a viewer can hold on the case; the deadline shown is the
case's soonest running one (an appeal window once it has ended), and what happens when it runs out is the
timeout action the deadlines table (`cases.workflow.DEADLINES`) sets for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from accord.auth import Viewer
from accord.clock import working_days_left
from accord.i18n import N_, viewer_zone
from accord.i18n import gettext as _
from cases.access import ADMIN, ANY_MEDIATOR, CONSUMER, FORMER_MEDIATOR, MEDIATOR, MERCHANT, PLATFORM
from cases.tables import CaseState
from cases.workflow import (
    AWAITING_CONFIRMATION,
    COMPENSABLE_STATES,
    DEADLINES,
    SPECS,
    TRANSITIONS,
    Context,
    appeal_window_end,
)

S = CaseState
OTHERS = "*"  # the text for every part the situation names no text for
APPEAL_WINDOW = "appeal_window"  # not a running deadline: the 30 calendar days after a case ended
SOONEST = "soonest"  # the case's soonest running deadline


@dataclass(frozen=True)
class Facts:
    """What a situation depends on besides the state."""

    mediator: bool
    offer_by: str | None  # whose offer is open in negotiation (there is at most one)
    proposal_accepted_by: frozenset[str] | None  # None: no open proposal
    info_from: str | None  # the party the mediator's question waits on
    fulfilment_marked: bool
    appeal_until: datetime | None  # while an appeal is still possible
    # The platform named on the case may pay the consumer in advance now (a broken settlement, or a
    # merchant who never answered; not twice).
    platform_may_compensate: bool = False
    compensation_to_confirm: bool = False  # the platform paid; the consumer has not said whether it arrived


@dataclass(frozen=True)
class Situation:
    key: str
    state: CaseState
    applies: Callable[[Facts], bool]
    actors: tuple[str, ...]  # who must act: consumer, merchant, mediator (the one holding it), any_mediator
    texts: dict[str, str]  # the viewer's part (or OTHERS) -> what they read, N_-marked
    deadline: str | None = SOONEST
    # What the platform's agents read while they may compensate the consumer in advance (else OTHERS).
    platform_may: str = ""


def _always(facts: Facts) -> bool:
    return True


_CLOSED = N_("The case is closed. Nothing more happens on it.")
_PLATFORM_MAY_COMPENSATE = N_(
    "The merchant never answered this complaint. A mediator will take it on; you may also compensate the "
    "consumer in advance now and claim the amount back from the merchant."
)
_PLATFORM_MAY_COMPENSATE_BREACH = N_(
    "The merchant did not keep the settlement. You may compensate the consumer in advance and claim the amount "
    "back from the merchant; otherwise a mediator settles again or closes the case."
)
_PARTIES_WAIT_FOR_MEDIATOR = N_("The case waits for a mediator to take it on. You will be told when one does.")

SITUATIONS: tuple[Situation, ...] = (
    Situation(
        "filed",
        S.filed,
        _always,
        (MERCHANT,),
        {
            MERCHANT: N_("Answer this complaint: make an offer, reject it with your reasons, or ask a question."),
            CONSUMER: N_(
                "The merchant must answer your complaint: with an offer, a rejection with reasons, or a question."
            ),
            OTHERS: N_("The merchant must answer the complaint."),
        },
    ),
    Situation(
        "negotiating.merchant_offer",
        S.negotiating,
        lambda facts: facts.offer_by == MERCHANT,
        (CONSUMER,),
        {
            CONSUMER: N_(
                "The merchant made you an offer: accept it, reject it or make a counter-offer. "
                "If you cannot agree, ask for a mediator."
            ),
            MERCHANT: N_("The consumer must answer your offer. You may still replace it with a new one."),
            OTHERS: N_("The consumer must answer the merchant's offer."),
        },
    ),
    Situation(
        "negotiating.consumer_offer",
        S.negotiating,
        lambda facts: facts.offer_by == CONSUMER,
        (MERCHANT,),
        {
            MERCHANT: N_(
                "The consumer made a counter-offer: accept it, reject it or make a new offer. "
                "If you cannot agree, ask for a mediator."
            ),
            CONSUMER: N_("The merchant must answer your counter-offer. You may still replace it with a new one."),
            OTHERS: N_("The merchant must answer the consumer's counter-offer."),
        },
    ),
    Situation(
        "negotiating",
        S.negotiating,
        _always,
        (CONSUMER, MERCHANT),
        {
            CONSUMER: N_("Negotiate with the merchant: make an offer, or ask for a mediator if you cannot agree."),
            MERCHANT: N_("Negotiate with the consumer: make an offer, or ask for a mediator if you cannot agree."),
            OTHERS: N_("The consumer and the merchant are negotiating: either of them may make an offer."),
        },
    ),
    Situation(
        "awaiting_mediator.unclaimed",
        S.awaiting_mediator,
        lambda facts: not facts.mediator,
        (ANY_MEDIATOR,),
        {
            ANY_MEDIATOR: N_("This case waits for a mediator: claim it, then admit it or decline it with a reason."),
            CONSUMER: _PARTIES_WAIT_FOR_MEDIATOR,
            MERCHANT: _PARTIES_WAIT_FOR_MEDIATOR,
            OTHERS: N_("The case waits for a mediator to claim it."),
        },
        platform_may=_PLATFORM_MAY_COMPENSATE,
    ),
    Situation(
        "awaiting_mediator",
        S.awaiting_mediator,
        _always,
        (MEDIATOR,),
        {
            MEDIATOR: N_("Decide whether this case can be mediated: admit it, or decline it with a reason."),
            OTHERS: N_("The mediator decides whether the case can be mediated."),
        },
        platform_may=_PLATFORM_MAY_COMPENSATE,
    ),
    Situation(
        "in_mediation.question_to_consumer",
        S.in_mediation,
        lambda facts: facts.info_from == CONSUMER,
        (CONSUMER,),
        {
            CONSUMER: N_("The mediator asked you a question: answer it. Mediation waits for your answer."),
            OTHERS: N_("The consumer must answer the mediator's question. Mediation waits for the answer."),
        },
    ),
    Situation(
        "in_mediation.question_to_merchant",
        S.in_mediation,
        lambda facts: facts.info_from == MERCHANT,
        (MERCHANT,),
        {
            MERCHANT: N_("The mediator asked you a question: answer it. Mediation waits for your answer."),
            OTHERS: N_("The merchant must answer the mediator's question. Mediation waits for the answer."),
        },
    ),
    Situation(
        "in_mediation.proposal",
        S.in_mediation,
        lambda facts: facts.proposal_accepted_by == frozenset(),
        (CONSUMER, MERCHANT),
        {
            CONSUMER: N_("The mediator proposed a settlement: accept or reject it. It binds once both parties accept."),
            MERCHANT: N_("The mediator proposed a settlement: accept or reject it. It binds once both parties accept."),
            OTHERS: N_("Both parties must answer the mediator's settlement proposal."),
        },
    ),
    Situation(
        "in_mediation.proposal_accepted_by_consumer",
        S.in_mediation,
        lambda facts: facts.proposal_accepted_by == {CONSUMER},
        (MERCHANT,),
        {
            MERCHANT: N_(
                "The consumer accepted the mediator's proposal: accept or reject it. It binds once you accept."
            ),
            CONSUMER: N_("You accepted the proposal. The merchant must accept it too before it binds."),
            OTHERS: N_("The consumer accepted the mediator's proposal; the merchant must answer it."),
        },
    ),
    Situation(
        "in_mediation.proposal_accepted_by_merchant",
        S.in_mediation,
        lambda facts: facts.proposal_accepted_by == {MERCHANT},
        (CONSUMER,),
        {
            CONSUMER: N_(
                "The merchant accepted the mediator's proposal: accept or reject it. It binds once you accept."
            ),
            MERCHANT: N_("You accepted the proposal. The consumer must accept it too before it binds."),
            OTHERS: N_("The merchant accepted the mediator's proposal; the consumer must answer it."),
        },
    ),
    Situation(
        "in_mediation",
        S.in_mediation,
        _always,
        (MEDIATOR,),
        {
            MEDIATOR: N_(
                "Mediate: talk with the parties, ask them for information, then propose a settlement or close the case."
            ),
            CONSUMER: N_("The mediator works with both parties towards a settlement. Answer in the conversation."),
            MERCHANT: N_("The mediator works with both parties towards a settlement. Answer in the conversation."),
            OTHERS: N_("The mediator works with both parties towards a settlement."),
        },
    ),
    Situation(
        "settled",
        S.settled,
        lambda facts: not facts.fulfilment_marked,
        (MERCHANT,),
        {
            MERCHANT: N_("Carry out the settlement, then report it with proof (a refund reference, a waybill number)."),
            OTHERS: N_("The merchant must carry out the settlement and report it with proof."),
        },
    ),
    Situation(
        "settled.fulfilment_reported",
        S.settled,
        _always,
        (CONSUMER,),
        {
            CONSUMER: N_(
                "The merchant reports the settlement carried out: check the proof, then confirm it "
                "or say what is missing."
            ),
            OTHERS: N_("The consumer must confirm that the settlement was carried out, or say what is missing."),
        },
    ),
    Situation(
        "breached.unclaimed",
        S.breached,
        lambda facts: not facts.mediator,
        (ANY_MEDIATOR,),
        {
            ANY_MEDIATOR: N_(
                "The settlement was not kept and no mediator holds the case: claim it, then settle again "
                "or close it."
            ),
            CONSUMER: N_("The settlement was not kept. A mediator will take the case on to settle again or close it."),
            MERCHANT: N_("The settlement was not kept. A mediator will take the case on to settle again or close it."),
            OTHERS: N_("The settlement was not kept; the case waits for a mediator to claim it."),
        },
        platform_may=_PLATFORM_MAY_COMPENSATE_BREACH,
    ),
    Situation(
        "breached",
        S.breached,
        _always,
        (MEDIATOR,),
        {
            MEDIATOR: N_("The settlement was not kept: mediate a new settlement, or close the case without agreement."),
            OTHERS: N_("The settlement was not kept. The mediator will mediate a new settlement or close the case."),
        },
        platform_may=_PLATFORM_MAY_COMPENSATE_BREACH,
    ),
    Situation(
        "resolved.compensation_to_confirm",
        S.resolved,
        lambda facts: facts.compensation_to_confirm,
        (CONSUMER,),
        {
            CONSUMER: N_(
                "The platform paid you in advance: check that the money arrived, then confirm it. If it did not "
                "arrive, say so and a mediator takes the case up again."
            ),
            PLATFORM: N_(
                "You compensated the consumer in advance. The consumer must confirm that the payment arrived; "
                "your claim against the merchant stays open until you record it recovered or waived."
            ),
            MERCHANT: N_(
                "The platform compensated the consumer in advance and claims the amount back from your enterprise."
            ),
            OTHERS: N_("The platform compensated the consumer in advance; the consumer must confirm the payment."),
        },
    ),
    *(
        Situation(
            f"{state.value}.appealable",
            state,
            lambda facts: facts.appeal_until is not None,
            (),
            {
                CONSUMER: N_(
                    "The case is closed. If you disagree with the outcome, you may appeal once, by the date below."
                ),
                OTHERS: N_("The case is closed. The consumer may appeal once, by the date below."),
            },
            APPEAL_WINDOW,
        )
        for state in (S.resolved, S.unresolved, S.declined)
    ),
    *(
        Situation(state.value, state, _always, (), {OTHERS: _CLOSED}, None)
        for state in (S.resolved, S.unresolved, S.declined, S.withdrawn)
    ),
)

# What happens when a deadline runs out: by the timeout action the deadlines table names (its spec's
# `on_timeout`; None: no action fires).
ON_TIMEOUT: dict[str | None, str] = {
    **{action: spec.on_timeout for action, spec in SPECS.items() if spec.on_timeout},
    None: N_("Nothing happens by itself when this date passes: the case is then shown as overdue."),
}
AFTER_APPEAL_WINDOW = N_("After that date the outcome is final.")

# A viewer's part on the case, the strongest first (an earlier mediator reads like any other mediator).
_PARTS = (CONSUMER, MERCHANT, PLATFORM, MEDIATOR, ANY_MEDIATOR, FORMER_MEDIATOR, ADMIN)


@dataclass(frozen=True)
class NextStep:
    situation: str
    actor_roles: tuple[str, ...]
    viewer_acts: bool  # the viewer is one of those who must act
    summary: str  # translated
    deadline: str | None  # a name of the deadlines table, or "appeal_window"
    due_at: datetime | None  # in the viewer's time zone
    working_days_left: int | None  # 0: due today; negative: overdue
    overdue: bool
    timeout_action: str | None  # the system action that fires when the deadline runs out
    timeout_state: str | None  # where that action takes the case
    on_timeout: str | None  # translated
    zone: tzinfo  # the viewer's

    def as_json(self) -> dict[str, Any]:
        """The API's `next` (cases.schemas.NextOut)."""
        timeout = None
        if self.on_timeout is not None:
            timeout = {"action": self.timeout_action, "state": self.timeout_state, "summary": self.on_timeout}
        return {
            "situation": self.situation,
            "actor_roles": list(self.actor_roles),
            "you_act": self.viewer_acts,
            "summary": self.summary,
            "deadline": self.deadline,
            "due_at": self.due_at,
            "time_zone": str(self.zone),
            "working_days_left": self.working_days_left,
            "overdue": self.overdue,
            "on_timeout": timeout,
        }


def viewer_part(related: frozenset[str]) -> str:
    part = next((part for part in _PARTS if part in related), ADMIN)
    return ANY_MEDIATOR if part == FORMER_MEDIATOR else part


def facts_of(case: dict[str, Any], offers: list[dict[str, Any]], context: Context) -> Facts:
    """`offers`: the case's offers and proposals, as the case view loads them."""
    open_offers = [offer for offer in offers if offer["status"] == "open"]
    proposals = [offer for offer in open_offers if offer["by_role"] == "mediator"]
    accepted = (
        frozenset(party for party in (CONSUMER, MERCHANT) if proposals[-1][f"{party}_accepted_at"] is not None)
        if proposals
        else None
    )
    appeal_until = appeal_window_end(case, context.terms)
    silent = case["state"] == S.breached or not case["merchant_responded"]
    return Facts(
        mediator=case["mediator"] is not None,
        offer_by=next((offer["by_role"] for offer in open_offers if offer["by_role"] != "mediator"), None),
        proposal_accepted_by=accepted,
        info_from=case["info_requested_from"],
        fulfilment_marked=case["fulfilment_marked_at"] is not None,
        appeal_until=appeal_until if appeal_until and context.clock.now() <= appeal_until else None,
        platform_may_compensate=case["state"] in COMPENSABLE_STATES and silent and case["compensated_by"] is None,
        compensation_to_confirm=case["compensation_state"] == AWAITING_CONFIRMATION,
    )


def situation_of(state: str, facts: Facts) -> Situation:
    return next(s for s in SITUATIONS if s.state.value == state and s.applies(facts))


def next_step(
    case: dict[str, Any],
    related: frozenset[str],
    offers: list[dict[str, Any]],
    running: dict[str, datetime],
    context: Context,
    viewer: Viewer,
) -> NextStep:
    """`running`: the case's open, unpaused deadlines by name. Times are given in the viewer's time zone."""
    zone = viewer_zone(viewer, context.zone)
    facts = facts_of(case, offers, context)
    situation = situation_of(case["state"], facts)
    part = viewer_part(related)
    deadline, due = _deadline(situation, facts, running)
    action = DEADLINES[deadline].action if deadline in DEADLINES else None
    row = TRANSITIONS.get((CaseState(case["state"]), action)) if action else None
    now = context.clock.now()
    return NextStep(
        situation=situation.key,
        actor_roles=situation.actors,
        viewer_acts=part in situation.actors,
        summary=_(_text_for(situation, facts, part)),
        deadline=deadline,
        due_at=due.astimezone(zone) if due else None,
        working_days_left=working_days_left(context.calendar, now, due),
        overdue=due is not None and due < now,
        timeout_action=action,
        timeout_state=((row.next_state or CaseState(case["state"])).value if row else None),
        on_timeout=_timeout_text(deadline, action),
        zone=zone,
    )


def _text_for(situation: Situation, facts: Facts, part: str) -> str:
    if part == PLATFORM and situation.platform_may and facts.platform_may_compensate:
        return situation.platform_may
    return situation.texts.get(part) or situation.texts[OTHERS]


def _deadline(situation: Situation, facts: Facts, running: dict[str, datetime]) -> tuple[str | None, datetime | None]:
    if situation.deadline == APPEAL_WINDOW:
        return APPEAL_WINDOW, facts.appeal_until
    if situation.deadline == SOONEST and running:
        name = min(running, key=lambda key: running[key])
        return name, running[name]
    return None, None


def _timeout_text(deadline: str | None, action: str | None) -> str | None:
    if deadline is None:
        return None
    return _(AFTER_APPEAL_WINDOW if deadline == APPEAL_WINDOW else ON_TIMEOUT[action])
