"""The case lifecycle (DESIGN §2): the transition table, as data, and `apply()`, the only writer of state.

A row says, for a (state, action): who may do it, what the payload looks like, what must hold first
(guard), what it writes besides the state (effect), where the case goes next, and which deadlines
start or stop. `apply()` checks role, version and guard, then writes state, record event, deadlines
and domain events in one transaction; after-commit subscribers hear about it only once it committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from operator import itemgetter
from typing import Any

from accord import events, statemachine
from accord.actions import ActionSpec, Ask, labels_of
from accord.auth import Viewer
from accord.clock import Calendar, Clock
from accord.db import Prepared, insert_rows, update_rows
from accord.errors import InvalidInput
from accord.i18n import N_, register_labels
from accord.i18n import gettext as _
from accounts.tables import User
from cases import filing, record
from cases.access import (
    ADMIN,
    ANY_MEDIATOR,
    CONSUMER,
    MEDIATOR,
    MERCHANT,
    PLATFORM,
    SYSTEM,
    can_see,
    conflicted,
    placement,
    relations,
)
from cases.schemas import (
    AdvanceCompensationIn,
    CaseFilingIn,
    DeclineIn,
    InfoIn,
    InfoRequestIn,
    ListingProposalIn,
    NoteIn,
    OfferChoiceIn,
    OfferIn,
    OfferRejectionIn,
    OptionalReasonIn,
    ProofIn,
    ProposalIn,
    RatingIn,
    ReasonIn,
    ReassignIn,
    RespondIn,
)
from cases.tables import (
    TERMINAL_STATES,
    Case,
    CaseState,
    Channel,
    Deadline,
    Offer,
    RecourseClaim,
    RecourseState,
)

S = CaseState
BEFORE_SETTLEMENT = (S.filed, S.negotiating, S.awaiting_mediator, S.in_mediation)
APPEALABLE = (S.resolved, S.unresolved, S.declined)
CLAIMABLE_STATES = (S.awaiting_mediator, S.breached)  # on the mediators' queue until one of them claims it
# Where the platform may pay the consumer in advance (DESIGN §11b): a broken settlement, or a complaint
# waiting for a mediator that the merchant never answered (guard: merchant_responded).
COMPENSABLE_STATES = (S.breached, S.awaiting_mediator)
AWAITING_CONFIRMATION, CONFIRMED, DISPUTED = "awaiting_confirmation", "confirmed", "disputed"


@dataclass(frozen=True)
class CaseTerms:
    """Deadline lengths in working days (DESIGN §2), configurable per deployment."""

    merchant_response: int = 10
    negotiation_limit: int = 15
    admissibility: int = 7
    mediation_limit: int = 45
    information_due: int = 5
    fulfilment_due: int = 7
    confirmation_due: int = 7
    breach_review: int = 5
    compensation_confirmation: int = 7  # the consumer confirms (or disputes) the platform's advance payment
    appeal_window_days: int = 30


def terms_from(overrides: dict[str, int]) -> CaseTerms:
    """Deployment overrides (ACCORD_DEADLINE_<NAME>) on top of the defaults; unknown names are an error."""
    known = set(CaseTerms.__dataclass_fields__)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown deadline {unknown[0]!r}: choose from {', '.join(sorted(known))}")
    return CaseTerms(**overrides)


@dataclass(frozen=True)
class DeadlineKind:
    """A clock that runs while the case is in `running_in`; `action` is applied by the system at its end."""

    running_in: frozenset[CaseState]
    action: str | None


DEADLINES: dict[str, DeadlineKind] = {
    "merchant_response": DeadlineKind(frozenset({S.filed}), "response_timeout"),
    "negotiation_limit": DeadlineKind(frozenset({S.filed, S.negotiating}), "negotiation_timeout"),
    "admissibility": DeadlineKind(frozenset({S.awaiting_mediator}), None),  # a service level, shown as overdue
    "mediation_limit": DeadlineKind(frozenset({S.in_mediation}), "mediation_timeout"),
    "information_due": DeadlineKind(frozenset({S.in_mediation}), "information_timeout"),
    "fulfilment_due": DeadlineKind(frozenset({S.settled}), "fulfilment_timeout"),
    "confirmation_due": DeadlineKind(frozenset({S.settled}), "confirmation_timeout"),
    "breach_review": DeadlineKind(frozenset({S.breached}), None),  # a service level for the mediator
    # The only clock of an ended case: the consumer's word on the platform's advance payment.
    "compensation_confirmation": DeadlineKind(frozenset({S.resolved}), "compensation_timeout"),
}


@dataclass
class Step(statemachine.Step):
    """One application of a case row, handed to guards and effects (`case` is the locked row)."""

    deadline_at: dict[str, datetime] = field(default_factory=dict)
    writes: record.Writes = field(default_factory=record.Writes)  # case and offer columns set, for the record
    # The case's offers when the caller has them already (the case page): availability checks then
    # read them instead of asking the database again. apply() leaves it None and reads under the lock.
    known_offers: list[dict[str, Any]] | None = None
    today: date | None = None  # filing: the date where the consumer files (trace codes' expiry century)
    # Worked out before the case row is written (`_prepare`), written after it (`_record`): the deadlines'
    # moves, the record events chained onto the case's head, and the transition's (seq, placement, words apart).
    deadline_moves: DeadlineMoves | None = None
    chained: list[dict[str, Any]] = field(default_factory=list)
    transition: tuple[int, Any, dict[str, Any]] = (0, None, {})

    @property
    def case(self) -> dict[str, Any]:
        return self.subject

    @property
    def terms(self) -> CaseTerms:
        return self.context.terms  # type: ignore[no-any-return]

    @property
    def actor_role(self) -> str:
        for role in (CONSUMER, MERCHANT, PLATFORM, MEDIATOR, ADMIN, SYSTEM):
            if role in self.related:
                return role
        return ANY_MEDIATOR if ANY_MEDIATOR in self.related else "unknown"

    def working_days_from_now(self, days: int) -> datetime:
        return self.calendar.add_working_days(self.now, days)


@dataclass(frozen=True)
class Transition(statemachine.Row):
    """A row of the case table: besides the engine's row, the deadlines it starts, stops, pauses, resumes."""

    starts: tuple[str, ...] = ()
    stops: tuple[str, ...] = ()
    pauses: tuple[str, ...] = ()
    resumes: tuple[str, ...] = ()


# --- guards --------------------------------------------------------------------------------------


async def _offers_of(step: Step) -> list[dict[str, Any]]:
    if step.known_offers is not None:
        return step.known_offers
    return await Offer.select().where(Offer.case == step.case["id"]).order_by(Offer.id)


async def _open_offers_from_others(step: Step) -> list[dict[str, Any]]:
    """Open offers of the other party (a mediator's proposal is not an offer)."""
    return [
        offer
        for offer in await _offers_of(step)
        if offer["status"] == "open" and offer["by_role"] not in ("mediator", step.actor_role)
    ]


async def open_offer_from_other_party(step: Step) -> str | None:
    if not await _open_offers_from_others(step):
        return _("The other party has no open offer to answer.")
    return None


async def offer_from_other_party(step: Step) -> str | None:
    offer = next((o for o in await _offers_of(step) if o["id"] == step.payload.offer_id), None)
    if offer is None or offer["status"] != "open" or offer["by_role"] == "mediator":
        return _("There is no open offer with this number on the case.")
    if offer["by_role"] == step.actor_role:
        return _("You cannot answer your own offer.")
    step.details["offer"] = offer
    return None


async def unclaimed(step: Step) -> str | None:
    if step.case["mediator"] is not None:
        holder = await User.select(User.display_name).where(User.id == step.case["mediator"]).first()
        return _("%(name)s has already claimed this case.") % {"name": holder["display_name"] if holder else "?"}
    if step.case["is_appeal"] and step.viewer and step.viewer.id == step.case["previous_mediator"]:
        return _("An appeal must go to a different mediator than the one who handled the case.")
    if step.viewer and await _party_to(step.case, step.viewer.id):
        return _("You are a party to this case, or an agent of its enterprise: another mediator must take it.")
    return None


async def _party_to(case: dict[str, Any], mediator_id: int) -> bool:
    """Whether this mediator is a party to the case (as its consumer, or through their enterprise)."""
    person = await User.select(User.enterprise).where(User.id == mediator_id).first()
    return conflicted(case, mediator_id, person["enterprise"] if person else None)


async def no_open_question(step: Step) -> str | None:
    return _("A question to a party is already waiting for an answer.") if step.case["info_requested_from"] else None


async def asked_this_party(step: Step) -> str | None:
    if step.case["info_requested_from"] != step.actor_role:
        return _("The mediator has not asked you for information.")
    return None


async def proposal_open_for_party(step: Step) -> str | None:
    proposal = await _current_proposal(step)
    if proposal is None:
        return _("There is no settlement proposal to answer.")
    if proposal[f"{step.actor_role}_accepted_at"] is not None:
        return _("You have already accepted this proposal.")
    step.details["proposal"] = proposal
    return None


async def fulfilment_not_marked(step: Step) -> str | None:
    return _("The merchant has already reported fulfilment.") if step.case["fulfilment_marked_at"] else None


async def fulfilment_marked(step: Step) -> str | None:
    return None if step.case["fulfilment_marked_at"] else _("The merchant has not reported fulfilment yet.")


def appeal_window_end(case: dict[str, Any], terms: CaseTerms) -> datetime | None:
    """Until when the consumer may appeal this ended case; None if it can never be appealed (again)."""
    if case["is_appeal"] or case["appealed"] or case["terminal_at"] is None:
        return None
    return case["terminal_at"] + timedelta(days=terms.appeal_window_days)


async def appeal_allowed(step: Step) -> str | None:
    if step.case["compensation_state"] == AWAITING_CONFIRMATION:
        return _("First say whether the platform's payment arrived: dispute it to bring the case back to a mediator.")
    if step.case["is_appeal"] or step.case["appealed"]:
        return _("A case can be appealed only once.")
    until = appeal_window_end(step.case, step.terms)
    if until is None or step.now > until:
        return _("The %(days)d days for an appeal have passed.") % {"days": step.terms.appeal_window_days}
    return None


async def platform_may_compensate(step: Step) -> str | None:
    """Advance compensation is the platform's answer to a merchant who let the consumer down: a broken
    settlement, or a complaint the merchant never answered. Once a case, whatever happens to it later."""
    if step.case["compensated_by"] is not None:
        return _("The consumer has already been compensated in advance on this case.")
    if step.case["state"] == S.awaiting_mediator and step.case["merchant_responded"]:
        return _("The merchant answered this complaint: advance compensation is for a merchant who never did.")
    return None


async def compensation_to_confirm(step: Step) -> str | None:
    if step.case["compensation_state"] != AWAITING_CONFIRMATION:
        return _("There is no advance payment waiting for the consumer's word.")
    return None


async def not_rated(step: Step) -> str | None:
    return _("You have already rated this case.") if step.case["rating"] is not None else None


async def listing_grounds(step: Step) -> str | None:
    """A case leads to a registry listing for counterfeit goods or for a broken settlement."""
    if step.case["category"] != "counterfeit" and step.payload.violation != "settlement_breach":
        return _("From a case, list counterfeit goods (counterfeit cases) or a settlement breach.")
    return None


async def due_date_ahead(step: Step) -> str | None:
    """A date to carry a settlement out by lies after today where the service runs. A past one is a
    mistake in a field (422 on `fulfil_by`, so the form comes back with it), not a refusal of the action."""
    fulfil_by = step.payload.fulfil_by
    if fulfil_by is not None and fulfil_by <= step.now.astimezone(step.zone).date():
        raise InvalidInput.one("fulfil_by", _("The fulfilment date must be in the future."))
    return None


# --- effects -------------------------------------------------------------------------------------


async def _current_proposal(step: Step) -> dict[str, Any] | None:
    """The mediator's open settlement proposal (the latest, should there ever be more)."""
    open_proposals = [o for o in await _offers_of(step) if o["by_role"] == "mediator" and o["status"] == "open"]
    return open_proposals[-1] if open_proposals else None


async def _supersede_open_offers(step: Step, by_role: str | None = None) -> None:
    query = Offer.update({Offer.status: "superseded"}).where(Offer.case == step.case["id"], Offer.status == "open")
    if by_role == "mediator":
        query = query.where(Offer.by_role == "mediator")
    else:
        query = query.where(Offer.by_role != "mediator")
    for superseded in await query.returning(Offer.id):
        step.writes.set_offer(superseded["id"], {Offer.status: "superseded"})


async def _update_offer(step: Step, offer_id: int, values: dict[Any, Any]) -> None:
    """Every change to an offer goes into the record with the event that makes it."""
    await Offer.update(values).where(Offer.id == offer_id)
    step.writes.set_offer(offer_id, values)


async def _create_offer(step: Step, by_role: str, remedies: list[Any], text: str, fulfil_by: date | None) -> None:
    await _supersede_open_offers(step, by_role)
    stored = [remedy.stored() for remedy in remedies]
    row = {
        "case": step.case["id"],
        "by_role": by_role,
        "author": step.viewer.id if step.viewer else None,
        "remedies": json.dumps(stored),
        "text": text,
        "fulfil_by": fulfil_by,
        "status": "open",
        "consumer_accepted_at": None,
        "merchant_accepted_at": None,
        "created_at": step.now,
    }
    created = await Offer.insert(Offer(**row)).returning(Offer.id)
    step.writes.set_offer(created[0]["id"], row)
    step.details.update({"offer_id": created[0]["id"], "remedies": stored, "fulfil_by": _iso(fulfil_by), "text": text})


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


async def respond(step: Step) -> None:
    payload: Any = step.payload
    step.updates[Case.merchant_responded] = True
    step.details.update({"kind": payload.kind, "text": payload.text})
    if payload.kind == "offer":
        await _create_offer(step, MERCHANT, payload.remedies, payload.text, payload.fulfil_by)


async def counter_offer(step: Step) -> None:
    payload: Any = step.payload
    if step.actor_role == MERCHANT:
        step.updates[Case.merchant_responded] = True
    await _create_offer(step, step.actor_role, payload.remedies, payload.text, payload.fulfil_by)
    step.details["text"] = payload.text


def _acceptance(step: Step) -> Any:
    """The offer's column the actor's acceptance is stamped in."""
    return Offer.consumer_accepted_at if step.actor_role == CONSUMER else Offer.merchant_accepted_at


async def _settle_on(step: Step, offer: dict[str, Any]) -> None:
    """The case is settled on this offer or proposal, the actor's acceptance the last it needed (stamped with
    its status, in one write); fulfilment is due by its date (or the default)."""
    await _update_offer(step, offer["id"], {_acceptance(step): step.now, Offer.status: "accepted"})
    step.updates[Case.settlement] = offer["id"]
    step.updates[Case.fulfilment_marked_at] = None
    if offer["fulfil_by"]:
        # Due at the end of that day where the service runs, not in UTC.
        local_end = datetime.combine(offer["fulfil_by"], time(23, 59, 59), step.zone)
        step.deadline_at["fulfilment_due"] = local_end
    step.details["settlement_id"] = offer["id"]


async def accept_offer(step: Step) -> None:
    offer = step.details.pop("offer")
    await _settle_on(step, offer)
    step.details["offer_id"] = offer["id"]


async def reject_offer(step: Step) -> None:
    offer = step.details.pop("offer")
    await _update_offer(step, offer["id"], {Offer.status: "rejected"})
    step.details.update({"offer_id": offer["id"], "reason": step.payload.reason})


async def claim(step: Step) -> None:
    assert step.viewer is not None
    step.updates[Case.mediator] = step.viewer.id
    step.details["mediator"] = step.viewer.id


def _step_down(step: Step) -> None:
    """The case's holder hands it on; as an earlier mediator they keep reading its caucus and notes."""
    holder = step.case["mediator"]
    if holder is not None and holder not in step.case["former_mediators"]:
        step.updates[Case.former_mediators] = [*step.case["former_mediators"], holder]


async def release(step: Step) -> None:
    _step_down(step)
    step.updates[Case.mediator] = None


async def reassign(step: Step) -> None:
    target = (
        await User.select(User.id, User.enterprise)
        .where(User.id == step.payload.mediator_id, User.role == "mediator", User.active.eq(True))
        .first()
    )
    if target is None:
        raise InvalidInput.one("mediator_id", _("Choose an active mediator."))
    if conflicted(step.case, target["id"], target["enterprise"]):
        raise InvalidInput.one(
            "mediator_id", _("This mediator is a party to the case, or an agent of its enterprise: choose another.")
        )
    if step.case["is_appeal"] and target["id"] == step.case["previous_mediator"]:
        raise InvalidInput.one(
            "mediator_id", _("An appeal must go to a different mediator than the one who handled the case.")
        )
    _step_down(step)
    step.updates[Case.mediator] = target["id"]
    step.details["mediator"] = target["id"]


async def decline(step: Step) -> None:
    step.updates[Case.decline_reason] = step.payload.reason.value
    step.details.update({"reason": step.payload.reason.value, "note": step.payload.note})


async def request_info(step: Step) -> None:
    step.updates[Case.info_requested_from] = step.payload.party
    # The due date goes into the record with the question, so pages can say "by when" after it closed too.
    due = step.deadline_at["information_due"] = step.working_days_from_now(step.terms.information_due)
    step.details.update({"party": step.payload.party, "question": step.payload.question, "due_at": due.isoformat()})


async def provide_info(step: Step) -> None:
    step.updates[Case.info_requested_from] = None
    step.details["text"] = step.payload.text


async def information_timeout(step: Step) -> None:
    step.updates[Case.info_requested_from] = None


async def propose_settlement(step: Step) -> None:
    payload: Any = step.payload
    await _create_offer(step, "mediator", payload.terms, payload.text, payload.fulfil_by)


async def accept_proposal(step: Step) -> None:
    proposal = step.details.pop("proposal")
    other = "merchant" if step.actor_role == CONSUMER else "consumer"
    step.details["proposal_id"] = proposal["id"]
    if proposal[f"{other}_accepted_at"] is not None:
        await _settle_on(step, proposal)
        step.next_state = S.settled
    else:
        await _update_offer(step, proposal["id"], {_acceptance(step): step.now})


async def reject_proposal(step: Step) -> None:
    proposal = step.details.pop("proposal")
    await _update_offer(step, proposal["id"], {Offer.status: "rejected"})
    step.details.update({"proposal_id": proposal["id"], "reason": step.payload.reason})


async def mark_fulfilled(step: Step) -> None:
    step.updates[Case.fulfilment_marked_at] = step.now
    step.details["proof"] = step.payload.proof


async def appeal(step: Step) -> None:
    _step_down(step)
    step.updates.update(
        {
            Case.is_appeal: True,
            Case.appealed: True,
            Case.previous_mediator: step.case["mediator"],
            Case.mediator: None,
            Case.terminal_at: None,
            Case.decline_reason: None,
        }
    )
    step.details["reason"] = step.payload.reason


async def rate(step: Step) -> None:
    step.updates.update({Case.rating: step.payload.score, Case.rating_comment: step.payload.comment})
    step.details.update({"score": step.payload.score, "comment": step.payload.comment})


async def advance_compensate(step: Step) -> None:
    """The platform paid the consumer: the case is resolved by it, and the platform's claim against the
    merchant for the same amount is made, in the record (`writes["recourse"]`) like an offer."""
    payload: Any = step.payload
    amount, currency = payload.amount.minor_units(), payload.amount.currency
    row = {
        "case": step.case["id"],
        "platform": step.case["platform_enterprise"],
        "merchant": step.case["enterprise"],
        "amount": amount,
        "currency": currency,
        "note": payload.note,
        "state": RecourseState.open.value,
        "created_by": step.viewer.id if step.viewer else None,
        "created_at": step.now,
        "recovered_at": None,
        "closed_by": None,
    }
    created = await RecourseClaim.insert(RecourseClaim(**row)).returning(RecourseClaim.id)
    step.writes.set_recourse(created[0]["id"], row)
    step.updates[Case.compensated_by] = "platform"
    step.updates[Case.compensation_state] = AWAITING_CONFIRMATION
    step.details.update(
        {"amount": amount, "currency": currency, "note": payload.note, "recourse_claim": created[0]["id"]}
    )


async def confirm_compensation(step: Step) -> None:
    step.updates[Case.compensation_state] = CONFIRMED


async def dispute_compensation(step: Step) -> None:
    """The consumer says the money did not arrive: a mediator looks at the case again (the one holding it,
    or the queue's); the platform's recourse claim stays as it is."""
    step.updates.update({Case.compensation_state: DISPUTED, Case.terminal_at: None})
    step.details["reason"] = step.payload.reason


async def record_payload(step: Step) -> None:
    """Actions whose only effect is their place in the record (reasons, notes)."""
    step.details.update(step.payload.model_dump(mode="json"))


# --- the table -----------------------------------------------------------------------------------


def _rows(
    states: tuple[CaseState, ...], action: str, transition: Transition
) -> dict[tuple[CaseState, str], Transition]:
    return {(state, action): transition for state in states}


@dataclass(frozen=True)
class CaseAction(ActionSpec):
    """An action on a case as people meet it: besides the engine's spec, its sentence in the case's story
    (`told`, with `%(actor)s`; cases/story.py words the actions whose sentence depends on what they said),
    what happens when a deadline fires it (`on_timeout`, the system's rows), where its record event and
    words are kept (cases.access.placement) and what it puts on the case besides (an offer, a proposal)."""

    told: str = ""
    on_timeout: str = ""
    kept_in: str = Channel.parties.value  # the channel of its record event (and of its words)
    words_to: str = ""  # words said to one party: ASKED (the party asked) or ACTOR (the party answering)
    creates: str = ""  # "offer" or "proposal": shown live in the conversation as such
    notice: str = ""  # the kind of notice (and mail) it sends (notifications/service.py words them)
    tells: tuple[str, ...] = ()  # who gets that notice: CONSUMER, MERCHANTS, MEDIATOR, OTHER_PARTY, ASKED


ASKED, ACTOR = "asked", "actor"  # the party a question is put to; the party answering it
MERCHANTS, OTHER_PARTY = "merchants", "other_party"  # every agent of the enterprise; the party who did not act


PARTIES = frozenset({CONSUMER, MERCHANT})
FILING = (None, "file")
_OPTIONAL_REASON = {"reason": Ask(N_("Reason (optional)"))}
_OFFER = {
    "remedies": Ask(N_("What you offer")),
    "text": Ask(N_("Message")),
    "fulfil_by": Ask(N_("To be carried out by")),
}


def _timeout(label: str, told: str, on_timeout: str, **notice: Any) -> CaseAction:
    """A row only the system takes (a deadline passed): no form; what the record and the next step say."""
    return CaseAction(label, told=told, on_timeout=on_timeout, **notice)


TABLE: dict[tuple[CaseState | None, str], Transition] = {
    FILING: Transition(
        frozenset({CONSUMER}),
        S.filed,
        CaseFilingIn,
        effect=filing.file,
        starts=("merchant_response", "negotiation_limit"),
        # filed on its own page (cases/filing.py), not from a case
        spec=CaseAction(N_("Complaint filed"), notice="case_filed", tells=(MERCHANTS,)),
    ),
    (S.filed, "respond"): Transition(
        frozenset({MERCHANT}),
        S.negotiating,
        RespondIn,
        guard=due_date_ahead,
        effect=respond,
        stops=("merchant_response",),
        spec=CaseAction(
            N_("Answer the complaint"),
            asks={
                "kind": Ask(N_("Your answer"), widget="radio", labels="response"),
                "remedies": Ask(N_("What you offer (for an offer)")),
                "text": Ask(N_("Message to the consumer")),
                "fulfil_by": Ask(N_("To be carried out by")),
            },
            creates="offer",
            notice="merchant_responded",
            tells=(CONSUMER,),
        ),
    ),
    (S.negotiating, "counter_offer"): Transition(
        PARTIES,
        payload=OfferIn,
        guard=due_date_ahead,
        effect=counter_offer,
        spec=CaseAction(N_("Make an offer"), asks=_OFFER, creates="offer", notice="new_offer", tells=(OTHER_PARTY,)),
    ),
    (S.negotiating, "accept_offer"): Transition(
        PARTIES,
        S.settled,
        OfferChoiceIn,
        available=open_offer_from_other_party,
        guard=offer_from_other_party,
        effect=accept_offer,
        starts=("fulfilment_due",),
        spec=CaseAction(
            N_("Accept this offer"), given=("offer_id",), confirm_page="accept", told=N_("%(actor)s accepted the offer")
        ),
    ),
    (S.negotiating, "reject_offer"): Transition(
        PARTIES,
        payload=OfferRejectionIn,
        available=open_offer_from_other_party,
        guard=offer_from_other_party,
        effect=reject_offer,
        # a button under the offer: the reason is only for the API
        spec=CaseAction(
            N_("Reject this offer"),
            "secondary",
            given=("offer_id", "reason"),
            told=N_("%(actor)s rejected the offer"),
            notice="offer_rejected",
            tells=(OTHER_PARTY,),
        ),
    ),
    (S.negotiating, "request_mediation"): Transition(
        PARTIES,
        S.awaiting_mediator,
        OptionalReasonIn,
        effect=record_payload,
        starts=("admissibility",),
        spec=CaseAction(
            N_("Ask for mediation"),
            asks=_OPTIONAL_REASON,
            told=N_("%(actor)s asked for mediation"),
            notice="mediation_requested",
            tells=(OTHER_PARTY,),
        ),
    ),
    **_rows(
        BEFORE_SETTLEMENT,
        "withdraw",
        Transition(
            frozenset({CONSUMER}),
            S.withdrawn,
            OptionalReasonIn,
            effect=record_payload,
            spec=CaseAction(
                N_("Withdraw the complaint"),
                "danger",
                _OPTIONAL_REASON,
                confirm_page="withdraw",
                told=N_("%(actor)s withdrew the complaint"),
                notice="case_withdrawn",
                tells=(MERCHANTS, MEDIATOR),
            ),
        ),
    ),
    (S.filed, "response_timeout"): Transition(
        frozenset({SYSTEM}),
        S.awaiting_mediator,
        starts=("admissibility",),
        spec=_timeout(
            N_("The merchant did not answer in time"),
            told=N_(
                "Accord moved the case to mediation because the merchant did not answer within %(days)d working days"
            ),
            on_timeout=N_("If the merchant has not answered by then, the case goes to the mediators' queue."),
            notice="mediation_requested",
            tells=(CONSUMER, MERCHANTS),
        ),
    ),
    **_rows(
        (S.filed, S.negotiating),
        "negotiation_timeout",
        Transition(
            frozenset({SYSTEM}),
            S.awaiting_mediator,
            starts=("admissibility",),
            spec=_timeout(
                N_("Negotiation time ran out"),
                told=N_(
                    "Accord moved the case to mediation because the parties did not agree within %(days)d working days"
                ),
                on_timeout=N_("If there is no settlement by then, the case goes to the mediators' queue."),
                notice="mediation_requested",
                tells=(CONSUMER, MERCHANTS),
            ),
        ),
    ),
    # A breached settlement reached in negotiation has no mediator yet: it waits in the queue like a new case.
    **_rows(
        CLAIMABLE_STATES,
        "claim",
        Transition(
            frozenset({ANY_MEDIATOR}),
            available=unclaimed,
            effect=claim,
            spec=CaseAction(
                N_("Claim this case"),
                told=N_("%(actor)s took on the case"),
                notice="case_claimed",
                tells=(CONSUMER, MERCHANTS),
            ),
        ),
    ),
    **_rows(
        CLAIMABLE_STATES,
        "release",
        Transition(
            frozenset({MEDIATOR}),
            effect=release,
            spec=CaseAction(
                N_("Release to the queue"), "secondary", told=N_("%(actor)s returned the case to the mediators' queue")
            ),
        ),
    ),
    **_rows(
        (S.awaiting_mediator, S.in_mediation, S.breached),
        "reassign",
        Transition(
            frozenset({ADMIN}),
            payload=ReassignIn,
            effect=reassign,
            spec=CaseAction(N_("Reassign"), asks={"mediator_id": Ask(N_("New mediator"), widget="mediator")}),
        ),
    ),
    (S.awaiting_mediator, "admit"): Transition(
        frozenset({MEDIATOR}),
        S.in_mediation,
        starts=("mediation_limit",),
        spec=CaseAction(
            N_("Admit for mediation"),
            told=N_("%(actor)s admitted the case for mediation"),
            notice="case_admitted",
            tells=(CONSUMER, MERCHANTS),
        ),
    ),
    (S.awaiting_mediator, "decline"): Transition(
        frozenset({MEDIATOR}),
        S.declined,
        DeclineIn,
        effect=decline,
        spec=CaseAction(
            N_("Decline the case"),
            "secondary",
            {"reason": Ask(N_("Reason"), labels="decline_reason"), "note": Ask(N_("Note to the consumer"))},
            notice="case_declined",
            tells=(CONSUMER, MERCHANTS),
        ),
    ),
    (S.in_mediation, "request_info"): Transition(
        frozenset({MEDIATOR}),
        payload=InfoRequestIn,
        available=no_open_question,
        effect=request_info,
        starts=("information_due",),
        pauses=("mediation_limit",),
        spec=CaseAction(
            N_("Ask a party for information"),
            asks={"party": Ask(N_("Ask"), labels="party"), "question": Ask(N_("Question"))},
            told=N_("%(actor)s asked %(party)s for information"),
            words_to=ASKED,
            notice="info_requested",
            tells=(ASKED,),
        ),
    ),
    (S.in_mediation, "provide_info"): Transition(
        PARTIES,
        payload=InfoIn,
        available=asked_this_party,
        effect=provide_info,
        stops=("information_due",),
        resumes=("mediation_limit",),
        spec=CaseAction(
            N_("Answer the mediator"),
            asks={"text": Ask(N_("Your answer"))},
            told=N_("%(actor)s answered the mediator's question"),
            words_to=ACTOR,
            notice="info_provided",
            tells=(MEDIATOR,),
        ),
    ),
    (S.in_mediation, "information_timeout"): Transition(
        frozenset({SYSTEM}),
        effect=information_timeout,
        stops=("information_due",),
        resumes=("mediation_limit",),
        spec=_timeout(
            N_("The requested information did not arrive in time"),
            told=N_(
                "Accord resumed mediation because the requested information did not arrive within %(days)d working days"
            ),
            on_timeout=N_("If no answer has come by then, mediation goes on without it."),
        ),
    ),
    (S.in_mediation, "propose_settlement"): Transition(
        frozenset({MEDIATOR}),
        payload=ProposalIn,
        guard=due_date_ahead,
        effect=propose_settlement,
        spec=CaseAction(
            N_("Propose a settlement"),
            asks={
                "terms": Ask(N_("Settlement terms")),
                "fulfil_by": Ask(N_("To be carried out by")),
                "text": Ask(N_("Explanation")),
            },
            creates="proposal",
            notice="proposal_posted",
            tells=(CONSUMER, MERCHANTS),
        ),
    ),
    (S.in_mediation, "accept_proposal"): Transition(
        PARTIES,
        available=proposal_open_for_party,
        effect=accept_proposal,
        starts=("fulfilment_due",),
        spec=CaseAction(
            N_("Accept the proposal"), confirm_page="accept", told=N_("%(actor)s accepted the settlement proposal")
        ),
    ),
    (S.in_mediation, "reject_proposal"): Transition(
        PARTIES,
        payload=OptionalReasonIn,
        available=proposal_open_for_party,
        effect=reject_proposal,
        spec=CaseAction(
            N_("Reject the proposal"),
            "secondary",
            _OPTIONAL_REASON,
            told=N_("%(actor)s rejected the settlement proposal"),
            notice="proposal_rejected",
            tells=(MEDIATOR, OTHER_PARTY),
        ),
    ),
    (S.in_mediation, "refuse_mediation"): Transition(
        PARTIES,
        S.unresolved,
        OptionalReasonIn,
        effect=record_payload,
        spec=CaseAction(
            N_("End mediation"),
            "secondary",
            _OPTIONAL_REASON,
            told=N_("%(actor)s ended the mediation without agreement"),
            notice="case_unresolved",
            tells=(OTHER_PARTY, MEDIATOR),
        ),
    ),
    **_rows(
        (S.in_mediation, S.breached),
        "close_unresolved",
        Transition(
            frozenset({MEDIATOR}),
            S.unresolved,
            NoteIn,
            effect=record_payload,
            spec=CaseAction(
                N_("Close without agreement"),
                "secondary",
                {"note": Ask(N_("Closing note and referral guidance"))},
                told=N_("%(actor)s closed the case without agreement"),
                notice="case_unresolved",
                tells=(CONSUMER, MERCHANTS),
            ),
        ),
    ),
    (S.in_mediation, "mediation_timeout"): Transition(
        frozenset({SYSTEM}),
        S.unresolved,
        spec=_timeout(
            N_("Mediation time ran out"),
            told=N_(
                "Accord closed the case without agreement because mediation did not end within %(days)d working days"
            ),
            on_timeout=N_("If there is no settlement by then, mediation ends without agreement."),
            notice="case_unresolved",
            tells=(CONSUMER, MERCHANTS, MEDIATOR),
        ),
    ),
    (S.settled, "mark_fulfilled"): Transition(
        frozenset({MERCHANT}),
        payload=ProofIn,
        available=fulfilment_not_marked,
        effect=mark_fulfilled,
        stops=("fulfilment_due",),
        starts=("confirmation_due",),
        spec=CaseAction(
            N_("Report the settlement as carried out"),
            asks={"proof": Ask(N_("Proof: refund reference, waybill number…"))},
            told=N_("%(actor)s reported the settlement as carried out"),
            notice="fulfilment_marked",
            tells=(CONSUMER,),
        ),
    ),
    (S.settled, "confirm_fulfilment"): Transition(
        frozenset({CONSUMER}),
        S.resolved,
        available=fulfilment_marked,
        spec=CaseAction(
            N_("Confirm it was carried out"), told=N_("%(actor)s confirmed that the settlement was carried out")
        ),
    ),
    (S.settled, "dispute_fulfilment"): Transition(
        frozenset({CONSUMER}),
        S.breached,
        ReasonIn,
        available=fulfilment_marked,
        effect=record_payload,
        starts=("breach_review",),
        spec=CaseAction(
            N_("It was not carried out"),
            "secondary",
            {"reason": Ask(N_("What is missing"))},
            told=N_("%(actor)s said that the settlement was not carried out"),
            notice="fulfilment_disputed",
            tells=(MERCHANTS, MEDIATOR),
        ),
    ),
    (S.settled, "fulfilment_timeout"): Transition(
        frozenset({SYSTEM}),
        S.breached,
        available=fulfilment_not_marked,
        starts=("breach_review",),
        spec=_timeout(
            N_("The settlement was not carried out in time"),
            told=N_(
                "Accord recorded the settlement as not kept because the merchant did not report it carried out in time"
            ),
            on_timeout=N_(
                "If the merchant has not reported it carried out by then, the settlement counts as broken and goes to a "
                "mediator."
            ),
            notice="breached",
            tells=(CONSUMER, MERCHANTS, MEDIATOR),
        ),
    ),
    (S.settled, "confirmation_timeout"): Transition(
        frozenset({SYSTEM}),
        S.resolved,
        available=fulfilment_marked,
        spec=_timeout(
            N_("Fulfilment confirmed automatically"),
            told=N_(
                "Accord confirmed the settlement as carried out because the consumer did not answer within "
                "%(days)d working days"
            ),
            on_timeout=N_(
                "If the consumer neither confirms nor disputes by then, the case is resolved as carried out."
            ),
        ),
    ),
    (S.breached, "resettle"): Transition(
        frozenset({MEDIATOR}),
        S.in_mediation,
        starts=("mediation_limit",),
        spec=CaseAction(N_("Mediate a new settlement"), told=N_("%(actor)s reopened mediation for a new settlement")),
    ),
    **_rows(
        (S.breached, S.unresolved),
        "propose_listing",
        Transition(
            frozenset({MEDIATOR}),
            payload=ListingProposalIn,
            guard=listing_grounds,
            effect=record_payload,
            spec=CaseAction(
                N_("Propose a registry listing"),
                asks={"violation": Ask(N_("Violation"), labels="violation"), "facts": Ask(N_("Facts"))},
                kept_in=Channel.internal.value,
            ),
        ),
    ),
    # Advance compensation (先行赔付, issue 17): the platform named on the case pays the consumer itself when its
    # merchant broke a settlement or never answered. The case is resolved then and there (compensated_by:
    # platform; every clock but the consumer's confirmation stops), and the platform's recourse claim against
    # the merchant is made. The consumer then confirms the payment arrived, or disputes it: back to a mediator
    # (awaiting_mediator, the recourse claim kept). Silence for `compensation_confirmation` working days
    # counts as confirmed, as it does after a reported fulfilment. An ended case's other rows (rate, appeal)
    # stay as they are; an appeal waits for the consumer's word on the payment.
    **_rows(
        COMPENSABLE_STATES,
        "advance_compensate",
        Transition(
            frozenset({PLATFORM}),
            S.resolved,
            AdvanceCompensationIn,
            available=platform_may_compensate,
            effect=advance_compensate,
            starts=("compensation_confirmation",),
            spec=CaseAction(
                N_("Compensate the consumer in advance"),
                asks={
                    "amount": Ask(
                        N_("Amount paid to the consumer"),
                        help=N_("The platform pays this now and claims it back from the merchant."),
                    ),
                    "note": Ask(N_("Note to the parties (optional)")),
                },
                told=N_("%(actor)s compensated the consumer in advance"),
                notice="advance_compensated",
                tells=(CONSUMER, MERCHANTS, MEDIATOR),
            ),
        ),
    ),
    (S.resolved, "confirm_compensation"): Transition(
        frozenset({CONSUMER}),
        available=compensation_to_confirm,
        effect=confirm_compensation,
        stops=("compensation_confirmation",),
        spec=CaseAction(
            N_("Confirm the payment arrived"), told=N_("%(actor)s confirmed receiving the platform's payment")
        ),
    ),
    (S.resolved, "dispute_compensation"): Transition(
        frozenset({CONSUMER}),
        S.awaiting_mediator,
        ReasonIn,
        available=compensation_to_confirm,
        effect=dispute_compensation,
        starts=("admissibility",),
        spec=CaseAction(
            N_("The payment did not arrive"),
            "secondary",
            {"reason": Ask(N_("What is wrong with the payment"))},
            told=N_("%(actor)s said that the platform's payment did not arrive"),
            notice="compensation_disputed",
            tells=(MERCHANTS, MEDIATOR),
        ),
    ),
    (S.resolved, "compensation_timeout"): Transition(
        frozenset({SYSTEM}),
        available=compensation_to_confirm,
        effect=confirm_compensation,
        stops=("compensation_confirmation",),
        spec=_timeout(
            N_("Payment confirmed automatically"),
            told=N_(
                "Accord recorded the platform's payment as received because the consumer did not answer within "
                "%(days)d working days"
            ),
            on_timeout=N_("If the consumer neither confirms nor disputes the payment by then, it counts as received."),
        ),
    ),
    **_rows(
        APPEALABLE,
        "appeal",
        Transition(
            frozenset({CONSUMER}),
            S.awaiting_mediator,
            ReasonIn,
            available=appeal_allowed,
            effect=appeal,
            starts=("admissibility",),
            spec=CaseAction(
                N_("Appeal the outcome"),
                asks={"reason": Ask(N_("Why the outcome should be reviewed"))},
                told=N_("%(actor)s appealed the outcome"),
                notice="appealed",
                tells=(MERCHANTS,),
            ),
        ),
    ),
    **_rows(
        tuple(TERMINAL_STATES),
        "rate",
        Transition(
            frozenset({CONSUMER}),
            payload=RatingIn,
            available=not_rated,
            effect=rate,
            spec=CaseAction(
                N_("Rate the service"),
                asks={"score": Ask(N_("Your rating")), "comment": Ask(N_("Comment (optional)"))},
                kept_in=Channel.caucus_consumer.value,
                notice="case_rated",
                tells=(MEDIATOR,),
            ),
        ),
    ),
}
# The rows an existing case can take (the table without filing, which starts from nothing).
TRANSITIONS: dict[tuple[CaseState, str], Transition] = {key: row for key, row in TABLE.items() if key[0] is not None}
WORDS_EVENT = "words"  # record event type of words kept in another channel than their transition


# --- the engine's hooks ----------------------------------------------------------------------------


def _follows(step: Step, next_state: CaseState) -> dict[Any, Any]:
    """Columns that follow from where the case goes."""
    case, follows = step.case, {}
    if next_state in TERMINAL_STATES and case["state"] not in TERMINAL_STATES:
        follows[Case.terminal_at] = step.now
    if case["info_requested_from"] and next_state not in DEADLINES["information_due"].running_in:
        # A question ends with the mediation it was asked in: an appeal's new mediation starts without it.
        follows[Case.info_requested_from] = None
    return follows


@dataclass
class DeadlineMoves:
    """What a move does to a case's deadlines, worked out from the open ones in hand (`plan_deadlines`)."""

    closed: list[int] = field(default_factory=list)
    paused: list[int] = field(default_factory=list)
    resumed: dict[int, datetime] = field(default_factory=dict)  # id → its new due time
    started: list[tuple[str, datetime]] = field(default_factory=list)
    next_due: datetime | None = None  # the soonest running deadline after the move (the case's next_due_at)


def plan_deadlines(step: Step, row: Transition, next_state: CaseState, running: list[dict[str, Any]]) -> DeadlineMoves:
    """Which of the case's open deadlines (`running`) the move closes, pauses or resumes, which it starts, and
    the soonest that runs on (open and not paused), all without asking the database."""
    moves, due = DeadlineMoves(), []
    for deadline in running:
        kind = DEADLINES[deadline["name"]]
        if next_state not in kind.running_in or deadline["name"] in row.stops:
            moves.closed.append(deadline["id"])
        elif deadline["name"] in row.pauses and deadline["paused_at"] is None:
            moves.paused.append(deadline["id"])
        elif deadline["name"] in row.resumes and deadline["paused_at"] is not None:
            paused_days = step.calendar.working_days_between(deadline["paused_at"], step.now)
            moves.resumed[deadline["id"]] = step.calendar.add_working_days(deadline["due_at"], paused_days)
            due.append(moves.resumed[deadline["id"]])
        elif deadline["paused_at"] is None:
            due.append(deadline["due_at"])
    for name in row.starts:
        if next_state not in DEADLINES[name].running_in:
            continue  # e.g. the first of two acceptances of a proposal: not settled yet
        at = step.deadline_at.get(name) or step.working_days_from_now(getattr(step.terms, name))
        moves.started.append((name, at))
    moves.next_due = min([*due, *(at for _name, at in moves.started)], default=None)
    return moves


async def move_deadlines(case_id: int, moves: DeadlineMoves, now: datetime) -> None:
    """Write a move's deadlines: at most one statement each for those closed, paused and started (a resumed
    one has its own due time)."""
    if moves.closed:
        await update_rows(Deadline, {Deadline.closed_at: now}, {Deadline.id: moves.closed})
    if moves.paused:
        await update_rows(Deadline, {Deadline.paused_at: now}, {Deadline.id: moves.paused})
    for deadline_id, due in moves.resumed.items():
        await update_rows(Deadline, {Deadline.paused_at: None, Deadline.due_at: due}, {Deadline.id: deadline_id})
    started = [
        {"case": case_id, "name": name, "action": DEADLINES[name].action, "due_at": at} for name, at in moves.started
    ]
    await insert_rows(Deadline, started)


def open_deadlines(case_id: int, *columns: Any) -> Any:
    """A case's open deadlines (read by the index on (case, closed_at, due_at), whatever the data's size)."""
    return Deadline.select(*columns).where(Deadline.case == case_id, Deadline.closed_at.is_null())


def next_due_query(case_id: int) -> Any:
    """The case's soonest running (open, unpaused) deadline."""
    return (
        open_deadlines(case_id, Deadline.due_at)
        .where(Deadline.paused_at.is_null())
        .order_by(Deadline.closed_at, Deadline.due_at)  # by due_at (closed_at is null): the index's order
        .first()
    )


async def refresh_next_due(case_id: int) -> None:
    """Keep the case's soonest running (open, unpaused) deadline on the case row, for the queue's index."""
    running = await next_due_query(case_id)
    await Case.update({Case.next_due_at: running["due_at"] if running else None}).where(Case.id == case_id)


# The people a case's notices may tell, as a locked read of the case takes them with it (`PERSON`, active only): its
# consumer, its mediator and its enterprise's approved agents (by the partial index users_approved_agents), a row
# for each agent (none: their columns NULL). The read names the case `c` and its enterprise `e`.
PERSON = ("email", "language", "timezone", "display_name")
_PEOPLE = {"consumer": "cu", "mediator": "mu"}
PEOPLE_COLUMNS = "a.id AS agent_id, " + ", ".join(
    f"{alias}.{name} AS {part}_{name}" for part, alias in {**_PEOPLE, "agent": "a"}.items() for name in PERSON
)
PEOPLE_JOINS = "".join(
    f" LEFT JOIN users {alias} ON {alias}.id = c.{part} AND {alias}.active = {{active}}"
    for part, alias in _PEOPLE.items()
) + (
    " LEFT JOIN users a ON a.enterprise = e.id AND a.role = 'merchant' AND a.agent_status = 'approved'"
    " AND a.active = {active}"
)
_AGENT = {"agent_id": "id", **{f"agent_{name}": name for name in PERSON}}
_PERSON_COLUMNS = frozenset({*_AGENT, *(f"{part}_{name}" for part in _PEOPLE for name in PERSON)})


def with_people(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The case of a locked read's rows (`PEOPLE_COLUMNS`): its columns, its active consumer and mediator under
    "people" and its enterprise's agents under "agents", each once (for its notices: `events.DomainEvent.subject`)."""
    first = rows[0]
    case = {name: value for name, value in first.items() if name not in _PERSON_COLUMNS}
    agents = {row["agent_id"]: {_AGENT[name]: row[name] for name in _AGENT} for row in rows if row["agent_id"]}
    case["agents"] = sorted(agents.values(), key=itemgetter("id"))
    case["people"] = [
        {"id": case[part], **{name: first[f"{part}_{name}"] for name in PERSON}}
        for part in _PEOPLE
        if case[part] is not None and first[f"{part}_display_name"] is not None
    ]
    return case


# A case as a move reads it, locked (a move's only read of it): every column, its enterprise's name and country
# for the event's subscribers (notices tell the enterprise by name; insights count filings by the merchant's
# country), its people (above) and its open deadlines, a row for each open deadline and agent. Built once.
LOCKED = Prepared(
    "SELECT c.*, e.name AS enterprise_name, e.country AS country, d.id AS deadline_id, d.name AS deadline_name,"
    f" d.due_at AS deadline_due_at, d.paused_at AS deadline_paused_at, {PEOPLE_COLUMNS}"
    f" FROM dispute_case c JOIN enterprise e ON e.id = c.enterprise{PEOPLE_JOINS}"
    ' LEFT JOIN case_deadline d ON d."case" = c.id AND d.closed_at IS NULL WHERE c.reference = {reference}',
    lock="FOR UPDATE OF c",
)
RUNNING = {"deadline_id": "id", "deadline_name": "name", "deadline_due_at": "due_at", "deadline_paused_at": "paused_at"}


async def locked_case(reference: str) -> dict[str, Any] | None:
    """The case, locked for this write transaction (SQLite's writer lock already serialises; on PostgreSQL the
    case's row alone), as LOCKED reads it: with its people (`with_people`) and its open deadlines under
    "running"."""
    rows = await LOCKED.rows(reference=reference, active=True)
    if not rows:
        return None
    case = with_people(rows)
    for name in RUNNING:
        del case[name]
    running = {row["deadline_id"]: {RUNNING[name]: row[name] for name in RUNNING} for row in rows if row["deadline_id"]}
    case["running"] = list(running.values())
    return case


async def _prepare(step: Step, row: Transition, updates: dict[Any, Any], data: dict[str, Any]) -> None:
    """Before the case row is written: the deadlines the move closes and starts (next_due_at follows), and
    the record event(s) chained to the case's head (last_seq and last_hash follow), so the case row is
    written once with everything a move changes on it."""
    case, filing = step.case, step.before is None
    running = [] if filing else case.pop("running")  # they change with the move
    step.deadline_moves = plan_deadlines(step, row, CaseState(data["to"]), running)
    if filing:
        step.writes = record.filed(case)  # filing writes the whole row
    else:
        step.writes.set_case(updates)
    _chain_transition(step, data)
    updates[Case.next_due_at] = step.deadline_moves.next_due
    updates.update({Case.last_seq: case["last_seq"], Case.last_hash: case["last_hash"]})


async def _record(step: Step, row: Transition, updates: dict[Any, Any], data: dict[str, Any]) -> events.DomainEvent:
    """The record event(s) and deadlines `_prepare` worked out, now that the case row is written, and the
    domain event of a move or a filing, handing its subscribers the case as written."""
    case, now = step.case, step.now
    # The transition's event, and its words' when they go in another channel.
    await record.insert_events(case["id"], step.chained)
    await move_deadlines(case["id"], step.deadline_moves, now)
    actor = step.viewer.id if step.viewer else None
    if step.before is None:
        facts = {"reference": case["reference"], "enterprise_id": case["enterprise"], "actor": actor}
        return events.DomainEvent("case.filed", case["id"], {**facts, "at": now.isoformat()}, step.context, case)
    seq, where, words = step.transition
    return events.DomainEvent(
        "case.transition",
        case["id"],
        {
            "reference": case["reference"],
            "seq": seq,
            "at": now.isoformat(),
            "actor": actor,
            "actor_name": step.viewer.display_name if step.viewer else None,
            "actor_role": step.actor_role,
            # Subscribers (notices) pass the words on only to those who may read these channels.
            "channel": where.event,
            "words_channel": where.words,
            **data,
            **words,
        },
        step.context,  # its calendar: the insights rollups count durations in the move's working days
        case,
    )


def _chain_transition(step: Step, data: dict[str, Any]) -> None:
    """The transition's record event, and its typed words in an event of their own when they belong to another
    channel than the transition (cases.access.placement), chained onto the case's head (`step.chained`); keeps
    the transition's seq, the placement and the words kept apart (taken out of `data`) as `step.transition`."""
    spec = SPECS[step.action]
    party = {ASKED: data.get("party"), ACTOR: step.actor_role}.get(spec.words_to)
    where = placement(spec.kept_in, party)
    apart = {name: data.pop(name) for name in TYPED.get(step.action, ()) if where.words != where.event and name in data}
    actor = {"actor_id": step.viewer.id if step.viewer else None, "actor_role": step.actor_role, "at": step.now}
    event = record.chained(step.case, type=step.action, channel=where.event, data=data, writes=step.writes, **actor)
    step.chained = [event]
    if apart:
        said = {"action": step.action, "of": event["seq"], **apart}
        step.chained.append(record.chained(step.case, type=WORDS_EVENT, channel=where.words, data=said, **actor))
    step.transition = (event["seq"], where, apart)


MACHINE = statemachine.Machine(
    table=Case,
    key=Case.reference,
    states=CaseState,
    rows=TABLE,
    relations=relations,
    visible=lambda case, viewer, related: can_see(related),
    record=_record,
    prepare=_prepare,
    read=locked_case,
    draw_key=filing.new_reference,
    wording=statemachine.Wording(
        no_such=N_("There is no such case."),
        now_is=N_("The case is now “%(label)s” (%(state)s, version %(version)d)."),
        changed=N_("Someone changed this case in the meantime."),
        role_cannot=N_("Your role cannot do this on a case."),
        not_yours=N_("Only the mediator handling this case can do this."),
        state_labels="state",
    ),
    step_type=Step,
    follows=_follows,
    founders=lambda viewer: frozenset({CONSUMER}) if viewer is not None and viewer.role == "consumer" else frozenset(),
    # A mediator not assigned to the case holds the same role as the assigned one: refusing them is 403 too.
    family={ANY_MEDIATOR: frozenset({MEDIATOR, ANY_MEDIATOR})},
)
ACTIONS = MACHINE.actions
ROLES_OF_ACTION = MACHINE.roles_of_action
SPECS = MACHINE.specs  # every action's label, button, form and words (the `spec` of its rows above)
# action on a case → its typed fields: the words pages, the API, the record and notices show as that person's.
TYPED: dict[str, tuple[str, ...]] = {action: SPECS[action].words for action in ACTIONS}
register_labels("action", labels_of(SPECS))


@dataclass(frozen=True)
class Context:
    """What apply() needs from outside: time and working days (wired by the app, faked in tests)."""

    clock: Clock
    calendar: Calendar
    terms: CaseTerms = CaseTerms()
    zone: tzinfo = UTC  # where "the end of the day" is


async def apply(
    case_ref: str,
    action: str,
    viewer: Viewer | None,
    payload: Any,
    context: Context,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Apply `action` to the case as `viewer` (None: the system). Returns the updated case row."""
    return await statemachine.apply(
        MACHINE, case_ref, action, viewer, payload, context, expected_version=expected_version
    )


async def apply_filing(viewer: Viewer, data: CaseFilingIn, context: Context, today: date) -> dict[str, Any]:
    """File a case (the table's first row): the new case row, in state `filed`, its record begun."""
    return await statemachine.create(MACHINE, "file", viewer, data, context, today=today)


async def allowed_actions(
    case: dict[str, Any],
    viewer: Viewer | None,
    context: Context,
    offers: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Actions the viewer could apply now, for buttons and the API: their role, and every check apply() makes
    before a form is filled (`available`), on the same clock and calendar. `None` asks for the system's
    timeouts that would apply if their deadline ran out now. `offers`: the case's offers, if already loaded."""
    return (await statemachine.offered(MACHINE, case, viewer, context, known_offers=offers)).now
