"""Filing a case: the first row of the case table (nothing → `filed`). What filing checks, and the columns
and record it writes; `cases.workflow` runs it through the engine like every other row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from accord.errors import FieldError, InvalidInput
from accord.i18n import gettext as _
from accounts.service import find_or_create_enterprise
from accounts.tables import Enterprise
from cases import record
from cases.gs1 import GS1Error, TraceCode, normalize_gtin, parse_trace_code
from cases.schemas import CaseFilingIn
from cases.tables import Case, ReferenceCounter
from cases.waybill import WaybillError, check_waybill

OLD_PURCHASE = timedelta(days=3 * 365)
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


async def _next_reference(year: int) -> str:
    await ReferenceCounter.insert(ReferenceCounter(year=year, last_number=0)).on_conflict(
        target=ReferenceCounter.year, action="DO NOTHING"
    )
    counted = (
        await ReferenceCounter.update({ReferenceCounter.last_number: ReferenceCounter.last_number + 1})
        .where(ReferenceCounter.year == year)
        .returning(ReferenceCounter.last_number)
    )
    return f"AC-{year}-{counted[0]['last_number']:06d}"


async def _enterprise_id(data: CaseFilingIn, step: Any) -> int:
    if data.enterprise_id is not None:
        # Consumers choose from the public list, which holds verified enterprises only: an unverified
        # one's name is what another consumer typed, and choosing it by id would show that name.
        if not await Enterprise.exists().where(Enterprise.id == data.enterprise_id, Enterprise.verified.eq(True)):
            raise InvalidInput.one(
                "enterprise_id", _("Choose the merchant from the list, or enter it as a new enterprise.")
            )
        return data.enterprise_id
    assert data.enterprise is not None
    return await find_or_create_enterprise(data.enterprise, step.context.clock)


def _filing_record(data: CaseFilingIn, gtin: str | None, trace: TraceCode | None) -> dict[str, Any]:
    carrier, number = waybill(data)
    return {
        "category": data.category.value,
        "order_number": data.order_number,
        "platform": data.platform,
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
    """The effect of filing: the new case's columns (the engine adds state, version and updated_at) and
    what its record event says."""
    data: CaseFilingIn = step.payload
    gtin, trace = traceability(data, step.today)
    assert step.viewer is not None
    enterprise_id = await _enterprise_id(data, step)
    step.updates = {
        Case.reference: await _next_reference(step.now.year),
        Case.consumer: step.viewer.id,
        Case.enterprise: enterprise_id,
        Case.category: data.category.value,
        Case.order_number: data.order_number,
        Case.platform: data.platform,
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
    step.details.update(_filing_record(data, gtin, trace))
