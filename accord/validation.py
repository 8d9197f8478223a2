"""Turning Pydantic validation errors into field errors a person can read, in their language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from accord.errors import FieldError, InvalidInput
from accord.i18n import N_, gettext
from accord.screening import RANGE_MESSAGE, fits_database

M = TypeVar("M", bound=BaseModel)

# Pydantic's built-in error types we expect from forms; anything else keeps Pydantic's message.
_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This is too short."),
    "too_short": N_("This is too short."),
    "string_too_long": N_("This is too long."),
    "too_long": N_("There are too many entries."),
    "literal_error": N_("Choose one of the offered options."),
    "enum": N_("Choose one of the offered options."),
    "extra_forbidden": N_("This field is not accepted here."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "bool_parsing": N_("Answer yes or no."),
    "string_type": N_("Enter text here."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "int_from_float": N_("Enter a whole number."),
}


NUMBERS = (int, float, Decimal)


def _admits(annotation: Any, kinds: tuple[type, ...]) -> bool:
    """Whether a field's type takes one of these kinds directly (alone, in a union, or annotated)."""
    if annotation in kinds:
        return True
    if get_origin(annotation) is Annotated:
        return _admits(get_args(annotation)[0], kinds)
    if get_origin(annotation) in (Union, UnionType):
        return any(_admits(arg, kinds) for arg in get_args(annotation))
    return False


class StorableInput(BaseModel):
    """Base of request bodies: every integer field must fit a database integer column.

    Form fields arrive as text, so `offer_id=99999999999` parses as an int the database would refuse
    (PostgreSQL INTEGER); it is a field error here instead.
    """

    @field_validator("*", mode="before")
    @classmethod
    def _no_truth_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """JSON's true is no number: Litestar validates bodies leniently (strict=False), where Pydantic
        would read true as 1 and store it."""
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            if _admits(annotation, NUMBERS) and not _admits(annotation, (bool,)):
                raise PydanticCustomError("int_type", "Input should be a valid number")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _fits_database(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not fits_database(value):
            raise PydanticCustomError("int_range", gettext(RANGE_MESSAGE))
        return value


class Strict(StorableInput):
    """Base of every request model: a field it does not name is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise PydanticCustomError("text", gettext("This field is required."))
    return value


LongText = Annotated[str, Field(max_length=5000), AfterValidator(_text)]  # a statement, a reason, facts


def _boolean(value: Any) -> Any:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_parsing", "Input should be true or false")
    return value


# JSON's true or false and nothing else: Litestar validates bodies with `strict=False`, which overrides a
# field's own strictness (StrictBool), so 0 or "no" would pass as false.
Boolean = Annotated[bool, BeforeValidator(_boolean)]


def field_errors(error: ValidationError) -> list[FieldError]:
    return error_messages(error.errors(include_url=False))


def error_messages(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors (dicts with loc, type, msg) as field errors in the visitor's language."""
    result = []
    for item in errors:
        field = ".".join(str(part) for part in item["loc"]) or "__all__"
        template = _MESSAGES.get(item["type"])
        result.append(FieldError(field, gettext(template) if template else item["msg"]))
    return result


def parse(model: type[M], data: dict[str, Any]) -> M:
    """Validate form or JSON data, raising InvalidInput with per-field messages."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(field_errors(error)) from None


def day_asked(field: str, text: str | None) -> date | None:
    """A day typed as YYYY-MM-DD in a query (a range's `from` or `to`), None when left out; else a 422 on `field`."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.one(field, gettext(N_("Enter a date as YYYY-MM-DD."))) from None
