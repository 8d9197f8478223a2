"""The listing page offers only registry actions that can succeed (issue 12 §6): no repair decision without
an application; publication and repair, while too early, show when they open instead; and the page and the
refusal name the same moment (the refusal used to give the UTC date, a day early for listings published in
Shanghai's small hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from markupsafe import escape

from accord.clock import FrozenClock, WeekdayCalendar
from accord.i18n import format_moment
from accounts.service import act_as, get_user
from integrity.service import ListingIn, propose
from integrity.tables import Listing, Violation
from tests.conftest import SignedIn, login, post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHANGHAI_SMALL_HOURS = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)  # 01:30 on 26 November in Shanghai


def form_for(listing_id: int, action: str) -> str:
    return f'action="/registry/{listing_id}/actions/{action}"'


async def listing_row(listing_id: int) -> dict[str, Any]:
    row = await Listing.select().where(Listing.id == listing_id).first()
    assert row is not None
    return row


async def act_on(browser: httpx.AsyncClient, listing_id: int, action: str, **fields: str) -> httpx.Response:
    version = (await listing_row(listing_id))["version"]
    return await post_form(browser, f"/registry/{listing_id}/actions/{action}", {"version": version, **fields})


class Desk:
    """A registrar and a merchant agent (signed-in browsers) and a listing the enterprise was told of."""

    def __init__(self, registrar: Any, agent: Any, listing_id: int) -> None:
        (self.registrar, self.admin), (self.agent, self.merchant), self.listing_id = registrar, agent, listing_id

    async def after(self, clock: FrozenClock, moment: datetime) -> None:
        """Move time on; sessions do not last months, so both sign in again."""
        clock.set(moment)
        for browser, user in ((self.registrar, self.admin), (self.agent, self.merchant)):
            assert (await login(browser, user["email"])).status_code == 302


async def noticed_listing(signed_in: SignedIn) -> Desk:
    registrar, agent = await signed_in("admin"), await signed_in("merchant")
    facts = ListingIn(enterprise_id=agent[1]["enterprise_id"], violation=Violation.counterfeit, facts="Fakes.")
    proposer = act_as(await get_user(registrar[1]["id"]))
    listing_id = (await propose(proposer, facts, FrozenClock(datetime.now(UTC))))["id"]
    assert (await act_on(registrar[0], listing_id, "notice")).status_code == 302
    return Desk(registrar, agent, listing_id)


async def test_publication_shows_when_it_opens_and_the_refusal_names_the_same_moment(
    signed_in: SignedIn, clock: FrozenClock
) -> None:
    desk = await noticed_listing(signed_in)
    registrar, listing_id = desk.registrar, desk.listing_id
    opens = format_moment((await listing_row(listing_id))["objection_until"], SHANGHAI)
    page = (await registrar.get(f"/registry/{listing_id}")).text
    assert form_for(listing_id, "publish") not in page
    assert f"Publish: possible from {escape(opens)}" in page
    refused = await act_on(registrar, listing_id, "publish", decision="Now.")
    assert refused.status_code == 409 and str(escape(opens)) in refused.text

    await desk.after(clock, WeekdayCalendar().add_working_days(clock.now(), 11))
    page = (await registrar.get(f"/registry/{listing_id}")).text
    assert form_for(listing_id, "publish") in page and "possible from" not in page


async def test_repair_is_decided_only_on_an_application_and_opens_on_the_day_the_page_says(
    signed_in: SignedIn, clock: FrozenClock
) -> None:
    desk = await noticed_listing(signed_in)
    registrar, agent, listing_id = desk.registrar, desk.agent, desk.listing_id
    await desk.after(clock, SHANGHAI_SMALL_HOURS + timedelta(days=21))  # the objection window has closed
    assert (await act_on(registrar, listing_id, "publish", decision="Upheld.")).status_code == 302
    minimum_until = (await listing_row(listing_id))["minimum_until"]
    assert minimum_until.astimezone(UTC).date() != minimum_until.astimezone(SHANGHAI).date()
    opens = str(escape(format_moment(minimum_until, SHANGHAI)))

    registrar_page = (await registrar.get(f"/registry/{listing_id}")).text
    for decision in ("grant_repair", "refuse_repair"):
        assert form_for(listing_id, decision) not in registrar_page
    agent_page = (await agent.get(f"/registry/{listing_id}")).text
    assert form_for(listing_id, "apply_repair") not in agent_page
    assert f"Apply for repair: possible from {opens}" in agent_page and opens in agent_page.split("</dl>")[0]
    refused = await act_on(agent, listing_id, "apply_repair", text="We recalled the stock.")
    assert refused.status_code == 409 and opens in refused.text
    assert minimum_until.astimezone(UTC).date().isoformat() not in refused.text

    await desk.after(clock, minimum_until + timedelta(minutes=1))
    assert form_for(listing_id, "apply_repair") in (await agent.get(f"/registry/{listing_id}")).text
    assert (await act_on(agent, listing_id, "apply_repair", text="We recalled the stock.")).status_code == 302
    registrar_page = (await registrar.get(f"/registry/{listing_id}")).text
    for decision in ("grant_repair", "refuse_repair"):
        assert form_for(listing_id, decision) in registrar_page




async def test_a_refused_form_comes_back_with_what_was_typed_in_it_alone(signed_in: SignedIn) -> None:
    """The listing's forms are drawn from their payloads (accord.actions): an objection too long for its
    payload comes back filled in and marked, and no other form on the page is."""
    desk = await noticed_listing(signed_in)
    too_long = "x" * 5001
    refused = await act_on(desk.agent, desk.listing_id, "object", text=too_long)
    assert refused.status_code == 422
    form = refused.text.split(form_for(desk.listing_id, "object"))[1].split("</form>")[0]
    assert 'aria-invalid="true"' in form and too_long in form and 'maxlength="5000"' in form
    assert refused.text.count('aria-invalid="true"') == 1
