"""Keyset pagination: `?cursor=&limit=` in, `{"items": [...], "next_cursor": str|null}` out."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from accord.errors import InvalidInput
from accord.i18n import gettext
from accord.i18n import gettext as _
from accord.screening import RANGE_MESSAGE, database_int, fits_database

T = TypeVar("T")
MAX_LIMIT = 100
DEFAULT_LIMIT = 25


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


# Kinds of keyset values: each turns a value decoded from a cursor into what the query compares,
# raising ValueError or TypeError when the value is not of its kind.
Key = Callable[[object], Any]


def ID(value: object) -> int:
    """A row id (or any integer column) the database can hold."""
    if not isinstance(value, int) or isinstance(value, bool) or not fits_database(value):
        raise ValueError(value)
    return value


def TIME(value: object) -> datetime:
    """A moment with its offset, as `datetime.isoformat()` wrote it."""
    moment = datetime.fromisoformat(value)  # type: ignore[arg-type]  # TypeError for non-strings
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment


def TEXT(value: object) -> str:
    if not isinstance(value, str) or "\x00" in value or len(value) > 1000:
        raise ValueError(value)
    return value


def optional(kind: Key) -> Key:
    """A keyset value that may be null (a column without a value sorts apart)."""
    return lambda value: None if value is None else kind(value)


@dataclass(frozen=True)
class Window:
    """Which slice of a list to load: after the row `after` (keyset values), at most `limit` rows."""

    after: list[object] | None
    limit: int

    def keys(self, *kinds: Key) -> list[Any]:
        """The cursor's values read as `kinds`, in order; a cursor of any other shape is a field error.

        Cursors come back from clients: forged, truncated or from another list, they must be a 422
        naming `cursor`, never a value the database chokes on.
        """
        if self.after is None or len(self.after) != len(kinds):
            raise _invalid_cursor()
        try:
            return [kind(value) for kind, value in zip(kinds, self.after, strict=True)]
        except (TypeError, ValueError, OverflowError):
            raise _invalid_cursor() from None


def encode_cursor(values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def window(cursor: str | None, limit: int | None) -> Window:
    """Validate `cursor` and `limit` from a request."""
    if limit is None:
        limit = DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.one("limit", _("Choose a limit between 1 and %(max)d.") % {"max": MAX_LIMIT})
    if not cursor:
        return Window(after=None, limit=limit)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError):
        after = None
    if not isinstance(after, list) or not after:
        raise _invalid_cursor()
    return Window(after=after, limit=limit)


def after_seq(cursor: str | None, after: int) -> int:
    """Lists in record order (messages) page by sequence number: their cursor is the last seq shown."""
    if cursor is None:
        if not fits_database(after):
            raise InvalidInput.one("after", gettext(RANGE_MESSAGE))
        return after
    seq = database_int(cursor)
    if seq is None:
        raise _invalid_cursor()
    return seq


def _invalid_cursor() -> InvalidInput:
    return InvalidInput.one("cursor", _("This cursor is not valid; start again from the first page."))


def page_of(rows: list[T], limit: int, key: Callable[[T], list[object]]) -> tuple[list[T], str | None]:
    """Given up to limit+1 rows, the rows to show and the cursor for the next page."""
    if len(rows) <= limit:
        return rows, None
    shown = rows[:limit]
    return shown, encode_cursor(key(shown[-1]))
