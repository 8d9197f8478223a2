"""The sweeper: applies the timeout action of every deadline that has run out, through `apply()` as the system.

Any number of processes may sweep at once and each deadline still fires exactly once: a process locks
the case, then closes the deadline with a conditional update; only the process whose update changed the
row applies the action, in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord import events
from accord.errors import DomainError
from cases import record
from cases.tables import Deadline
from cases.workflow import Context, apply

log = logging.getLogger("accord.sweeper")
BATCH = 200


@dataclass(frozen=True)
class Fired:
    reference: str
    action: str
    due_at: datetime


async def due_deadlines(now: datetime, limit: int = BATCH) -> list[dict[str, Any]]:
    return await (
        Deadline.select(
            Deadline.id,
            Deadline.case,
            Deadline.action,
            Deadline.due_at,
            Deadline.case.reference.as_alias("reference"),
        )
        .where(
            Deadline.closed_at.is_null(),
            Deadline.paused_at.is_null(),
            Deadline.action.is_not_null(),
            Deadline.due_at <= now,
        )
        .order_by(Deadline.due_at)
        .limit(limit)
    )


async def _close(deadline_id: int, now: datetime) -> list[dict[str, Any]]:
    return (
        await Deadline.update({Deadline.closed_at: now})
        .where(Deadline.id == deadline_id, Deadline.closed_at.is_null(), Deadline.paused_at.is_null())
        .returning(Deadline.id)
    )


async def fire(deadline: dict[str, Any], context: Context) -> bool:
    """Apply one deadline's action unless another process already did; True when this call fired it."""
    now = context.clock.now()
    try:
        async with events.atomic():
            # Case first, then deadline: the same order as apply(), so two sweepers cannot deadlock.
            await record.lock_case(deadline["case"])
            if not await _close(deadline["id"], now):
                return False
            await apply(deadline["reference"], deadline["action"], None, {}, context)
    except DomainError as error:
        # The case moved on in a way the deadline did not foresee; retire it rather than retry forever.
        log.warning("deadline %s of %s retired without effect: %s", deadline["id"], deadline["reference"], error.detail)
        async with events.atomic():
            await _close(deadline["id"], now)
        return False
    return True


async def sweep(context: Context) -> list[Fired]:
    """Fire every deadline due at the context's current time; returns what this process fired."""
    fired: list[Fired] = []
    while True:
        batch = await due_deadlines(context.clock.now())
        outcomes = [await fire(deadline, context) for deadline in batch]
        fired += [
            Fired(d["reference"], d["action"], d["due_at"]) for d, done in zip(batch, outcomes, strict=True) if done
        ]
        if len(batch) < BATCH or not any(outcomes):
            return fired

