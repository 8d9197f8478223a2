"""The demo cases: every state reached through filing and apply(), verifiable records, a believable timeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from accord.clock import FrozenClock, WeekdayCalendar
from accord.demo import seed_demo
from accounts.seed import ensure_demo_accounts
from accounts.tables import User
from cases import record
from cases.seed import EXTRA_CONSUMERS, seed_demo_cases
from accounts.seed import DEMO_PLATFORM
from accounts.tables import Enterprise, EnterpriseKind, PlatformMerchant
from cases.tables import Case, CaseEvent, CaseState, Message, RecourseClaim
from tests.clean_database import kept_rows
from tests.conftest import BASE_TIME

DEMO_CONSUMERS = ["consumer@demo.test", *(email for email, _name, _language in EXTRA_CONSUMERS)]


@pytest.fixture(scope="module")
async def demo_cases(app: Any) -> AsyncIterator[list[dict[str, Any]]]:
    """Seed once for the module; the demo cases are those of the demo consumers."""
    clock = FrozenClock(BASE_TIME)
    await ensure_demo_accounts(clock)
    await seed_demo_cases(clock, WeekdayCalendar())
    consumers = User.select(User.id).where(User.email.is_in(DEMO_CONSUMERS))
    async with kept_rows():
        yield await Case.select().where(Case.consumer.is_in(consumers)).order_by(Case.id)


async def test_demo_cases_reach_every_state(demo_cases: list[dict[str, Any]]) -> None:
    assert {case["state"] for case in demo_cases} == set(CaseState)


async def test_every_demo_record_verifies(demo_cases: list[dict[str, Any]]) -> None:
    for case in demo_cases:
        verification = await record.verify(case["id"])
        assert verification.verified, (case["reference"], verification)
        assert verification.events >= 1


async def test_demo_timeline_lies_in_the_past_and_in_order(demo_cases: list[dict[str, Any]]) -> None:
    for case in demo_cases:
        assert BASE_TIME - timedelta(weeks=7) < case["filed_at"] <= case["updated_at"] <= BASE_TIME
        assert case["purchase_date"] <= case["filed_at"].date()
        stamps = await CaseEvent.select(CaseEvent.at).where(CaseEvent.case == case["id"]).order_by(CaseEvent.seq)
        times = [row["at"] for row in stamps]
        assert times == sorted(times) and times[-1] <= BASE_TIME, case["reference"]


async def test_demo_has_conversations_an_appeal_and_variety(demo_cases: list[dict[str, Any]]) -> None:
    ids = [case["id"] for case in demo_cases]
    talked = {row["case"] for row in await Message.select(Message.case).where(Message.case.is_in(ids))}
    assert len(talked) >= 5
    assert any(case["is_appeal"] and case["state"] == CaseState.awaiting_mediator for case in demo_cases)
    assert {case["language"] for case in demo_cases} == {"en", "zh-Hans"}
    assert {"CNY", "USD", "EUR"} <= {case["currency"] for case in demo_cases}
    assert len({case["enterprise"] for case in demo_cases}) == 3
    assert any(case["trace_code"] for case in demo_cases)


async def test_seed_demo_skips_a_database_that_has_data(demo_cases: list[dict[str, Any]]) -> None:
    before = await Case.count()
    assert await seed_demo(FrozenClock(BASE_TIME), WeekdayCalendar()) is False
    assert await Case.count() == before


async def test_the_demo_platform_and_its_advance_compensation(demo_cases: list[dict[str, Any]]) -> None:
    """issue 17 §6: a verified platform with an approved agent, linked to the demo merchants, named on some
    demo cases, one of which it compensated in advance through the workflow (its record verifies)."""
    platform = await Enterprise.select().where(Enterprise.uscc == DEMO_PLATFORM.uscc).first()
    assert platform["kind"] == EnterpriseKind.platform and platform["verified"]
    agent = await User.select().where(User.email == "platform@demo.test").first()
    assert agent["enterprise"] == platform["id"] and agent["agent_status"] == "approved" and agent["role"] == "merchant"
    linked = await PlatformMerchant.select(PlatformMerchant.merchant).where(PlatformMerchant.platform == platform["id"])
    merchants = {case["enterprise"] for case in demo_cases}
    assert {row["merchant"] for row in linked} == merchants
    named = [case for case in demo_cases if case["platform_enterprise"] == platform["id"]]
    assert len(named) >= 3 and {case["platform"] for case in named} == {DEMO_PLATFORM.name}
    compensated = [case for case in named if case["compensated_by"] == "platform"]
    assert len(compensated) == 1 and compensated[0]["state"] == CaseState.resolved
    claim = await RecourseClaim.select().where(RecourseClaim.case == compensated[0]["id"]).first()
    assert claim["state"] == "open" and claim["platform"] == platform["id"] and claim["amount"] == 39900
    assert (await record.verify(compensated[0]["id"])).verified
    assert any(case["state"] == CaseState.breached for case in named)  # waits for the platform's decision
