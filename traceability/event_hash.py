"""The EPCIS Event Hash ID (GS1 CBV 2.0 §8.9): an event's identity from its content, whatever its syntax.

Pure. The pre-hash string is the event's fields in the canonical property order, each `key=value` with
values in canonical form (times in UTC at millisecond precision, CBV vocabulary as Web URIs, EPC URNs and
Digital Links as constrained canonical Digital Links, numbers without trailing zeros), lists sorted,
concatenated without separators; the ID is `ni:///sha-256;<hex of SHA-256 of it>?ver=CBV2.0` (RFC 6920).
Checked against the reference implementation's own examples (github.com/RalphTro/epcis-event-hash-generator,
tests/traceability/event_hash_examples/). Where it and the standard's prose differ, the reference's output
decides: parentID comes before epcList, and bizTransactionList, destinationList and sourceList come after
the ordered fields, sorted as the other remaining fields are.

Only the fields Accord reads from ObjectEvents and AggregationEvents are canonicalised. An event carrying
anything else (ILMD, sensor data, certificationInfo, persistentDisposition, user extensions, extensions of
readPoint or bizLocation) gets no hash here: `event_hash` returns None and the caller keys it otherwise, as
two such events differing only there must not collide.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cases.gs1 import gs1_check_digit
from traceability.epc import PGLN_URN, SGLN_URN, SGTIN_URN, SSCC_URN

VERSION = "CBV2.0"
# Not part of an event's identity (the reference implementation leaves these out too).
_IGNORED = frozenset({"type", "eventID", "recordTime", "errorDeclaration", "@context", "comment", "rdfs:comment"})
_ORDERED_LISTS = ("epcList", "childEPCs")
_QUANTITY_LISTS = ("quantityList", "childQuantityList")
_SORTED_LISTS = {"bizTransactionList": "bizTransaction", "sourceList": "source", "destinationList": "destination"}
_SUPPORTED = frozenset(
    {
        "eventTime",
        "eventTimeZoneOffset",
        "parentID",
        "action",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        *_ORDERED_LISTS,
        *_QUANTITY_LISTS,
        *_SORTED_LISTS,
    }
)
_KNOWN = _IGNORED | _SUPPORTED
_WEB_VOCABULARY = {
    "urn:epcglobal:cbv:bizstep:": "https://ref.gs1.org/cbv/BizStep-",
    "urn:epcglobal:cbv:disp:": "https://ref.gs1.org/cbv/Disp-",
    "urn:epcglobal:cbv:btt:": "https://ref.gs1.org/cbv/BTT-",
    "urn:epcglobal:cbv:sdt:": "https://ref.gs1.org/cbv/SDT-",
    "urn:epcglobal:cbv:er:": "https://ref.gs1.org/cbv/ER-",
}
# A bare CBV name in JSON-LD is a term of the vocabulary its field takes (the EPCIS 2.0 context says which).
_BARE_VOCABULARY = {
    "bizStep": "https://ref.gs1.org/cbv/BizStep-",
    "disposition": "https://ref.gs1.org/cbv/Disp-",
    "bizTransaction": "https://ref.gs1.org/cbv/BTT-",
    "source": "https://ref.gs1.org/cbv/SDT-",
    "destination": "https://ref.gs1.org/cbv/SDT-",
}

_CP_ITEM = r"([0-9]{6,12})\.([0-9]{1,7})"
_URN_LGTIN = re.compile(rf"^urn:epc:class:lgtin:{_CP_ITEM}\.(.{{1,20}})$")
_URN_SGTIN_PATTERN = re.compile(rf"^urn:epc:idpat:sgtin:{_CP_ITEM}\.\*$")
# The GS1 keys (primary AIs) of a Digital Link, and the one qualifier kept with each: the finest level only.
_DL_KEYS = ("00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018")
_ESCAPES = str.maketrans({char: f"%{ord(char):02X}" for char in "!()*+,:"})
_DL_QUALIFIERS = {"01": ("21", "235", "10"), "414": ("254",), "8006": ("21", "10"), "8010": ("8011",)}


def _encode(text: str) -> str:
    """The characters GS1 Digital Link (Table 7-1) has percent-encoded that an EPC URN may carry bare."""
    return text.translate(_ESCAPES)


def _with_check_digit(digits: str) -> str:
    return digits + gs1_check_digit(digits)


def _gtin(company_prefix: str, indicator_and_item: str) -> str | None:
    if len(company_prefix) + len(indicator_and_item) != 13:
        return None
    return _with_check_digit(indicator_and_item[0] + company_prefix + indicator_and_item[1:])


def _gln(company_prefix: str, location: str) -> str | None:
    return _with_check_digit(company_prefix + location) if len(company_prefix) + len(location) == 12 else None


def _from_urn(value: str) -> str | None:
    """The canonical Digital Link of an EPC URN, EPC class URN or EPC pattern URN Accord reads."""
    base = "https://id.gs1.org"
    if match := SGTIN_URN.match(value):
        gtin = _gtin(match[1], match[2])
        return gtin and f"{base}/01/{gtin}/21/{_encode(match[3])}"
    if match := SSCC_URN.match(value):
        if len(match[1]) + len(match[2]) != 17:
            return None
        return f"{base}/00/{_with_check_digit(match[2][0] + match[1] + match[2][1:])}"
    if match := SGLN_URN.match(value):
        gln = _gln(match[1], match[2])
        if gln is None:
            return None
        return f"{base}/414/{gln}" + ("" if match[3] == "0" else f"/254/{_encode(match[3])}")
    if match := PGLN_URN.match(value):
        gln = _gln(match[1], match[2])
        return gln and f"{base}/417/{gln}"
    if match := _URN_LGTIN.match(value):
        gtin = _gtin(match[1], match[2])
        return gtin and f"{base}/01/{gtin}/10/{_encode(match[3])}"
    if match := _URN_SGTIN_PATTERN.match(value):
        gtin = _gtin(match[1], match[2])
        return gtin and f"{base}/01/{gtin}"
    return None


def _from_digital_link(value: str) -> str | None:
    """A GS1 Digital Link as a constrained canonical one: id.gs1.org, no query string, the GS1 key and only
    its finest qualifier (a GTIN padded to 14 digits)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        return None
    segments = parts.path.split("/")
    start = next((i for i, segment in enumerate(segments) if segment in _DL_KEYS), None)
    if start is None or start + 1 >= len(segments):
        return None
    pairs = dict(zip(segments[start::2], segments[start + 1 :: 2], strict=False))
    key = segments[start]
    identifier = pairs[key]
    if key == "01" and identifier.isdigit() and len(identifier) in (8, 12, 13):
        identifier = identifier.zfill(14)
    link = f"https://id.gs1.org/{key}/{identifier}"
    qualifier = next((ai for ai in _DL_QUALIFIERS.get(key, ()) if ai in pairs), None)
    return link + (f"/{qualifier}/{pairs[qualifier]}" if qualifier else "")


_NUMBER_STARTS = frozenset("+-.0123456789iInN")  # what float() may read (inf, nan too)


def _numeric(text: str) -> str:
    """A number without trailing zeros (1.0 → 1, 0.34340 → 0.3434); other text as it is."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number == int(number) else str(number)


@lru_cache(maxsize=65536)  # a document names the same items, places and steps in event after event
def canonical_value(value: Any, field: str = "") -> str:
    text = str(value).strip()
    if isinstance(value, bool):
        text = "true" if value else "false"
    if field in _BARE_VOCABULARY and text and ":" not in text:
        return _BARE_VOCABULARY[field] + text
    if "urn:epcglobal:cbv:" in text:
        for urn, web in _WEB_VOCABULARY.items():
            text = text.replace(urn, web)
    if text[:1] in _NUMBER_STARTS:
        text = _numeric(text)
    if "." not in text:  # the reference normaliser reads no identifier without a dot
        return text
    if text.startswith("urn:epc:"):
        return _from_urn(text) or text
    if text.startswith(("http://", "https://")) and "/" in urlsplit(text).path:
        return _from_digital_link(text) or text
    return text


def canonical_time(value: str) -> str:
    """UTC, millisecond precision (the fourth decimal rounds half up), `Z`."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        raise ValueError("a time without its offset")
    utc = moment.astimezone(UTC)
    millis = (utc.microsecond + 500) // 1000
    utc = utc.replace(microsecond=0) + timedelta(milliseconds=millis)
    return utc.isoformat(timespec="milliseconds")[:-6] + "Z"


def _pair(key: str, value: Any) -> str:
    text = canonical_value(value, key)
    return f"{key}={text}" if text else ""


def _quantity(element: dict[str, Any]) -> str:
    fields = "".join(_pair(name, element[name]) for name in ("epcClass", "quantity", "uom") if name in element)
    return "quantityElement" + fields


def _typed(entry: dict[str, Any], name: str) -> str:
    # The type is a term of the vocabulary its entry's field takes (BTT, SDT), and comes first.
    kind = "type=" + canonical_value(entry["type"], name) if entry.get("type") else ""
    return kind + _pair(name, entry[name])


def prehash(raw: dict[str, Any]) -> str | None:
    """The pre-hash string of an ObjectEvent or AggregationEvent, or None when it has fields not read here."""
    if not _KNOWN.issuperset(raw):
        return None
    for place in ("readPoint", "bizLocation"):
        if place in raw and (not isinstance(raw[place], dict) or set(raw[place]) != {"id"}):
            return None
    parts = [f"eventType={raw['type']}", f"eventTime={canonical_time(raw['eventTime'])}"]
    if raw.get("eventTimeZoneOffset"):
        parts.append(_pair("eventTimeZoneOffset", raw["eventTimeZoneOffset"]))
    if raw.get("parentID"):
        parts.append(_pair("parentID", raw["parentID"]))
    for name in ("epcList", "childEPCs", "quantityList", "childQuantityList"):
        if raw.get(name):
            quantities = name in _QUANTITY_LISTS
            entries = [_quantity(e) if quantities else _pair("epc", e) for e in raw[name]]
            parts.append(name + "".join(sorted(entries)))
    for name in ("action", "bizStep", "disposition"):
        if raw.get(name):
            parts.append(_pair(name, raw[name]))
    for place in ("readPoint", "bizLocation"):
        if place in raw:
            parts.append(place + _pair("id", raw[place]["id"]))
    rest = [
        name + "".join(sorted(_typed(entry, key) for entry in raw[name]))
        for name, key in _SORTED_LISTS.items()
        if raw.get(name)
    ]
    return "".join(parts + sorted(rest))


def event_hash(raw: dict[str, Any]) -> str | None:
    """The event's EPCIS Event Hash ID, or None when it carries fields not canonicalised here."""
    text = prehash(raw)
    if text is None:
        return None
    return f"ni:///sha-256;{hashlib.sha256(text.encode()).hexdigest()}?ver={VERSION}"
