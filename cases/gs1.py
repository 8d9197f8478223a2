"""GS1 identifiers on consumer goods: the GTIN and the trace code (GTIN + expiry + batch + serial, and any
other AI printed with them, such as a net weight (3103)).

A buyer or seller types, pastes or scans what is printed on the product. We accept every way GS1 writes
the same data: the human-readable element string `(01)…(10)…`, a GS1 Digital Link URL, the raw string a
barcode scanner emits (the ASCII GS character standing in for FNC1), with or without the scanner's
symbology identifier. The syntax of every AI comes from GS1's own dictionary (cases/gs1_syntax.py).
Everything here is pure: no I/O, and "today" is a parameter so expiry dates parse the same way in tests
and in prod.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from accord.i18n import gettext as _
from cases.gs1_syntax import (
    GS,
    Element,
    GS1Error,
    check_associations,
    gs1_full_year,
    is_digital_link,
    parse_bracketed,
    parse_digital_link,
    parse_fnc1_data,
    parse_scan,
    shown,
)
from cases.gs1_syntax import check_digit as gs1_check_digit

__all__ = ["GS", "GS1Error", "TraceCode", "gs1_check_digit", "gs1_full_year", "normalize_gtin", "parse_trace_code"]

GTIN_LENGTHS = (8, 12, 13, 14)

AI_GTIN = "01"
AI_EXPIRY = "17"
AI_BATCH = "10"
AI_SERIAL = "21"
MAIN_AIS = (AI_GTIN, AI_EXPIRY, AI_BATCH, AI_SERIAL)  # the canonical element string starts with these
ESCAPED_BRACKET = "\\("  # how the element string writes a "(" inside a value


@dataclass(frozen=True)
class TraceCode:
    gtin: str | None
    batch: str | None
    expiry: date | None
    serial: str | None
    raw: str
    others: tuple[Element, ...] = ()  # every other AI, as given: a net weight, a production date…

    def element_string(self) -> str:
        """The canonical human-readable form: (01), (17), (10), (21), then the others as given; a bracket
        inside a value is escaped so the string reads back the same."""
        parts = [
            (AI_GTIN, self.gtin),
            (AI_EXPIRY, self.expiry.strftime("%y%m%d") if self.expiry else None),
            (AI_BATCH, self.batch),
            (AI_SERIAL, self.serial),
            *self.others,
        ]
        return "".join(f"({ai}){value.replace('(', ESCAPED_BRACKET)}" for ai, value in parts if value is not None)


# --- GTIN -----------------------------------------------------------------------------------------


def normalize_gtin(raw: str) -> str:
    """A GTIN-8, -12, -13 or -14 as written on a label, checked and zero-padded to 14 digits."""
    digits = re.sub(r"[\s-]", "", raw)
    if not digits:
        raise GS1Error(_("Enter a GTIN: the 8, 12, 13 or 14 digit number under the barcode."))
    return _gtin14(digits)


def _gtin14(digits: str) -> str:
    if bad := _characters_other_than_digits(digits):
        raise GS1Error(_("A GTIN is made of digits only; remove these characters: %(chars)s") % {"chars": bad})
    if len(digits) not in GTIN_LENGTHS:
        raise GS1Error(_("A GTIN has 8, 12, 13 or 14 digits, not %(n)d.") % {"n": len(digits)})
    if gs1_check_digit(digits[:-1]) != digits[-1]:
        raise GS1Error(_("The check digit does not match: please check the barcode number."))
    return digits.zfill(14)


def _is_digits(text: str) -> bool:
    # str.isdigit() alone also accepts "²" and non-ASCII digits such as "٣", which no barcode carries.
    return text.isascii() and text.isdigit()


def _characters_other_than_digits(text: str) -> str:
    return " ".join(shown(char) for char in sorted(set(text)) if char not in "0123456789")


# --- Trace codes ----------------------------------------------------------------------------------

_SYMBOLOGY_IDENTIFIER = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


def parse_trace_code(raw: str, today: date | None = None) -> TraceCode:
    """Read a trace code in any GS1 notation; `today` anchors the expiry century.

    Only the line break a scanner ends with, and the blank lines around a paste, are dropped: spaces are
    part of what was given, and GS1 allows none in a value, so an error names them rather than our
    trimming them silently.
    """
    text = raw.strip("\r\n")
    if not text.strip():
        raise GS1Error(_("Enter a trace code: the (01)… element string, a GS1 Digital Link or the scanned barcode."))
    if text[0].isspace():
        raise GS1Error(
            _("The trace code starts with %(char)s, which GS1 data never holds: remove it.") % {"char": shown(text[0])}
        )
    return _trace_code(_elements(text), text, today or date.today())


def _elements(text: str) -> list[Element]:
    if text.startswith("("):
        return parse_bracketed(text)
    if is_digital_link(text):
        return parse_digital_link(text)
    if _SYMBOLOGY_IDENTIFIER.match(text):
        return parse_scan(text)
    if not (text[:2].isascii() and text[:2].isdigit()):
        raise GS1Error(
            _(
                "This is not a GS1 trace code: use the (01)… element string, a GS1 Digital Link"
                " or the barcode as the scanner reads it."
            )
        )
    return parse_fnc1_data(text)


def _trace_code(elements: list[Element], raw: str, today: date) -> TraceCode:
    if AI_GTIN not in (ai for ai, _value in elements):
        raise GS1Error(_("The trace code has no GTIN: application identifier (01) is required."))
    check_associations(elements)
    values = dict(elements)  # a repeated AI has the same value each time (check_associations)
    seen: set[str] = set()
    others = tuple(
        (ai, value) for ai, value in elements if ai not in MAIN_AIS and not (ai in seen or seen.add(ai))
    )
    return TraceCode(
        gtin=values[AI_GTIN],  # 14 digits with a valid check digit: the dictionary's N14,csum
        batch=values.get(AI_BATCH),
        expiry=expiry_date(values[AI_EXPIRY], today) if AI_EXPIRY in values else None,
        serial=values.get(AI_SERIAL),
        raw=raw,
        others=others,
    )


def expiry_date(yymmdd: str, today: date) -> date:
    """The date of a GS1 YYMMDD field; day 00 means the last day of the month."""
    if len(yymmdd) != 6 or not _is_digits(yymmdd):
        raise GS1Error(_("The value after (%(ai)s) is not a real date.") % {"ai": AI_EXPIRY})
    year = gs1_full_year(int(yymmdd[:2]), today)
    month, day = int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        raise GS1Error(_("The value after (%(ai)s) is not a real date.") % {"ai": AI_EXPIRY})
    if day == 0:
        day = calendar.monthrange(year, month)[1]
    try:
        return date(year, month, day)
    except ValueError:
        raise GS1Error(_("The value after (%(ai)s) is not a real date.") % {"ai": AI_EXPIRY}) from None
