"""Keyset pagination: `?cursor=&limit=` in, `{"items": [...], "next_cursor": str|null}` out."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from accord.errors import InvalidInput

T = TypeVar("T")
MAX_LIMIT = 100
DEFAULT_LIMIT = 25


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Window:
    """Which slice of a list to load: after the row `after` (keyset values), at most `limit` rows."""

    after: list[object] | None
    limit: int


def encode_cursor(values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def window(cursor: str | None, limit: int | None) -> Window:
    """Validate `cursor` and `limit` from a request."""
    from accord.i18n import gettext as _

    if limit is None:
        limit = DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.one("limit", _("Choose a limit between 1 and %(max)d.") % {"max": MAX_LIMIT})
    if not cursor:
        return Window(after=None, limit=limit)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        after = None
    if not isinstance(after, list) or not after:
        raise _invalid_cursor()
    return Window(after=after, limit=limit)


def after_seq(cursor: str | None, after: int) -> int:
    """Lists in record order (messages) page by sequence number: their cursor is the last seq shown."""
    if cursor is None:
        return after
    if not cursor.isdigit():
        raise _invalid_cursor()
    return int(cursor)


def _invalid_cursor() -> InvalidInput:
    from accord.i18n import gettext as _

    return InvalidInput.one("cursor", _("This cursor is not valid; start again from the first page."))


def page_of(rows: list[T], limit: int, key: Callable[[T], list[object]]) -> tuple[list[T], str | None]:
    """Given up to limit+1 rows, the rows to show and the cursor for the next page."""
    if len(rows) <= limit:
        return rows, None
    shown = rows[:limit]
    return shown, encode_cursor(key(shown[-1]))
