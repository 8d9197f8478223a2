"""The demo brand (issue 16 §6): a few hundred items' events, and demo cases showing every trace-check result."""

from __future__ import annotations

from typing import Any

from accord.clock import FrozenClock, WeekdayCalendar
from accounts.seed import ensure_demo_accounts
from cases.seed import seed_demo_cases
from cases.tables import Case
from tests.cases.conftest import cast, parties  # noqa: F401 - fixtures
from tests.conftest import BASE_TIME
from traceability import seed
from traceability.tables import ItemEvent, TraceCheck


async def test_the_demo_brand_and_its_cases_show_each_result(app: Any) -> None:
    clock = FrozenClock(BASE_TIME)
    await ensure_demo_accounts(clock)
    await seed_demo_cases(clock, WeekdayCalendar())
    await seed.seed_demo_trace(clock, WeekdayCalendar())
    items = await ItemEvent.select(ItemEvent.item).distinct()
    assert (
        len([row for row in items if row["item"].startswith(seed.FORMULA) or row["item"].startswith(seed.THERMOS)])
        == 300
    )
    checks = {
        row["case.trace_code"]: row["status"]
        for row in await TraceCheck.select(TraceCheck.status, TraceCheck.case.join_on(Case.id).trace_code)
    }
    assert checks[f"(01){seed.THERMOS}(21)T0040"] == "verified"
    assert checks[f"(01){seed.THERMOS}(21)T9999"] == "unknown"
    assert checks[f"(01){seed.FORMULA}(21)F0195"] == "mismatch"
    assert checks[f"(01){seed.FORMULA}(10)ABC123(21)XYZ"] == "cloned"
    # Insights seeds after traceability: its recount holds the demo cases' trace-check results.
    from datetime import date

    from insights.module import seed_rollups
    from insights.service import Filters, trace_checks

    await seed_rollups(clock, WeekdayCalendar())
    verified = await Case.select(Case.enterprise).where(Case.trace_code == f"(01){seed.THERMOS}(21)T0040").first()
    counted = {row["enterprise_id"]: row for row in await trace_checks(Filters(date(2000, 1, 1), date(2100, 1, 1)))}
    assert counted[verified["enterprise"]]["verified"] >= 1
    await seed.seed_demo_trace(clock, WeekdayCalendar())  # a second run adds nothing
    assert len(await ItemEvent.select(ItemEvent.item).distinct()) == len(items)


async def test_cases_filed_without_a_check_are_checked_on_demand(app: Any, cast: Any) -> None:
    from datetime import datetime

    from tests.cases.conftest import file_case
    from traceability import service

    case = await file_case(cast, trace_code="(01)09521235000111(21)T0041")
    case_id = (await Case.select(Case.id).where(Case.reference == case["reference"]).first())["id"]
    await TraceCheck.delete().where(TraceCheck.case == case_id)  # as if filed before trace/ was installed
    assert await service.check_unchecked(datetime.now().astimezone()) >= 1
    assert (await TraceCheck.select(TraceCheck.status).where(TraceCheck.case == case_id).first()) is not None
    assert await service.check_unchecked(datetime.now().astimezone()) == 0
