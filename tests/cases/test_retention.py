"""Retention (PIPL, issue 17 §5): ACCORD_RETENTION_YEARS after a case ended, a job masks its personal details,
exactly once, on the injected clock; the record still verifies."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from accord.clock import FrozenClock, WeekdayCalendar
from accord.modules import Runtime, run_jobs
from accord.settings import SettingsError, get_settings, load_settings
from cases.module import MODULE
from cases.retention import mask_ended_cases, years_before
from cases.service import verify_reference
from cases.tables import MASK, Case
from tests.accounts.test_closing import _act, _file, _say
from tests.conftest import BASE_TIME, SignedIn

RETENTION = next(job for job in MODULE.jobs if job.name == "retention")


@pytest.fixture
async def cases_of_all_ages(api_client: SignedIn, clock: FrozenClock, app: Litestar) -> dict[str, Any]:
    """Cases between one consumer and one merchant: one withdrawn now, one withdrawn two years later, one
    still open; words by the consumer on the first."""
    name = f"Retained Person {uuid.uuid4().hex[:6]}"
    consumer, _user = await api_client("consumer", display_name=name)
    merchant, merchant_user = await api_client("merchant")
    enterprise = merchant_user["enterprise_id"]
    old = await _file(consumer, enterprise)
    await _say(consumer, old, "joint", "My order, my address: 12 Lake Road.")
    await _act(consumer, old, "withdraw", reason="Sorted it out with the shop.")
    still_open = await _file(consumer, enterprise)
    clock.advance(timedelta(days=730))
    recent = await _file(consumer, enterprise)
    await _act(consumer, recent, "withdraw", reason="Changed my mind.")
    return {"consumer": consumer, "merchant": merchant, "name": name, "old": old, "recent": recent, "open": still_open}


def _runtime(clock: FrozenClock, years: int = 3) -> Runtime:
    settings = get_settings()
    if years != settings.retention_years:
        settings = load_settings({**os.environ, "ACCORD_RETENTION_YEARS": str(years)})
    return Runtime(settings, clock, WeekdayCalendar())


async def _row(reference: str) -> dict[str, Any]:
    return await Case.select().where(Case.reference == reference).first()


async def test_the_job_masks_only_cases_ended_longer_ago_than_the_period_and_only_once(
    cases_of_all_ages: dict[str, Any], clock: FrozenClock
) -> None:
    world = cases_of_all_ages
    before = {key: await _row(world[key]) for key in ("old", "recent", "open")}
    clock.advance(timedelta(days=3 * 365 - 730 + 2))  # three years and a day after the first case ended
    assert years_before(clock.now(), 3) > before["old"]["terminal_at"]
    [(job, masked)] = await run_jobs([RETENTION], _runtime(clock))
    assert masked == [world["old"]]
    assert list(job.report(masked)) == [f"masked the personal details of 1 ended case(s): {world['old']}"]
    old = await _row(world["old"])
    assert old["masked_at"] == clock.now()
    assert (old["order_number"], old["description"]) == (MASK, MASK)
    assert old["waybill"] == (MASK if before["old"]["waybill"] else None)
    for untouched in ("recent", "open"):
        assert await _row(world[untouched]) == before[untouched], untouched
    # Every record still verifies, the masked one too.
    for key in ("old", "recent", "open"):
        assert (await verify_reference(world[key], clock.now())).verified, key

    # The merchant now sees neither the consumer's name nor the masked details on that case.
    case = (await world["merchant"].get(f"/api/v1/cases/{world['old']}")).json()
    assert case["consumer"]["display_name"] == "Consumer (details masked)"
    assert case["order_number"] == MASK and case["description"] == MASK
    messages = (await world["merchant"].get(f"/api/v1/cases/{world['old']}/messages")).json()["items"]
    assert {m["author"]["display_name"] for m in messages} == {"Consumer (details masked)"}
    record = await world["merchant"].get(f"/api/v1/cases/{world['old']}/record")
    assert record.json()["verified"] and world["name"] not in record.text
    assert world["name"] in (await world["merchant"].get(f"/api/v1/cases/{world['recent']}")).text

    # Again, later: nothing more is masked, and the first masking stays as it was.
    clock.advance(timedelta(days=1))
    assert await mask_ended_cases(clock.now(), 3) == []
    assert (await _row(world["old"]))["masked_at"] == old["masked_at"]


async def test_masking_happens_once_however_many_processes_run_it(
    cases_of_all_ages: dict[str, Any], clock: FrozenClock
) -> None:
    clock.advance(timedelta(days=3 * 365 + 400))
    rounds = await asyncio.gather(*(mask_ended_cases(clock.now(), 3) for _ in range(4)))
    masked = [reference for each in rounds for reference in each]
    world = cases_of_all_ages
    assert sorted(masked) == sorted([world["old"], world["recent"]])


async def test_the_period_is_a_setting(cases_of_all_ages: dict[str, Any], clock: FrozenClock, tmp_path: Path) -> None:
    clock.advance(timedelta(days=3 * 365 - 730 + 2))
    assert await mask_ended_cases(clock.now(), 5) == []
    [(_job, masked)] = await run_jobs([RETENTION], _runtime(clock, years=5))
    assert masked == []
    env = {"ACCORD_DATA_DIR": str(tmp_path)}
    assert load_settings(env).retention_years == 3
    assert load_settings({**env, "ACCORD_RETENTION_YEARS": "7"}).retention_years == 7
    with pytest.raises(SettingsError, match="ACCORD_RETENTION_YEARS"):
        load_settings({**env, "ACCORD_RETENTION_YEARS": "0"})


def test_years_before_keeps_the_day_or_takes_the_28th() -> None:
    assert years_before(BASE_TIME, 3) == BASE_TIME.replace(year=2023)
    leap = BASE_TIME.replace(year=2028, month=2, day=29)
    assert years_before(leap, 3) == leap.replace(year=2025, day=28)
