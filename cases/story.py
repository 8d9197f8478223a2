"""The case's story in words (issue 12 §3): one sentence per event, naming who did it and their part in
the case, never a button label: "Zhang Min (merchant · Hangzhou Westlake…) offered a partial refund of
¥100.00", "Accord moved the case to mediation because the merchant did not answer within 10 working days".

Sentences are built in the language of the moment (a page's viewer, a mail's recipient), money and dates
with Babel. The typed words stay apart from the sentence (`Line.words`), so pages can show them as the
person wrote them, line breaks and all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time
from babel.lists import format_list
from markupsafe import Markup, escape

from accord.extensions import record_teller
from accord.templating import speaker
from accord.i18n import babel_locale, format_date, format_money, label
from accord.i18n import gettext as _
from cases.access import PLATFORM, SYSTEM, speaker_role
from cases.tables import Channel
from cases.words import Statement, statements, typed_words
from cases.workflow import DEADLINES, SPECS, CaseTerms


def speaker_html(name: str | None, role: str, enterprise: str | None = None) -> Markup:
    """A person with their part in the case; a merchant's or platform's agent also with the enterprise they
    speak for: the pages' `speaker` filter (accord.templating.speaker), with the role as a case names it."""
    return speaker(name or "", speaker_role(role), enterprise, enterprise)


@dataclass(frozen=True)
class Setting:
    """What sentences need besides the event: the case's enterprise, its offers, people named in events
    (a reassignment's new mediator), the deadline lengths and the time zone dates are shown in."""

    enterprise: str | None = None
    offers: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    names: Mapping[int, str] = field(default_factory=dict)
    terms: CaseTerms = CaseTerms()
    zone: ZoneInfo | None = None
    platform: str | None = None  # the registered platform the case names, whose agents speak as "platform"

    def speaks_for(self, role: str) -> str | None:
        """The enterprise an agent acting in this role speaks for."""
        return self.platform if role == PLATFORM else self.enterprise


@dataclass(frozen=True)
class Line:
    """One event of the timeline, told."""

    seq: int
    at: datetime
    lead: Markup  # the sentence: who did what
    words: str = ""  # what they typed, if the viewer may read it
    privacy: str = ""  # who else reads the words, when not everyone on the case does


# --- pieces --------------------------------------------------------------------------------------


def moment(value: datetime | str | None, zone: ZoneInfo | None) -> str:
    """A date with its time of day, without seconds: "Dec 3, 2026, 5:00 PM", "2026年12月3日 17:00"."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is None:
        return ""
    local, locale = value.astimezone(zone) if zone else value, babel_locale()
    day = format_date(local.date())
    return str(locale.datetime_formats["medium"]).format(format_time(local, "short", locale=locale), day)


def _money(remedy: Mapping[str, Any]) -> str:
    amount = remedy.get("amount")
    return format_money(amount, remedy["currency"]) if amount is not None and remedy.get("currency") else ""


def remedy_phrase(remedy: Mapping[str, Any]) -> str:
    """One remedy as words: "a partial refund of ¥100.00", "a replacement (same colour)"."""
    kind, money, details = remedy.get("type", "other"), _money(remedy), (remedy.get("description") or "").strip()
    with_money = {
        "refund": _("a full refund of %(amount)s"),
        "partial_refund": _("a partial refund of %(amount)s"),
        "return_and_refund": _("return and refund of %(amount)s"),
        "compensation": _("compensation of %(amount)s"),
    }
    without = {
        "refund": _("a full refund"),
        "partial_refund": _("a partial refund"),
        "return_and_refund": _("return and refund"),
        "compensation": _("compensation"),
        "replacement": _("a replacement"),
        "repair": _("a repair"),
    }
    if kind == "other":
        return details or _("another remedy")
    phrase = with_money[kind] % {"amount": money} if money and kind in with_money else without.get(kind, kind)
    return _("%(remedy)s (%(details)s)") % {"remedy": phrase, "details": details} if details else phrase


def remedies_phrase(remedies: list[Mapping[str, Any]] | None) -> str:
    phrases = [remedy_phrase(remedy) for remedy in remedies or []]
    return format_list(phrases, locale=babel_locale()) if phrases else _("a remedy")


def _party(party: str) -> str:
    return {"consumer": _("the consumer"), "merchant": _("the merchant")}.get(party, party)


def privacy_note(channel: str) -> str:
    """Who reads words kept outside the parties' channel, said to those who do."""
    return {
        Channel.caucus_consumer.value: _("Not shown to the merchant"),
        Channel.caucus_merchant.value: _("Not shown to the consumer"),
        Channel.internal.value: _("Only for mediators and registrars"),
    }.get(channel, "")


# --- sentences -----------------------------------------------------------------------------------

Told = tuple[str, dict[str, Any]]  # a translated sentence with %(actor)s and its other placeholders' values
Teller = Callable[[Statement, Setting], Told]


def _offer_of(statement: Statement, setting: Setting) -> Mapping[str, Any] | None:
    offer_id = statement.data.get("offer_id") or statement.data.get("proposal_id")
    return setting.offers.get(offer_id) if isinstance(offer_id, int) else None


def _respond(statement: Statement, setting: Setting) -> Told:
    kind = statement.data.get("kind")
    if kind == "offer":
        remedies = remedies_phrase(statement.data.get("remedies"))
        return _("%(actor)s answered the complaint and offered %(remedies)s"), {"remedies": remedies}
    if kind == "question":
        return _("%(actor)s answered the complaint with a question"), {}
    return _("%(actor)s answered the complaint and rejected the claim"), {}


def _counter_offer(statement: Statement, setting: Setting) -> Told:
    return _("%(actor)s offered %(remedies)s"), {"remedies": remedies_phrase(statement.data.get("remedies"))}


def _about_offer(with_remedies: str) -> Teller:
    """The offer's remedies when the viewer has the offer, else the action's own sentence."""

    def tell(statement: Statement, setting: Setting) -> Told:
        offer = _offer_of(statement, setting)
        if offer is None:
            return _told(statement, setting)
        return with_remedies, {"remedies": remedies_phrase(offer.get("remedies"))}

    return tell


def _reassign(statement: Statement, setting: Setting) -> Told:
    target = setting.names.get(statement.data.get("mediator", 0)) or _("another mediator")
    return _("%(actor)s handed the case to %(mediator)s"), {"mediator": target}


def _decline(statement: Statement, setting: Setting) -> Told:
    reason = label("decline_reason", str(statement.data.get("reason", "")))
    return _("%(actor)s declined the case: %(reason)s"), {"reason": reason}


def _request_info(statement: Statement, setting: Setting) -> Told:
    party = _party(str(statement.data.get("party", "")))
    due = statement.data.get("due_at")
    if due:
        return _("%(actor)s asked %(party)s for information by %(due)s"), {
            "party": party,
            "due": moment(due, setting.zone),
        }
    return _(SPECS["request_info"].told), {"party": party}


def _propose_settlement(statement: Statement, setting: Setting) -> Told:
    remedies = remedies_phrase(statement.data.get("remedies"))
    fulfil_by = statement.data.get("fulfil_by")
    if fulfil_by:
        when = format_date(datetime.fromisoformat(fulfil_by).date())
        return _("%(actor)s proposed a settlement: %(remedies)s, to be carried out by %(date)s"), {
            "remedies": remedies,
            "date": when,
        }
    return _("%(actor)s proposed a settlement: %(remedies)s"), {"remedies": remedies}


def _accept_proposal(statement: Statement, setting: Setting) -> Told:
    if statement.moved_to == "settled":
        return _("%(actor)s accepted the settlement proposal; both parties have now agreed"), {}
    return _told(statement, setting)


def _advance_compensate(statement: Statement, setting: Setting) -> Told:
    data = statement.data
    if isinstance(data.get("amount"), int) and data.get("currency"):
        money = format_money(data["amount"], data["currency"])
        return _("%(actor)s paid the consumer %(amount)s in advance and claims it back from the merchant"), {
            "amount": money
        }
    return _told(statement, setting)


def _rate(statement: Statement, setting: Setting) -> Told:
    return _("%(actor)s rated the service %(score)s out of 5"), {"score": statement.data.get("score", "?")}


def _listing(statement: Statement, setting: Setting) -> Told:
    violation = label("violation", str(statement.data.get("violation", "")))
    return _("%(actor)s proposed a registry listing: %(violation)s"), {"violation": violation}


# The deadline whose running out fires each system action: its sentence says how long that was.
_FIRED_BY = {kind.action: name for name, kind in DEADLINES.items() if kind.action}


def _told(statement: Statement, setting: Setting) -> Told:
    """The action's own sentence (its spec's `told`), for actions whose sentence does not depend on what
    they said; a deadline's timeout says how many working days there were."""
    message = SPECS[statement.action].told if statement.action in SPECS else ""
    if not message:
        return "%(actor)s: %(action)s", {"action": label("action", statement.action)}
    fired_by = _FIRED_BY.get(statement.action)
    return _(message), {"days": getattr(setting.terms, fired_by)} if fired_by else {}


def _tellers() -> dict[str, Teller]:
    """The actions whose sentence depends on what they said or did (every other is its spec's `told`).
    Built per call: each message is translated in the language of the moment."""
    return {
        "respond": _respond,
        "counter_offer": _counter_offer,
        "accept_offer": _about_offer(_("%(actor)s accepted the offer of %(remedies)s")),
        "reject_offer": _about_offer(_("%(actor)s rejected the offer of %(remedies)s")),
        "reassign": _reassign,
        "decline": _decline,
        "request_info": _request_info,
        "propose_settlement": _propose_settlement,
        "accept_proposal": _accept_proposal,
        "propose_listing": _listing,
        "rate": _rate,
        "advance_compensate": _advance_compensate,
    }


def _sentence(message: str, actor: Markup, values: dict[str, Any]) -> Markup:
    """The translated sentence with the actor's markup and the other values (escaped) in their places."""
    return Markup(escape(message)) % {**values, "actor": actor}


def tell(statement: Statement, setting: Setting, tellers: dict[str, Teller] | None = None) -> Line:
    """One action as a sentence, with its words."""
    teller = (tellers or _tellers()).get(statement.action, _told)
    actor = actor_html(statement.actor, statement.actor_name, statement.actor_role, setting.speaks_for(statement.actor_role))
    message, values = teller(statement, setting)
    privacy = privacy_note(statement.words_channel) if statement.words else ""
    return Line(statement.seq, statement.at, _sentence(message, actor, values), statement.text, privacy)


def actor_html(actor: int | None, name: str | None, role: str, enterprise: str | None) -> Markup:
    if actor is None or role == SYSTEM:
        return Markup(escape(_("Accord")))
    return speaker_html(name, role, enterprise)


def _filed(event: Mapping[str, Any], setting: Setting) -> Line:
    """The filing, with its waybill and the carrier's name when it has one (issue 16 §5)."""
    role = event["actor_role"]
    actor = actor_html(event["actor"], event.get("actor_name"), role, setting.speaks_for(role))
    data = event.get("data") or {}
    number, carrier = data.get("waybill"), data.get("waybill_carrier")
    if number and carrier:
        message, values = _("%(actor)s filed the complaint (waybill %(waybill)s, %(carrier)s)"), {
            "waybill": number,
            "carrier": label("carrier", carrier),
        }
    elif number:
        message, values = _("%(actor)s filed the complaint (waybill %(waybill)s)"), {"waybill": number}
    else:
        message, values = _("%(actor)s filed the complaint"), {}
    return Line(event["seq"], event["at"], _sentence(message, actor, values))


def file_name(item: Mapping[str, Any]) -> str:
    """How a file is named on pages: the uploader's name for it, else its description."""
    return str(item.get("file_name") or item.get("description") or _("a file"))


def _evidence(event: Mapping[str, Any], setting: Setting) -> Line:
    role = event["actor_role"]
    actor = actor_html(event["actor"], event.get("actor_name"), role, setting.speaks_for(role))
    data = event["data"]
    sentence = _sentence(_("%(actor)s added the file %(file)s"), actor, {"file": file_name(data)})
    described = data.get("description") if data.get("file_name") else ""  # else it names the file already
    return Line(event["seq"], event["at"], sentence, described or "", privacy_note(event["channel"]))


def _recounted(event: Mapping[str, Any], setting: Setting) -> Line:
    """Deadlines a change of the working-day calendar moved (mediation/reschedule.py)."""
    moves = [
        _("“%(deadline)s” from %(from)s to %(to)s")
        % {
            "deadline": label("deadline", str(move.get("deadline"))),
            "from": moment(move.get("from"), setting.zone),
            "to": moment(move.get("to"), setting.zone),
        }
        for move in event["data"].get("moved", [])
    ]
    listed = format_list(moves, locale=babel_locale())
    sentence = _("The working-day calendar changed, so Accord moved %(moves)s.") % {"moves": listed}
    return Line(event["seq"], event["at"], Markup(escape(sentence)))


RECOURSE_EVENTS = ("recourse_recovered", "recourse_waived")  # cases/recourse.py


def _recourse(event: Mapping[str, Any], setting: Setting) -> Line:
    """The platform closed its claim against the merchant (recovered the money, or waived it)."""
    actor = actor_html(event["actor"], event.get("actor_name"), event["actor_role"], setting.enterprise)
    data = event["data"]
    money = format_money(data["amount"], data["currency"]) if data.get("currency") else ""
    message = {
        "recourse_recovered": _("%(actor)s recovered the %(amount)s paid in advance from the merchant"),
        "recourse_waived": _("%(actor)s waived the claim of %(amount)s against the merchant"),
    }[event["type"]]
    return Line(event["seq"], event["at"], _sentence(message, actor, {"amount": money}), data.get("note") or "")


def timeline(events: list[dict[str, Any]], setting: Setting) -> list[Line]:
    """Every event the viewer may read, told (messages are in the conversation, not here)."""
    tellers = _tellers()
    told = {statement.seq: tell(statement, setting, tellers) for statement in statements(events)}
    lines = []
    for event in events:
        if event.get("data") is None:
            continue
        if event["seq"] in told:
            lines.append(told[event["seq"]])
        elif event["type"] == "file":
            lines.append(_filed(event, setting))
        elif event["type"] == "evidence":
            lines.append(_evidence(event, setting))
        elif event["type"] == "deadlines_recounted":
            lines.append(_recounted(event, setting))
        elif event["type"] in RECOURSE_EVENTS:
            lines.append(_recourse(event, setting))
        elif teller := record_teller(event["type"]):  # appended by another domain (e.g. the trace check)
            lines.append(Line(event["seq"], event["at"], Markup(escape(teller(event)))))
    return lines


def retold(told: Mapping[str, Any], setting: Setting) -> Line:
    """A transition as a notice keeps it (`notifications.service.told_to`: already narrowed to what its
    recipient may read), told again in the language of the moment."""
    data = dict(told.get("data") or {})
    statement = Statement(
        seq=0,
        action=told["type"],
        at=datetime.fromisoformat(told["at"]),
        actor=told.get("actor"),
        actor_name=told.get("actor_name"),
        actor_role=told.get("actor_role") or SYSTEM,
        channel=Channel.parties.value,
        data=data,
        words=typed_words(told["type"], data),
        words_channel=told.get("words_channel") or Channel.parties.value,
    )
    return tell(statement, setting)
