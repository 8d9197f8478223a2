"""The HTML forms of case actions, as data: one generic template renders them, one function reads them back.

Field names are the JSON payload's paths (`remedies.0.amount.amount`), so validation errors from the
payload schemas point straight at the form field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.i18n import N_, gettext, label, register_labels
from cases.access import CONSUMER, MERCHANT
from cases.tables import Channel, DeclineReason, RemedyType


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # textarea | date | select | radio | remedy
    label: str  # N_-marked; translated where shown
    required: bool = True
    options: tuple[str, ...] = ()
    labels: str = ""  # the label kind of the options (see accord.i18n.register_labels)


def _remedy(name: str, label: str, required: bool = True) -> FormField:
    return FormField(name, "remedy", label, required, tuple(RemedyType), "remedy")


def _text(name: str, label: str, required: bool = True) -> FormField:
    return FormField(name, "textarea", label, required)


_OFFER = (
    _remedy("remedies.0", N_("What you offer")),
    _text("text", N_("Message")),
    FormField("fulfil_by", "date", N_("To be carried out by"), required=False),
)
_OPTIONAL_REASON = (_text("reason", N_("Reason (optional)"), required=False),)

ACTION_FORMS: dict[str, tuple[FormField, ...]] = {
    "respond": (
        FormField("kind", "radio", N_("Your answer"), options=("offer", "reject", "question"), labels="response"),
        _remedy("remedies.0", N_("What you offer (for an offer)"), required=False),
        _text("text", N_("Message to the consumer")),
        FormField("fulfil_by", "date", N_("To be carried out by"), required=False),
    ),
    "counter_offer": _OFFER,
    "request_mediation": _OPTIONAL_REASON,
    "withdraw": _OPTIONAL_REASON,
    "decline": (
        FormField("reason", "select", N_("Reason"), options=tuple(DeclineReason), labels="decline_reason"),
        _text("note", N_("Note to the consumer"), required=False),
    ),
    "request_info": (
        FormField("party", "select", N_("Ask"), options=("consumer", "merchant"), labels="party"),
        _text("question", N_("Question")),
    ),
    "provide_info": (_text("text", N_("Your answer")),),
    "propose_settlement": (
        _remedy("terms.0", N_("Settlement terms")),
        FormField("fulfil_by", "date", N_("To be carried out by")),
        _text("text", N_("Explanation"), required=False),
    ),
    "reject_proposal": _OPTIONAL_REASON,
    "refuse_mediation": _OPTIONAL_REASON,
    "close_unresolved": (_text("note", N_("Closing note and referral guidance")),),
    "mark_fulfilled": (_text("proof", N_("Proof: refund reference, waybill number…")),),
    "dispute_fulfilment": (_text("reason", N_("What is missing")),),
    "propose_listing": (
        FormField(
            "violation",
            "select",
            N_("Violation"),
            options=("counterfeit", "trademark", "patent", "copyright", "false_origin", "settlement_breach"),
            labels="violation",
        ),
        _text("facts", N_("Facts")),
    ),
    "appeal": (_text("reason", N_("Why the outcome should be reviewed")),),
    "reassign": (FormField("mediator_id", "mediator", N_("New mediator")),),
    "rate": (
        FormField("score", "radio", N_("Your rating"), options=("1", "2", "3", "4", "5")),
        _text("comment", N_("Comment (optional)"), required=False),
    ),
}

register_labels(
    "action",
    {
        "respond": N_("Answer the complaint"),
        "counter_offer": N_("Make an offer"),
        "accept_offer": N_("Accept this offer"),
        "reject_offer": N_("Reject this offer"),
        "request_mediation": N_("Ask for mediation"),
        "withdraw": N_("Withdraw the complaint"),
        "claim": N_("Claim this case"),
        "release": N_("Release to the queue"),
        "reassign": N_("Reassign"),
        "admit": N_("Admit for mediation"),
        "decline": N_("Decline the case"),
        "request_info": N_("Ask a party for information"),
        "provide_info": N_("Answer the mediator"),
        "propose_settlement": N_("Propose a settlement"),
        "accept_proposal": N_("Accept the proposal"),
        "reject_proposal": N_("Reject the proposal"),
        "refuse_mediation": N_("End mediation"),
        "close_unresolved": N_("Close without agreement"),
        "mark_fulfilled": N_("Report the settlement as carried out"),
        "confirm_fulfilment": N_("Confirm it was carried out"),
        "dispute_fulfilment": N_("It was not carried out"),
        "resettle": N_("Mediate a new settlement"),
        "propose_listing": N_("Propose a registry listing"),
        "appeal": N_("Appeal the outcome"),
        "rate": N_("Rate the service"),
        "file": N_("Complaint filed"),
        "response_timeout": N_("The merchant did not answer in time"),
        "negotiation_timeout": N_("Negotiation time ran out"),
        "information_timeout": N_("The requested information did not arrive in time"),
        "mediation_timeout": N_("Mediation time ran out"),
        "fulfilment_timeout": N_("The settlement was not carried out in time"),
        "confirmation_timeout": N_("Fulfilment confirmed automatically"),
        "message": N_("Message"),
        "evidence": N_("Evidence added"),
    },
)
register_labels(
    "response", {"offer": N_("Make an offer"), "reject": N_("Reject the claim"), "question": N_("Ask a question")}
)
register_labels("party", {"consumer": N_("Consumer"), "merchant": N_("Merchant")})
register_labels(
    "violation",
    {
        "counterfeit": N_("Counterfeit goods"),
        "trademark": N_("Trademark infringement"),
        "patent": N_("Patent infringement"),
        "copyright": N_("Copyright infringement"),
        "false_origin": N_("False origin"),
        "settlement_breach": N_("Settlement not kept"),
    },
)
register_labels(
    "deadline",
    {
        "merchant_response": N_("Merchant's answer due"),
        "negotiation_limit": N_("Negotiation ends"),
        "admissibility": N_("Admissibility decision due"),
        "mediation_limit": N_("Mediation ends"),
        "information_due": N_("Requested information due"),
        "fulfilment_due": N_("Settlement to be carried out by"),
        "confirmation_due": N_("Confirmed automatically on"),
        "breach_review": N_("Mediator to act on the breach by"),
    },
)


register_labels(
    "offer_status",
    {"open": N_("open"), "accepted": N_("accepted"), "rejected": N_("rejected"), "superseded": N_("superseded")},
)


# A party's caucus, named from their side: the consumer talks privately with the mediator there.
_OWN_CAUCUS = {Channel.caucus_consumer.value: CONSUMER, Channel.caucus_merchant.value: MERCHANT}
register_labels("own_caucus", {channel: N_("Private with the mediator") for channel in _OWN_CAUCUS})


def channel_name(channel: str, related: frozenset[str]) -> str:
    """A conversation as its viewer calls it (the mediator's "Private with the consumer" is the consumer's
    "Private with the mediator")."""
    return label("own_caucus" if _OWN_CAUCUS.get(channel) in related else "channel", channel)


# Forms besides the actions whose text comes back when they are refused.
_OTHER_FORMS: dict[str, tuple[FormField, ...]] = {
    "message": (_text("text", N_("Your message")),),
    "evidence": (_text("description", N_("Description"), required=False),),
}
_CHOICES = frozenset({"select", "radio", "mediator"})  # picked from a list, nothing typed: not handed back


def typed_values(form_of: str, typed: dict[str, Any]) -> list[tuple[str, str]]:
    """What someone typed into a form, as (label, text), to hand back when the form itself is no longer
    on the page (the case moved on): nothing a person wrote is lost."""
    kept = []
    for spec in _OTHER_FORMS.get(form_of) or ACTION_FORMS.get(form_of, ()):
        if spec.kind in _CHOICES:
            continue
        text = _remedy_text(spec.name, typed) if spec.kind == "remedy" else str(typed.get(spec.name) or "").strip()
        if text:
            kept.append((gettext(spec.label), text))
    return kept


def _remedy_text(name: str, typed: dict[str, Any]) -> str:
    amount = " ".join(str(typed.get(f"{name}.amount.{part}") or "").strip() for part in ("amount", "currency"))
    details = str(typed.get(f"{name}.description") or "").strip()
    if not amount.split(" ")[0] and not details:
        return ""  # only the list's preselected remedy: nothing was typed
    kind = str(typed.get(f"{name}.type") or "")
    return " — ".join(part for part in (label("remedy", kind) if kind else "", amount.strip(), details) if part)
