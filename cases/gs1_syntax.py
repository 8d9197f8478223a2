"""GS1 application identifier (AI) syntax, driven by GS1's own Barcode Syntax Dictionary.

`gs1_data/gs1-syntax-dictionary.txt` (vendored from github.com/gs1/gs1-syntax-dictionary with its
Apache-2.0 LICENSE) lists every AI: its components (numeric "N", character set 82 "X", set 39 "Y",
base64url "Z", fixed or variable length, optional or not) and the checks ("linters") each component
passes, whether it needs an FNC1 separator, the AIs it requires or excludes, and its role in a GS1 Digital
Link. The code lists some linters look values up in (ISO 3166 countries, ISO 4217 currencies, package and
media types) are decoded from the same project into `gs1_data/gs1-code-lists.json`.

Four notations come in, each parsed into the same list of (AI, value) pairs:

- the human-readable element string `(01)09521234543213(10)ABC`, with `\\(` for a bracket in a value;
- the data after an initial FNC1, variable-length values ended by GS (ASCII 29) as scanners send it;
- a GS1 Digital Link URI, `https://brand.example/01/09521234543213/10/ABC?17=261231`;
- scanner output led by a symbology identifier (`]C1`, `]e0`, `]d2`, `]Q3`, `]J1` for GS1 data, `]E0`
  / `]E4` for plain EAN-13/UPC-A and EAN-8, `]d1`, `]Q1`, `]J0` for a Digital Link in a 2D code).

Nothing is trimmed or guessed: a space is a character GS1 does not allow, and the error names it.
`check_associations()` then applies the dictionary's rules between AIs (repeats, `ex=`, `req=`).
The parser is ours; GS1's syntax engine (github.com/gs1/gs1-syntax-engine) is the reference its unit
tests, vendored under tests/cases/gs1_conformance/, hold us to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from babel.lists import format_list

from accord.i18n import N_, babel_locale
from accord.i18n import gettext as _

DATA_DIR = Path(__file__).parent / "gs1_data"
GS = "\x1d"  # what scanners send for FNC1 between variable-length fields
Element = tuple[str, str]


class GS1Error(ValueError):
    """Data that is not valid GS1 syntax; the message is translated and shown to the user."""


# --- the dictionary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    cset: str  # N, X, Y or Z
    min: int
    max: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class AIEntry:
    ai: str
    fixed_length: bool  # "*": a predefined length, so no FNC1 separator after it
    dl_attribute: bool  # "?": may be a GS1 Digital Link data attribute (query parameter)
    components: tuple[Component, ...]
    requires: tuple[tuple[tuple[str, ...], ...], ...]  # each req=: alternatives, each a group of patterns
    excludes: tuple[str, ...]  # ex= patterns
    dl_qualifiers: tuple[tuple[str, ...], ...] | None  # dlpkey: a primary key, with these qualifier sequences
    title: str

    @property
    def length(self) -> int:
        return sum(component.max for component in self.components)


_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\.\.)?(\d+)(\])?((?:,\w+)*)$")


def _component(token: str) -> Component:
    match = _COMPONENT.match(token)
    if not match:
        raise ValueError(f"unreadable component {token!r}")
    optional, cset, variable, size, _close, linters = match.groups()
    length = int(size)
    return Component(cset, 1 if variable else length, length, bool(optional), tuple(filter(None, linters.split(","))))


def _entries(line: str) -> list[AIEntry]:
    spec, _hash, title = line.partition("#")
    tokens = spec.split()
    ais, tokens = tokens[0], tokens[1:]
    flags = tokens.pop(0) if tokens and re.fullmatch(r"[*?!\"$%&'()+,\-./:;<=>@\[\\\]^_`{|}~]+", tokens[0]) else ""
    components, attributes = [], []
    for token in tokens:
        (attributes if attributes or "=" in token or token == "dlpkey" else components).append(token)
    requires, excludes, qualifiers = [], [], None
    for attribute in attributes:
        key, _eq, value = attribute.partition("=")
        if key == "req":
            requires.append(tuple(tuple(group.split("+")) for group in value.split(",")))
        elif key == "ex":
            excludes += value.split(",")
        elif key == "dlpkey":
            qualifiers = tuple(tuple(filter(None, seq.split(","))) for seq in value.split("|")) if value else ((),)
    first, _dash, last = ais.partition("-")
    codes = [first] if not last else [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]
    return [
        AIEntry(
            ai=code,
            fixed_length="*" in flags,
            dl_attribute="?" in flags,
            components=tuple(_component(token) for token in components),
            requires=tuple(requires),
            excludes=tuple(excludes),
            dl_qualifiers=qualifiers,
            title=title.strip(),
        )
        for code in codes
    ]


@cache
def dictionary() -> dict[str, AIEntry]:
    """Every AI of the vendored GS1 Barcode Syntax Dictionary."""
    found: dict[str, AIEntry] = {}
    text = (DATA_DIR / "gs1-syntax-dictionary.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            found.update((entry.ai, entry) for entry in _entries(line))
    return found


@cache
def _code_lists() -> dict[str, frozenset[str]]:
    lists = json.loads((DATA_DIR / "gs1-code-lists.json").read_text(encoding="utf-8"))
    return {name: frozenset(codes) for name, codes in lists.items() if not name.startswith("_")}


def entry_of(ai: str) -> AIEntry:
    entry = dictionary().get(ai)
    if entry is None:
        raise GS1Error(_("GS1 has no application identifier (%(ai)s).") % {"ai": ai})
    return entry


# --- values: character sets, lengths, linters -----------------------------------------------------

CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
CSET39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CSET64 = frozenset("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz=")
_DIGITS = frozenset("0123456789")
_CSETS = {"N": _DIGITS, "X": CSET82, "Y": CSET39, "Z": CSET64}


def shown(char: str) -> str:
    """A character as an error message can show it: spaces and control characters by code point."""
    return char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"


def _outside(text: str, allowed: frozenset[str]) -> str:
    return " ".join(shown(char) for char in sorted(set(text)) if char not in allowed)


def check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for the digits before it: weights 3, 1, 3, … from the right."""
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


_PRIMES = (
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107,
    109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229,
    233, 239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353, 359,
    367, 373, 379, 383, 389, 397, 401, 409, 419, 421, 431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491,
    499, 503, 509,
)  # fmt: skip
_CSET82_ORDER = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _check_pair(value: str) -> bool:
    """GS1 General Specifications §7.9.5: the two check characters of a GMN or MUDI."""
    body = value[:-2]
    total = sum(_CSET82_ORDER.index(char) * _PRIMES[len(body) - 1 - position] for position, char in enumerate(body))
    total %= 1021
    return len(value) >= 2 and value[-2:] == _CSET32[total >> 5] + _CSET32[total & 31]


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


def _date(value: str, day_zero: str | None) -> bool:
    """YYMMDD (century by the sliding window around this year) or YYYYMMDD; DD 00 allowed when
    `day_zero` is "d0" (it then means the month's last day)."""
    if not value.isdigit():
        return False
    if len(value) == 6:
        year = gs1_full_year(int(value[:2]), date.today())
        month, day = int(value[2:4]), int(value[4:])
    else:
        year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    if not 1 <= month <= 12:
        return False
    if day == 0:
        return day_zero == "d0"
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _iban(value: str) -> bool:
    if not 10 < len(value) <= 34 or value[:2] not in _code_lists()["iso3166alpha2"]:
        return False
    if not all(char.isascii() and char.isalnum() and not char.islower() for char in value):
        return False
    return int("".join(str(int(char, 36)) for char in value[4:] + value[:4])) % 97 == 1


def _position_in_sequence(value: str) -> bool:
    position, slash, end = value.partition("/")
    if not (position.isdigit() and slash and end.isdigit()) or position[0] == "0" or end[0] == "0":
        return False
    return int(position) <= int(end)


def _piece_of_total(value: str) -> bool:
    half = len(value) // 2
    piece, total = value[:half], value[half:]
    return value.isdigit() and len(value) % 2 == 0 and int(piece) > 0 and int(total) > 0 and piece <= total


def _percent_encoding(value: str) -> bool:
    return re.fullmatch(r"(?:[^%]|%[0-9A-Fa-f]{2})*", value) is not None


def _base64url_padding(value: str) -> bool:
    pads = len(value) - len(value.rstrip("="))
    return "=" not in value.rstrip("=") and pads <= 2 and (pads == 0 or len(value) % 3 == 0)


def _in(name: str) -> Callable[[str], bool]:
    return lambda value: value in _code_lists()[name]


# Each linter of the dictionary: whether a component's value passes it. Coupon linters (8110, 8112) are
# not implemented: see the README (GS1 conformance).
LINTERS: dict[str, Callable[[str], bool]] = {
    "csum": lambda value: value.isdigit() and check_digit(value[:-1]) == value[-1],
    "csumalpha": _check_pair,
    "gcppos1": lambda value: len(value) >= 4 and value[:4].isdigit(),
    "gcppos2": lambda value: len(value) >= 5 and value[1:5].isdigit(),
    "importeridx": lambda value: re.fullmatch(r"[-0-9A-Z_a-z]", value) is not None,
    "nonzero": lambda value: value.strip("0") != "",
    "nozeroprefix": lambda value: not value.startswith("0"),
    "zero": lambda value: value == "0",
    "yesno": lambda value: value in ("0", "1"),
    "winding": lambda value: value in ("0", "1", "9"),
    "hyphen": lambda value: value == "-",
    "iso5218": lambda value: value in ("0", "1", "2", "9"),
    "pieceoftotal": _piece_of_total,
    "posinseqslash": _position_in_sequence,
    "yymmdd": lambda value: _date(value, None),
    "yymmd0": lambda value: _date(value, "d0"),
    "yyyymmdd": lambda value: _date(value, None),
    "yyyymmd0": lambda value: _date(value, "d0"),
    "hh": lambda value: value.isdigit() and int(value) <= 23,
    "mi": lambda value: value.isdigit() and int(value) <= 59,
    "ss": lambda value: value.isdigit() and int(value) <= 59,
    "hhmi": lambda value: value.isdigit() and int(value[:2]) <= 23 and int(value[2:]) <= 59,
    "latitude": lambda value: value.isdigit() and int(value) <= 1800000000,
    "longitude": lambda value: value.isdigit() and int(value) <= 3600000000,
    "pcenc": _percent_encoding,
    "iban": _iban,
    "iso3166": _in("iso3166"),
    "iso3166999": lambda value: value == "999" or value in _code_lists()["iso3166"],
    "iso3166alpha2": _in("iso3166alpha2"),
    "iso4217": _in("iso4217"),
    "mediatype": _in("mediatype"),
    "packagetype": _in("packagetype"),
    "hasnondigit": lambda value: not value.isdigit(),
    "cset64": _base64url_padding,
}
_LINTER_MESSAGES = {
    "csum": N_("The check digit of the value after (%(ai)s) does not match."),
    "csumalpha": N_("The check characters of the value after (%(ai)s) do not match."),
    "gcppos1": N_("The value after (%(ai)s) does not start with a GS1 Company Prefix."),
    "gcppos2": N_("The value after (%(ai)s) does not start with a GS1 Company Prefix."),
    "yymmdd": N_("The value after (%(ai)s) is not a real date."),
    "yymmd0": N_("The value after (%(ai)s) is not a real date."),
    "yyyymmdd": N_("The value after (%(ai)s) is not a real date."),
    "yyyymmd0": N_("The value after (%(ai)s) is not a real date."),
    "hh": N_("The value after (%(ai)s) is not a real time of day."),
    "mi": N_("The value after (%(ai)s) is not a real time of day."),
    "ss": N_("The value after (%(ai)s) is not a real time of day."),
    "hhmi": N_("The value after (%(ai)s) is not a real time of day."),
    "iso3166": N_("The value after (%(ai)s) is not an ISO 3166 country code."),
    "iso3166999": N_("The value after (%(ai)s) is not an ISO 3166 country code."),
    "iso3166alpha2": N_("The value after (%(ai)s) is not an ISO 3166 country code."),
    "iso4217": N_("The value after (%(ai)s) is not an ISO 4217 currency code."),
    "iban": N_("The value after (%(ai)s) is not a valid IBAN."),
    "latitude": N_("The value after (%(ai)s) is not a valid latitude and longitude."),
    "longitude": N_("The value after (%(ai)s) is not a valid latitude and longitude."),
    "pcenc": N_("The value after (%(ai)s) has a “%%” that does not start a percent-encoded character."),
}
_OTHER_LINTER = N_("The value after (%(ai)s) does not pass GS1's check “%(check)s”.")


def _length_words(component_min: int, component_max: int) -> str:
    return str(component_max) if component_min == component_max else f"{component_min}–{component_max}"


def check_value(entry: AIEntry, value: str) -> None:
    """`value` against its AI's components: length, character set, then each component's linters."""
    ai = entry.ai
    if not value:
        raise GS1Error(_("The value after (%(ai)s) is empty.") % {"ai": ai})
    position = 0
    for component in entry.components:
        rest = len(value) - position
        if rest == 0 and component.optional:
            break
        size = component.max if component.min == component.max else min(rest, component.max)
        if rest < component.min or size < component.min:
            raise _wrong_length(entry, value)
        part = value[position : position + size]
        if bad := _outside(part, _CSETS[component.cset]):
            if component.cset == "N":
                message = _("The value after (%(ai)s) is made of digits only; remove these characters: %(chars)s")
            else:
                message = _("The value after (%(ai)s) contains characters GS1 does not allow: %(chars)s")
            raise GS1Error(message % {"ai": ai, "chars": bad})
        for linter in component.linters + (("cset64",) if component.cset == "Z" else ()):
            check = LINTERS.get(linter)
            if check is not None and not check(part):
                raise GS1Error(_(_LINTER_MESSAGES.get(linter, _OTHER_LINTER)) % {"ai": ai, "check": linter})
        position += size
    if position < len(value):
        raise _wrong_length(entry, value)


def _wrong_length(entry: AIEntry, value: str) -> GS1Error:
    lengths = [component for component in entry.components if not component.optional]
    shortest = sum(component.min for component in lengths)
    words = _length_words(shortest, entry.length)
    return GS1Error(
        _("The value after (%(ai)s) must have %(length)s characters, not %(n)d.")
        % {"ai": entry.ai, "length": words, "n": len(value)}
    )


# --- notation 1: (01)09521234543213(10)ABC123 ----------------------------------------------------


def parse_bracketed(text: str) -> list[Element]:
    """The human-readable element string; a "(" inside a value is written "\\("."""
    if not text.startswith("("):
        raise GS1Error(
            _("The element string must start with an application identifier in parentheses, such as (01).")
        )
    elements: list[Element] = []
    position = 0
    while position < len(text):
        close = text.find(")", position)
        if close == -1:
            raise GS1Error(_("An application identifier in the element string has no closing parenthesis."))
        ai = text[position + 1 : close]
        if not (2 <= len(ai) <= 4 and ai.isascii() and ai.isdigit()):
            raise GS1Error(_("(%(ai)s) is not an application identifier: those are 2 to 4 digits.") % {"ai": ai})
        value, position = _bracketed_value(text, close + 1)
        entry = entry_of(ai)
        check_value(entry, value)
        elements.append((ai, value))
    return elements


def _bracketed_value(text: str, position: int) -> tuple[str, int]:
    value = []
    while position < len(text) and text[position] != "(":
        if text.startswith("\\(", position):
            value.append("(")
            position += 2
        else:
            value.append(text[position])
            position += 1
    return "".join(value), position


# --- notation 2: the data after FNC1, as a scanner sends it ---------------------------------------


def _ai_at(text: str, position: int) -> AIEntry:
    for size in (2, 3, 4):
        code = text[position : position + size]
        if code.isascii() and code.isdigit() and code in dictionary():
            return dictionary()[code]
    digits = "".join(char for char in text[position : position + 4] if char.isdigit())
    raise GS1Error(_("GS1 has no application identifier (%(ai)s).") % {"ai": digits or text[position : position + 2]})


def parse_fnc1_data(text: str) -> list[Element]:
    """AI data as barcodes carry it after the initial FNC1: AIs of a predefined length run straight into
    the next AI; the others end with a GS (FNC1) or the end of the data."""
    elements: list[Element] = []
    position = 0
    while position < len(text):
        if text[position] == GS:  # a separator where none was needed is tolerated
            position += 1
            continue
        entry = _ai_at(text, position)
        position += len(entry.ai)
        if entry.fixed_length:
            end = position + entry.length
            if GS in text[position:end] or end > len(text):
                separator = text.find(GS, position)
                raise _wrong_length(entry, text[position : separator if separator != -1 else len(text)])
        else:
            end = text.find(GS, position)
            end = len(text) if end == -1 else end
        value = text[position:end]
        check_value(entry, value)
        elements.append((entry.ai, value))
        position = end
    if not elements:
        raise GS1Error(_("The barcode holds no GS1 data."))
    return elements


# --- notation 3: GS1 Digital Link URIs ------------------------------------------------------------

URI_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
_BAD_HOST_CHARACTERS = frozenset("_~?#@!$&'()*+,;=%")
_SCHEMES = ("https://", "HTTPS://", "http://", "HTTP://")


def is_digital_link(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _unescape(text: str, query: bool) -> str:
    """Percent-decoding as GS1 Digital Link does it: "+" is a space in the query string only, and a "%"
    not followed by two hex digits stays as it is."""
    decoded = bytearray()
    position = 0
    while position < len(text):
        chunk = text[position : position + 3]
        if re.fullmatch(r"%[0-9A-Fa-f]{2}", chunk):
            decoded.append(int(chunk[1:], 16))
            position += 3
            continue
        decoded += b" " if query and text[position] == "+" else text[position].encode()
        position += 1
    return decoded.decode("utf-8", errors="replace")


def _valid_path(sequence: list[str]) -> bool:
    key = dictionary().get(sequence[0])
    if key is None or key.dl_qualifiers is None:
        return False
    rest = sequence[1:]
    return any(_ordered_subset(rest, qualifiers) for qualifiers in key.dl_qualifiers)


def _ordered_subset(items: list[str], allowed: tuple[str, ...]) -> bool:
    remaining = iter(allowed)
    return all(any(item == candidate for candidate in remaining) for item in items)


def parse_digital_link(uri: str, *, pad_short_gtin: bool = True) -> list[Element]:
    """The AIs of a GS1 Digital Link: its primary key and qualifiers from the path (the rightmost key: a
    path prefix such as /products/2024/01/ is the brand's own), data attributes from the query string.

    `pad_short_gtin`: accept a GTIN-8, -12 or -13 after /01/ and pad it to 14 digits, as resolvers do.
    """
    if bad := _outside(uri, URI_CHARACTERS):
        raise GS1Error(_("The Digital Link contains characters a web address cannot hold: %(chars)s") % {"chars": bad})
    scheme = next((scheme for scheme in _SCHEMES if uri.startswith(scheme)), None)
    if scheme is None:
        raise GS1Error(_("A GS1 Digital Link starts with https:// or http:// (in lower or upper case)."))
    rest = uri[len(scheme) :]
    host, slash, path = rest.partition("/")
    if not host or not slash or set(host) & _BAD_HOST_CHARACTERS:
        raise GS1Error(_("The Digital Link has no valid host name before its path."))
    path, _hash, _fragment = ("/" + path).partition("#")
    path, _question, query = path.partition("?")
    segments = path.split("/")[1:]
    start = _key_position(segments)
    path_elements = [
        _link_element(ai, value, False, pad_short_gtin)
        for ai, value in zip(segments[start::2], segments[start + 1 :: 2], strict=True)
    ]
    query_elements = _query_elements(query, pad_short_gtin)
    sequence = [ai for ai, _value in path_elements]
    if not _valid_path(sequence):
        raise _bad_path(sequence)
    _check_query_attributes(sequence, [ai for ai, _value in query_elements])
    elements = path_elements + query_elements
    for ai, value in elements:
        check_value(dictionary()[ai], value)
    return elements


def _key_position(segments: list[str]) -> int:
    """Where the /key/value pairs start: walking back from the end over known AIs to a primary key."""
    position = len(segments)
    while position >= 2:
        entry = dictionary().get(segments[position - 2])
        if entry is None or not segments[position - 2].isdigit():
            break
        if not segments[position - 1]:
            raise GS1Error(
                _("The Digital Link path ends at /%(ai)s/ without a value after it.") % {"ai": entry.ai}
            )
        if entry.dl_qualifiers is not None:
            return position - 2
        position -= 2
    raise GS1Error(_("The Digital Link path holds no GS1 key such as /01/ followed by a GTIN."))


def _link_element(ai: str, raw: str, query: bool, pad_short_gtin: bool) -> Element:
    value = _unescape(raw, query)
    if ai == "01" and pad_short_gtin and len(value) in (8, 12, 13):
        value = value.zfill(14)
    return ai, value


def _query_elements(query: str, pad_short_gtin: bool) -> list[Element]:
    elements = []
    for parameter in filter(None, query.split("&")):
        key, equals, value = parameter.partition("=")
        # Parameters that are not AIs (linkType, utm_source…) are the resolver's business.
        if not equals or not (key.isascii() and key.isdigit()):
            continue
        entry = entry_of(key)
        if not value:
            raise GS1Error(_("The value after (%(ai)s) is empty.") % {"ai": entry.ai})
        elements.append(_link_element(key, value, True, pad_short_gtin))
    return elements


def _bad_path(sequence: list[str]) -> GS1Error:
    for end in range(2, len(sequence) + 1):
        if not _valid_path(sequence[:end]):
            ai, before = sequence[end - 1], "".join(f"/{other}/…" for other in sequence[: end - 1])
            if dictionary()[ai].dl_attribute:
                message = _(
                    "In a GS1 Digital Link, (%(ai)s) cannot follow %(path)s in the path: put it in the query"
                    " string, ?%(ai)s=…"
                )
            else:
                message = _("In a GS1 Digital Link, (%(ai)s) cannot follow %(path)s in the path.")
            return GS1Error(message % {"ai": ai, "path": before})
    raise AssertionError("a valid path")  # pragma: no cover - _valid_path() refused it


def _check_query_attributes(path: list[str], query: list[str]) -> None:
    seen = set(path)
    for ai in query:
        if ai in seen:
            raise GS1Error(_("Application identifier (%(ai)s) appears more than once.") % {"ai": ai})
        seen.add(ai)
    for ai in query:
        if not dictionary()[ai].dl_attribute:
            raise GS1Error(_("In a GS1 Digital Link, (%(ai)s) is never a query attribute.") % {"ai": ai})
        if any(_valid_path([*path[:at], ai, *path[at:]]) for at in range(1, len(path) + 1)):
            raise GS1Error(
                _("In a GS1 Digital Link, (%(ai)s) belongs in the path, /%(ai)s/…, not in the query string.")
                % {"ai": ai}
            )


# --- notation 4: scanner output with a symbology identifier ---------------------------------------

GS1_DATA_SYMBOLOGIES = frozenset({"]C1", "]e0", "]d2", "]Q3", "]J1"})  # GS1-128, DataBar, DataMatrix, QR, DotCode
PLAIN_DATA_SYMBOLOGIES = frozenset({"]d1", "]Q1", "]J0"})  # 2D codes that may carry a Digital Link
EAN_SYMBOLOGIES = {"]E0": 13, "]E4": 8}  # EAN-13 / UPC-A, EAN-8: a GTIN alone


def parse_scan(text: str) -> list[Element]:
    """What a scanner configured to send symbology identifiers types."""
    symbology, data = text[:3], text[3:]
    if symbology in GS1_DATA_SYMBOLOGIES:
        return parse_fnc1_data(data)
    if symbology in EAN_SYMBOLOGIES:
        digits, bar, composite = data.partition("|")
        elements = [("01", _ean(digits, EAN_SYMBOLOGIES[symbology]))]
        if bar:
            if not composite.startswith("]e0"):
                raise GS1Error(_("The barcode holds no GS1 data."))
            elements += parse_fnc1_data(composite[3:])
        return elements
    if symbology in PLAIN_DATA_SYMBOLOGIES and data.startswith(_SCHEMES):
        return parse_digital_link(data)
    if symbology in PLAIN_DATA_SYMBOLOGIES:
        raise GS1Error(_("The barcode holds no GS1 data."))
    raise GS1Error(_("The scanner's symbology identifier %(id)s is not one GS1 data comes in.") % {"id": symbology})


def _ean(digits: str, size: int) -> str:
    if len(digits) != size or not (digits.isascii() and digits.isdigit()):
        raise GS1Error(_("An EAN/UPC barcode of this kind holds %(n)d digits.") % {"n": size})
    if check_digit(digits[:-1]) != digits[-1]:
        raise GS1Error(_("The check digit does not match: please check the barcode number."))
    return digits.zfill(14)


# --- rules between AIs ----------------------------------------------------------------------------


def _matches(pattern: str, ai: str) -> bool:
    return len(pattern) == len(ai) and all(p in ("n", a) for p, a in zip(pattern, ai, strict=True))


def check_repeats(elements: Iterable[Element]) -> None:
    """An AI may appear twice only with the same value."""
    seen: dict[str, str] = {}
    for ai, value in elements:
        if seen.setdefault(ai, value) != value:
            raise GS1Error(_("Application identifier (%(ai)s) appears twice with different values.") % {"ai": ai})


def check_exclusions(elements: Iterable[Element]) -> None:
    ais = {ai for ai, _value in elements}
    for ai in sorted(ais):
        for pattern in dictionary()[ai].excludes:
            if clash := next((other for other in sorted(ais) if other != ai and _matches(pattern, other)), None):
                raise GS1Error(
                    _("Application identifiers (%(ai)s) and (%(other)s) cannot be used together.")
                    % {"ai": ai, "other": clash}
                )


def check_requisites(elements: Iterable[Element]) -> None:
    ais = {ai for ai, _value in elements}
    for ai in sorted(ais):
        for alternatives in dictionary()[ai].requires:
            if not any(all(any(_matches(p, other) for other in ais) for p in group) for group in alternatives):
                needed = format_list(
                    ["+".join(f"({p})" for p in group) for group in alternatives], style="or", locale=babel_locale()
                )
                raise GS1Error(
                    _("Application identifier (%(ai)s) needs %(needed)s as well.") % {"ai": ai, "needed": needed}
                )


SERIALISABLE_KEYS = ("253", "255", "8003")  # GDTI, GCN, GRAI: their optional last component is a serial


def check_signed_keys_are_serialised(elements: Iterable[Element]) -> None:
    """GS1 General Specifications §3.8.26: a digital signature (8030) signs a serialised key."""
    values = dict(elements)
    if "8030" not in values:
        return
    for ai in SERIALISABLE_KEYS:
        entry = dictionary()[ai]
        mandatory = sum(component.max for component in entry.components if not component.optional)
        if ai in values and len(values[ai]) <= mandatory:
            raise GS1Error(
                _("A digital signature (8030) needs the serial component of (%(ai)s) as well.") % {"ai": ai}
            )


def check_associations(elements: list[Element]) -> None:
    """The dictionary's rules between the AIs of one item: repeats, exclusions (ex=), requisites (req=),
    and a signed key's serial."""
    check_repeats(elements)
    check_exclusions(elements)
    check_requisites(elements)
    check_signed_keys_are_serialised(elements)
