"""A move's one read of its case (cases.workflow.locked_case), and a message's (cases.service.post_message): with
the people its notices may tell, its enterprise's approved and active agents among them, so neither reads anybody
again; the rows the agents and open deadlines multiply are each taken once."""

from __future__ import annotations

from typing import Any

from accord.db import write_transaction
from accounts.tables import Enterprise, User
from cases.tables import Case, Deadline
from cases.workflow import locked_case
from notifications.tables import Notification
from tests.cases.conftest import Cast, act, file_case, to_mediation
from tests.cases.test_statement_counts import counted
from tests.conftest import UserFactory


async def agents_of_the_cast(cast: Cast, make_user: UserFactory) -> dict[str, dict[str, Any]]:
    """Beside the cast's merchant: another approved agent, one pending and one whose account is inactive."""
    uscc = (await Enterprise.select(Enterprise.uscc).where(Enterprise.id == cast.enterprise_id).first())["uscc"]
    made = {name: await make_user("merchant", enterprise_uscc=uscc) for name in ("second", "pending", "inactive")}
    await User.update({User.agent_status: "pending"}).where(User.id == made["pending"]["id"])
    await User.update({User.active: False}).where(User.id == made["inactive"]["id"])
    return made


async def test_the_locked_case_holds_each_approved_active_agent_and_each_open_deadline_once(
    cast: Cast, make_user: UserFactory
) -> None:
    agents = await agents_of_the_cast(cast, make_user)
    case = await file_case(cast)
    case_id = (await Case.select(Case.id).where(Case.reference == case["reference"]).first())["id"]
    first = await Deadline.select(Deadline.name, Deadline.due_at).where(Deadline.case == case_id).first()
    await Deadline.insert(Deadline(case=case_id, name="second_clock", due_at=first["due_at"]))
    merchant = (await cast.merchant.get("/api/v1/me")).json()
    async with write_transaction():
        locked = await locked_case(case["reference"])
    assert locked is not None
    assert [agent["id"] for agent in locked["agents"]] == sorted([merchant["id"], agents["second"]["id"]])
    assert {agent["email"] for agent in locked["agents"]} == {merchant["email"], agents["second"]["email"]}
    open_clocks = await Deadline.select(Deadline.name).where(Deadline.case == case_id, Deadline.closed_at.is_null())
    assert len(open_clocks) >= 3  # the filing's own clocks and the second one: rows of 3 deadlines x 2 agents at least
    assert sorted(deadline["name"] for deadline in locked["running"]) == sorted(row["name"] for row in open_clocks)
    assert [person["id"] for person in locked["people"]] == [case["consumer"]["id"]]


async def test_a_move_telling_the_merchant_tells_each_agent_once_without_reading_them_again(
    cast: Cast, make_user: UserFactory
) -> None:
    agents = await agents_of_the_cast(cast, make_user)
    case = await file_case(cast)
    await act(cast.merchant, case, "respond", kind="reject", text="The product was fine when shipped.")
    await act(cast.consumer, case, "request_mediation")
    current = (await cast.mediator.get(f"/api/v1/cases/{case['reference']}")).json()
    async with counted() as statements:
        claimed = await cast.mediator.post(
            f"/api/v1/cases/{case['reference']}/actions/claim", json={"version": current["version"]}
        )
    assert claimed.status_code == 200, claimed.text
    told = await Notification.select(Notification.recipient).where(
        Notification.kind == "case_claimed", Notification.subject_ref == case["reference"]
    )
    merchant = (await cast.merchant.get("/api/v1/me")).json()
    assert sorted(row["recipient"] for row in told) == sorted(
        [case["consumer"]["id"], merchant["id"], agents["second"]["id"]]
    )
    assert not [statement for statement in statements if "FROM users u WHERE" in statement]  # notices.PEOPLE
    assert (await Case.select(Case.mediator).where(Case.reference == case["reference"]).first()) == {
        "mediator": cast.mediator_id
    }


async def test_a_message_tells_whoever_may_read_its_channel_as_its_locked_read_found_them(
    cast: Cast, make_user: UserFactory
) -> None:
    agents = await agents_of_the_cast(cast, make_user)
    case = await to_mediation(cast)
    merchant = (await cast.merchant.get("/api/v1/me")).json()
    everyone_of_the_merchant = {merchant["id"], agents["second"]["id"]}
    sent = (
        (cast.consumer, "joint", everyone_of_the_merchant | {cast.mediator_id}),
        (cast.mediator, "caucus:consumer", {case["consumer"]["id"]}),
        (cast.mediator, "caucus:merchant", everyone_of_the_merchant),
        (cast.merchant, "caucus:merchant", {cast.mediator_id, agents["second"]["id"]}),
        (cast.mediator, "internal", set()),
    )
    for number, (author, channel, expected) in enumerate(sent):
        newest = await Notification.select(Notification.id).order_by(Notification.id, ascending=False).first()
        before = newest["id"] if newest else 0
        async with counted() as statements:
            posted = await author.post(
                f"/api/v1/cases/{case['reference']}/messages", json={"channel": channel, "text": f"message {number}"}
            )
        assert posted.status_code == 201, posted.text
        told = await Notification.select(Notification.recipient).where(
            Notification.id > before, Notification.kind == "new_message"
        )
        assert {row["recipient"] for row in told} == expected, channel
        assert not [statement for statement in statements if "FROM users u WHERE" in statement], channel
