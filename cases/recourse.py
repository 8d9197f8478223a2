"""The platform's recourse claims (issue 17, advance compensation 先行赔付).

A claim is made by the case's `advance_compensate` row (cases/workflow.py): the platform paid the consumer and
claims the same amount back from the merchant. The platform's approved agents then close it: `recovered` (the
merchant paid it back) or `waived`. The claim is no case state, so closing it is no row of the case table; it
is an event of the case's record all the same (`recourse_recovered` / `recourse_waived`, in the parties'
channel, with the claim's new columns in its `writes`), so `accord verify-case` vouches for the claim as it
does for offers.

Who sees a claim: whoever may see its case (the parties, the platform, mediators, registrars). Who closes it:
the platform's approved agents only; the merchant is told (403), anyone else finds nothing (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from accord import events
from accord.auth import Viewer
from accord.errors import Conflict, Forbidden, NotFound
from accord.i18n import gettext as _
from accord.pagination import ID, Window, page_of
from cases import record
from cases.access import PLATFORM
from cases.tables import Channel, RecourseClaim, RecourseState

DECISIONS = {"recover": RecourseState.recovered, "waive": RecourseState.waived}
EVENT_OF = {RecourseState.recovered: "recourse_recovered", RecourseState.waived: "recourse_waived"}

CLAIM_COLUMNS = (
    *RecourseClaim.all_columns(),
    RecourseClaim.case.reference.as_alias("case_reference"),
    RecourseClaim.platform.name.as_alias("platform_name"),
    RecourseClaim.platform.uscc.as_alias("platform_uscc"),
    RecourseClaim.platform.verified.as_alias("platform_verified"),
    RecourseClaim.platform.kind.as_alias("platform_kind"),
    RecourseClaim.merchant.name.as_alias("merchant_name"),
    RecourseClaim.merchant.uscc.as_alias("merchant_uscc"),
    RecourseClaim.merchant.verified.as_alias("merchant_verified"),
    RecourseClaim.merchant.kind.as_alias("merchant_kind"),
)


async def claim_of_case(case_id: int) -> dict[str, Any] | None:
    """The case's recourse claim (a case is compensated in advance once), with the names pages show."""
    return await RecourseClaim.select(*CLAIM_COLUMNS).where(RecourseClaim.case == case_id).first()


@dataclass(frozen=True)
class Decision:
    decision: str  # recover | waive
    note: str = ""


async def decide(viewer: Viewer, claim_id: int, decision: Decision, now: Any) -> dict[str, Any]:
    """The platform closes its claim: recovered from the merchant, or waived. One transaction: the claim's
    row and the case's record event that vouches for it."""
    state = DECISIONS.get(decision.decision)
    if state is None:
        raise NotFound(_("There is no such decision."))
    if viewer.role != "merchant":
        raise Forbidden(_("Only the platform's agents close its recourse claims."))
    async with events.atomic():
        found = await RecourseClaim.select(RecourseClaim.case).where(RecourseClaim.id == claim_id).first()
        case = await record.lock_case(found["case"]) if found else None
        claim = await RecourseClaim.select().where(RecourseClaim.id == claim_id).first() if case else None
        if case is None or claim is None or viewer.enterprise_id not in (claim["platform"], claim["merchant"]):
            raise NotFound(_("There is no such recourse claim."))
        if viewer.enterprise_id != claim["platform"]:
            raise Forbidden(_("Only the platform's agents close its recourse claims."))
        if claim["state"] != RecourseState.open:
            raise Conflict(
                _("This recourse claim is already closed (%(state)s).") % {"state": claim["state"]},
                reason=_("This recourse claim is already closed."),
            )
        values = {RecourseClaim.state: state.value, RecourseClaim.recovered_at: now, RecourseClaim.closed_by: viewer.id}
        await RecourseClaim.update(values).where(RecourseClaim.id == claim_id)
        writes = record.Writes()
        writes.set_recourse(claim_id, values)
        data = {"recourse_claim": claim_id, "amount": claim["amount"], "currency": claim["currency"]}
        event = await record.append(
            case,
            type=EVENT_OF[state],
            channel=Channel.parties.value,
            actor_id=viewer.id,
            actor_role=PLATFORM,
            at=now,
            data={**data, "note": decision.note},
            writes=writes,
        )
        await events.emit(
            events.DomainEvent(
                "case.recourse",
                case["id"],
                {"reference": case["reference"], "seq": event["seq"], "state": state.value, "at": now.isoformat()},
            )
        )
    return {**claim, **{column._meta.name: value for column, value in values.items()}}


async def claims_of_platform(
    platform_id: int, window: Window, state: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The platform's claims, newest first (keyset on id, by the platform's index)."""
    query = RecourseClaim.select(*CLAIM_COLUMNS).where(RecourseClaim.platform == platform_id)
    if state:
        query = query.where(RecourseClaim.state == state)
    if window.after:
        (last_id,) = window.keys(ID)
        query = query.where(RecourseClaim.id < last_id)
    rows = await query.order_by(RecourseClaim.id, ascending=False).limit(window.limit + 1)
    return page_of(rows, window.limit, key=lambda row: [row["id"]])


async def totals_of_platform(platform_id: int) -> list[dict[str, Any]]:
    """Sums of the platform's claims by state and currency, counted in the database."""
    return await (
        RecourseClaim.select(
            RecourseClaim.state,
            RecourseClaim.currency,
            Count(RecourseClaim.id).as_alias("claims"),
            Sum(RecourseClaim.amount).as_alias("amount"),
        )
        .where(RecourseClaim.platform == platform_id)
        .group_by(RecourseClaim.state, RecourseClaim.currency)
        .order_by(RecourseClaim.state)
        .order_by(RecourseClaim.currency)
    )

