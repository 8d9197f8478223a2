"""What a move writes, a table at a time: its record events in one INSERT (the transition's, and its words' when
they are kept in another channel), and an offer settled on in one UPDATE (the last acceptance with its status)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accord.clock import FrozenClock
from cases.record import verify
from cases.tables import Case, CaseEvent, Offer
from tests.cases.conftest import Cast, act, to_mediation
from tests.cases.test_statement_counts import counted


async def counted_act(client: Any, case: dict[str, Any], action: str, **payload: Any) -> list[str]:
    current = (await client.get(f"/api/v1/cases/{case['reference']}")).json()
    async with counted() as statements:
        response = await client.post(
            f"/api/v1/cases/{case['reference']}/actions/{action}", json={"version": current["version"], **payload}
        )
    assert response.status_code == 200, response.text
    return statements


def writing(table: str, statements: list[str]) -> list[str]:
    return [
        s for s in statements if s.startswith((f"INSERT INTO {table}", f'INSERT INTO "{table}"', f'UPDATE "{table}"'))
    ]


async def case_id(case: dict[str, Any]) -> int:
    return int((await Case.select(Case.id).where(Case.reference == case["reference"]).first())["id"])


async def test_a_question_and_its_words_in_another_channel_are_stored_in_one_insert(cast: Cast) -> None:
    case = await to_mediation(cast)
    before = await CaseEvent.count().where(CaseEvent.case == await case_id(case))
    statements = await counted_act(cast.mediator, case, "request_info", party="merchant", question="Invoice?")
    assert len(writing("case_event", statements)) == 1, statements
    stored = await CaseEvent.select(CaseEvent.seq, CaseEvent.channel).where(CaseEvent.case == await case_id(case))
    added = sorted(stored, key=lambda row: row["seq"])[before:]
    assert [row["seq"] for row in added] == [before + 1, before + 2]
    assert len({row["channel"] for row in added}) == 2  # the question's words go to the merchant's caucus
    assert (await verify(await case_id(case))).verified


async def test_the_acceptance_that_settles_a_proposal_is_one_update_of_it(cast: Cast, clock: FrozenClock) -> None:
    case = await to_mediation(cast)
    terms = [{"type": "refund", "amount": {"amount": "10", "currency": "CNY"}}]
    fulfil_by = (clock.now() + timedelta(days=9)).date().isoformat()
    await act(cast.mediator, case, "propose_settlement", terms=terms, fulfil_by=fulfil_by)
    first = await counted_act(cast.consumer, case, "accept_proposal")
    assert len(writing("case_offer", first)) == 1, first
    settling = await counted_act(cast.merchant, case, "accept_proposal")
    assert len(writing("case_offer", settling)) == 1, settling
    proposal = await Offer.select().where(Offer.case == await case_id(case), Offer.by_role == "mediator").first()
    assert proposal["status"] == "accepted"
    assert proposal["consumer_accepted_at"] == proposal["merchant_accepted_at"] == clock.now()
    assert (await Case.select(Case.state, Case.settlement).where(Case.reference == case["reference"]).first()) == {
        "state": "settled",
        "settlement": proposal["id"],
    }
    assert (await verify(await case_id(case))).verified
