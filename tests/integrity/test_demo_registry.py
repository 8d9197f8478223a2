"""The demo registry: published, repaired and expired listings reached through due process, so the demo
log has entries in the order they happened and the open-data pages show them (issue 18)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from accord.clock import FrozenClock, WeekdayCalendar
from accounts.seed import DEMO_ENTERPRISES, ensure_demo_accounts
from accounts.tables import Enterprise
from integrity.log import verify_export
from integrity.seed import seed_demo_registry
from integrity.tables import Listing, LogEntry
from tests.clean_database import kept_rows
from tests.conftest import BASE_TIME, ClientFactory

DEMO_USCCS = [enterprise.uscc for enterprise in DEMO_ENTERPRISES]


@pytest.fixture(scope="module")
async def demo_listings(app: Any) -> AsyncIterator[list[dict[str, Any]]]:
    clock = FrozenClock(BASE_TIME)
    await ensure_demo_accounts(clock)
    await seed_demo_registry(clock, WeekdayCalendar())
    enterprises = Enterprise.select(Enterprise.id).where(Enterprise.uscc.is_in(DEMO_USCCS))
    async with kept_rows():
        yield await Listing.select().where(Listing.enterprise.is_in(enterprises)).order_by(Listing.id)


async def test_demo_listings_are_published_repaired_and_expired(demo_listings: list[dict[str, Any]]) -> None:
    states = [listing["state"] for listing in demo_listings]
    assert {"published", "repaired", "expired"} <= set(states) and states.count("published") >= 2
    assert any(listing["escalated"] for listing in demo_listings)
    assert all(listing["updated_at"] <= BASE_TIME for listing in demo_listings)


async def test_the_demo_log_has_its_events_in_the_order_they_happened(demo_listings: list[dict[str, Any]]) -> None:
    entries = (
        await LogEntry.select(LogEntry.seq, LogEntry.at, LogEntry.leaf, LogEntry.forgotten)
        .where(LogEntry.listing.is_in([listing["id"] for listing in demo_listings]))
        .order_by(LogEntry.seq)
    )
    assert len(entries) >= 5
    times = [entry["at"] for entry in entries]
    assert times == sorted(times) and times[-1] <= BASE_TIME
    assert {json.loads(entry["leaf"])["event"] for entry in entries} == {"published", "repaired", "expired"}
    assert sum(not entry["forgotten"] for entry in entries) == 2  # only the still-published keep details


async def test_the_open_data_pages_show_the_demo_listings(
    demo_listings: list[dict[str, Any]], new_client: ClientFactory
) -> None:
    anonymous = new_client()
    published = [listing for listing in demo_listings if listing["state"] == "published"]
    shenzhen = next(enterprise for enterprise in DEMO_ENTERPRISES if enterprise.uscc == "914403001922038216")
    page = await anonymous.get("/registry", params={"q": shenzhen.uscc})
    assert page.status_code == 200
    for listing in published:
        assert f'href="/registry/{listing["id"]}"' in page.text
    lines = (await anonymous.get("/registry/export.jsonl")).text.splitlines()
    shown = {json.loads(line)["data"]["id"] for line in lines if json.loads(line)["data"]}
    assert {f"accord-listing-{listing['id']}" for listing in published} <= shown
    head = (await anonymous.get("/registry/tree-head")).json()
    assert head["size"] == len(lines) >= 5
    assert verify_export(lines, head["root"]).verified
