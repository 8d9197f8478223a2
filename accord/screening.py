"""Input no database can store or find is refused at the door, whatever route it is sent to.

Every request passes `screen_request` (a `before_request` hook) before its handler reads anything:
- an integer path parameter outside the database's integer range names nothing: 404;
- text holding a NUL character (PostgreSQL refuses it in any text column, SQLite cuts strings at
  it) is a 422 naming the query parameter or body field;
- integers in a JSON body must fit a database integer column (422 naming the field);
- a JSON body nested deeper than any of our shapes is a 400, before anything recurses through it.
Socket frames go through `unstorable_field` the same way. The hook is set on the app: a router or handler
that sets a `before_request` of its own replaces it (Litestar keeps the closest), so it must call it too.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, NotFoundException, SerializationException

from accord.errors import FieldError, InvalidInput
from accord.i18n import N_, gettext

# PostgreSQL INTEGER / SERIAL, the narrowest integer column every id, seq and version lives in.
# SQLite holds 64 bits, but the API accepts the same numbers on both engines.
DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
# Our deepest shape is a few levels (remedies.0.amount.amount); anything far deeper is an attack.
MAX_JSON_DEPTH = 32

NUL_MESSAGE = N_("This text contains a NUL character, which cannot be stored.")
RANGE_MESSAGE = N_("This number is out of range.")


def fits_database(value: int) -> bool:
    return DB_INT_MIN <= value <= DB_INT_MAX


def names_nothing(value: object) -> bool:
    """A path parameter no stored object can have: an integer beyond the columns, text with a NUL."""
    return (isinstance(value, int) and not fits_database(value)) or (isinstance(value, str) and "\x00" in value)


def database_int(text: str) -> int | None:
    """A whole number typed as text (a form field, a query value), or None when it is not one the database
    can hold. Only ASCII digits: str.isdigit() also accepts "²" (which int() refuses) and "٣" (read as 3)."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(DB_INT_MAX))):
        return None
    value = int(text)
    return value if fits_database(value) else None


class TooDeep(ValueError):
    """A JSON value nested deeper than MAX_JSON_DEPTH."""


def unstorable_field(value: Any, path: str = "") -> FieldError | None:
    """The first string with a NUL or integer out of range in a decoded JSON value, as a field error.

    Walks iteratively (never recursion, whatever the input), and raises TooDeep past MAX_JSON_DEPTH.
    """
    pending: list[tuple[Any, str, int]] = [(value, path, 0)]
    while pending:
        node, where, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise TooDeep(where)
        if isinstance(node, dict):
            for key, child in node.items():
                name = _join(where, str(key))
                if "\x00" in str(key):
                    return FieldError(_shown(name), gettext(NUL_MESSAGE))
                pending.append((child, name, depth + 1))
        elif isinstance(node, list):
            pending.extend((child, _join(where, str(index)), depth + 1) for index, child in enumerate(node))
        elif isinstance(node, str) and "\x00" in node:
            return FieldError(where or "__all__", gettext(NUL_MESSAGE))
        elif isinstance(node, int) and not isinstance(node, bool) and not fits_database(node):
            return FieldError(where or "__all__", gettext(RANGE_MESSAGE))
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _shown(name: str) -> str:
    """A field name carrying a NUL, as an error can name it."""
    return name.replace("\x00", "\\0")


async def screen_request(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook: path, query and the body the handler will read (see the module doc)."""
    if any(names_nothing(value) for value in request.path_params.values()):
        raise NotFoundException()
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise InvalidInput.one(_shown(name), gettext(NUL_MESSAGE))
    problem = await _body_problem(request)
    if problem is not None:
        raise InvalidInput([problem])


async def _body_problem(request: Request[Any, Any, Any]) -> FieldError | None:
    encoding = _body_encoding(request)
    if encoding is None:
        return None
    if encoding == RequestEncodingType.JSON:
        try:
            body = await request.json()
        except SerializationException as error:  # what the handler would have said about it
            raise ClientException(str(error)) from error
        except RecursionError:  # the decoder itself gave up on the nesting
            raise ClientException() from None
        try:
            return unstorable_field(body)
        except TooDeep:
            raise ClientException() from None
    form = await request.form()
    for name, value in form.multi_items():
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            return FieldError(_shown(name), gettext(NUL_MESSAGE))
    return None


def _body_encoding(request: Request[Any, Any, Any]) -> RequestEncodingType | None:
    """How the handler reads its `data`, or None when it takes no body."""
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    return getattr(field.kwarg_definition, "media_type", None) or RequestEncodingType.JSON
