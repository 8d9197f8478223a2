"""One action spec per table row (issue 13 §3): every row of the case and registry tables carries the
action's spec, and the forms pages show are derived from the payload models the API validates."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field

from accord import statemachine
from accord.actions import ActionSpec, Ask, form_fields
from accord.i18n import label
from accord.validation import LongText, Strict
from cases.tables import CaseState
from cases.workflow import MACHINE as CASES
from cases.workflow import TABLE
from integrity.workflow import MACHINE as REGISTRY
from integrity.workflow import TRANSITIONS as LISTING_ROWS
from notifications import service as notices

MACHINES = {"cases": (CASES, TABLE, "action"), "registry": (REGISTRY, LISTING_ROWS, "registry_action")}


@pytest.mark.parametrize("name", MACHINES)
def test_every_row_has_a_spec_bound_to_its_payload(name: str) -> None:
    machine, rows, kind = MACHINES[name]
    for (_state, action), row in rows.items():
        assert isinstance(row.spec, ActionSpec), action
        spec = machine.specs[action]
        assert spec.payload is row.payload, action
        assert label(kind, action) == spec.label, action  # the label pages and the record show


@pytest.mark.parametrize("name", MACHINES)
def test_every_form_is_its_payload(name: str) -> None:
    """Each payload field the person fills in is in the form, by its payload path, required as the model says."""
    machine, _rows, _kind = MACHINES[name]
    for action, spec in machine.specs.items():
        assert spec.payload is not None
        shown = {field.name.removesuffix(".0"): field for field in spec.fields}
        asked = {name: info for name, info in spec.payload.model_fields.items() if name not in spec.given}
        assert set(shown) == set(asked), action
        for field_name, info in asked.items():
            assert shown[field_name].required == info.is_required(), (action, field_name)


def test_a_field_added_to_a_payload_appears_in_the_form() -> None:
    class Before(Strict):
        reason: LongText

    class After(Before):
        urgency: Literal["low", "high"] = "low"
        contact: Annotated[str, Field(max_length=80)] = ""
        score: Annotated[int, Field(ge=1, le=3)]

    spec = ActionSpec("Escalate", asks={"reason": Ask("Why")})
    assert [f.name for f in form_fields(Before, spec.asks)] == ["reason"]
    fields = {f.name: f for f in form_fields(After, spec.asks)}
    assert list(fields) == ["reason", "urgency", "contact", "score"]
    assert (fields["reason"].kind, fields["reason"].label, fields["reason"].max_length) == ("textarea", "Why", 5000)
    assert (fields["urgency"].kind, fields["urgency"].options, fields["urgency"].required) == (
        "select",
        ("low", "high"),
        False,
    )
    assert (fields["contact"].kind, fields["contact"].max_length) == ("text", 80)
    assert (fields["score"].kind, fields["score"].options, fields["score"].required) == ("radio", ("1", "2", "3"), True)


def test_a_row_without_a_spec_is_refused() -> None:
    row = statemachine.Row(frozenset({"consumer"}), CaseState.withdrawn)
    with pytest.raises(ValueError, match="ActionSpec"):
        statemachine.Machine(
            table=CASES.table,
            key=CASES.key,
            states=CaseState,
            rows={(CaseState.filed, "shrug"): row},
            relations=CASES.relations,
            visible=CASES.visible,
            record=CASES.record,
            wording=CASES.wording,
        )


def test_the_case_page_renders_the_derived_form() -> None:
    """Forms the person fills in on the case page have their derived widgets (respond: its radio, its remedy)."""
    respond = {field.name: field for field in CASES.specs["respond"].fields}
    assert respond["kind"].kind == "radio" and respond["kind"].options == ("offer", "reject", "question")
    assert respond["remedies.0"].kind == "remedy" and "partial_refund" in respond["remedies.0"].options
    assert respond["text"].kind == "textarea" and respond["text"].required
    assert respond["fulfil_by"].kind == "date" and not respond["fulfil_by"].required
    assert CASES.specs["withdraw"].style == "danger" and CASES.specs["withdraw"].confirm_page == "withdraw"


def test_every_notice_an_action_sends_has_its_words_and_its_readers() -> None:
    for action, spec in CASES.specs.items():
        if spec.notice:
            assert label("notification", spec.notice) != spec.notice, action
            assert spec.tells and set(spec.tells) <= set(notices._ROLES_OF), action
            assert notices.CASE_RULES[action].kind == spec.notice, action
