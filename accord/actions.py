"""What people see of an action (issue 13 §3): one `ActionSpec` on each row of a transition table.

The spec names the action's label (its button and its line in the record), its button style, whether it
is confirmed on a page of its own, and how its payload's fields are asked. The form itself is derived
from the row's payload model (`form_fields`): one field per payload field, in the model's order, its
widget from the type and constraints (free text → textarea, a date, a choice → select, a small integer
range → radio, a list of models → that model's group), required and maximum length from the model.
A spec only adds what a model cannot say: the words around a field (`Ask`), and the odd widget.
Field names are the JSON payload's paths (`remedies.0.amount.amount`), so validation errors point at them.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

TEXTAREA_FROM = 500  # free text longer than this is written in a box, shorter on one line
STYLES = frozenset({"primary", "secondary", "danger"})


@dataclass(frozen=True)
class Ask:
    """How a form asks for one payload field: its label (N_-marked) and, where the type does not say it
    all, the widget (`radio` for a few choices, `mediator`, `remedy`) and the label kind of its options."""

    label: str
    widget: str | None = None
    labels: str = ""  # the label kind of the options (see accord.i18n.register_labels)
    help: str = ""  # N_-marked; shown under the field


@dataclass(frozen=True)
class FormField:
    name: str  # the payload's path
    kind: str  # textarea | text | date | select | radio | number | mediator | a nested model's name (remedy)
    label: str  # N_-marked; translated where shown
    required: bool = True
    options: tuple[str, ...] = ()
    labels: str = ""
    max_length: int | None = None
    help: str = ""


@dataclass(frozen=True)
class ActionSpec:
    """An action as people meet it. `payload` is bound by the engine from the action's rows."""

    label: str  # N_-marked: the button, and the action's name in the record
    style: str = "primary"  # primary | secondary | danger
    asks: Mapping[str, Ask] = field(default_factory=dict)  # payload field → how the form asks for it
    given: tuple[str, ...] = ()  # payload fields the page fills in itself (hidden), not asked
    confirm_page: str = ""  # a link to this page under the subject's path, which confirms it (no form here)
    payload: type[BaseModel] | None = None

    def __post_init__(self) -> None:
        assert self.style in STYLES, self.style

    @property
    def fields(self) -> tuple[FormField, ...]:
        """The form of this action, derived from its payload model."""
        return form_fields(self.payload, self.asks, self.given) if self.payload else ()

    @property
    def words(self) -> tuple[str, ...]:
        """The payload's free-text fields: what a person typed, not a choice from a list. Pages, the
        record, the API and notices show them as that person's words."""
        if self.payload is None:
            return ()
        return tuple(name for name, info in self.payload.model_fields.items() if info.annotation is str)


def form_fields(
    payload: type[BaseModel], asks: Mapping[str, Ask] | None = None, given: tuple[str, ...] = ()
) -> tuple[FormField, ...]:
    """One form field per field of `payload` that the person fills in, in the model's order."""
    asks = asks or {}
    return tuple(
        _form_field(name, info, asks.get(name) or Ask(name.replace("_", " ").capitalize()))
        for name, info in payload.model_fields.items()
        if name not in given
    )


def _form_field(name: str, info: FieldInfo, ask: Ask) -> FormField:
    kind, annotation = _plain(info.annotation)
    common = {"label": ask.label, "required": info.is_required(), "labels": ask.labels, "help": ask.help}
    if get_origin(annotation) is list:
        item = get_args(annotation)[0]
        options = next((_choices(f.annotation) for f in item.model_fields.values() if _choices(f.annotation)), ())
        return FormField(f"{name}.0", ask.widget or item.__name__.removesuffix("In").lower(), options=options, **common)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a group of its own (money)
        return FormField(name, ask.widget or annotation.__name__.removesuffix("In").lower(), **common)
    if choices := _choices(annotation):
        return FormField(name, ask.widget or "select", options=choices, **common)
    if annotation is date:
        return FormField(name, ask.widget or "date", **common)
    if annotation is int:
        low, high = _metadata(info, Ge, "ge"), _metadata(info, Le, "le")
        if low is not None and high is not None and high - low < 10:
            return FormField(name, ask.widget or "radio", options=tuple(str(n) for n in range(low, high + 1)), **common)
        return FormField(name, ask.widget or "number", **common)
    longest = _metadata(info, MaxLen, "max_length")
    wide = longest is None or longest > TEXTAREA_FROM
    return FormField(name, ask.widget or ("textarea" if wide else "text"), max_length=longest, **common)


def _plain(annotation: Any) -> tuple[bool, Any]:
    """`X | None` as X (whether it was optional)."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            return True, rest[0]
    return False, annotation


def _choices(annotation: Any) -> tuple[str, ...]:
    annotation = _plain(annotation)[1]
    if get_origin(annotation) is Literal:
        return tuple(str(arg) for arg in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return tuple(str(member.value) for member in annotation)
    return ()


def _metadata(info: FieldInfo, kind: type, attribute: str) -> Any:
    return next((getattr(item, attribute) for item in info.metadata if isinstance(item, kind)), None)


def labels_of(specs: Mapping[str, ActionSpec]) -> dict[str, str]:
    """The actions' labels, to register as a label kind (accord.i18n.register_labels)."""
    return {action: spec.label for action, spec in specs.items()}
