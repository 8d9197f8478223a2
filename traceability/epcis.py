"""Reading an EPCIS 2.0 JSON / JSON-LD document: the document's shape, then each event on its own.

Pure: no I/O. A document that is not an EPCISDocument is refused whole (`DocumentError`, a 422); inside
a good document every event is validated by itself, so one bad event is reported by its index and the
others are kept. Only what Accord builds item histories from is read: ObjectEvents and AggregationEvents
with a CBV business step Accord knows (short names such as `shipping` or the full CBV URIs).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.i18n import gettext as _
from accord.screening import TooDeep, unstorable_field
from traceability import epc
from traceability.event_hash import event_hash
from traceability.tables import BizStep

MAX_EVENTS = 200_000
MAX_TEXT = 300
EVENT_TYPES = ("ObjectEvent", "AggregationEvent")
ACTIONS = ("ADD", "OBSERVE", "DELETE")
# The CBV's two spellings of a vocabulary element besides the bare name: the EPCIS 1.x URN and the
# EPCIS 2.0 Web URI (CBV 2.0 §8).
_CBV_PREFIXES = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    "btt": ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    "sdt": ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
}


class DocumentError(ValueError):
    """The document as a whole cannot be read; nothing of it is stored."""


class EventError(ValueError):
    """One event cannot be accepted; the others can."""


@dataclass
class Event:
    key: str  # the event's own ID, else its EPCIS Event Hash ID, else the SHA-256 of its canonical JSON
    event_id: str | None  # the event's own ID, else its EPCIS Event Hash ID
    type: str
    action: str
    biz_step: str
    disposition: str | None
    event_time: datetime
    read_point: str | None
    biz_location: str | None
    parent: str | None
    details: dict[str, Any]
    items: list[epc.Item] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)  # GTIN digits (after the indicator) of quantity lists


def short_name(value: Any, vocabulary: str) -> str:
    """A CBV value as its bare name, whichever of its spellings was used."""
    text = str(value)
    for prefix in _CBV_PREFIXES[vocabulary]:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def read_document(body: bytes) -> list[Any]:
    """The event list of an EPCIS document (EPCISDocument, or an EPCISQueryDocument's result body)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise DocumentError(_("The document is not valid JSON.")) from None
    if not isinstance(document, dict):
        raise DocumentError(_("An EPCIS document is a JSON object."))
    kind = document.get("type")
    if kind not in ("EPCISDocument", "EPCISQueryDocument"):
        raise DocumentError(_("This is not an EPCIS document: its type must be EPCISDocument."))
    body_part = document.get("epcisBody")
    if kind == "EPCISQueryDocument" and isinstance(body_part, dict):
        body_part = (body_part.get("queryResults") or {}).get("resultsBody")
    if not isinstance(body_part, dict) or not isinstance(body_part.get("eventList"), list):
        raise DocumentError(_("The document has no epcisBody.eventList."))
    events = body_part["eventList"]
    if len(events) > MAX_EVENTS:
        raise DocumentError(_("A document may hold at most %(n)d events.") % {"n": MAX_EVENTS})
    return events


def _text(raw: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise EventError(_("%(field)s is missing.") % {"field": name})
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise EventError(_("%(field)s must be a text of 1 to %(n)d characters.") % {"field": name, "n": MAX_TEXT})
    return value


def _time(raw: dict[str, Any]) -> datetime:
    text = _text(raw, "eventTime", required=True)
    try:
        moment = datetime.fromisoformat(text)  # type: ignore[arg-type]
    except ValueError:
        raise EventError(_("eventTime is not an ISO 8601 time.")) from None
    if moment.tzinfo is None:
        raise EventError(_("eventTime must give its offset from UTC (e.g. Z or +08:00)."))
    return moment


def _list(raw: dict[str, Any], name: str) -> list[Any]:
    value = raw.get(name, [])
    if not isinstance(value, list):
        raise EventError(_("%(field)s must be a list.") % {"field": name})
    return value


def _location(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or len(value["id"]) > MAX_TEXT:
        raise EventError(_("%(field)s must be an object with an id.") % {"field": name})
    try:
        return epc.location(value["id"])
    except epc.EPCError as error:
        raise EventError(f"{name}: {error}") from None


def _transactions(raw: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    for entry in _list(raw, "bizTransactionList"):
        if not isinstance(entry, dict) or not isinstance(entry.get("bizTransaction"), str):
            raise EventError(_("Each bizTransactionList entry needs a bizTransaction."))
        kind = entry.get("type")
        if kind is not None and not isinstance(kind, str):
            raise EventError(_("A bizTransaction type must be text."))
        ident = entry["bizTransaction"]
        if not ident or len(ident) > MAX_TEXT:
            raise EventError(_("A bizTransaction has 1 to %(n)d characters.") % {"n": MAX_TEXT})
        found.append({"type": short_name(kind, "btt") if kind else "", "id": ident})
    return found


def _ends(raw: dict[str, Any], name: str, key: str) -> list[dict[str, str]]:
    found = []
    for entry in _list(raw, name):
        if not isinstance(entry, dict) or not isinstance(entry.get(key), str) or len(entry[key]) > MAX_TEXT:
            raise EventError(_("Each %(list)s entry needs a %(key)s.") % {"list": name, "key": key})
        try:
            value = epc.party_or_location(entry[key])
        except epc.EPCError as error:
            raise EventError(str(error)) from None
        found.append({"type": short_name(entry.get("type") or "", "sdt"), "id": value})
    return found


def _items(raw: dict[str, Any], name: str) -> list[epc.Item]:
    items = []
    for value in _list(raw, name):
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise EventError(_("%(field)s must list EPCs as text.") % {"field": name})
        try:
            items.append(epc.sgtin(value))
        except epc.EPCError as error:
            raise EventError(str(error)) from None
    return items


def _classes(raw: dict[str, Any], name: str) -> list[str]:
    found = []
    for entry in _list(raw, name):
        if not isinstance(entry, dict) or not isinstance(entry.get("epcClass"), str):
            raise EventError(_("Each %(list)s entry needs an epcClass.") % {"list": name})
        try:
            found.append(epc.class_gtin_prefix(entry["epcClass"]))
        except epc.EPCError as error:
            raise EventError(str(error)) from None
    return found


def content_key(raw: dict[str, Any]) -> str:
    """The event's identity when it brings no eventID and has fields the EPCIS Event Hash is not computed
    over here (`event_hash`): SHA-256 over its canonical JSON, without the fields that say when it was
    captured or recorded rather than what happened."""
    kept = {name: value for name, value in raw.items() if name not in ("recordTime", "eventID", "errorDeclaration")}
    canonical = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def read_event(raw: Any) -> Event:
    """One event, checked; raises EventError naming what is wrong."""
    if not isinstance(raw, dict):
        raise EventError(_("An event is a JSON object."))
    try:
        unstorable = unstorable_field(raw)  # a NUL in a text, a number no column holds (accord.screening)
    except TooDeep:
        raise EventError(_("The event is nested too deeply.")) from None
    if unstorable is not None:
        raise EventError(f"{unstorable.field}: {unstorable.message}")
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise EventError(
            _("Event type %(type)s is not one Accord records (ObjectEvent, AggregationEvent).")
            % {"type": str(kind)[:40]}
        )
    action = raw.get("action")
    if action not in ACTIONS:
        raise EventError(_("action must be ADD, OBSERVE or DELETE."))
    step = short_name(_text(raw, "bizStep", required=True), "bizStep")
    if step not in BizStep.__members__:
        raise EventError(
            _("Unknown bizStep %(step)s: Accord records %(known)s.") % {"step": step[:60], "known": ", ".join(BizStep)}
        )
    event_id = _text(raw, "eventID")
    disposition = _text(raw, "disposition")
    if kind == "ObjectEvent":
        items, classes, parent = _items(raw, "epcList"), _classes(raw, "quantityList"), None
    else:
        items, classes = _items(raw, "childEPCs"), _classes(raw, "childQuantityList")
        parent = _text(raw, "parentID")
        if parent is not None and not (epc.is_sscc(parent) or _is_sgtin(parent)):
            raise EventError(_("parentID must be an SSCC or an SGTIN."))
    if not items and not classes:
        raise EventError(_("The event names no item: epcList (or childEPCs) or a quantity list is required."))
    event_time = _time(raw)
    if event_id is None:  # CBV 2.0 §8.9: the event's hash is its ID
        event_id = _hash_id(raw)
    return Event(
        key=event_id or content_key(raw),
        event_id=event_id,
        type=kind,
        action=action,
        biz_step=step,
        disposition=short_name(disposition, "disposition") if disposition else None,
        event_time=event_time,
        read_point=_location(raw, "readPoint"),
        biz_location=_location(raw, "bizLocation"),
        parent=parent,
        details={
            "biz_transactions": _transactions(raw),
            "sources": _ends(raw, "sourceList", "source"),
            "destinations": _ends(raw, "destinationList", "destination"),
        },
        items=items,
        classes=classes,
    )


def _hash_id(raw: dict[str, Any]) -> str | None:
    try:
        return event_hash(raw)
    except (ValueError, TypeError, KeyError):  # a value the hash cannot read: the event is keyed by content
        return None


def _is_sgtin(value: str) -> bool:
    try:
        epc.sgtin(value)
    except epc.EPCError:
        return False
    return True
