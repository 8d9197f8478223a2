"""The sweeper applies due deadlines exactly once, however many processes sweep."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from accord.clock import FrozenClock, WeekdayCalendar
from cases import service
from cases.tables import Case, CaseEvent, Deadline
from cases.workflow import Context, apply
from mediation.sweeper import sweep
from tests.cases.conftest import Parties, filing
from tests.cli import accord

ACCORD = str(Path(sys.executable).with_name("accord"))


def run_sweep(at: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ACCORD, "sweep", "--at", at], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )


async def events_of(reference: str, kind: str) -> int:
    case = await Case.select(Case.id).where(Case.reference == reference).first()
    return await CaseEvent.count().where(CaseEvent.case == case["id"], CaseEvent.type == kind)


async def state_of(reference: str) -> str:
    return (await Case.select(Case.state).where(Case.reference == reference).first())["state"]


async def test_unanswered_case_goes_to_mediation_after_10_working_days_once(
    filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    reference = filed_case["reference"]
    at = WeekdayCalendar().add_working_days(clock.now(), 11).isoformat()
    first = accord("sweep", "--at", at)
    assert first.returncode == 0, first.stderr
    assert f"{reference} response_timeout" in first.stdout
    again = accord("sweep", "--at", at)
    assert again.returncode == 0 and reference not in again.stdout
    assert await state_of(reference) == "awaiting_mediator"
    assert await events_of(reference, "response_timeout") == 1
    assert await events_of(reference, "negotiation_timeout") == 0  # its clock stopped when the case moved


async def test_nothing_fires_before_the_deadline(
    filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 9))
    fired = await sweep(context)
    assert filed_case["reference"] not in [item.reference for item in fired]
    assert await state_of(filed_case["reference"]) == "filed"


async def test_concurrent_sweeps_in_one_process_fire_each_deadline_once(
    parties: Parties, context: Context, clock: FrozenClock
) -> None:
    references = []
    for _number in range(5):
        result = await service.file_case(
            parties.consumer, filing(parties.merchant.enterprise_id), context, clock.now().date()
        )
        references.append(result.case["reference"])
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 11))
    results = await asyncio.gather(*(sweep(context) for _ in range(4)))
    fired = [item.reference for batch in results for item in batch if item.reference in references]
    assert sorted(fired) == sorted(references)
    for reference in references:
        assert await events_of(reference, "response_timeout") == 1


async def test_two_sweeper_processes_fire_each_deadline_once(
    parties: Parties, context: Context, clock: FrozenClock
) -> None:
    references = []
    for _number in range(12):
        result = await service.file_case(
            parties.consumer, filing(parties.merchant.enterprise_id), context, clock.now().date()
        )
        references.append(result.case["reference"])
    at = WeekdayCalendar().add_working_days(clock.now(), 11).isoformat()
    processes = [run_sweep(at), run_sweep(at)]
    outputs = [process.communicate(timeout=180) for process in processes]
    assert all(process.returncode == 0 for process in processes), [err for _out, err in outputs]
    mentioned = [line.split()[0] for out, _err in outputs for line in out.splitlines()[1:]]
    assert sorted(ref for ref in mentioned if ref in references) == sorted(references)
    for reference in references:
        assert await events_of(reference, "response_timeout") == 1
        assert await state_of(reference) == "awaiting_mediator"


async def test_missed_fulfilment_date_breaches_and_information_timeout_resumes_mediation(
    parties: Parties, filed_case: dict[str, Any], context: Context, clock: FrozenClock
) -> None:
    reference = filed_case["reference"]
    await apply(reference, "respond", parties.merchant, {"kind": "question", "text": "Photo please?"}, context)
    await apply(reference, "request_mediation", parties.consumer, {}, context)
    await apply(reference, "claim", parties.mediator, {}, context)
    await apply(reference, "admit", parties.mediator, {}, context)
    limit_before = await _due(reference, "mediation_limit")
    await apply(reference, "request_info", parties.mediator, {"party": "merchant", "question": "Invoice?"}, context)
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 6))
    fired = await sweep(context)
    assert (reference, "information_timeout") in [(item.reference, item.action) for item in fired]
    limit_after = await _due(reference, "mediation_limit")
    assert limit_after - limit_before >= timedelta(days=6)  # the paused working days were given back
    fulfil_by = (clock.now() + timedelta(days=10)).date().isoformat()
    await apply(
        reference,
        "propose_settlement",
        parties.mediator,
        {"terms": [{"type": "refund", "amount": {"amount": "50", "currency": "CNY"}}], "fulfil_by": fulfil_by},
        context,
    )
    await apply(reference, "accept_proposal", parties.consumer, {}, context)
    await apply(reference, "accept_proposal", parties.merchant, {}, context)
    assert await state_of(reference) == "settled"
    process = run_sweep((clock.now() + timedelta(days=11)).isoformat())  # the due date has passed
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert f"{reference} fulfilment_timeout" in out
    assert await state_of(reference) == "breached"
    assert await _due(reference, "breach_review") is not None


async def _due(reference: str, name: str) -> Any:
    case = await Case.select(Case.id).where(Case.reference == reference).first()
    row = (
        await Deadline.select(Deadline.due_at)
        .where(Deadline.case == case["id"], Deadline.name == name, Deadline.closed_at.is_null())
        .first()
    )
    return row["due_at"] if row else None
