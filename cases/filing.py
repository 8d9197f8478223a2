"""Filing a case: the first row of the case table (nothing → `filed`). What filing checks, and the columns
and record it writes; `cases.workflow` runs it through the engine like every other row."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from accord.db import Prepared
from accord.errors import FieldError, InvalidInput
from accord.i18n import gettext as _
from accounts.service import find_or_create_enterprise
from accounts.tables import Enterprise
from cases import record
from cases.gs1 import GS1Error, TraceCode, normalize_gtin, parse_trace_code
from cases.schemas import CaseFilingIn
from cases.tables import Case
from cases.waybill import WaybillError, check_waybill

OLD_PURCHASE = timedelta(days=3 * 365)
# The domain event of a filing made from a guide's diagnosis, `{"guide_id", "at"}` (in the filing's transaction):
# whoever counts diagnoses hears which one a complaint followed, without cases knowing who counts.
FILING_GUIDED = "filing.guided"
TRACE_CODE_MAX_LENGTH = 300  # Case.trace_code


def traceability(data: CaseFilingIn, today: date) -> tuple[str | None, TraceCode | None]:
    """Validated GTIN (14 digits) and parsed trace code; their problems become field errors."""
    errors: list[FieldError] = []
    gtin = trace = None
    if data.gtin and data.gtin.strip():
        try:
            gtin = normalize_gtin(data.gtin)
        except GS1Error as error:
            errors.append(FieldError("gtin", str(error)))
    if data.trace_code and data.trace_code.strip():
        try:
            trace = parse_trace_code(data.trace_code, today=today)
        except GS1Error as error:
            errors.append(FieldError("trace_code", str(error)))
        if trace and len(trace.element_string()) > TRACE_CODE_MAX_LENGTH:  # padding and escapes may lengthen it
            errors.append(FieldError("trace_code", _("The trace code is too long to keep: shorten it.")))
            trace = None
    if errors:
        raise InvalidInput(errors)
    return gtin or (trace.gtin if trace else None), trace


def waybill(data: CaseFilingIn) -> tuple[str | None, str | None]:
    """(carrier, number) of the waybill, checked against the carrier's formats; a problem is a field error."""
    if not data.waybill:
        if data.waybill_carrier:
            raise InvalidInput.one("waybill", _("Enter the waybill number of this carrier."))
        return None, None
    try:
        return check_waybill(data.waybill_carrier.value if data.waybill_carrier else None, data.waybill)
    except WaybillError as error:
        raise InvalidInput.one("waybill", str(error)) from None


def purchase_date_warnings(purchase_date: date, today: date) -> list[str]:
    if purchase_date > today:
        raise InvalidInput.one("purchase_date", _("The purchase date cannot be in the future."))
    if today - purchase_date > OLD_PURCHASE:
        return [
            _(
                "The purchase was more than three years ago. A mediator may decline the case for that reason; "
                "you can still file it."
            )
        ]
    return []


# A case's reference: AC-<year filed>-<8 digits drawn at random> (the engine draws again if one is taken:
# accord.statemachine.Machine.draw_key). Drawn rather than counted: a counter's row was one more statement in
# every filing and, on PostgreSQL, a lock every filing queued on (or a connection of its own, to commit each
# number apart); and a reference does not tell how many cases were filed before it. Digits only, to read out
# on the phone; the 6-digit references counted before 2026-12 stay as they are.
REFERENCE_DIGITS = 8


def reference(year: int, number: int) -> str:
    """The reference of a case filed in `year` with `number` (below 10**REFERENCE_DIGITS) drawn for it."""
    return f"AC-{year}-{number:0{REFERENCE_DIGITS}d}"


def new_reference(step: Any) -> str:
    return reference(step.now.year, secrets.randbelow(10**REFERENCE_DIGITS))


@dataclass(frozen=True)
class Parties:
    """Whom a filing names: the merchant's enterprise, and the platform the purchase was made on (the
    registered platform enterprise, if any, and its name as the case keeps it)."""

    enterprise_id: int
    platform_enterprise_id: int | None
    platform: str
    enterprise: dict[str, Any]  # the merchant's name and country, handed on with the case to its subscribers
    # The merchant's approved, active agents (id, display name, email, language, time zone), read with the
    # enterprises when the merchant was chosen from the list: handed on for the filing's notices (None: not read).
    agents: list[dict[str, Any]] | None = None


PARTY_COLUMNS = (Enterprise.id, Enterprise.name, Enterprise.name_zh, Enterprise.kind, Enterprise.country)


# The enterprises a filing names (see `_parties`): the merchant by id, and the platform by id or, when only typed,
# by its name in either language, any case (a NULL parameter matches nothing); then, as rows of kind AGENT, the
# merchant's approved and active agents, whom the filing's notices tell (one statement for both). Built once.
AGENT = "agent"
NAMED_PARTIES = Prepared(
    "SELECT id, name, name_zh, kind, country, NULL AS email, NULL AS language, NULL AS timezone FROM enterprise"
    " WHERE verified = {verified} AND (id = {merchant}"
    " OR (kind = 'platform' AND (id = {platform} OR LOWER(name) = {typed} OR LOWER(name_zh) = {typed})))"
    " UNION ALL SELECT id, display_name, NULL, 'agent', NULL, email, language, timezone FROM users"
    " WHERE enterprise = {merchant} AND role = 'merchant' AND agent_status = 'approved' AND active = {active}"
)


def _agent(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "display_name": row["name"],
        **{key: row[key] for key in ("email", "language", "timezone")},
    }


def _names(row: dict[str, Any], typed: str) -> bool:
    return typed.lower() in (row["name"].lower(), (row["name_zh"] or "").lower())


async def _parties(data: CaseFilingIn, step: Any) -> Parties:
    """The enterprises a filing names, read in one query: the merchant chosen from the public list, and the
    platform chosen from it (`platform_enterprise_id`) or, when only typed, the one registered platform
    whose name (either language, any case) it is. Nothing is guessed beyond that: a merchant selling on a
    single platform does not make that platform the case's unless the consumer names it."""
    typed = data.platform or ""
    rows: list[dict[str, Any]] = []
    if data.enterprise_id is not None or data.platform_enterprise_id is not None or typed:
        # Consumers choose from the public list, which holds verified enterprises only: an unverified
        # one's name is what another consumer typed, and choosing it by id would show that name.
        by_name = typed.lower() if typed and data.platform_enterprise_id is None else None
        rows = await NAMED_PARTIES.rows(
            verified=True, active=True, merchant=data.enterprise_id, platform=data.platform_enterprise_id, typed=by_name
        )
    agents = [_agent(row) for row in rows if row["kind"] == AGENT]
    rows = [row for row in rows if row["kind"] != AGENT]
    if data.enterprise_id is not None and not any(row["id"] == data.enterprise_id for row in rows):
        raise InvalidInput.one(
            "enterprise_id", _("Choose the merchant from the list, or enter it as a new enterprise.")
        )
    if data.platform_enterprise_id is not None:
        chosen = [row for row in rows if row["id"] == data.platform_enterprise_id and row["kind"] == "platform"]
        if not chosen:
            raise InvalidInput.one(
                "platform_enterprise_id", _("Choose the platform from the list, or type its name instead.")
            )
        platform_id, platform = chosen[0]["id"], typed or chosen[0]["name"]
    else:
        named = [row for row in rows if row["kind"] == "platform" and _names(row, typed)] if typed else []
        platform_id, platform = (named[0]["id"] if len(named) == 1 else None), typed
    if data.enterprise_id is not None:
        merchant = next(row for row in rows if row["id"] == data.enterprise_id)
        return Parties(data.enterprise_id, platform_id, platform, merchant, agents)
    assert data.enterprise is not None
    enterprise_id = await find_or_create_enterprise(data.enterprise, step.context.clock)
    named = await Enterprise.select(*PARTY_COLUMNS).where(Enterprise.id == enterprise_id).first()
    return Parties(enterprise_id, platform_id, platform, named)


def _filing_record(data: CaseFilingIn, parties: Parties, gtin: str | None, trace: TraceCode | None) -> dict[str, Any]:
    carrier, number = waybill(data)
    return {
        "category": data.category.value,
        "order_number": data.order_number,
        "platform": parties.platform,
        "platform_enterprise_id": parties.platform_enterprise_id,
        "purchase_date": data.purchase_date.isoformat(),
        "product_name": data.product_name,
        "gtin": gtin,
        "trace_code": trace.element_string() if trace else None,
        "waybill": number,
        "waybill_carrier": carrier,
        "amount_paid": data.amount_paid.model_dump() if data.amount_paid else None,
        "desired_remedy": data.desired_remedy.value,
        "description": data.description,
        "language": data.language,
    }


async def file(step: Any) -> None:
    """The effect of filing: the new case's columns (the engine adds state, version, updated_at and the
    reference it draws) and what its record event says."""
    data: CaseFilingIn = step.payload
    gtin, trace = traceability(data, step.today)
    assert step.viewer is not None
    parties = await _parties(data, step)
    step.updates = {
        Case.consumer: step.viewer.id,
        Case.enterprise: parties.enterprise_id,
        Case.category: data.category.value,
        Case.order_number: data.order_number,
        Case.platform: parties.platform,
        Case.platform_enterprise: parties.platform_enterprise_id,
        Case.purchase_date: data.purchase_date,
        Case.product_name: data.product_name,
        Case.gtin: gtin,
        Case.trace_code: trace.element_string() if trace else None,
        Case.trace_gtin: trace.gtin if trace else None,
        Case.trace_batch: trace.batch if trace else None,
        Case.trace_serial: trace.serial if trace else None,
        Case.trace_expiry: trace.expiry if trace else None,
        Case.waybill: waybill(data)[1],
        Case.waybill_carrier: waybill(data)[0],
        Case.amount_paid: data.amount_paid.minor_units() if data.amount_paid else None,
        Case.currency: data.amount_paid.currency if data.amount_paid else None,
        Case.desired_remedy: data.desired_remedy.value,
        Case.description: data.description,
        Case.language: data.language,
        Case.last_seq: 0,
        Case.last_hash: record.GENESIS_HASH,
        Case.filed_at: step.now,
    }
    step.details.update(_filing_record(data, parties, gtin, trace))
    # Not columns: what a move's lock reads of the enterprise (cases.workflow.locked_case), known here.
    step.subject.update(enterprise_name=parties.enterprise["name"], country=parties.enterprise["country"])
    step.subject["agents"] = parties.agents
