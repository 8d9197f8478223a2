"""Domain events: how `cases` tells other packages what happened without importing them.

Subscribers register for a phase. `transaction` handlers run inside the emitting write transaction
(their writes, e.g. notification outbox rows, commit or roll back with the change); `before_commit`
handlers too, but last, once the outermost `atomic()` block's work is done, for every event it emitted:
rows that every transaction writes (insights' rollups: the day's filings) stay locked on PostgreSQL only
for those statements and the commit, not for the whole transaction, so concurrent ones do not queue on
them; `after_commit` handlers run once the transaction has committed (live pokes to sockets) and never see
a rolled-back change.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from accord.db import engine, write_transaction

log = logging.getLogger("accord.events")


@dataclass(frozen=True)
class DomainEvent:
    kind: str  # e.g. "case.transition", "case.message"
    case_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # What the emitter worked with (a case move: its clock, working-day calendar and zone), for subscribers
    # that must count as it did; never published or stored.
    context: Any = field(default=None, compare=False, repr=False)
    # The row the event is about as the emitting transaction holds it after the change (a case's: every column,
    # its enterprise's name and country), so transaction-phase subscribers need not read it again; never
    # published or stored, and None when the emitter does not hand it on.
    subject: dict[str, Any] | None = field(default=None, compare=False, repr=False)


Handler = Callable[[DomainEvent], Awaitable[None]]
Phase = Literal["transaction", "before_commit", "after_commit"]

_handlers: dict[Phase, list[Handler]] = {"transaction": [], "before_commit": [], "after_commit": []}
_pending: ContextVar[list[DomainEvent] | None] = ContextVar("accord_pending_events", default=None)
_in_atomic: ContextVar[bool] = ContextVar("accord_in_atomic", default=False)


def subscribe(handler: Handler, phase: Phase = "transaction") -> None:
    if handler not in _handlers[phase]:
        _handlers[phase].append(handler)


def unsubscribe(handler: Handler, phase: Phase = "transaction") -> None:
    if handler in _handlers[phase]:
        _handlers[phase].remove(handler)


_wired: list[tuple[Handler, Phase]] = []


def wire(subscriptions: list[tuple[Handler, Phase]]) -> None:
    """Subscribe the process's domain handlers (accord.modules.wire), replacing those wired before: an app
    built again (with other settings) does not leave the first one's handlers behind."""
    for handler, phase in _wired:
        unsubscribe(handler, phase)
    _wired[:] = subscriptions
    for handler, phase in subscriptions:
        subscribe(handler, phase)


def subscribers() -> dict[Phase, list[Handler]]:
    """Who listens, per phase (a copy)."""
    return {phase: list(handlers) for phase, handlers in _handlers.items()}


async def emit(event: DomainEvent) -> None:
    """Run transaction-phase handlers now (and before-commit ones too when no `atomic()` block will run them
    before its commit); queue the event for them and for `publish_committed()`."""
    for handler in list(_handlers["transaction"]):
        await handler(event)
    if not _in_atomic.get():
        for handler in list(_handlers["before_commit"]):
            await handler(event)
    pending = _pending.get()
    if pending is None:
        pending = []
        _pending.set(pending)
    pending.append(event)


def discard_pending() -> None:
    """The transaction rolled back: nothing it emitted may be published."""
    _pending.set(None)


async def publish_committed() -> None:
    """Deliver queued events to after-commit handlers; a failing handler never undoes the change."""
    pending = _pending.get() or []
    _pending.set(None)
    for event in pending:
        for handler in list(_handlers["after_commit"]):
            try:
                await handler(event)
            except Exception:  # noqa: BLE001 - delivery is best effort; the database is the truth
                log.exception("after-commit handler failed for %s", event.kind)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """One write transaction whose events reach after-commit handlers only once it has committed.

    Inside another write transaction it joins that one and publishes nothing itself: the outermost
    `atomic()` publishes once everything has committed (and a rollback there discards what was emitted
    here too).
    """
    if engine().current_transaction.get() is not None:
        yield
        return
    discard_pending()
    outermost = _in_atomic.set(True)
    try:
        async with write_transaction():
            yield
            await _before_commit()
    except BaseException:
        discard_pending()
        raise
    finally:
        _in_atomic.reset(outermost)
    await publish_committed()


async def _before_commit() -> None:
    """The before-commit handlers, for every event emitted in the transaction, in order."""
    for event in list(_pending.get() or []):
        for handler in list(_handlers["before_commit"]):
            await handler(event)
