"""What case pages name besides the actions (whose labels and forms are their rows' specs, in
cases/workflow.py), and what a refused form hands back."""

from __future__ import annotations

from typing import Any

from accord.actions import FormField
from accord.i18n import N_, gettext, label, register_labels
from cases.access import CONSUMER, MERCHANT
from cases.tables import Channel
from cases.workflow import SPECS

# Record events that are not actions, named like them on the printable record.
register_labels("action", {"message": N_("Message"), "evidence": N_("Evidence added")})
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
        "compensation_confirmation": N_("Payment counts as received on"),
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
    "message": (FormField("text", "textarea", N_("Your message")),),
    "evidence": (FormField("description", "textarea", N_("Description"), required=False),),
}
_CHOICES = frozenset({"select", "radio", "mediator"})  # picked from a list, nothing typed: not handed back


def typed_values(form_of: str, typed: dict[str, Any]) -> list[tuple[str, str]]:
    """What someone typed into a form, as (label, text), to hand back when the form itself is no longer
    on the page (the case moved on): nothing a person wrote is lost."""
    kept = []
    fields = _OTHER_FORMS.get(form_of) or (SPECS[form_of].fields if form_of in SPECS else ())
    for spec in fields:
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
