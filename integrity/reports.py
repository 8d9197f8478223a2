"""Rights-holder reports: a report, the enterprise's counter-notice, the registrar's decision, and each
reporter's public accuracy (upheld / rejected / withdrawn, and how many were found malicious)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from accord.auth import Viewer
from accord.clock import Clock
from accord.db import write_transaction
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.i18n import gettext as _
from accord.validation import LongText, Strict
from accounts.schemas import EnterpriseIn, EnterpriseName, Uscc
from accounts.service import find_or_create_enterprise
from accounts.tables import Enterprise
from integrity.service import ListingIn, create_listing
from integrity.tables import Report, RightsHolder, Tier, Violation

Marks = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1, max_length=50)]


class RightsHolderIn(Strict):
    organisation: Annotated[str, Field(min_length=2, max_length=200)]
    marks: Marks


class ReportIn(Strict):
    enterprise_id: int | None = None
    uscc: Uscc | None = None
    enterprise_name: EnterpriseName | None = None
    violation: Violation
    marks: Marks
    description: LongText

    @model_validator(mode="after")
    def names_an_enterprise(self) -> ReportIn:
        if self.enterprise_id is None and self.uscc is None:
            raise PydanticCustomError("enterprise", _("Name the enterprise by its number or its USCC."))
        return self


class DecisionIn(Strict):
    decision: LongText
    malicious: bool = False
    tier: Tier = Tier.general


async def register_rights_holder(viewer: Viewer, data: RightsHolderIn, clock: Clock) -> dict[str, Any]:
    async with write_transaction():
        if await RightsHolder.exists().where(RightsHolder.user == viewer.id):
            await RightsHolder.update(
                {RightsHolder.organisation: data.organisation, RightsHolder.marks: json.dumps(data.marks)}
            ).where(RightsHolder.user == viewer.id)
        else:
            await RightsHolder.insert(
                RightsHolder(
                    user=viewer.id, organisation=data.organisation, marks=json.dumps(data.marks), created_at=clock.now()
                )
            )
    return await RightsHolder.select().where(RightsHolder.user == viewer.id).first()  # type: ignore[return-value]


async def _enterprise_id(data: ReportIn, clock: Clock) -> int:
    if data.enterprise_id is not None:
        if not await Enterprise.exists().where(Enterprise.id == data.enterprise_id):
            raise InvalidInput.one("enterprise_id", _("There is no such enterprise."))
        return data.enterprise_id
    found = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == data.uscc).first()
    if found:
        return int(found["id"])
    if not data.enterprise_name:
        raise InvalidInput.one("enterprise_name", _("This USCC is not registered yet: give the enterprise's name."))
    return await find_or_create_enterprise(EnterpriseIn(name=data.enterprise_name, uscc=data.uscc), clock)


async def file_report(viewer: Viewer, data: ReportIn, clock: Clock) -> dict[str, Any]:
    holder = await RightsHolder.select(RightsHolder.id).where(RightsHolder.user == viewer.id).first()
    if holder is None:
        raise Forbidden(_("Only registered rights-holders file reports; add your marks to your profile first."))
    async with write_transaction():
        enterprise_id = await _enterprise_id(data, clock)
        created = await Report.insert(
            Report(
                reporter=holder["id"],
                enterprise=enterprise_id,
                violation=data.violation.value,
                marks=json.dumps(data.marks),
                description=data.description,
                status="open",
                created_at=clock.now(),
            )
        ).returning(Report.id)
    return await report_for(viewer, created[0]["id"])


async def report_for(viewer: Viewer, report_id: int) -> dict[str, Any]:
    """The reporter, the reported enterprise and registrars see a report; nobody else learns it exists."""
    report = (
        await Report.select(*Report.all_columns(), Report.reporter.user.as_alias("reporter_user"))
        .where(Report.id == report_id)
        .first()
    )
    if report is None or not (
        viewer.role == "admin"
        or viewer.id == report["reporter_user"]
        or (viewer.role == "merchant" and viewer.enterprise_id == report["enterprise"])
    ):
        raise NotFound(_("There is no such report."))
    return report


async def _open_report(viewer: Viewer, report_id: int) -> dict[str, Any]:
    report = await report_for(viewer, report_id)
    if report["status"] != "open":
        raise Conflict(_("This report has already been decided (%(status)s).") % {"status": report["status"]})
    return report


async def counter_notice(viewer: Viewer, report_id: int, text: str) -> None:
    report = await _open_report(viewer, report_id)
    if not (viewer.role == "merchant" and viewer.enterprise_id == report["enterprise"]):
        raise Forbidden(_("Only the reported enterprise files a counter-notice."))
    async with write_transaction():
        await Report.update({Report.counter_notice: text}).where(Report.id == report_id)


async def withdraw(viewer: Viewer, report_id: int, clock: Clock) -> None:
    report = await _open_report(viewer, report_id)
    if viewer.id != report["reporter_user"]:
        raise Forbidden(_("Only the reporter withdraws a report."))
    async with write_transaction():
        await Report.update({Report.status: "withdrawn", Report.decided_at: clock.now()}).where(Report.id == report_id)


async def decide(viewer: Viewer, report_id: int, uphold: bool, data: DecisionIn, clock: Clock) -> dict[str, Any]:
    """The registrar upholds a report (it becomes a proposed listing) or rejects it, possibly as malicious."""
    report = await _open_report(viewer, report_id)  # invisible reports are "not found", even to the curious
    if viewer.role != "admin":
        raise Forbidden(_("Only registrars decide reports."))
    async with write_transaction():
        listing_id = None
        if uphold:
            listing = await create_listing(
                viewer.id,
                ListingIn(
                    enterprise_id=report["enterprise"],
                    violation=report["violation"],
                    tier=data.tier,
                    facts=report["description"],
                ),
                "report",
                clock,
            )
            listing_id = listing["id"]
        await Report.update(
            {
                Report.status: "upheld" if uphold else "rejected",
                Report.malicious: data.malicious and not uphold,
                Report.decision: data.decision,
                Report.listing: listing_id,
                Report.decided_at: clock.now(),
            }
        ).where(Report.id == report_id)
    return await report_for(viewer, report_id)


async def accuracy(holder_id: int) -> dict[str, Any]:
    """A reporter's public track record."""
    holder = (
        await RightsHolder.select(RightsHolder.id, RightsHolder.organisation, RightsHolder.marks)
        .where(RightsHolder.id == holder_id)
        .first()
    )
    if holder is None:
        raise NotFound(_("There is no such reporter."))
    rows = await Report.select(Report.status, Report.malicious).where(Report.reporter == holder_id)
    counts = {
        status: sum(1 for row in rows if row["status"] == status)
        for status in ("open", "upheld", "rejected", "withdrawn")
    }
    return {
        "id": holder["id"],
        "organisation": holder["organisation"],
        "marks": json.loads(holder["marks"]),
        **counts,
        "malicious": sum(1 for row in rows if row["malicious"]),
    }
