"""What happens next (issue 12 §2): for each state and each person on the case (consumer, merchant, the
mediator holding it, another mediator, a registrar) the case page and the case JSON say who must act, what,
by when in the viewer's time zone with the zone named, how many working days are left, and what happens by
itself if nobody acts (the timeout action of the deadlines table)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape

from accord.clock import WeekdayCalendar
from accord.i18n import gettext, speaking
from cases.next_steps import (
    APPEAL_WINDOW,
    ON_TIMEOUT,
    OTHERS,
    SITUATIONS,
    Facts,
    next_step,
    situation_of,
    viewer_part,
)
from cases.tables import CaseState
from cases.workflow import DEADLINES, TRANSITIONS, Context
from tests.cases.conftest import MONEY, Cast, act, file_case, to_mediation
from tests.conftest import SignedIn, post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The cast's clients, by the part they hold on the case.
PARTS = {
    "consumer": "consumer",
    "merchant": "merchant",
    "mediator": "mediator",
    "other_mediator": "any_mediator",
    "admin": "admin",
}


def expected_text(situation_key: str, part: str) -> str:
    situation = next(s for s in SITUATIONS if s.key == situation_key)
    return situation.texts.get(part) or situation.texts[OTHERS]


async def told(cast: Cast, case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The case JSON as each member of the cast sees it."""
    return {
        who: (await getattr(cast, who).get(f"/api/v1/cases/{case['reference']}")).json() for who in PARTS
    }


def check(
    cast: Cast, seen: dict[str, dict[str, Any]], situation: str, actors: list[str], deadline: str | None
) -> None:
    holder = seen["admin"]["mediator"]
    for who in PARTS:
        shown = seen[who]["next"]
        # The cast's mediator is "the mediator" once they hold the case; before that, any mediator.
        part = "any_mediator" if who == "mediator" and not (holder and holder["id"] == cast.mediator_id) else PARTS[who]
        assert shown["situation"] == situation, (who, shown)
        assert shown["actor_roles"] == actors
        assert shown["summary"] == expected_text(situation, part), (who, shown["summary"])
        assert shown["you_act"] == (part in actors or (part == "any_mediator" and "any_mediator" in actors))
        assert shown["deadline"] == deadline and shown["time_zone"] == "Asia/Shanghai"
        if deadline in DEADLINES:
            due = datetime.fromisoformat(seen[who]["deadlines"][deadline])
            assert datetime.fromisoformat(shown["due_at"]) == due and shown["due_at"].endswith("+08:00")
            action = DEADLINES[deadline].action
            assert shown["on_timeout"]["action"] == action
            assert shown["on_timeout"]["summary"] == ON_TIMEOUT[action]
            if action:
                row = TRANSITIONS[(CaseState(seen[who]["state"]), action)]
                assert shown["on_timeout"]["state"] == (row.next_state or CaseState(seen[who]["state"])).value
        elif deadline is None:
            assert shown["due_at"] is None and shown["on_timeout"] is None


async def test_the_lifecycle_told_to_everyone_on_the_case(cast: Cast, clock: Any) -> None:
    case = await file_case(cast)
    seen = await told(cast, case)
    check(cast, seen, "filed", ["merchant"], "merchant_response")
    assert seen["merchant"]["next"]["working_days_left"] == 10 and not seen["merchant"]["next"]["overdue"]

    refund = [{"type": "refund", "amount": MONEY}]
    offer = await act(cast.merchant, case, "respond", kind="offer", remedies=refund, text="Half.")
    check(cast, await told(cast, case), "negotiating.merchant_offer", ["consumer"], "negotiation_limit")
    await act(cast.consumer, case, "reject_offer", offer_id=offer.json()["offers"][-1]["id"], reason="Not enough.")
    check(cast, await told(cast, case), "negotiating", ["consumer", "merchant"], "negotiation_limit")
    await act(cast.consumer, case, "counter_offer", remedies=refund, text="All of it.")
    check(cast, await told(cast, case), "negotiating.consumer_offer", ["merchant"], "negotiation_limit")

    await act(cast.merchant, case, "request_mediation")
    check(cast, await told(cast, case), "awaiting_mediator.unclaimed", ["any_mediator"], "admissibility")
    await act(cast.mediator, case, "claim")
    check(cast, await told(cast, case), "awaiting_mediator", ["mediator"], "admissibility")
    await act(cast.mediator, case, "admit")
    check(cast, await told(cast, case), "in_mediation", ["mediator"], "mediation_limit")
    await act(cast.mediator, case, "request_info", party="consumer", question="Photos of the box, please.")
    check(cast, await told(cast, case), "in_mediation.question_to_consumer", ["consumer"], "information_due")
    await act(cast.consumer, case, "provide_info", text="Uploaded.")
    fulfil_by = (clock.now() + timedelta(days=20)).date().isoformat()
    terms = [{"type": "refund", "amount": MONEY}]
    await act(cast.mediator, case, "propose_settlement", terms=terms, fulfil_by=fulfil_by)
    check(cast, await told(cast, case), "in_mediation.proposal", ["consumer", "merchant"], "mediation_limit")
    await act(cast.consumer, case, "accept_proposal")
    check(cast, await told(cast, case), "in_mediation.proposal_accepted_by_consumer", ["merchant"], "mediation_limit")
    await act(cast.merchant, case, "accept_proposal")
    check(cast, await told(cast, case), "settled", ["merchant"], "fulfilment_due")
    await act(cast.merchant, case, "mark_fulfilled", proof="Refund reference R-77.")
    check(cast, await told(cast, case), "settled.fulfilment_reported", ["consumer"], "confirmation_due")
    await act(cast.consumer, case, "confirm_fulfilment")
    seen = await told(cast, case)
    check(cast, seen, "resolved.appealable", [], APPEAL_WINDOW)
    appeal_until = datetime.fromisoformat(seen["consumer"]["next"]["due_at"])
    assert appeal_until == clock.now() + timedelta(days=30)
    assert seen["consumer"]["next"]["on_timeout"] == {
        "action": None,
        "state": None,
        "summary": "After that date the outcome is final.",
    }


async def test_a_withdrawn_case_says_nothing_more_happens(cast: Cast) -> None:
    case = await file_case(cast)
    await act(cast.consumer, case, "withdraw")
    check(cast, await told(cast, case), "withdrawn", [], None)


async def test_an_overdue_deadline_is_counted_in_working_days(cast: Cast, clock: Any) -> None:
    case = await to_mediation(cast)
    await act(cast.mediator, case, "request_info", party="merchant", question="Your shipping records?")
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 7))  # 5 working days were given
    shown = (await cast.merchant.get(f"/api/v1/cases/{case['reference']}")).json()["next"]
    assert shown["situation"] == "in_mediation.question_to_merchant" and shown["you_act"]
    assert shown["overdue"] and shown["working_days_left"] == -2


async def test_the_case_page_shows_the_panel_at_the_top(cast: Cast, signed_in: SignedIn) -> None:
    browser, merchant = await signed_in("merchant")
    consumer_browser, consumer = await signed_in("consumer")
    filed = await post_form(
        consumer_browser,
        "/cases/new",
        {
            "enterprise_id": str(merchant["enterprise_id"]),
            "category": "defective",
            "platform": "Tmall Global",
            "order_number": "TM-1",
            "purchase_date": "2026-11-02",
            "product_name": "Kettle",
            "desired_remedy": "refund",
            "description": "It leaks.",
            "language": "en",
        },
    )
    path = filed.headers["location"].split("?")[0]
    for client, text, acts in (
        (browser, expected_text("filed", "merchant"), True),
        (consumer_browser, expected_text("filed", "consumer"), False),
    ):
        page = (await client.get(path)).text
        panel = page[page.index('<section id="next"') : page.index("</section>", page.index('<section id="next"'))]
        assert page.index('<section id="next"') < page.index('id="actions"') if acts else True
        assert str(escape(text)) in panel and "(China Time)" in panel and "10 working days left" in panel
        assert "the case goes to the mediators" in panel
        assert ('href="#actions"' in panel) == acts


async def test_chinese_readers_are_told_in_chinese(cast: Cast, signed_in: SignedIn) -> None:
    case = await file_case(cast)
    browser, _user = await signed_in("admin", language="zh-Hans")
    page = (await browser.get(f"/cases/{case['reference']}")).text
    panel = page[page.index('<section id="next"') :]
    with speaking("zh-Hans"):
        assert gettext(expected_text("filed", "admin")) != expected_text("filed", "admin")
        assert gettext(expected_text("filed", "admin")) in panel
    assert "中国时间" in panel and "个工作日" in panel


def test_the_viewers_own_time_zone_is_used_once_they_have_one(filed_case: dict[str, Any], context: Context) -> None:
    running = {"merchant_response": datetime.fromisoformat("2026-12-09T09:00:00+00:00")}
    admin = frozenset({"admin"})
    berliner: Any = SimpleNamespace(timezone="Europe/Berlin")
    told_berliner = next_step(filed_case, admin, [], running, context, berliner)
    assert told_berliner.due_at is not None and told_berliner.due_at.utcoffset() == timedelta(hours=1)
    assert str(told_berliner.zone) == "Europe/Berlin"
    nobody: Any = SimpleNamespace()
    assert next_step(filed_case, admin, [], running, context, nobody).zone == context.zone


# --- the tables themselves -------------------------------------------------------------------------


def test_every_timeout_of_the_deadlines_table_is_told() -> None:
    assert {kind.action for kind in DEADLINES.values()} <= set(ON_TIMEOUT)


EVERY_FACTS = [
    Facts(mediator, offer_by, accepted, info_from, marked, appeal_until)
    for mediator, offer_by, accepted, info_from, marked, appeal_until in itertools.product(
        (False, True),
        (None, "consumer", "merchant"),
        (None, frozenset(), frozenset({"consumer"}), frozenset({"merchant"})),
        (None, "consumer", "merchant"),
        (False, True),
        (None, datetime(2026, 12, 25, tzinfo=SHANGHAI)),
    )
]


@pytest.mark.parametrize("state", list(CaseState), ids=lambda state: state.value)
def test_every_state_has_a_situation_whatever_is_open_and_tells_everyone(state: CaseState) -> None:
    for facts in EVERY_FACTS:
        assert situation_of(state.value, facts).state is state
    assert all(OTHERS in situation.texts for situation in SITUATIONS if situation.state is state)


def test_parts_of_the_viewer() -> None:
    assert viewer_part(frozenset({"any_mediator", "mediator"})) == "mediator"
    assert viewer_part(frozenset({"any_mediator", "former_mediator"})) == "any_mediator"
    assert viewer_part(frozenset({"admin"})) == "admin"
