"""GS1 identifiers on consumer goods: the GTIN and the trace code (GTIN + expiry + batch + serial).

A buyer or seller types, pastes or scans what is printed on the product. We accept the three ways GS1
writes the same data: the human-readable element string `(01)…(10)…`, a GS1 Digital Link URL, and the
raw string a barcode scanner emits, with the ASCII GS character standing in for FNC1. Everything here
is pure: no I/O, and "today" is a parameter so expiry dates parse the same way in tests and in prod.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urlsplit

from accord.i18n import gettext as _

GTIN_LENGTHS = (8, 12, 13, 14)
GS = "\x1d"  # what scanners send for FNC1 between variable-length fields

AI_GTIN = "01"
AI_EXPIRY = "17"
AI_BATCH = "10"
AI_SERIAL = "21"
SUPPORTED_AIS = (AI_GTIN, AI_EXPIRY, AI_BATCH, AI_SERIAL)  # also the canonical element-string order

_FIXED_LENGTH = {AI_GTIN: 14, AI_EXPIRY: 6}
_MAX_VARIABLE_LENGTH = 20
# GS1 AI encodable character set 82: the only characters allowed in a batch or serial number.
_CS82 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"%&'()*+,-./:;<=>?_")
# The length of an AI follows from its first two digits (GS1 General Specifications, table of AI
# prefixes); we only need it to name an unsupported AI correctly in the scanner form.
_THREE_DIGIT_AI_PREFIXES = frozenset({"23", "24", "25", "40", "41", "42", "71"})
_FOUR_DIGIT_AI_PREFIXES = frozenset({"31", "32", "33", "34", "35", "36", "39", "43", "70", "72", "80", "81", "82"})
_BRACKETED_AI = re.compile(r"\(([0-9]{2,4})\)")
# Scanners configured to do so prefix a symbology identifier such as ]C1 (GS1-128) or ]d2 (DataMatrix).
_SYMBOLOGY_IDENTIFIER = re.compile(r"^\][A-Za-z][0-9]")


class GS1Error(ValueError):
    """A GTIN or trace code that cannot be accepted; the message is translated and shown to the user."""


@dataclass(frozen=True)
class TraceCode:
    gtin: str | None
    batch: str | None
    expiry: date | None
    serial: str | None
    raw: str

    def element_string(self) -> str:
        """The canonical human-readable form, AIs in the order (01), (17), (10), (21)."""
        parts = [
            (AI_GTIN, self.gtin),
            (AI_EXPIRY, self.expiry.strftime("%y%m%d") if self.expiry else None),
            (AI_BATCH, self.batch),
            (AI_SERIAL, self.serial),
        ]
        return "".join(f"({ai}){value}" for ai, value in parts if value is not None)


# --- GTIN -----------------------------------------------------------------------------------------


def gs1_check_digit(body: str) -> str:
    """The mod-10 check digit for the digits before it: weights 3, 1, 3, … from the right."""
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


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
    return " ".join(_shown(char) for char in sorted(set(text)) if char not in "0123456789")


def _shown(char: str) -> str:
    # Spaces and control characters would be invisible in a message, so name them by code point.
    return char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"


# --- Trace codes ----------------------------------------------------------------------------------


def parse_trace_code(raw: str, today: date | None = None) -> TraceCode:
    """Read a trace code in any of the three GS1 notations; `today` anchors the expiry century."""
    text = raw.strip()
    if not text:
        raise GS1Error(_("Enter a trace code: the (01)… element string, a GS1 Digital Link or the scanned barcode."))
    if text.startswith("("):
        fields = _bracketed_fields(text)
    elif urlsplit(text).scheme.lower() in ("http", "https"):
        fields = _digital_link_fields(text)
    else:
        fields = _scanned_fields(_SYMBOLOGY_IDENTIFIER.sub("", text))
    return _trace_code(fields, text, today or date.today())


def _trace_code(fields: list[tuple[str, str]], raw: str, today: date) -> TraceCode:
    values: dict[str, str] = {}
    for ai, value in fields:
        if ai not in SUPPORTED_AIS:
            raise _unknown_ai(ai)
        if ai in values:
            raise GS1Error(_("Application identifier (%(ai)s) appears more than once.") % {"ai": ai})
        values[ai] = value
    if AI_GTIN not in values:
        raise GS1Error(_("The trace code has no GTIN: application identifier (01) is required."))
    return TraceCode(
        gtin=_element_gtin(values[AI_GTIN]),
        batch=_batch(values[AI_BATCH]) if AI_BATCH in values else None,
        expiry=expiry_date(values[AI_EXPIRY], today) if AI_EXPIRY in values else None,
        serial=_serial(values[AI_SERIAL]) if AI_SERIAL in values else None,
        raw=raw,
    )


def _unknown_ai(ai: str) -> GS1Error:
    return GS1Error(
        _("Unknown application identifier (%(ai)s): only (01), (17), (10) and (21) are supported.") % {"ai": ai}
    )


def _element_gtin(value: str) -> str:
    # In element strings and barcodes AI 01 is always 14 digits; Digital Links pad before we get here.
    if len(value) != 14 or not _is_digits(value):
        raise GS1Error(_("The GTIN after (01) must be exactly 14 digits."))
    return _gtin14(value)


def _batch(value: str) -> str:
    if not value:
        raise GS1Error(_("The batch/lot number after (10) is empty."))
    if len(value) > _MAX_VARIABLE_LENGTH:
        raise GS1Error(_("The batch/lot number after (10) is longer than 20 characters."))
    if bad := _characters_outside_cs82(value):
        raise GS1Error(
            _("The batch/lot number after (10) contains characters GS1 does not allow: %(chars)s") % {"chars": bad}
        )
    return value


def _serial(value: str) -> str:
    if not value:
        raise GS1Error(_("The serial number after (21) is empty."))
    if len(value) > _MAX_VARIABLE_LENGTH:
        raise GS1Error(_("The serial number after (21) is longer than 20 characters."))
    if bad := _characters_outside_cs82(value):
        raise GS1Error(
            _("The serial number after (21) contains characters GS1 does not allow: %(chars)s") % {"chars": bad}
        )
    return value


def _characters_outside_cs82(text: str) -> str:
    return " ".join(_shown(char) for char in sorted(set(text)) if char not in _CS82)


def expiry_date(yymmdd: str, today: date) -> date:
    """The date of a GS1 YYMMDD field; day 00 means the last day of the month."""
    if len(yymmdd) != 6 or not _is_digits(yymmdd):
        raise GS1Error(_("The expiry date after (17) must be 6 digits: YYMMDD."))
    year = gs1_full_year(int(yymmdd[:2]), today)
    month, day = int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        raise GS1Error(_("The expiry date after (17) is not a real date."))
    if day == 0:
        day = calendar.monthrange(year, month)[1]
    try:
        return date(year, month, day)
    except ValueError:
        raise GS1Error(_("The expiry date after (17) is not a real date.")) from None


def gs1_full_year(yy: int, today: date) -> int:
    """GS1 General Specifications §7.12: a two-digit year 51-99 years ahead of today's is in the
    previous century, one 50-99 years behind it is in the next century, anything else in this one."""
    century = today.year // 100 * 100
    ahead = yy - today.year % 100
    if ahead >= 51:
        return century - 100 + yy
    if ahead <= -50:
        return century + 100 + yy
    return century + yy


# --- Notation 1: (01)09521234543213(10)ABC123 ---------------------------------------------------


def _bracketed_fields(text: str) -> list[tuple[str, str]]:
    # re.split with a capturing group yields [before, ai, value, ai, value, …]. A "(dd)" inside a
    # batch or serial cannot be told from the next AI in this notation; scanners and links have no
    # such ambiguity.
    pieces = _BRACKETED_AI.split(text)
    if pieces[0]:
        raise GS1Error(_("The element string must start with an application identifier in parentheses, such as (01)."))
    # People typing this form put spaces between elements; no GS1 value may hold one at either end.
    return [(ai, value.strip()) for ai, value in zip(pieces[1::2], pieces[2::2], strict=True)]


# --- Notation 2: https://id.gs1.org/01/09521234543213/10/ABC123?17=261231 -------------------------


def _digital_link_fields(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url)
    # Split before percent-decoding so an encoded "/" (%2F) stays inside its value.
    segments = [unquote(segment) for segment in parts.path.rstrip("/").split("/")]
    if AI_GTIN not in segments:
        raise GS1Error(_("A GS1 Digital Link must contain /01/ followed by the GTIN."))
    # Anything before /01/ is the brand's own path prefix, which the standard allows and we ignore.
    start = segments.index(AI_GTIN)
    if len(segments[start:]) % 2:
        raise GS1Error(_("The Digital Link path ends at /%(ai)s/ without a value after it.") % {"ai": segments[-1]})
    path_fields = list(zip(segments[start::2], segments[start + 1 :: 2], strict=True))
    # Digital Links may carry a GTIN-8, -12 or -13 unpadded; element strings always carry 14 digits.
    gtin = _gtin14(path_fields[0][1])
    qualifiers = path_fields[1:]
    _check_path_qualifiers([ai for ai, _value in qualifiers])
    return [(AI_GTIN, gtin), *qualifiers, *_query_fields(parts.query)]


def _check_path_qualifiers(ais: list[str]) -> None:
    for ai in ais:
        if ai == AI_EXPIRY:
            raise GS1Error(_("In a GS1 Digital Link the expiry date (17) goes in the query string: ?17=YYMMDD."))
        # A second (01) is left for the duplicate check, whose message says what is wrong.
        if ai not in (AI_GTIN, AI_BATCH, AI_SERIAL):
            raise _unknown_ai(ai)
    if AI_BATCH in ais and AI_SERIAL in ais and ais.index(AI_SERIAL) < ais.index(AI_BATCH):
        raise GS1Error(_("In a GS1 Digital Link path the batch/lot (10) must come before the serial number (21)."))


def _query_fields(query: str) -> list[tuple[str, str]]:
    # Decoded with unquote rather than as a form: "+" is a legal batch character, not a space.
    fields = []
    for pair in filter(None, query.split("&")):
        key, _sep, value = pair.partition("=")
        key = unquote(key)
        # Numeric keys are AIs and must be ones we understand; other parameters (tracking, linkType…)
        # are the resolver's business, not part of the trace code.
        if len(key) in (2, 3, 4) and _is_digits(key):
            fields.append((key, unquote(value)))
    return fields


# --- Notation 3: what a scanner types: 0109521234543213 10ABC123 <GS> 21XYZ ----------------------


def _scanned_fields(text: str) -> list[tuple[str, str]]:
    if not _is_digits(text[:2]):
        raise GS1Error(
            _(
                "This is not a GS1 trace code: use the (01)… element string, a GS1 Digital Link"
                " or the barcode as the scanner reads it."
            )
        )
    fields = []
    position = 0
    while position < len(text):
        ai = text[position : position + 2]
        if ai not in SUPPORTED_AIS:
            raise _unknown_ai(text[position : position + _scanned_ai_length(ai)])
        position += 2
        if ai in _FIXED_LENGTH:
            end = position + _FIXED_LENGTH[ai]
        else:
            end = text.find(GS, position)
            end = len(text) if end == -1 else end
        fields.append((ai, text[position:end]))
        # Some encoders also put a GS after fixed-length fields; it carries no meaning there.
        position = end + 1 if text.startswith(GS, end) else end
    return fields


def _scanned_ai_length(prefix: str) -> int:
    if prefix in _FOUR_DIGIT_AI_PREFIXES:
        return 4
    if prefix in _THREE_DIGIT_AI_PREFIXES:
        return 3
    return 2
