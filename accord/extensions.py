"""Shell-level hooks: what a later domain adds to an earlier domain's case page and JSON without the earlier
one importing it (DESIGN §8: dependencies point one way).

A domain names its providers in its module (`DomainModule.case_facts`), which `accord.modules.wire()` installs
here; `cases` asks for every fact about a case as the viewer may see it, and shows what comes back (None:
nothing to show this viewer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

# (viewer, case row, the record as the viewer sees it or None when not loaded) → fact or None. A page that has
# the record at hand passes it, so a fact told in the record costs no query of its own.
CaseFact = Callable[[Any, Mapping[str, Any], list[dict[str, Any]] | None], Awaitable[Any]]

_case_facts: dict[str, CaseFact] = {}
# Record event type → its sentence on the case's timeline, for events a later domain appends to the record.
RecordTeller = Callable[[Mapping[str, Any]], str]
_record_tellers: dict[str, RecordTeller] = {}


def wire(facts: Mapping[str, CaseFact], tellers: Mapping[str, RecordTeller] | None = None) -> None:
    """Install the modules' case facts and record tellers (replacing any installed before)."""
    _case_facts.clear()
    _case_facts.update(facts)
    _record_tellers.clear()
    _record_tellers.update(tellers or {})


def record_teller(event_type: str) -> RecordTeller | None:
    """How the timeline tells a record event another domain appended (None: not one of theirs)."""
    return _record_tellers.get(event_type)


async def case_facts(
    viewer: Any, case: Mapping[str, Any], record: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Every registered fact about `case` for `viewer`, by name."""
    return {name: await provider(viewer, case, record) for name, provider in _case_facts.items()}


def with_prefill(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts, plus under "prefill" the values facts suggest for the case's action forms ({action: {field:
    value}}), merged: e.g. a trace check that found a clone pre-fills the registry listing a mediator may propose."""
    prefill: dict[str, dict[str, Any]] = {}
    for fact in facts.values():
        for action, values in ((fact or {}).get("prefill") or {}).items():
            prefill.setdefault(action, {}).update(values)
    return {**facts, "prefill": prefill}
