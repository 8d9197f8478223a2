"""Translations and locale formatting.

Catalogs are read once at import from `locales/<lang>/LC_MESSAGES/messages.po`. The language of the
request in progress lives in a ContextVar set by the web layer, so one shared Jinja environment and
plain Python code (validators, services) translate without anything installed per request.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_currency_precision

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

# Our language codes (BCP 47, as stored on users) → catalog folder and Babel locale.
LANGUAGES: dict[str, str] = {"en": "English", "zh-Hans": "简体中文"}
DEFAULT_LANGUAGE = "en"
_CATALOG_FOLDER = {"en": "en", "zh-Hans": "zh_Hans"}
_BABEL_LOCALE = {"en": Locale.parse("en"), "zh-Hans": Locale.parse("zh_Hans_CN")}

_current_language: ContextVar[str] = ContextVar("accord_language", default=DEFAULT_LANGUAGE)
# The zone times are shown in for the request or mail in progress, as `viewer_zone` chose it for its reader.
_current_zone: ContextVar[tzinfo | None] = ContextVar("accord_zone", default=None)


def _load(language: str) -> _gettext.NullTranslations:
    po_path = LOCALES_DIR / _CATALOG_FOLDER[language] / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=_CATALOG_FOLDER[language])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


_TRANSLATIONS = {language: _load(language) for language in LANGUAGES}


def N_(message: str) -> str:  # noqa: N802 - the conventional name extractors look for
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def gettext(message: str) -> str:
    return _TRANSLATIONS[_current_language.get()].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _TRANSLATIONS[_current_language.get()].ngettext(singular, plural, n)


def current_language() -> str:
    return _current_language.get()


def use_language(language: str) -> Token[str]:
    return _current_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def reset_language(token: Token[str]) -> None:
    _current_language.reset(token)


@contextmanager
def speaking(language: str, zone: tzinfo | None = None) -> Iterator[None]:
    """Translate and format in `language`, times in `zone`, for the duration (e.g. a mail to someone else)."""
    token = use_language(language)
    zone_token = _current_zone.set(zone) if zone is not None else None
    try:
        yield
    finally:
        if zone_token is not None:
            _current_zone.reset(zone_token)
        reset_language(token)


def use_zone(zone: tzinfo) -> Token[tzinfo | None]:
    return _current_zone.set(zone)


def reset_zone(token: Token[tzinfo | None]) -> None:
    _current_zone.reset(token)


def shown_zone(default: tzinfo) -> tzinfo:
    """The zone times are shown in now: the reader's (set per request and per mail from `viewer_zone`), or
    `default` (ACCORD_TIMEZONE) where nobody in particular reads."""
    return _current_zone.get() or default


def normalize_language(tag: str | None) -> str | None:
    """Map a browser or user language tag onto one we serve (any Chinese → zh-Hans)."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-Hans"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best language we serve from an Accept-Language header, honouring q-values."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, tag))
    for _quality, _index, tag in sorted(ranked):
        if language := normalize_language(tag):
            return language
    return None


def choose_language(*candidates: str | None) -> str:
    """The first candidate we serve, in the order given (query, user setting, cookie, header)."""
    for candidate in candidates:
        if language := normalize_language(candidate):
            return language
    return DEFAULT_LANGUAGE


def babel_locale() -> Locale:
    return _BABEL_LOCALE[_current_language.get()]


def format_datetime(value: datetime | None, tz: ZoneInfo, style: str = "medium") -> str:
    if value is None:
        return ""
    return _formatted_datetime(value, tz, style, _current_language.get())


@lru_cache(maxsize=8192)
def _formatted_datetime(value: datetime, tz: ZoneInfo, style: str, language: str) -> str:
    # Babel takes ~60 µs a date and a case page shows dozens; the same ones come back on every reload.
    return _format_datetime(value.astimezone(tz), format=style, locale=_BABEL_LOCALE[language])


def format_moment(value: datetime, zone: tzinfo, style: str = "medium") -> str:
    """A moment with its zone named, as deadlines and windows are told: "Dec 9, 2026, 5:00:00 PM (China Time)".
    Pages and the messages that refuse an action too early use this one form, so they name the same date."""
    return gettext("%(time)s (%(zone)s)") % {
        "time": format_datetime(value, zone, style),  # type: ignore[arg-type]
        "zone": zone_name(zone),
    }


def viewer_zone(viewer: object, default: tzinfo) -> tzinfo:
    """The time zone a person sees times in: the one they chose on their profile (a `timezone` on the
    viewer, or in a user row), else the deployment's (ACCORD_TIMEZONE). The one place that decides."""
    chosen = viewer.get("timezone") if isinstance(viewer, Mapping) else getattr(viewer, "timezone", None)
    if isinstance(chosen, tzinfo):
        return chosen
    if isinstance(chosen, str) and chosen:
        return _known_zone(chosen) or default
    return default


@lru_cache(maxsize=64)
def _known_zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError; malformed names a ValueError
        return None


def zone_name(zone: tzinfo) -> str:
    """The zone as people name it, in the request's language: "China Time", "中国时间", "UTC"."""
    return _zone_name(zone, _current_language.get())


@lru_cache(maxsize=256)
def _zone_name(zone: tzinfo, language: str) -> str:
    if zone == UTC or str(zone) in ("UTC", "Etc/UTC"):
        return "UTC"  # Babel would say "Unknown Region (UTC) Time"
    return str(get_timezone_name(zone, width="long", locale=_BABEL_LOCALE[language]))


def format_date(value: date | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return _formatted_date(value, style, _current_language.get())


@lru_cache(maxsize=4096)
def _formatted_date(value: date, style: str, language: str) -> str:
    return _format_date(value, format=style, locale=_BABEL_LOCALE[language])  # as dearly as a time (below)


def format_money(minor_units: int | None, currency: str) -> str:
    """Integer minor units + ISO 4217 code → '¥199.00' / 'US$12.50' in the viewer's locale."""
    if minor_units is None:
        return ""
    return _formatted_money(minor_units, currency, _current_language.get())


@lru_cache(maxsize=4096)
def _formatted_money(minor_units: int, currency: str, language: str) -> str:
    # Babel takes about a millisecond an amount; pages show the same few amounts again and again.
    amount = Decimal(minor_units).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale=_BABEL_LOCALE[language])


# Display names of domain values (roles, states, categories), registered by each domain package.
_LABELS: dict[str, dict[str, str]] = {}


def register_labels(kind: str, labels: dict[str, str]) -> None:
    """Register untranslated (N_-marked) display names for the values of `kind`."""
    _LABELS.setdefault(kind, {}).update(labels)


def label(kind: str, value: str) -> str:
    """The display name of `value` in the request's language (the value itself if unregistered)."""
    message = _LABELS.get(kind, {}).get(value)
    return gettext(message) if message else value


def country_name(code: str | None) -> str:
    """A two-letter country code as the reader's language names it: "CN" → "China" / "中国"."""
    if not code:
        return ""
    return str(babel_locale().territories.get(code.upper(), code))


def names_for_reader(name: str | None, name_zh: str | None) -> tuple[str, str | None]:
    """An organisation's name as the reader's language has it first (its Chinese name in Chinese, the
    registered name otherwise), and the other one to show beside it when the two differ."""
    if not name_zh or name_zh == name:
        return name or "", None
    if _current_language.get() == "zh-Hans":
        return name_zh, name
    return name or "", name_zh


def format_file_size(size: int) -> str:
    """A file's size as people read it, in the request's language: "820 bytes", "12.3 KB", "4.1 MB"."""
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size) % {"num": format_decimal(size, locale=babel_locale())}
    kilobytes = size / 1024  # KB and MB read the same in every language we serve
    if kilobytes < 1024:
        return f"{format_decimal(round(kilobytes, 1), locale=babel_locale())} KB"
    return f"{format_decimal(round(kilobytes / 1024, 1), locale=babel_locale())} MB"
