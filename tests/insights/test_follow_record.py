"""The rollups follow the case records (insights/rollups.py): filing and moving a case write nothing for the
statistics, a follower counts each committed move once (however many follow at once, and whatever is still
being written beside them), a rolled-back move never, and a message leaves a case as counted as it was."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Sum

from accord.auth import Viewer
from accord.clock import FrozenClock, WeekdayCalendar
from accord.db import is_sqlite
from accord.events import atomic
from accord.settings import get_settings
from accounts.service import act_as
from cases import service
from cases.schemas import MessageIn
from cases.tables import Case
from cases.workflow import apply
from insights import rollups
from insights.rollups import ALL_CATEGORIES, ALL_ENTERPRISES, ANY_UNCOUNTED
from insights.tables import DailyCount
from tests.conftest import create_person
from tests.insights.conftest import Moves, counted

FILED = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)  # a Monday
REJECTION = {"kind": "reject", "text": "We shipped it as described."}


class Boom(Exception):
    """Raised inside a transaction to roll it back."""


async def total(metric: str) -> int:
    """The metric over all days, categories and enterprises (metrics ending in ":" summed as a prefix)."""
    column = DailyCount.metric.like(f"{metric}%") if metric.endswith(":") else DailyCount.metric == metric
    rows = await DailyCount.select(Sum(DailyCount.count).as_alias("n")).where(
        column, DailyCount.category == ALL_CATEGORIES, DailyCount.enterprise == ALL_ENTERPRISES
    )
    return rows[0]["n"] or 0


async def parties(clock: FrozenClock) -> tuple[Viewer, Viewer, Moves]:
    consumer = act_as(await create_person("consumer", clock))
    merchant = act_as(await create_person("merchant", clock))
    return consumer, merchant, Moves(clock)


async def cursor(reference: str) -> dict[str, Any]:
    columns = (Case.version, Case.counted_version, Case.last_seq, Case.counted_seq)
    row = await Case.select(*columns).where(Case.reference == reference).first()
    assert row is not None
    return row


async def test_a_filing_and_a_move_are_counted_by_the_follower_not_by_their_transactions(app: Any) -> None:
    consumer, merchant, moves = await parties(FrozenClock(FILED))
    assert merchant.enterprise_id is not None
    reference = await moves.file(consumer, merchant.enterprise_id, FILED)
    await moves.do(reference, "respond", merchant, FILED.replace(day=3), **REJECTION)
    assert (await total("filed"), await total("move:respond:")) == (0, 0)
    assert await cursor(reference) == {"version": 2, "counted_version": 0, "last_seq": 2, "counted_seq": 0}
    assert await counted() == 1
    assert (await total("filed"), await total("move:respond:")) == (1, 1)
    assert await cursor(reference) == {"version": 2, "counted_version": 2, "last_seq": 2, "counted_seq": 2}
    assert await counted() == 0  # nothing left: a second round counts nothing again
    assert (await total("filed"), await total("move:respond:")) == (1, 1)


async def test_a_message_leaves_the_case_counted(app: Any) -> None:
    consumer, merchant, moves = await parties(FrozenClock(FILED))
    assert merchant.enterprise_id is not None
    reference = await moves.file(consumer, merchant.enterprise_id, FILED)
    await counted()
    await service.post_message(consumer, reference, MessageIn(channel="joint", text="Where is it?"), moves.context)
    assert (await cursor(reference))["last_seq"] == 2
    assert await ANY_UNCOUNTED.first() is None  # no move since: not in the uncounted cases' index


async def test_followers_at_once_count_each_case_once(app: Any) -> None:
    consumer, merchant, moves = await parties(FrozenClock(FILED))
    assert merchant.enterprise_id is not None
    references = [await moves.file(consumer, merchant.enterprise_id, FILED) for _ in range(7)]
    for reference in references[:4]:
        await moves.do(reference, "respond", merchant, FILED.replace(day=4), **REJECTION)
    zone = get_settings().timezone
    rounds = [rollups.follow_record(WeekdayCalendar(), zone, batch=2) for _ in range(3)]
    assert sum(await asyncio.gather(*rounds)) == 7
    assert (await total("filed"), await total("move:respond:"), await total("first_response:")) == (7, 4, 4)
    await rollups.rebuild(WeekdayCalendar(), zone)  # a recount from the records comes to the same
    assert (await total("filed"), await total("move:respond:"), await total("first_response:")) == (7, 4, 4)


async def test_a_rolled_back_move_is_never_counted(app: Any) -> None:
    consumer, merchant, moves = await parties(FrozenClock(FILED))
    assert merchant.enterprise_id is not None
    reference = await moves.file(consumer, merchant.enterprise_id, FILED)
    try:
        async with atomic():
            await apply(reference, "respond", merchant, REJECTION, moves.context)
            raise Boom
    except Boom:
        pass
    assert await counted() == 1
    assert (await total("filed"), await total("move:respond:")) == (1, 0)


async def test_a_move_still_being_written_is_counted_once_it_commits(app: Any) -> None:
    """A follower beside an open move: on PostgreSQL it passes the case its move has locked (and counts
    nothing it cannot see yet); on SQLite it waits for the one writer. Either way the move counts once."""
    consumer, merchant, moves = await parties(FrozenClock(FILED))
    assert merchant.enterprise_id is not None
    reference = await moves.file(consumer, merchant.enterprise_id, FILED)
    await counted()
    written, release = asyncio.Event(), asyncio.Event()

    async def move() -> None:
        async with atomic():
            await apply(reference, "respond", merchant, REJECTION, moves.context)
            written.set()
            await release.wait()

    moving = asyncio.create_task(move())
    await written.wait()
    following = asyncio.create_task(counted())
    if not is_sqlite():
        assert await asyncio.wait_for(following, 10) == 0  # passed the locked case by
        assert await total("move:respond:") == 0
    release.set()
    await moving
    await following
    await counted()
    assert await total("move:respond:") == 1
    assert await cursor(reference) == {"version": 2, "counted_version": 2, "last_seq": 2, "counted_seq": 2}
