"""State machines as data (DESIGN §8): one engine for every transition table (cases, registry listings, ...).

A domain declares a `Machine`: its Piccolo table (with `id`, `state`, `version`, `updated_at`), its rows
`(state, action) -> Row` (the first rows may start from `None`: they create the subject, like filing a
case), who a viewer is to a subject (`relations`), who may see it, and how a move is recorded (`record`:
the domain's record event and the domain event to emit). Guards and effects stay in the domain; the
mechanics live here, once:

    apply()  lock the subject, check visibility (404), role (403), state and version (409), the row's
             checks (409; the payload's fields 422), run the effect, write state + version + the
             effect's columns + the record's bookkeeping in one UPDATE (a stale version found at write
             time is a 409 too), record, emit.
    create() the same for a row that starts from nothing: the effect gives the columns, the engine
             inserts the row in the row's target state at version 1 (one INSERT, not read back).
    offered() what a viewer could do now (role and every check made before a form is filled), and
             time-bound actions that open later, for buttons and `allowed_actions`.

Everything runs in one `events.atomic()` block: the outermost block commits, then publishes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Annotated, Any

from piccolo.table import Table
from pydantic import BaseModel, Field, create_model

from accord import events
from accord.actions import ActionSpec
from accord.auth import Viewer
from accord.clock import Calendar
from accord.db import column_values, insert_rows, is_sqlite, update_rows
from accord.errors import Conflict, Forbidden, NotFound
from accord.i18n import N_, gettext, label
from accord.validation import Strict, parse


@dataclass
class Step:
    """One application of a row, handed to its checks and effect. Domains subclass it for their own
    bookkeeping (fields with defaults) and names (`case`, `listing`)."""

    subject: dict[str, Any]  # the locked row being moved ({} while a creation row runs its effect)
    action: str
    viewer: Viewer | None  # None: the system
    related: frozenset[str]
    payload: Any  # the row's payload model, validated (None when only asking what is offered)
    now: datetime
    context: Any  # the domain's clock, calendar, zone and settings
    before: str | None = None  # the state before the step; None when it creates the subject
    updates: dict[Any, Any] = field(default_factory=dict)  # columns the effect sets besides state and version
    details: dict[str, Any] = field(default_factory=dict)  # what the record event says besides action/from/to
    next_state: StrEnum | None = None  # an effect's choice of where to go, over the row's

    @property
    def calendar(self) -> Calendar:
        """Working days, from the domain's context (every context has a clock, a calendar and a zone)."""
        return self.context.calendar  # type: ignore[no-any-return]

    @property
    def zone(self) -> tzinfo:
        """The deployment's time zone (where "the end of the day" is)."""
        return self.context.zone  # type: ignore[no-any-return]


Check = Callable[[Any], Awaitable[str | None]]  # a refusal in words, or None
Effect = Callable[[Any], Awaitable[None]]


class NoPayload(Strict):
    """The payload of an action that takes nothing but the version."""


@dataclass(frozen=True)
class Row:
    """`available` looks at the subject alone: it decides whether the action is offered at all, and apply()
    checks it again. `guard` also looks at what was filled in (the payload), so only apply() can check it.
    `opens`: for a time-bound action, from when `available` stops refusing it only for being early."""

    roles: frozenset[str]
    next_state: StrEnum | None = None  # None: the subject stays where it is
    payload: type[BaseModel] = NoPayload
    available: Check | None = None
    guard: Check | None = None
    effect: Effect | None = None
    opens: Callable[[dict[str, Any]], datetime | None] | None = None
    spec: ActionSpec | None = None  # how people meet the action (label, button, form): every action has one


@dataclass(frozen=True)
class Wording:
    """What refusals say about this kind of subject (N_-marked; translated when raised)."""

    no_such: str  # "There is no such case."
    now_is: str  # "The case is now “%(label)s” (%(state)s, version %(version)d)."
    changed: str  # "Someone changed this case in the meantime."
    role_cannot: str  # "Your role cannot do this on a case."
    not_yours: str  # a role that may do it elsewhere, not on this one
    state_labels: str  # the label kind of the states


NOT_NOW = N_("This action is not possible at this stage.")
NO_SUCH_ACTION = N_("There is no such action.")

# record(step, row, updates, data): append the domain's record event(s) for a move already written, and
# return the domain event to emit. `updates` maps columns to what was written; `data` is the record's
# {"action", "from", "to", **details} ("from" is absent when the step created the subject).
Recorder = Callable[[Any, Any, dict[Any, Any], dict[str, Any]], Awaitable[events.DomainEvent]]
# prepare(step, row, updates, data), before the subject's row is written: the columns that follow from the
# record about to be made (e.g. its chain head) join `updates`, so the row is written once; what the record
# then writes (its events, the subject's other rows) waits on the step for `record`.
Preparer = Callable[[Any, Any, dict[Any, Any], dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Machine:
    table: type[Table]
    key: Any  # the column apply() finds a subject by (a case's reference, a listing's id)
    states: type[StrEnum]
    rows: Mapping[tuple[Any, str], Row]
    relations: Callable[[dict[str, Any], Viewer | None], frozenset[str]]
    visible: Callable[[dict[str, Any], Viewer | None, frozenset[str]], bool]
    record: Recorder
    wording: Wording
    step_type: type[Step] = Step
    # Columns that follow from where the subject goes (e.g. when it ended), given the step and next state.
    follows: Callable[[Any, StrEnum], dict[Any, Any]] = lambda step, state: {}
    # Who a viewer is before the subject exists (the roles a creation row names).
    founders: Callable[[Viewer | None], frozenset[str]] = lambda viewer: frozenset()
    # Relations that count as another for "may this role ever do it" (any mediator is a mediator).
    family: Mapping[str, frozenset[str]] = field(default_factory=dict)
    prepare: Preparer | None = None
    # How apply() reads a subject by its key, locked, when it needs more than its row (`lock`): e.g. what its
    # move and the event's subscribers need of the rows it refers to or that refer to it, in one statement.
    read: Callable[[Any], Awaitable[dict[str, Any] | None]] | None = None
    # A new subject's key drawn at random from the creating step (a case's reference), where there is no
    # counter to take it from: a key already taken is not stored, and the subject is made again with another.
    draw_key: Callable[[Any], Any] | None = None
    actions: frozenset[str] = field(init=False)  # what can be done to an existing subject
    roles_of_action: Mapping[str, frozenset[str]] = field(init=False)
    payloads: Mapping[str, type[BaseModel]] = field(init=False)
    specs: Mapping[str, ActionSpec] = field(init=False)  # every action's spec, its payload bound

    def __post_init__(self) -> None:
        roles: dict[str, frozenset[str]] = {}
        payloads: dict[str, type[BaseModel]] = {}
        specs: dict[str, ActionSpec] = {}
        for (state, action), row in self.rows.items():
            if payloads.setdefault(action, row.payload) is not row.payload:
                raise ValueError(f"{action!r} takes one payload in every state")
            if row.spec is None or specs.setdefault(action, row.spec) is not row.spec:
                raise ValueError(f"{action!r} needs one ActionSpec in every state")
            if state is not None:
                roles[action] = roles.get(action, frozenset()) | row.roles
        object.__setattr__(self, "actions", frozenset(roles))
        object.__setattr__(self, "roles_of_action", roles)
        object.__setattr__(self, "payloads", payloads)
        bound = {action: replace(spec, payload=payloads[action]) for action, spec in specs.items()}
        object.__setattr__(self, "specs", bound)

    def conflict(self, subject: dict[str, Any], message: str) -> Conflict:
        """409 naming the current state and version for API clients; `reason` (the words alone) for pages."""
        state = subject["state"]
        now_is = gettext(self.wording.now_is) % {
            "label": label(self.wording.state_labels, state),
            "state": state,
            "version": subject["version"],
        }
        return Conflict(message + " " + now_is, reason=message)

    def may_ever(self, related: frozenset[str], action: str) -> bool:
        widened = set(related)
        for relation in related:
            widened |= self.family.get(relation, frozenset())
        return bool(widened & self.roles_of_action[action])


def _payload(row: Row, payload: Any) -> Any:
    """A typed payload as it came (the API validated it), or form and dict data validated here."""
    return payload if isinstance(payload, row.payload) else parse(row.payload, dict(payload or {}))


async def lock(machine: Machine, where: Any) -> dict[str, Any] | None:
    """The subject's row, locked for this write transaction (SQLite's writer lock already serialises)."""
    query = machine.table.select().where(where)
    if not is_sqlite():
        query = query.lock_rows()
    return await query.first()


async def apply(
    machine: Machine,
    key: Any,
    action: str,
    viewer: Viewer | None,
    payload: Any,
    context: Any,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Apply `action` to the subject found by `key` as `viewer` (None: the system); the updated row."""
    if action not in machine.actions:
        raise NotFound(gettext(NO_SUCH_ACTION))
    words = machine.wording
    async with events.atomic():
        subject = await (machine.read(key) if machine.read else lock(machine, machine.key == key))
        related = machine.relations(subject, viewer) if subject is not None else frozenset()
        if subject is None or not machine.visible(subject, viewer, related):
            raise NotFound(gettext(words.no_such))
        if not machine.may_ever(related, action):
            raise Forbidden(gettext(words.role_cannot))
        row = machine.rows.get((machine.states(subject["state"]), action))
        if row is None:
            raise machine.conflict(subject, gettext(NOT_NOW))
        if not related & row.roles:
            raise Forbidden(gettext(words.not_yours))
        if expected_version is not None and expected_version != subject["version"]:
            raise machine.conflict(subject, gettext(words.changed))
        step = machine.step_type(
            subject, action, viewer, related, _payload(row, payload), context.clock.now(), context, subject["state"]
        )
        await _run(step, row, lambda problem: machine.conflict(subject, problem))
        await _write(machine, step, row)
        return subject


async def _run(step: Step, row: Row, refusal: Callable[[str], Conflict]) -> None:
    """The row's checks (the first refusal is a 409), then its effect."""
    for check in (row.available, row.guard):
        if check and (problem := await check(step)):
            raise refusal(problem)
    if row.effect:
        await row.effect(step)


async def _write(machine: Machine, step: Step, row: Row) -> None:
    subject, table = step.subject, machine.table
    next_state = step.next_state or row.next_state or machine.states(subject["state"])
    updates = {
        **step.updates,
        table.state: next_state.value,  # type: ignore[attr-defined]
        table.version: subject["version"] + 1,  # type: ignore[attr-defined]
        table.updated_at: step.now,  # type: ignore[attr-defined]
        **machine.follows(step, next_state),
    }
    data = {"action": step.action, "from": step.before, "to": next_state.value, **step.details}
    written = dict(updates)  # what the move sets; the record's bookkeeping joins the write
    if machine.prepare:
        await machine.prepare(step, row, written, data)
    where = {table.id: subject["id"], table.version: subject["version"]}  # type: ignore[attr-defined]
    changed = await update_rows(table, written, where, returning=True)
    if not changed:
        raise machine.conflict(subject, gettext(machine.wording.changed))
    for column, value in written.items():
        subject[column._meta.name] = value
    await events.emit(await machine.record(step, row, updates, data))


async def create(
    machine: Machine, action: str, viewer: Viewer | None, payload: Any, context: Any, **known: Any
) -> dict[str, Any]:
    """Apply a row that starts from nothing: its effect sets the new row's columns, the engine inserts it in
    the row's target state at version 1, then records and emits like any move. Returns the new row.
    `known`: step fields the caller gives the effect (what it knows that the payload does not say)."""
    row = machine.rows[(None, action)]
    state = row.next_state
    assert state is not None, "a creation row names the state it creates"
    related = machine.founders(viewer)
    if not related & row.roles:
        raise Forbidden(gettext(machine.wording.role_cannot))
    async with events.atomic():
        checked = _payload(row, payload)
        step = machine.step_type({}, action, viewer, related, checked, context.clock.now(), context, **known)
        await _run(step, row, Conflict)  # once: what it wrote (a new enterprise a filing names) serves every draw
        for _draw in range(KEY_DRAWS):
            drawn = replace(step, subject=dict(step.subject))  # the row and its record, made afresh at each draw
            if await _insert_new(machine, drawn, row, state):
                return drawn.subject
        raise RuntimeError(f"{KEY_DRAWS} keys drawn for a new {machine.table._meta.tablename} row were all taken")


# Draws of a new subject's key before giving up (`Machine.draw_key`): each is taken with the chance that the
# keys in use fill the space drawn from (a case's reference: 1 in 1,000 with 100,000 cases filed in a year).
KEY_DRAWS = 5


async def _insert_new(machine: Machine, step: Step, row: Row, state: StrEnum) -> bool:
    """Insert the new row its effect made, with a key drawn if the machine draws one, and record it; False, with
    nothing written, when that key was taken."""
    table = machine.table
    values = {
        **step.updates,
        table.state: state.value,  # type: ignore[attr-defined]
        table.version: 1,  # type: ignore[attr-defined]
        table.updated_at: step.now,  # type: ignore[attr-defined]
    }
    if machine.draw_key:
        values[machine.key] = machine.draw_key(step)
    stored = column_values(table, {column._meta.name: value for column, value in values.items()})
    step.subject.update(stored)  # every column as the INSERT stores it (defaults too), but its id
    data = {"action": step.action, "to": state.value, **step.details}
    written = dict(values)
    if machine.prepare:
        await machine.prepare(step, row, written, data)
    stored.update({column._meta.name: value for column, value in written.items()})
    step.subject.update(stored)
    skip = machine.key if machine.draw_key else None
    made = await insert_rows(table, [stored], returning=("id",), unless_taken=skip)
    if not made:
        return False
    step.subject["id"] = made[0]["id"]
    await events.emit(await machine.record(step, row, values, data))
    return True


@dataclass(frozen=True)
class Offered:
    """The actions a viewer is offered: those that would pass every check made before a form is filled (on
    the same clock as apply()), and time-bound ones not open yet, with the moment they open."""

    now: list[str]
    later: dict[str, datetime]


async def offered(
    machine: Machine, subject: dict[str, Any], viewer: Viewer | None, context: Any, **known: Any
) -> Offered:
    """What `viewer` could apply to `subject` now (None: the system's timeouts that would apply now).
    `known`: step fields the caller has at hand already (so checks need not read them again)."""
    related = machine.relations(subject, viewer)
    now = context.clock.now()
    allowed: list[str] = []
    later: dict[str, datetime] = {}
    for (state, action), row in machine.rows.items():
        if state is None or state != subject["state"] or not related & row.roles:
            continue
        if row.available:
            step = machine.step_type(
                subject=subject,
                action=action,
                viewer=viewer,
                related=related,
                payload=None,
                now=now,
                context=context,
                before=subject["state"],
                **known,
            )
            if await row.available(step):
                opens = row.opens(subject) if row.opens else None
                if opens is not None and opens > now:
                    later[action] = opens
                continue
        allowed.append(action)
    return Offered(allowed, later)


# --- what the JSON API documents ------------------------------------------------------------------


class ActionRequest(BaseModel):
    """The JSON body of an action (DESIGN §11): `{version, ...the row's payload}`. Request models derive from
    the payload model and this; the API validates the body with them and hands `split()` to apply()."""

    version: Annotated[int, Field(strict=True, description="The version you act on: a stale one is a 409.")]

    def split(self) -> tuple[int, BaseModel]:
        """The version acted on, and the payload as the row's own model (already validated)."""
        payload = next(base for base in type(self).__bases__ if base is not ActionRequest)
        values = {name: getattr(self, name) for name in payload.model_fields}
        return self.version, payload.model_construct(_fields_set=self.model_fields_set - {"version"}, **values)


def request_models(machine: Machine, prefix: str, actions: frozenset[str]) -> dict[str, type[ActionRequest]]:
    """One request model per action of `actions` (named `<prefix><Action>Request` in the OpenAPI schema)."""
    models: dict[str, type[ActionRequest]] = {}
    for action in sorted(actions):
        name = prefix + "".join(part.title() for part in action.split("_")) + "Request"
        bases = (machine.payloads[action], ActionRequest)
        models[action] = create_model(name, __base__=bases, __module__=__name__)  # type: ignore[call-overload]
    return models
