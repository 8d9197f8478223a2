"""Registry domain logic besides transitions: proposing listings, public lookup, enterprise pages."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from accord import events
from accord.auth import Viewer
from accord.canonical import canonical_json
from accord.clock import Clock, FrozenClock
from accord.db import contains_text
from accord.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from accord.files import store_upload
from accord.i18n import gettext as _
from accord.pagination import ID, Window, page_of
from accord.validation import LongText, Strict
from accounts.schemas import Uscc
from accounts.service import search_enterprises
from accounts.tables import Enterprise, User
from cases.service import visible_case
from cases.tables import Case, CaseState, Category
from integrity.tables import Listing, ListingEvent, ListingEvidence, ListingState, Tier, Violation
from integrity.workflow import RegistryContext, apply, can_see

log = logging.getLogger("accord.integrity")
LISTABLE_CASE_STATES = (CaseState.breached.value, CaseState.unresolved.value)


class ListingIn(Strict):
    # The enterprise by its number in Accord or by its USCC (people know the code, not our numbers).
    enterprise_id: int | None = None
    enterprise_uscc: Uscc | None = None
    violation: Violation
    tier: Tier = Tier.general
    facts: LongText
    case_ref: Annotated[str | None, Field(max_length=20)] = None

    @model_validator(mode="after")
    def names_an_enterprise(self) -> ListingIn:
        if self.enterprise_id is None and not self.enterprise_uscc:
            raise PydanticCustomError("enterprise", _("Give the enterprise's number or its USCC."))
        return self


async def _resolved(data: ListingIn) -> ListingIn:
    """The proposal with the enterprise's number, found from its USCC when that is what was given."""
    if data.enterprise_id is not None:
        if not await Enterprise.exists().where(Enterprise.id == data.enterprise_id):
            raise InvalidInput.one("enterprise_id", _("There is no such enterprise."))
        if data.enterprise_uscc and not await Enterprise.exists().where(
            Enterprise.id == data.enterprise_id, Enterprise.uscc == data.enterprise_uscc
        ):
            raise InvalidInput.one("enterprise_uscc", _("This USCC is not the enterprise's with that number."))
        return data
    found = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == data.enterprise_uscc).first()
    if found is None:
        raise InvalidInput.one("enterprise_uscc", _("No enterprise with this USCC is registered."))
    return data.model_copy(update={"enterprise_id": found["id"]})


async def _check_case_grounds(viewer: Viewer, data: ListingIn) -> None:
    """A mediator lists from one of their cases that ended badly: counterfeit goods or a broken settlement."""
    if not data.case_ref:
        raise InvalidInput.one("case_ref", _("Mediators propose listings from a case: give its reference."))
    case = (
        await Case.select(Case.enterprise, Case.state, Case.category, Case.mediator)
        .where(Case.reference == data.case_ref)
        .first()
    )
    if case is None or case["mediator"] != viewer.id:
        raise InvalidInput.one("case_ref", _("This is not one of your cases."))
    if case["enterprise"] != data.enterprise_id:
        raise InvalidInput.one("enterprise_id", _("The case is about another enterprise."))
    if case["state"] not in LISTABLE_CASE_STATES:
        raise InvalidInput.one("case_ref", _("Only breached or unresolved cases can lead to a listing."))
    if case["category"] != Category.counterfeit.value and data.violation is not Violation.settlement_breach:
        raise InvalidInput.one(
            "violation", _("From a case, list counterfeit goods (counterfeit cases) or a settlement breach.")
        )


async def propose(viewer: Viewer, data: ListingIn, clock: Clock) -> dict[str, Any]:
    """A registrar or mediator proposes a listing; nothing is public until it has been through due process."""
    if not viewer.has_role("admin", "mediator"):
        raise Forbidden(_("Only registrars and mediators propose listings."))
    data = await _resolved(data)
    if viewer.role == "mediator":
        await _check_case_grounds(viewer, data)
    return await create_listing(viewer.id, data, "case" if data.case_ref else "registrar", clock)


async def create_listing(proposer_id: int, data: ListingIn, source: str, clock: Clock) -> dict[str, Any]:
    now = clock.now()
    async with events.atomic():
        created = await Listing.insert(
            Listing(
                enterprise=data.enterprise_id,
                violation=data.violation.value,
                tier=data.tier.value,
                facts=data.facts,
                source=source,
                case_ref=data.case_ref,
                state=ListingState.proposed.value,
                version=1,
                proposed_by=proposer_id,
                created_at=now,
                updated_at=now,
            )
        ).returning(Listing.id)
        listing_id = created[0]["id"]
        details = {"action": "propose", "to": "proposed", **data.model_dump(mode="json")}
        await ListingEvent.insert(
            ListingEvent(listing=listing_id, type="propose", actor=proposer_id, at=now, data=canonical_json(details))
        )
    return await Listing.select().where(Listing.id == listing_id).first()  # type: ignore[return-value]


async def listing_for(viewer: Viewer | None, listing_id: int) -> dict[str, Any]:
    listing = (
        await Listing.select(
            *Listing.all_columns(),
            Listing.enterprise.name.as_alias("enterprise_name"),
            Listing.enterprise.name_zh.as_alias("enterprise_name_zh"),
            Listing.enterprise.uscc.as_alias("enterprise_uscc"),
        )
        .where(Listing.id == listing_id)
        .first()
    )
    if listing is None or not can_see(listing, viewer):
        raise NotFound(_("There is no such listing."))
    return listing


async def case_shown_to(viewer: Viewer | None, listing: dict[str, Any]) -> str | None:
    """The reference of the case a listing came from, if the viewer may open that case (the cases' own
    access rules decide: its parties, mediators, registrars); None for everyone else."""
    if viewer is None or not listing.get("case_ref"):
        return None  # (cases' rules read no viewer as the system itself)
    try:
        await visible_case(viewer, listing["case_ref"])
    except NotFound:
        return None
    return str(listing["case_ref"])


def public_view(listing: dict[str, Any]) -> dict[str, Any]:
    """What anyone may read about a published listing: no objection text, no internal record."""
    keys = (
        "id",
        "enterprise",
        "enterprise_name",
        "enterprise_name_zh",
        "enterprise_uscc",
        "violation",
        "tier",
        "escalated",
        "facts",
        "decision",
        "published_at",
        "minimum_until",
        "maximum_until",
        "state",
        "version",
    )
    return {key: listing[key] for key in keys}


async def listing_events(viewer: Viewer, listing: dict[str, Any]) -> list[dict[str, Any]]:
    """The internal record, for registrars and the listed enterprise."""
    if not (viewer.role == "admin" or (viewer.role == "merchant" and viewer.enterprise_id == listing["enterprise"])):
        return []
    return await ListingEvent.select().where(ListingEvent.listing == listing["id"]).order_by(ListingEvent.id)


async def search_public(query: str, window: Window) -> tuple[list[dict[str, Any]], str | None]:
    """Published listings by enterprise name or USCC, newest first. No personal data is involved."""
    select = Listing.select(
        Listing.id,
        Listing.violation,
        Listing.tier,
        Listing.escalated,
        Listing.published_at,
        Listing.maximum_until,
        Listing.enterprise,
        Listing.enterprise.name.as_alias("enterprise_name"),
        Listing.enterprise.name_zh.as_alias("enterprise_name_zh"),
        Listing.enterprise.uscc.as_alias("enterprise_uscc"),
    ).where(
        Listing.state == ListingState.published.value,
        Listing.tier != Tier.minor.value,
        # Publishing needs a verified enterprise; one whose verification was withdrawn leaves the search.
        Listing.enterprise.verified.eq(True),
    )
    query = query.strip()
    if query:
        code = "".join(char for char in query.upper() if char.isalnum())
        matches = contains_text('"registry_listing$enterprise"."name"', query) | contains_text(
            '"registry_listing$enterprise"."name_zh"', query
        )
        select = select.where(matches | (Listing.enterprise.uscc == code) if code else matches)
    if window.after:
        select = select.where(Listing.id < window.keys(ID)[0])
    rows = await select.order_by(Listing.id, ascending=False).limit(window.limit + 1)
    return page_of(rows, window.limit, key=lambda row: [row["id"]])


ENTERPRISES_SHOWN = 50  # matches shown beside the listings; a longer list asks for a narrower search


async def matching_enterprises(query: str) -> list[dict[str, Any]]:
    """Verified enterprises whose name (either language) or USCC matches, each saying whether it has a
    published listing: the search answers "no published violations" too, not only who is listed."""
    if not query.strip():
        return []
    rows, _next = await search_enterprises(query, Window(after=None, limit=ENTERPRISES_SHOWN))
    listed = await publicly_listed([row["id"] for row in rows])
    return [{**row, "listed": row["id"] in listed} for row in rows]


async def listings_of(viewer: Viewer | None, enterprise_id: int) -> list[dict[str, Any]]:
    rows = (
        await Listing.select(*Listing.all_columns())
        .where(Listing.enterprise == enterprise_id)
        .order_by(Listing.id, ascending=False)
    )
    return [row for row in rows if can_see(row, viewer)]


async def publicly_listed(enterprise_ids: list[int]) -> set[int]:
    """Which of these enterprises have a published listing (for the warning on the filing form)."""
    if not enterprise_ids:
        return set()
    rows = await Listing.select(Listing.enterprise).where(
        Listing.enterprise.is_in(enterprise_ids),
        Listing.state == ListingState.published.value,
        Listing.tier != Tier.minor.value,
    )
    return {row["enterprise"] for row in rows}


async def published_listings(enterprise_ids: list[int]) -> list[dict[str, Any]]:
    """The published listings of these enterprises (what anyone may look up), newest first: a platform's
    dashboard shows its merchants' (insights reads them through this module's `published_listings` service)."""
    if not enterprise_ids:
        return []
    return await (
        Listing.select(
            Listing.id,
            Listing.enterprise,
            Listing.enterprise.name.as_alias("enterprise_name"),
            Listing.violation,
            Listing.tier,
            Listing.state,
            Listing.published_at,
            Listing.maximum_until,
        )
        .where(
            Listing.enterprise.is_in(enterprise_ids),
            Listing.state == ListingState.published.value,
            Listing.tier != Tier.minor.value,
        )
        .order_by(Listing.id, ascending=False)
    )


def sees_name_of(enterprise: dict[str, Any], viewer: Viewer | None) -> bool:
    """An unverified enterprise's name is what a consumer typed: only registrars and its own approved
    agents see it until a registrar has checked the USCC; everyone else sees the counts alone."""
    if enterprise["verified"] or viewer is None:
        return bool(enterprise["verified"])
    return viewer.role == "admin" or (viewer.role == "merchant" and viewer.enterprise_id == enterprise["id"])


async def enterprise_profile(enterprise_id: int, viewer: Viewer | None) -> dict[str, Any]:
    """Public facts about an enterprise: who it is (once verified) and how its cases went (counts only)."""
    enterprise = (
        await Enterprise.select(
            Enterprise.id, Enterprise.name, Enterprise.name_zh, Enterprise.uscc, Enterprise.country, Enterprise.verified
        )
        .where(Enterprise.id == enterprise_id)
        .first()
    )
    if enterprise is None:
        raise NotFound(_("There is no such enterprise."))
    states = await Case.select(Case.state).where(Case.enterprise == enterprise_id)
    counts: dict[str, int] = {}
    for row in states:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    if not sees_name_of(enterprise, viewer):
        enterprise = {**enterprise, "name": None, "name_zh": None, "uscc": None}
    return {**enterprise, "case_counts": counts, "cases": len(states)}


async def on_case_transition(event: events.DomainEvent) -> None:
    """A mediator's `propose_listing` on a case becomes a proposed listing, in the same transaction."""
    if event.kind != "case.transition" or event.data.get("action") != "propose_listing":
        return
    case = await Case.select(Case.enterprise, Case.reference, Case.mediator).where(Case.id == event.case_id).first()
    if case is None or case["mediator"] is None:
        return
    mediator = await User.select(User.id).where(User.id == case["mediator"]).first()
    data = ListingIn(
        enterprise_id=case["enterprise"],
        violation=event.data["violation"],
        facts=event.data["facts"],
        case_ref=case["reference"],
    )
    await create_listing(mediator["id"], data, "case", FrozenClock(datetime.fromisoformat(event.data["at"])))



async def all_listings(state: str | None) -> list[dict[str, Any]]:
    """Every listing, for the registrar's desk."""
    query = Listing.select(
        *Listing.all_columns(),
        Listing.enterprise.name.as_alias("enterprise_name"),
        Listing.enterprise.name_zh.as_alias("enterprise_name_zh"),
    )
    if state:
        query = query.where(Listing.state == state)
    return await query.order_by(Listing.id, ascending=False).limit(200)


async def expire_due(clock: Clock, calendar: Any) -> list[int]:
    """Listings whose maximum period has passed expire (the system applies `expire`)."""
    due = await Listing.select(Listing.id).where(
        Listing.state == ListingState.published.value, Listing.maximum_until <= clock.now()
    )
    expired = []
    for row in due:
        try:
            await apply(row["id"], "expire", None, {}, RegistryContext(clock=clock, calendar=calendar))
        except DomainError as error:
            log.warning("listing %s not expired: %s", row["id"], error.detail)
            continue
        expired.append(row["id"])
    return expired


# Which files each party may add, and while the listing is in which state.
EVIDENCE_KINDS = {
    "facts": ({"admin", "proposer"}, {"proposed", "noticed"}),
    "objection": ({"enterprise"}, {"noticed"}),
    "repair": ({"enterprise"}, {"published"}),
}


def _roles_on(listing: dict[str, Any], viewer: Viewer) -> set[str]:
    roles = set()
    if viewer.role == "admin":
        roles.add("admin")
    if viewer.id == listing["proposed_by"]:
        roles.add("proposer")
    if viewer.role == "merchant" and viewer.enterprise_id == listing["enterprise"]:
        roles.add("enterprise")
    return roles


async def add_evidence(
    viewer: Viewer, listing_id: int, kind: str, content: bytes, description: str, clock: Clock, store: Any
) -> dict[str, Any]:
    """Attach a file to a listing (sniffed, size-limited, content-addressed like case evidence)."""
    listing = await listing_for(viewer, listing_id)
    roles = _roles_on(listing, viewer)
    if not roles:
        raise NotFound(_("There is no such listing."))
    allowed_roles, allowed_states = EVIDENCE_KINDS.get(kind, (set(), set()))
    if not allowed_roles:
        raise InvalidInput.one("kind", _("Choose one of the offered options."))
    if not roles & allowed_roles:
        raise Forbidden(_("You cannot add this kind of file to the listing."))
    if listing["state"] not in allowed_states:
        raise Conflict(_("Files of this kind cannot be added at this stage."))
    stored = store_upload(store, content)
    async with events.atomic():
        created = await ListingEvidence.insert(
            ListingEvidence(
                listing=listing_id,
                kind=kind,
                sha256=stored.sha256,
                media_type=stored.media_type,
                size=stored.size,
                description=" ".join(description.split())[:300],
                uploaded_by=viewer.id,
                created_at=clock.now(),
            )
        ).returning(ListingEvidence.id)
    return {
        "id": created[0]["id"],
        "sha256": stored.sha256,
        "media_type": stored.media_type,
        "size": stored.size,
        "kind": kind,
    }


async def evidence_of(viewer: Viewer | None, listing_id: int) -> list[dict[str, Any]]:
    """The listing's files, for those involved (registrar, enterprise, proposer); the public sees none."""
    listing = await listing_for(viewer, listing_id)
    if (
        viewer is None
        or not _roles_on(listing, viewer)
        or (_roles_on(listing, viewer) == {"enterprise"} and listing["state"] == "proposed")
    ):
        return []
    return await ListingEvidence.select().where(ListingEvidence.listing == listing_id).order_by(ListingEvidence.id)


async def evidence_file(
    viewer: Viewer | None, listing_id: int, evidence_id: int, store: Any
) -> tuple[dict[str, Any], bytes]:
    row = next((item for item in await evidence_of(viewer, listing_id) if item["id"] == evidence_id), None)
    if row is None:
        raise NotFound(_("There is no such file on this listing."))
    return row, store.open(row["sha256"])
