"""A hand-built history with known answers: six cases against one enterprise, filed on Monday 3 March 2025
and moved through the workflow on chosen days (plain weekdays), and four against another enterprise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from accord.auth import Viewer
from accord.clock import FrozenClock, WeekdayCalendar
from accord.settings import get_settings
from accounts.service import act_as
from cases import service
from cases.tables import Offer
from cases.workflow import Context, apply
from insights.rollups import follow_record
from tests.cases.conftest import filing
from tests.conftest import create_person

FILED = date(2025, 3, 3)  # a Monday
SECRET_NAME = "Zhuang Secretname"
SECRET_EMAIL = "planted-secret@private.example"
SECRET_ORDER = "ORD-SECRET-778899"
SECRET_TEXT = "my private complaint text 4711"


def at(day: int, month: int = 3) -> datetime:
    return datetime(2025, month, day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the same day


@dataclass
class History:
    enterprise_id: int
    small_enterprise_id: int
    consumer: Viewer
    merchant: Viewer
    mediator: Viewer
    admin: Viewer
    references: list[str]


class Moves:
    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.context = Context(clock=clock, calendar=WeekdayCalendar())

    async def file(self, consumer: Viewer, enterprise_id: int, when: datetime, **overrides: Any) -> str:
        self.clock.set(when)
        data = filing(
            enterprise_id,
            order_number=SECRET_ORDER,
            description=SECRET_TEXT,
            product_name="Secret widget " + SECRET_TEXT,
            purchase_date=when.date() - timedelta(days=30),
            **overrides,
        )
        return (await service.file_case(consumer, data, self.context, when.date())).case["reference"]

    async def do(self, reference: str, action: str, viewer: Viewer | None, when: datetime, **payload: Any) -> None:
        self.clock.set(when)
        await apply(reference, action, viewer, payload, self.context)

    async def offer(self, reference: str, merchant: Viewer, when: datetime) -> None:
        remedies = [{"type": "refund", "amount": {"amount": "10.00", "currency": "CNY"}, "description": "refund"}]
        await self.do(reference, "respond", merchant, when, kind="offer", remedies=remedies, text=SECRET_TEXT)

    async def accept(self, reference: str, consumer: Viewer, when: datetime) -> None:
        from cases.tables import Case

        case = await Case.select(Case.id).where(Case.reference == reference).first()
        offer = await Offer.select(Offer.id).where(Offer.case == case["id"]).first()
        await self.do(reference, "accept_offer", consumer, when, offer_id=offer["id"])


async def counted() -> int:
    """The moves made so far counted into the rollups, as the module's job does each round and a figures page
    first (their working days on weekdays, as `Moves` counts deadlines; days where the deployment is)."""
    return await follow_record(WeekdayCalendar(), get_settings().timezone)


@pytest.fixture
async def history(app: Any) -> History:
    """Made for each test: the figures count every case there is, and `rebuild()` rewrites them."""
    clock = FrozenClock(at(1))
    people = {
        role: act_as(await create_person(role, clock, display_name=SECRET_NAME, email=None))
        for role in ("consumer", "mediator", "admin")
    }
    consumer_person = await create_person("consumer", clock, display_name=SECRET_NAME, email=SECRET_EMAIL)
    consumer = act_as(consumer_person)
    merchant = act_as(await create_person("merchant", clock, display_name=SECRET_NAME))
    small = act_as(await create_person("merchant", clock))
    assert merchant.enterprise_id is not None and small.enterprise_id is not None
    moves = Moves(clock)
    refs = [await moves.file(consumer, merchant.enterprise_id, at(3)) for _ in range(6)]
    c1, c2, c3, c4, c5, _c6 = refs
    # C1: offer after 2 WD, accepted, fulfilled, confirmed on Mon 10 (closing 5 WD), rated 4
    await moves.offer(c1, merchant, at(5))
    await moves.accept(c1, consumer, at(6))
    await moves.do(c1, "mark_fulfilled", merchant, at(7), proof="refund ref 1")
    await moves.do(c1, "confirm_fulfilment", consumer, at(10))
    await moves.do(c1, "rate", consumer, at(10), score=4, comment=SECRET_TEXT)
    # C2: rejected after 5 WD, withdrawn after 6 WD
    await moves.do(c2, "respond", merchant, at(10), kind="reject", text=SECRET_TEXT)
    await moves.do(c2, "withdraw", consumer, at(11))
    # C3: withdrawn after 1 WD, never answered
    await moves.do(c3, "withdraw", consumer, at(4))
    # C4: offer after 1 WD, accepted, marked, disputed: breached
    await moves.offer(c4, merchant, at(4))
    await moves.accept(c4, consumer, at(4))
    await moves.do(c4, "mark_fulfilled", merchant, at(5), proof="waybill 1")
    await moves.do(c4, "dispute_fulfilment", consumer, at(6), reason=SECRET_TEXT)
    # C5: a question after 8 WD; C6: nothing yet
    await moves.do(c5, "respond", merchant, at(13), kind="question", text=SECRET_TEXT)
    for _ in range(4):
        await moves.file(consumer, small.enterprise_id, at(4))
    await counted()
    return History(
        enterprise_id=merchant.enterprise_id,
        small_enterprise_id=small.enterprise_id,
        consumer=consumer,
        merchant=merchant,
        mediator=people["mediator"],
        admin=people["admin"],
        references=refs,
    )
