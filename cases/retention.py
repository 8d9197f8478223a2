"""Retention (PIPL; SECURITY.md "Data protection"): a case's personal details are masked
`ACCORD_RETENTION_YEARS` (default 3) after it ended.

A job of the cases module (so the server's loop and `accord sweep` run it alike): each round finds cases in a
final state whose `terminal_at` lies more than the retention period before the clock, and masks each once:
the row's free-text personal details (`MASKED_CASE_COLUMNS`: order number, waybill, description, rating
comment) become `MASK`, `masked_at` is set, and from then on the case names its consumer "Consumer (details
masked)" wherever it shows who did or said what (cases/service.py `unnamed`). A conditional update (`masked_at`
still null) makes each case masked exactly once however many processes run the job.

The record is not rewritten: its events are the evidence, chained by hashes over their content, so they keep
what was said (still only for the parties, mediators and registrars who could read it before); verification
accepts the mask in the masked columns of a masked case (cases/record.py), so every record still verifies.
The consumer's account itself is theirs to close (accounts.service.close_account); it is not deleted here, as
they may have other cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accord.db import write_transaction
from accord.modules import Runtime
from cases import record
from cases.tables import MASK, MASKED_CASE_COLUMNS, TERMINAL_STATES, Case

BATCH = 100  # cases a round: a first run on an old deployment spreads over rounds


def years_before(now: datetime, years: int) -> datetime:
    """The same moment `years` earlier (29 February becomes the 28th in a year without it)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


async def mask_ended_cases(now: datetime, years: int, batch: int = BATCH) -> list[str]:
    """Mask the cases that ended more than `years` before `now` and are not masked yet; their references."""
    cutoff = years_before(now, years)
    due = (
        await Case.select(Case.id)
        .where(
            Case.state.is_in([state.value for state in TERMINAL_STATES]),
            Case.terminal_at < cutoff,
            Case.masked_at.is_null(),
        )
        .order_by(Case.terminal_at)
        .limit(batch)
    )
    masked = []
    for row in due:
        if reference := await _mask(row["id"], now):
            masked.append(reference)
    return masked


async def _mask(case_id: int, now: datetime) -> str | None:
    async with write_transaction():
        case = await record.lock_case(case_id)
        if case is None or case["masked_at"] is not None or case["state"] not in TERMINAL_STATES:
            return None  # another process masked it, or an appeal reopened it meanwhile
        changes: dict[Any, Any] = {
            getattr(Case, column): MASK for column in MASKED_CASE_COLUMNS if case[column] is not None
        }
        done = (
            await Case.update({**changes, Case.masked_at: now})
            .where(Case.id == case_id, Case.masked_at.is_null())
            .returning(Case.reference)
        )
    return str(done[0]["reference"]) if done else None


async def retention_job(runtime: Runtime) -> list[str]:
    return await mask_ended_cases(runtime.clock.now(), runtime.settings.retention_years)


def report(masked: list[str]) -> list[str]:
    return [f"masked the personal details of {len(masked)} ended case(s): {', '.join(masked)}"] if masked else []
