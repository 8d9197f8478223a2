"""The conversation and acceptances on the case page (issue 12 §8), as a browser without JavaScript sees
them: conversations named from the viewer's side, no internal sequence numbers, a summary and a question
before an offer or a proposal is accepted, and the mediator told when their question is answered."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accord.clock import FrozenClock, WeekdayCalendar
from accounts.service import act_as
from cases.tables import Case
from cases.workflow import Context, apply
from notifications.tables import Notification
from tests.cases.test_keeping_input import Negotiation, negotiating, version_of
from tests.conftest import SignedIn, post_form


@pytest.fixture
def context(clock: FrozenClock) -> Context:
    return Context(clock=clock, calendar=WeekdayCalendar())


async def in_mediation(signed_in: SignedIn, context: Context) -> tuple[Negotiation, Any, dict[str, Any]]:
    case = await negotiating(signed_in, context)
    mediator, mediator_user = await signed_in("mediator")
    await apply(case.reference, "request_mediation", act_as(case.users["consumer"]), {}, context)
    for action in ("claim", "admit"):
        await apply(case.reference, action, act_as(mediator_user), {}, context)
    return case, mediator, mediator_user


def headings(page: str) -> list[str]:
    return re.findall(r'<div class="channel"[^>]*>\s*<h3>(.*?)</h3>', page)


async def test_conversations_are_named_from_the_viewers_side_without_sequence_numbers(
    signed_in: SignedIn, context: Context
) -> None:
    case, mediator, mediator_user = await in_mediation(signed_in, context)
    await post_form(mediator, f"{case.path}/messages", {"channel": "caucus:consumer", "text": "Just us two."})
    await post_form(case.consumer, f"{case.path}/messages", {"channel": "joint", "text": "Hello all."})
    consumer_page = (await case.consumer.get(case.path)).text
    assert headings(consumer_page) == ["Joint conversation", "Private with the mediator"]
    assert headings((await case.merchant.get(case.path)).text) == ["Joint conversation", "Private with the mediator"]
    mediator_page = (await mediator.get(case.path)).text
    assert headings(mediator_page) == [
        "Joint conversation",
        "Private with the consumer",
        "Private with the merchant",
        "Mediators&#39; notes",
    ]
    for page in (consumer_page, mediator_page):
        metas = re.findall(r'<li data-seq="\d+"><p class="meta">(.*?)</p>', page, re.S)
        assert len(metas) >= 1 and not [meta for meta in metas if re.search(r"#\d", meta)]
    assert "(mediator)" in consumer_page and "Just us two." in consumer_page  # author with role label: kept


async def test_accepting_an_offer_shows_its_terms_and_asks_first(signed_in: SignedIn, context: Context) -> None:
    case = await negotiating(signed_in, context)
    page = (await case.consumer.get(case.path)).text
    link = re.search(rf'href="({case.path}/accept\?offer=(\d+))"', page)
    assert link, "the case page links to the question, it does not accept at once"
    assert f'action="{case.path}/actions/accept_offer"' not in page
    question = await case.consumer.get(link.group(1))
    assert question.status_code == 200
    assert (
        "Accept this offer for case" in question.text
        and "CN¥40.00" in question.text
        and "We refund half." in question.text
    )
    assert "within 7 working days" in question.text and "Yes, accept" in question.text
    version = await version_of(case.reference)
    assert (
        f'name="version" value="{version}"' in question.text
        and f'name="offer_id" value="{link.group(2)}"' in question.text
    )
    accepted = await post_form(
        case.consumer, f"{case.path}/actions/accept_offer", {"version": version, "offer_id": link.group(2)}
    )
    assert accepted.status_code == 302
    assert (await Case.select(Case.state).where(Case.reference == case.reference).first())["state"] == "settled"
    assert (await case.consumer.get(link.group(1))).status_code == 409  # nothing left to accept


async def test_nobody_accepts_their_own_offer_or_a_missing_proposal(signed_in: SignedIn, context: Context) -> None:
    case = await negotiating(signed_in, context)
    page = (await case.consumer.get(case.path)).text
    offer_id = re.search(r"/accept\?offer=(\d+)", page).group(1)  # type: ignore[union-attr]
    assert (await case.merchant.get(f"{case.path}/accept?offer={offer_id}")).status_code == 409
    assert (await case.consumer.get(f"{case.path}/accept")).status_code == 409  # no proposal in negotiation


async def test_accepting_a_proposal_shows_it_and_says_what_acceptance_does(
    signed_in: SignedIn, context: Context
) -> None:
    case, mediator, _mediator_user = await in_mediation(signed_in, context)
    terms = {
        "terms": [{"type": "refund", "amount": {"amount": "70.00", "currency": "CNY"}}],
        "fulfil_by": "2026-12-18",
        "text": "Meet in the middle.",
    }
    await apply(case.reference, "propose_settlement", act_as(_mediator_user), terms, context)
    page = (await case.consumer.get(case.path)).text
    assert f'href="{case.path}/accept"' in page and f'action="{case.path}/actions/accept_proposal"' not in page
    question = await case.consumer.get(f"{case.path}/accept")
    assert question.status_code == 200
    assert "CN¥70.00" in question.text and "Meet in the middle." in question.text and "Dec 18, 2026" in question.text
    assert "Once the other party accepts as well" in question.text
    accepted = await post_form(
        case.consumer, f"{case.path}/actions/accept_proposal", {"version": await version_of(case.reference)}
    )
    assert accepted.status_code == 302
    merchant_question = await case.merchant.get(f"{case.path}/accept")
    assert "The other party has already accepted: your acceptance settles the case" in merchant_question.text
    assert (await mediator.get(f"{case.path}/accept")).status_code == 409  # mediators do not accept proposals


async def test_the_mediator_is_told_when_a_party_answers_their_question(signed_in: SignedIn, context: Context) -> None:
    case, _mediator, mediator_user = await in_mediation(signed_in, context)
    await apply(
        case.reference, "request_info", act_as(mediator_user), {"party": "consumer", "question": "Photo?"}, context
    )
    answered = await post_form(
        case.consumer,
        f"{case.path}/actions/provide_info",
        {"version": await version_of(case.reference), "text": "Attached."},
    )
    assert answered.status_code == 302
    notices = await Notification.select().where(
        Notification.recipient == mediator_user["id"], Notification.kind == "info_provided"
    )
    assert len(notices) == 1 and notices[0]["link"] == case.path
