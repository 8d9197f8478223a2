"""A case's reference (cases/filing.py, new_reference): AC-<year filed>-<8 digits drawn at random>. A drawn
reference that is taken already is not stored: the filing draws again, in the same transaction (no error, so a
caller's transaction on PostgreSQL goes on), and stores one case."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from accord import events
from accord.clock import FrozenClock
from accord.statemachine import KEY_DRAWS
from accounts.tables import Enterprise
from cases import service
from cases.record import verify
from cases.tables import Case
from cases.workflow import Context
from tests.cases.conftest import Parties, filing


def drawing(*numbers: int) -> Callable[[int], int]:
    """secrets.randbelow that returns `numbers` in turn (then the last again)."""
    queue = iter(numbers)
    last: list[int] = []

    def randbelow(bound: int) -> int:
        assert bound == 10**8
        last[:] = [next(queue, *last)]
        return last[0]

    return randbelow


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    yield lambda *numbers: monkeypatch.setattr(secrets, "randbelow", drawing(*numbers))


async def file(parties: Parties, context: Context, **overrides: Any) -> dict[str, Any]:
    data = filing(overrides.pop("enterprise_id", parties.merchant.enterprise_id), **overrides)
    result = await service.file_case(parties.consumer, data, context, context.clock.now().date())
    return result.case


async def test_a_reference_is_the_year_filed_and_eight_digits(parties: Parties, context: Context) -> None:
    year = context.clock.now().year
    references = [(await file(parties, context))["reference"] for _ in range(3)]
    assert all(re.fullmatch(rf"AC-{year}-\d{{8}}", reference) for reference in references), references
    assert len(set(references)) == 3
    later = Context(clock=FrozenClock(context.clock.now().replace(year=year + 1)), calendar=context.calendar)
    assert (await file(parties, later))["reference"].startswith(f"AC-{year + 1}-")


async def test_a_reference_taken_is_drawn_again(parties: Parties, context: Context, draws: Any) -> None:
    year = context.clock.now().year
    draws(42)
    first = await file(parties, context)
    draws(42, 42, 7)  # twice the first's number, then a free one
    second = await file(parties, context, order_number="TB-2026-0002")
    assert (first["reference"], second["reference"]) == (f"AC-{year}-00000042", f"AC-{year}-00000007")
    stored = await Case.select(Case.reference, Case.order_number).order_by(Case.id)
    assert stored == [
        {"reference": f"AC-{year}-00000042", "order_number": "TB-2026-0001"},
        {"reference": f"AC-{year}-00000007", "order_number": "TB-2026-0002"},
    ]
    assert (await verify(second["id"])).verified  # its record holds the reference it was stored with


async def test_a_draw_again_inside_a_callers_transaction_leaves_it_usable(
    parties: Parties, context: Context, draws: Any
) -> None:
    """On PostgreSQL a unique violation would abort the caller's transaction: the taken reference is skipped by
    the INSERT instead, and the filing (with a new enterprise it named) and what follows it commit together."""
    draws(42)
    await file(parties, context)
    draws(42, 8)
    async with events.atomic():
        filed = await file(
            parties, context, enterprise_id=None, enterprise={"name": "Harbour Goods Ltd", "country": "HK"}
        )
        await Case.update({Case.order_number: "TB-2026-0099"}).where(Case.id == filed["id"])
    assert filed["reference"].endswith("-00000008")
    assert await Enterprise.count().where(Enterprise.name == "Harbour Goods Ltd") == 1
    assert await Case.count().where(Case.order_number == "TB-2026-0099") == 1


async def test_a_filing_whose_every_draw_is_taken_stores_nothing(
    parties: Parties, context: Context, draws: Any
) -> None:
    draws(42)
    await file(parties, context)
    with pytest.raises(RuntimeError, match=f"{KEY_DRAWS} keys"):
        await file(parties, context, enterprise_id=None, enterprise={"name": "Harbour Goods Ltd", "country": "HK"})
    assert await Case.count() == 1
    assert not await Enterprise.exists().where(Enterprise.name == "Harbour Goods Ltd")
