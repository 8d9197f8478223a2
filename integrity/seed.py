"""Demo registry (DESIGN §6): listings that went through due process to published, repaired and expired,
so the public search, the open data and the Merkle log have something to show.

Like the demo cases, everything goes through `propose()` and the registry's `apply()` on a frozen clock
that only moves forward and never passes the real "now": the listing events, and so the log's entries,
come in the order they happened, each during the working day in Shanghai.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from accord.auth import Viewer
from accord.clock import Calendar, Clock, FrozenClock
from accounts.service import USER_COLUMNS, act_as
from accounts.tables import Enterprise, User
from cases.seed import DEMO_TIMEZONE, HARBOUR_HEALTH, SHENZHEN_BAY, WESTLAKE
from integrity import service
from integrity.tables import Listing
from integrity.workflow import RegistryContext, apply


async def _viewer(email: str) -> Viewer:
    user = await User.select(*USER_COLUMNS).where(User.email == email).first()
    if user is None:
        raise LookupError(f"demo user {email} is missing: seed the demo accounts first")
    return act_as(user)


class Registry:
    """The registrar's desk on a demo clock: each call happens at a given day and hour, or just after
    the moment the listing allows it, whichever is later."""

    def __init__(self, now: datetime, registrar: Viewer, calendar: Calendar) -> None:
        self.now = now
        self.registrar = registrar
        self.clock = FrozenClock(now - timedelta(days=430))
        self.context = RegistryContext(clock=self.clock, calendar=calendar, zone=DEMO_TIMEZONE)

    def at(self, days_ago: int, hour: int, minute: int = 0, *, not_before: datetime | None = None) -> None:
        day = (self.now - timedelta(days=days_ago)).astimezone(DEMO_TIMEZONE).date()
        moment = datetime.combine(day, time(hour, minute), tzinfo=DEMO_TIMEZONE)
        if not_before is not None:
            moment = max(moment, not_before + timedelta(minutes=30))
        self.clock.set(min(max(moment, self.clock.now()), self.now))

    async def propose(self, uscc: str, violation: str, tier: str, facts: str) -> int:
        enterprise = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == uscc).first()
        if enterprise is None:
            raise LookupError(f"demo enterprise {uscc} is missing: seed the demo accounts first")
        data = service.ListingIn(enterprise_id=enterprise["id"], violation=violation, tier=tier, facts=facts)
        created = await service.propose(self.registrar, data, self.clock)
        await self.act(created["id"], "notice", self.registrar)
        return int(created["id"])

    async def act(self, listing_id: int, action: str, by: Viewer | None, **payload: Any) -> None:
        """`by` None: the system (expiry)."""
        await apply(listing_id, action, by, payload, self.context)

    async def listing(self, listing_id: int) -> dict[str, Any]:
        row = await Listing.select().where(Listing.id == listing_id).first()
        assert row is not None
        return row


async def seed_demo_registry(clock: Clock, calendar: Calendar) -> None:
    """Listings about the demo enterprises: one expired, one repaired, two published (the second escalated)."""
    desk = Registry(clock.now(), await _viewer("admin@demo.test"), calendar)
    registrar, merchant = desk.registrar, await _viewer("merchant@demo.test")  # Westlake's agent

    # Harbour Health sold fake-origin honey: published for the general tier's full year, then expired.
    desk.at(420, 9, 40)
    honey = await desk.propose(
        HARBOUR_HEALTH,
        "false_origin",
        "general",
        "Honey sold as New Zealand Mānuka was packed in Guangdong (customs and lab reports on file).",
    )
    desk.at(385, 10, 15, not_before=(await desk.listing(honey))["objection_until"])
    await desk.act(honey, "publish", registrar, decision="No objection within the window; the lab reports stand.")

    # Westlake objected, was published anyway, recalled the goods and was granted repair.
    desk.at(226, 10, 0)
    tea = await desk.propose(
        WESTLAKE,
        "trademark",
        "general",
        "Tea tins carried a registered mark of another tea house (three consumer reports, photos on file).",
    )
    desk.at(218, 14, 40)
    await desk.act(tea, "object", merchant, text="The tins came from a supplier; we did not know the mark.")
    desk.at(200, 9, 30)  # an objection was filed: the registrar decides once it is weighed
    await desk.act(
        tea, "publish", registrar, decision="Selling goods under another's mark is the seller's responsibility."
    )
    desk.at(90, 11, 5, not_before=(await desk.listing(tea))["minimum_until"])
    await desk.act(tea, "apply_repair", merchant, text="All tins recalled and destroyed; new packaging attached.")
    desk.at(85, 16, 20)
    await desk.act(tea, "grant_repair", registrar, decision="Recall and destruction confirmed by the market regulator.")

    # Shenzhen Bay: counterfeit chargers, then pirated manuals while still listed (escalated to serious).
    desk.at(80, 11, 0)
    chargers = await desk.propose(
        SHENZHEN_BAY,
        "counterfeit",
        "general",
        "Phone chargers sold as a brand's originals failed its authentication check (brand's report on file).",
    )
    desk.at(60, 10, 0, not_before=(await desk.listing(chargers))["objection_until"])
    await desk.act(chargers, "publish", registrar, decision="The brand's authentication report was not contested.")
    desk.at(45, 10, 30)
    manuals = await desk.propose(
        SHENZHEN_BAY, "copyright", "general", "Printed copies of a publisher's manuals sold with the chargers."
    )
    desk.at(25, 15, 10, not_before=(await desk.listing(manuals))["objection_until"])
    await desk.act(manuals, "publish", registrar, decision="The publisher's rights were not contested.")

    # Harbour Health's year is up: the system lets the listing expire, as the sweeper does.
    desk.at(20, 9, 0, not_before=(await desk.listing(honey))["maximum_until"])
    await desk.act(honey, "expire", None)
