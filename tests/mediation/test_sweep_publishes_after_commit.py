"""A deadline fired by the sweeper publishes its events only once everything it wrote has committed.

The sweeper opens a transaction, `apply()` opens its own inside it, and the notification subscriber
writes notices inside that: three nested blocks. Only the outermost may commit and publish. The
checks read through a separate database connection, as a socket handler or another process would.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from accord import events
from accord.clock import FrozenClock, WeekdayCalendar
from accord.db import engine, is_sqlite
from cases.workflow import Context
from mediation.sweeper import sweep
from tests.cases.conftest import Parties

STATE_AND_NOTICES = (
    "SELECT c.state, (SELECT count(*) FROM notification n WHERE n.subject_ref = c.reference) AS notices"
    " FROM dispute_case c WHERE c.reference = {placeholder}"
)


async def committed(reference: str) -> tuple[str, int]:
    """The case's state and notice count as another connection sees them: committed data only."""
    url = os.environ["DATABASE_URL"]
    if is_sqlite():
        with sqlite3.connect(urlsplit(url).path) as other:
            state, notices = other.execute(STATE_AND_NOTICES.format(placeholder="?"), (reference,)).fetchone()
        return state, notices
    other = await asyncpg.connect(url)
    try:
        row = await other.fetchrow(STATE_AND_NOTICES.format(placeholder="$1"), reference)
    finally:
        await other.close()
    return row["state"], row["notices"]


async def test_a_timeout_is_published_after_the_sweepers_commit_never_before(
    filed_case: dict[str, Any], parties: Parties, context: Context, clock: FrozenClock
) -> None:
    reference = filed_case["reference"]
    before = await committed(reference)
    published: list[tuple[str, bool, tuple[str, int]]] = []
    during_transaction: list[tuple[int, bool, tuple[str, int]]] = []

    async def written_inside(event: events.DomainEvent) -> None:
        if event.case_id == filed_case["id"]:
            inside = engine().current_transaction.get() is not None
            during_transaction.append((len(published), inside, await committed(reference)))

    async def delivered_after(event: events.DomainEvent) -> None:
        if event.case_id == filed_case["id"]:
            outside = engine().current_transaction.get() is None
            published.append((event.kind, outside, await committed(reference)))

    events.subscribe(written_inside)
    events.subscribe(delivered_after, "after_commit")
    try:
        clock.set(WeekdayCalendar().add_working_days(clock.now(), 11))
        fired = await sweep(context)
    finally:
        events.unsubscribe(written_inside)
        events.unsubscribe(delivered_after, "after_commit")

    assert reference in [item.reference for item in fired]
    # Inside the nested blocks: nothing published yet, and the outside world still sees the old case.
    assert during_transaction and all(
        count == 0 and inside and seen == before for count, inside, seen in during_transaction
    )
    # After the sweeper's commit: every event published, each seeing the new state and its notices.
    assert [kind for kind, _, _ in published] == ["case.transition"] * len(during_transaction)
    after = await committed(reference)
    assert after[0] == "awaiting_mediator" and after[1] > before[1]
    assert all(outside and seen == after for _, outside, seen in published)
