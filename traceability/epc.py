"""GS1 identifiers as EPCIS writes them: SGTIN and SSCC EPC URNs, SGLN locations, GS1 Digital Link URIs.

Pure functions. A serialised item is (GTIN-14, serial) whichever way it is written: the EPC URN
`urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial` (GS1 EPC Tag Data Standard §6.3.1) and the
Digital Link `https://id.gs1.org/01/{gtin}/21/{serial}` name the same item. GTIN check digits and Digital Link
syntax come from `cases.gs1` and `cases.gs1_syntax` (GS1's own dictionary), the one place that knows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from accord.i18n import gettext as _
from cases.gs1 import GS1Error, gs1_check_digit
from cases.gs1_syntax import parse_digital_link

SGTIN_URN = re.compile(r"^urn:epc:id:sgtin:([0-9]{6,12})\.([0-9]{1,7})\.(.{1,20})$")
SSCC_URN = re.compile(r"^urn:epc:id:sscc:([0-9]{6,12})\.([0-9]{5,11})$")
SGLN_URN = re.compile(r"^urn:epc:id:sgln:([0-9]{6,12})\.([0-9]{0,6})\.(.{1,20})$")
PGLN_URN = re.compile(r"^urn:epc:id:pgln:([0-9]{6,12})\.([0-9]{0,6})$")
_CLASS_URN = re.compile(r"^urn:epc:(?:class:lgtin|idpat:sgtin):([0-9]{6,12})\.([0-9]{1,7})\.(.+)$")
# GS1 AI encodable character set 82, percent-escaped where the URN syntax needs it (TDS §5).
_CS82_URN = re.compile(r"^(?:[A-Za-z0-9!'()*+,\-.:;=_]|%[0-9A-Fa-f]{2})+$")


class EPCError(ValueError):
    """An identifier EPCIS cannot carry here; the message is translated and shown to the submitter."""


@dataclass(frozen=True)
class Item:
    gtin: str  # 14 digits
    serial: str


def _gtin_from_urn(company_prefix: str, indicator_and_item: str) -> str:
    if len(company_prefix) + len(indicator_and_item) != 13:
        raise EPCError(_("The company prefix and item reference must have 13 digits together."))
    body = indicator_and_item[0] + company_prefix + indicator_and_item[1:]
    return body + gs1_check_digit(body)


def _digital_link(uri: str) -> dict[str, str]:
    """The AI → value pairs of a GS1 Digital Link, each value checked against GS1's syntax dictionary."""
    try:
        return dict(parse_digital_link(uri))
    except GS1Error as error:
        raise EPCError(f"“{uri[:80]}”: {error}") from None


@lru_cache(maxsize=65536)  # a document names the same item or place in event after event
def sgtin(epc: str) -> Item:
    """A serialised trade item from an SGTIN URN or a Digital Link with (01) and (21)."""
    if epc.startswith("urn:"):
        match = SGTIN_URN.match(epc)
        if not match or not _CS82_URN.match(match[3]):
            raise EPCError(_("“%(epc)s” is not an SGTIN (urn:epc:id:sgtin:…).") % {"epc": epc[:80]})
        return Item(_gtin_from_urn(match[1], match[2]), unquote(match[3]))
    if urlsplit(epc).scheme not in ("http", "https"):
        raise EPCError(_("“%(epc)s” is neither an EPC URN nor a GS1 Digital Link.") % {"epc": epc[:80]})
    fields = _digital_link(epc)
    if "01" not in fields or "21" not in fields:
        raise EPCError(
            _("The Digital Link “%(epc)s” names no serialised item: it needs /01/ and /21/.") % {"epc": epc[:80]}
        )
    return Item(fields["01"], fields["21"])  # checked (and a short GTIN padded) by the dictionary


def is_sscc(epc: str) -> bool:
    """A logistic unit (a case or a pallet): an SSCC URN or a Digital Link with (00)."""
    if epc.startswith("urn:"):
        return bool(SSCC_URN.match(epc))
    try:
        return "00" in _digital_link(epc)
    except EPCError:
        return False


@lru_cache(maxsize=65536)  # a document names the same item or place in event after event
def class_gtin_prefix(epc_class: str) -> str:
    """The GTIN-14 digits after the indicator that an EPC class names (LGTIN, SGTIN pattern or Digital Link
    without a serial), for the company-prefix check of quantity lists."""
    match = _CLASS_URN.match(epc_class)
    if match:
        return _gtin_from_urn(match[1], match[2])[1:]
    if urlsplit(epc_class).scheme in ("http", "https"):
        fields = _digital_link(epc_class)
        if "01" in fields:
            return fields["01"][1:]
    raise EPCError(_("“%(epc)s” is not a GTIN class (urn:epc:class:lgtin:…).") % {"epc": epc_class[:80]})


@lru_cache(maxsize=65536)  # a document names the same item or place in event after event
def location(value: str) -> str:
    """A read point or business location: an SGLN URN, or a Digital Link with (414) (GLN)."""
    if value.startswith("urn:"):
        if SGLN_URN.match(value):
            return value
        raise EPCError(_("“%(id)s” is not an SGLN (urn:epc:id:sgln:…).") % {"id": value[:80]})
    fields = _digital_link(value)
    if "414" not in fields:
        raise EPCError(_("“%(id)s” is not a GS1 location (GLN).") % {"id": value[:80]})
    return value


def party_or_location(value: str) -> str:
    """A source or destination: an SGLN, a PGLN, or any other URI the CBV allows (kept as given)."""
    if PGLN_URN.match(value) or SGLN_URN.match(value):
        return value
    if ":" not in value:
        raise EPCError(_("A source or destination must be a URI, such as urn:epc:id:sgln:…"))
    return value


def under_prefix(gtin: str, prefixes: frozenset[str] | set[str]) -> bool:
    """Whether a GTIN-14 (or the digits after its indicator) falls under one of these company prefixes."""
    digits = gtin[1:] if len(gtin) == 14 else gtin
    return any(digits.startswith(prefix) for prefix in prefixes)


def gln_digits(value: str) -> str | None:
    """The GLN digits (company prefix first) of a location or party: an SGLN or PGLN URN, or a Digital Link with
    (414) or (417); None for any other identifier."""
    if match := SGLN_URN.match(value) or PGLN_URN.match(value):
        return match[1] + match[2]
    if value.startswith("urn:") or urlsplit(value).scheme not in ("http", "https"):
        return None
    try:
        fields = _digital_link(value)
    except EPCError:
        return None
    return fields.get("414") or fields.get("417")


def digital_link(item: Item) -> str:
    return f"https://id.gs1.org/01/{item.gtin}/21/{item.serial}"
