"""What happened to a case since a viewer last saw it, in words: for a form refused because someone
acted first (409), and for the notice when a case page updates itself live.

Every transition raises the case's version, and its record event says so in its writes
(`{"case": {"version": n, ...}}`): the transitions since version `v` are the events that wrote a later one.
Sentences name who acted by their part in the case as the viewer knows it ("the merchant", "you (in
another window)"), never state codes, versions or timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from accord.i18n import N_, gettext, label, register_labels

# One sentence per action ("<action>:<kind>" where the payload's kind changes its meaning); %(who)s is
# filled in from WHO. Actions Accord takes itself (deadlines) say what happened without a who.
_SENTENCES: dict[str, str] = {
    "respond:offer": N_("%(who)s answered the complaint with an offer"),
    "respond:reject": N_("%(who)s rejected the complaint"),
    "respond:question": N_("%(who)s answered the complaint with a question"),
    "counter_offer": N_("%(who)s made a new offer"),
    "accept_offer": N_("%(who)s accepted an offer"),
    "reject_offer": N_("%(who)s rejected an offer"),
    "request_mediation": N_("%(who)s asked for mediation"),
    "withdraw": N_("%(who)s withdrew the complaint"),
    "response_timeout": N_("the merchant did not answer in time, so the case went to the mediators"),
    "negotiation_timeout": N_("the time for negotiation ran out, so the case went to the mediators"),
    "claim": N_("%(who)s took on the case"),
    "release": N_("%(who)s handed the case back to the mediators' queue"),
    "reassign": N_("%(who)s gave the case to another mediator"),
    "admit": N_("%(who)s admitted the case for mediation"),
    "decline": N_("%(who)s declined the case"),
    "request_info:consumer": N_("%(who)s asked the consumer for information"),
    "request_info:merchant": N_("%(who)s asked the merchant for information"),
    "provide_info": N_("%(who)s answered the mediator's question"),
    "information_timeout": N_("the requested information did not arrive in time"),
    "propose_settlement": N_("%(who)s proposed a settlement"),
    "accept_proposal": N_("%(who)s accepted the settlement proposal"),
    "reject_proposal": N_("%(who)s rejected the settlement proposal"),
    "refuse_mediation": N_("%(who)s ended mediation"),
    "close_unresolved": N_("%(who)s closed the case without agreement"),
    "mediation_timeout": N_("the time for mediation ran out"),
    "mark_fulfilled": N_("%(who)s reported the settlement as carried out"),
    "confirm_fulfilment": N_("%(who)s confirmed that the settlement was carried out"),
    "dispute_fulfilment": N_("%(who)s said that the settlement was not carried out"),
    "fulfilment_timeout": N_("the settlement was not carried out in time"),
    "confirmation_timeout": N_("the settlement was taken as carried out, as nobody disputed it in time"),
    "resettle": N_("%(who)s reopened mediation for a new settlement"),
    "propose_listing": N_("%(who)s proposed a registry listing"),
    "appeal": N_("%(who)s appealed the outcome"),
    "rate": N_("%(who)s rated the service"),
}
_SOMEONE_DID = N_("%(who)s took this step: %(action)s")  # an action without a sentence of its own

register_labels(
    "who",
    {
        "consumer": N_("the consumer"),
        "merchant": N_("the merchant"),
        "mediator": N_("the mediator"),
        "any_mediator": N_("a mediator"),
        "admin": N_("a registrar"),
        "system": N_("Accord"),
        "you": N_("you (in another window)"),
    },
)


def _version_written(event: Mapping[str, Any]) -> int:
    writes = event.get("writes")
    writes = json.loads(writes) if isinstance(writes, str) else writes or {}
    version = (writes.get("case") or {}).get("version")
    return version if isinstance(version, int) and event["type"] != "file" else 0


def transitions_since(record: list[Mapping[str, Any]], version: int) -> list[Mapping[str, Any]]:
    """The transition events that took the case from `version` to where it is now."""
    return [event for event in record if _version_written(event) > version]


def _who(event: Mapping[str, Any], viewer_id: int | None) -> str:
    if event["actor"] is not None and event["actor"] == viewer_id:
        return label("who", "you")
    return label("who", event["actor_role"] if event["actor"] is not None else "system")


def sentence(event: Mapping[str, Any], viewer_id: int | None) -> str:
    """One transition in words, from the viewer's side."""
    data = event.get("data") or {}
    action = event["type"]
    detail = data.get("kind") or data.get("party")
    template = _SENTENCES.get(f"{action}:{detail}") or _SENTENCES.get(action)
    who = _who(event, viewer_id)
    if template is None:
        return gettext(_SOMEONE_DID) % {"who": who, "action": label("action", action)}
    return gettext(template) % {"who": who}


def changes_since(record: list[Mapping[str, Any]], version: int, viewer_id: int | None) -> list[str]:
    return [sentence(event, viewer_id) for event in transitions_since(record, version)]


def joined(sentences: list[str]) -> str:
    return gettext(N_("; ")).join(sentences)
