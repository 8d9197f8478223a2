"""The listing lifecycle (DESIGN §6) as a transition table, applied by one function like cases' apply().

proposed → noticed (the enterprise is told; 10 working days to object) → published or withdrawn;
published → repaired (the enterprise applies after the minimum period, the registrar grants) or expired
(the maximum period is reached; the system applies it). Public events go to the Merkle log.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any

from pydantic import Field

from accord import events, statemachine
from accord.actions import ActionSpec, Ask, labels_of
from accord.auth import Viewer
from accord.canonical import canonical_json
from accord.clock import Calendar, Clock
from accord.i18n import N_, format_moment, register_labels, viewer_zone
from accord.i18n import gettext as _
from accord.statemachine import Offered
from accord.validation import LongText, Strict
from accounts.tables import Enterprise
from integrity import log
from integrity.tables import Listing, ListingEvent, ListingState, Tier

L = ListingState
ADMIN, ENTERPRISE, SYSTEM = "admin", "enterprise", "system"
OBJECTION_WORKING_DAYS = 10
# Months a published listing stays public: (minimum before repair, maximum before it expires).
PERIODS = {Tier.minor: (0, 12), Tier.general: (3, 12), Tier.serious: (12, 36)}
ESCALATION = {Tier.minor: Tier.general, Tier.general: Tier.serious, Tier.serious: Tier.serious}


class DecisionIn(Strict):
    decision: LongText


class OptionalDecisionIn(Strict):
    decision: Annotated[str, Field(max_length=5000)] = ""


class StatementIn(Strict):
    text: LongText


@dataclass
class Step(statemachine.Step):
    """One application of a listing row (`listing` is the locked row)."""

    @property
    def listing(self) -> dict[str, Any]:
        return self.subject

    def moment(self, at: datetime) -> str:
        """A time as every page shows it to this viewer: the listing page and its refusals say the same."""
        return format_moment(at, viewer_zone(self.viewer, self.zone))


Row = statemachine.Row


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, month_calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# --- guards --------------------------------------------------------------------------------------


async def objection_window_open(step: Step) -> str | None:
    if step.listing["objection"]:
        return _("An objection has already been filed.")
    if step.now > step.listing["objection_until"]:
        return _("The objection window has closed.")
    return None


async def may_publish(step: Step) -> str | None:
    """Nothing is published before the objection window closes, unless an objection is being decided;
    and only about an enterprise a registrar verified: the registry names no one on a consumer's say-so."""
    if not await Enterprise.exists().where(Enterprise.id == step.listing["enterprise"], Enterprise.verified.eq(True)):
        return _("Verify the enterprise's USCC first: the public registry names verified enterprises only.")
    if (opens := publication_opens(step.listing)) and step.now < opens:
        return _("The enterprise may still object until %(until)s.") % {"until": step.moment(opens)}
    return None


def publication_opens(listing: dict[str, Any]) -> datetime | None:
    """Publication waits for the objection window to close, unless an objection was filed (and is decided)."""
    return listing["objection_until"] if listing["objection"] is None else None


async def minimum_served(step: Step) -> str | None:
    if step.listing["repair_application"]:
        return _("A repair application is already waiting for a decision.")
    if step.now < step.listing["minimum_until"]:
        # The moment in the viewer's zone, as the listing page shows it: the UTC date was a day early for
        # listings published in Shanghai's small hours (before 08:00, still the day before in UTC).
        return _("Repair can be applied for from %(date)s.") % {"date": step.moment(step.listing["minimum_until"])}
    return None


def repair_opens(listing: dict[str, Any]) -> datetime | None:
    return listing["minimum_until"] if not listing["repair_application"] else None


async def repair_pending(step: Step) -> str | None:
    return None if step.listing["repair_application"] else _("No repair application is waiting.")


async def maximum_reached(step: Step) -> str | None:
    return None if step.now >= step.listing["maximum_until"] else _("The listing has not reached its end yet.")


# --- effects -------------------------------------------------------------------------------------


async def notice(step: Step) -> None:
    until = step.calendar.add_working_days(step.now, OBJECTION_WORKING_DAYS)
    step.updates[Listing.objection_until] = until
    step.details["objection_until"] = until.isoformat()


async def record_objection(step: Step) -> None:
    step.updates[Listing.objection] = step.payload.text
    step.details["text"] = step.payload.text


async def decide(step: Step) -> None:
    step.updates[Listing.decision] = step.payload.decision
    step.details["decision"] = step.payload.decision


async def publish(step: Step) -> None:
    await decide(step)
    tier = Tier(step.listing["tier"])
    active = await Listing.exists().where(
        Listing.enterprise == step.listing["enterprise"],
        Listing.state == L.published.value,
        Listing.id != step.listing["id"],
    )
    if active and tier is not Tier.serious:
        tier = ESCALATION[tier]
        step.updates.update({Listing.tier: tier.value, Listing.escalated: True})
        step.details["escalated_to"] = tier.value
    minimum, maximum = PERIODS[tier]
    step.updates.update(
        {
            Listing.published_at: step.now,
            Listing.minimum_until: add_months(step.now, minimum),
            Listing.maximum_until: add_months(step.now, maximum),
        }
    )
    step.listing.update({"tier": tier.value, "maximum_until": add_months(step.now, maximum)})


async def apply_repair(step: Step) -> None:
    step.updates[Listing.repair_application] = step.payload.text
    step.details["text"] = step.payload.text


async def refuse_repair(step: Step) -> None:
    await decide(step)
    step.updates[Listing.repair_application] = None


async def end(step: Step) -> None:
    if step.payload is not None and hasattr(step.payload, "decision") and step.payload.decision:
        await decide(step)
    step.updates[Listing.ended_at] = step.now


ADMINS, ENTERPRISES, THE_SYSTEM = frozenset({ADMIN}), frozenset({ENTERPRISE}), frozenset({SYSTEM})
_DECISION = {"decision": Ask(N_("Written decision"))}
_WITHDRAW = Row(
    ADMINS, L.withdrawn, DecisionIn, effect=decide, spec=ActionSpec(N_("Withdraw the listing"), asks=_DECISION)
)
# Every check here looks at the listing alone (none at what was filled in): `available`, offered or not.
TRANSITIONS: dict[tuple[ListingState, str], Row] = {
    (L.proposed, "notice"): Row(ADMINS, L.noticed, effect=notice, spec=ActionSpec(N_("Notify the enterprise"))),
    (L.proposed, "withdraw"): _WITHDRAW,
    (L.noticed, "object"): Row(
        ENTERPRISES,
        None,
        StatementIn,
        available=objection_window_open,
        effect=record_objection,
        spec=ActionSpec(N_("Object"), asks={"text": Ask(N_("Your objection"))}),
    ),
    (L.noticed, "publish"): Row(
        ADMINS,
        L.published,
        DecisionIn,
        available=may_publish,
        effect=publish,
        opens=publication_opens,
        spec=ActionSpec(N_("Publish"), asks=_DECISION),
    ),
    (L.noticed, "withdraw"): _WITHDRAW,
    (L.published, "apply_repair"): Row(
        ENTERPRISES,
        None,
        StatementIn,
        available=minimum_served,
        effect=apply_repair,
        opens=repair_opens,
        spec=ActionSpec(N_("Apply for repair"), asks={"text": Ask(N_("Your commitment and the correction made"))}),
    ),
    (L.published, "grant_repair"): Row(
        ADMINS,
        L.repaired,
        OptionalDecisionIn,
        available=repair_pending,
        effect=end,
        spec=ActionSpec(N_("Grant repair"), asks=_DECISION),
    ),
    (L.published, "refuse_repair"): Row(
        ADMINS,
        None,
        DecisionIn,
        available=repair_pending,
        effect=refuse_repair,
        spec=ActionSpec(N_("Refuse repair"), asks=_DECISION),
    ),
    (L.published, "expire"): Row(
        THE_SYSTEM, L.expired, available=maximum_reached, effect=end, spec=ActionSpec(N_("Listing expired"))
    ),
}
# A listing's first record event (integrity/service.py proposes it; no row: a case's mediator proposes it).
register_labels("registry_action", {"propose": N_("Listing proposed")})


def relations(listing: dict[str, Any], viewer: Viewer | None) -> frozenset[str]:
    if viewer is None:
        return frozenset({SYSTEM})
    found = set()
    if viewer.role == "admin":
        found.add(ADMIN)
    if viewer.role == "merchant" and viewer.enterprise_id == listing["enterprise"]:
        found.add(ENTERPRISE)
    return frozenset(found)


def can_see(listing: dict[str, Any], viewer: Viewer | None) -> bool:
    """Registrars see everything; the enterprise once it has been told; its proposer; the public only what is public."""
    if is_public(listing):
        return True
    if viewer is None:
        return False
    related = relations(listing, viewer)
    return bool(
        ADMIN in related
        or (ENTERPRISE in related and was_noticed(listing))
        or viewer.id == listing["proposed_by"]
    )


def was_noticed(listing: dict[str, Any]) -> bool:
    """The enterprise was told of the listing (a notice opens the objection window). One withdrawn before
    any notice stays between the registrar and its proposer: the enterprise never learns of it."""
    return listing["objection_until"] is not None


def is_public(listing: dict[str, Any]) -> bool:
    return listing["state"] == L.published.value and listing["tier"] != Tier.minor.value


@dataclass(frozen=True)
class RegistryContext:
    clock: Clock
    calendar: Calendar
    zone: tzinfo = UTC  # the deployment's time zone (ACCORD_TIMEZONE)


async def _record(step: Step, row: Row, updates: dict[Any, Any], data: dict[str, Any]) -> events.DomainEvent:
    """The listing's own record, the public Merkle log for public events, and the domain event."""
    listing, now = step.listing, step.now
    actor = step.viewer.id if step.viewer else None
    await ListingEvent.insert(
        ListingEvent(listing=listing["id"], type=step.action, actor=actor, at=now, data=canonical_json(data))
    )
    await log.record_public_event(listing, step.action, now)
    return events.DomainEvent("registry.transition", None, {"listing": listing["id"], "at": now.isoformat(), **data})


MACHINE = statemachine.Machine(
    table=Listing,
    key=Listing.id,
    states=ListingState,
    rows=TRANSITIONS,
    relations=relations,
    visible=lambda listing, viewer, related: viewer is None or can_see(listing, viewer),  # None: the system
    record=_record,
    wording=statemachine.Wording(
        no_such=N_("There is no such listing."),
        now_is=N_("The listing is now “%(label)s” (%(state)s, version %(version)d)."),
        changed=N_("Someone changed this listing in the meantime."),
        role_cannot=N_("Your role cannot do this on a listing."),
        not_yours=N_("Your role cannot do this on a listing."),
        state_labels="listing_state",
    ),
    step_type=Step,
)
ACTIONS = MACHINE.actions
ROLES_OF_ACTION = MACHINE.roles_of_action
SPECS = MACHINE.specs  # every action's label, button and form (the `spec` of its rows above)
register_labels("registry_action", labels_of(SPECS))


async def apply(
    listing_id: int,
    action: str,
    viewer: Viewer | None,
    payload: Any,
    context: RegistryContext,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Apply `action` to the listing as `viewer` (None: the system). Returns the updated listing row."""
    return await statemachine.apply(
        MACHINE, listing_id, action, viewer, payload, context, expected_version=expected_version
    )


async def offered_actions(listing: dict[str, Any], viewer: Viewer | None, context: RegistryContext) -> Offered:
    """What the viewer could do now, and time-bound actions with the moment they open (for those involved)."""
    if viewer is None:
        return Offered([], {})
    return await statemachine.offered(MACHINE, listing, viewer, context)
