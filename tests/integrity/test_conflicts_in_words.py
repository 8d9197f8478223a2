"""A refusal shown on a page speaks in words (issue 12 §12): the state code and version a 409 names are for
API clients, so a registry page refusing an action early says why without "(noticed, version 2)"."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from accord.clock import FrozenClock
from accounts.service import act_as, get_user
from integrity.service import ListingIn, propose
from integrity.tables import Listing, Violation
from tests.conftest import SignedIn, csrf_token, post_form


async def test_a_refused_registry_action_reads_in_words_on_the_page_and_names_the_state_in_the_api(
    signed_in: SignedIn,
) -> None:
    registrar, admin = await signed_in("admin")
    _agent, merchant = await signed_in("merchant")
    facts = ListingIn(enterprise_id=merchant["enterprise_id"], violation=Violation.counterfeit, facts="Fakes.")
    listing_id = (await propose(act_as(await get_user(admin["id"])), facts, FrozenClock(datetime.now(UTC))))["id"]
    path = f"/registry/{listing_id}/actions"

    assert (await post_form(registrar, f"{path}/notice", {"version": 1})).status_code == 302
    current = (await Listing.select(Listing.version).where(Listing.id == listing_id).first())["version"]
    page = await post_form(registrar, f"{path}/notice", {"version": current})  # noticed already
    assert page.status_code == 409
    said = re.search(r'<div class="alert error" role="alert"><p>(.*?)</p>', page.text, re.S)
    assert said and "version" not in said.group(1) and "noticed" not in said.group(1), page.text
    api = await registrar.post(
        f"/api/v1/registry/listings/{listing_id}/actions/notice",
        json={"version": current},
        headers={"x-csrftoken": await csrf_token(registrar)},
    )
    assert api.status_code == 409 and "noticed" in api.json()["detail"] and f"version {current}" in api.json()["detail"]
