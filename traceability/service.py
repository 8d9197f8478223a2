"""Traceability: company prefixes, EPCIS ingest, item histories and the trace check of every case.

`cases` never imports this package: the check is computed by a transaction-phase subscriber to the case's
filing event, refreshed when new events arrive for the item, kept in `trace_check`, told in the case record
(an `internal` event: mediators and registrars read it) and shown through `accord.extensions`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from accord import events
from accord.auth import Viewer
from accord.clock import Clock
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.i18n import N_, format_date, label
from accord.i18n import gettext as _
from accounts.service import record_admin_action
from accounts.tables import Enterprise
from cases import record
from cases.gs1 import GS1Error, normalize_gtin
from cases.tables import Case, CaseEvent, Channel
from traceability import epcis
from traceability.epc import gln_digits, under_prefix
from traceability.tables import BizStep, CheckStatus, CompanyPrefix, ItemEvent, ItemStatus, TraceCheck, TraceEvent

CHUNK = 400  # rows per INSERT / IN (...) list: well under SQLite's bound-parameter limit
RECORD_EVENT = "trace_checked"  # internal: status, reasons, other cases
PARTIES_EVENT = "trace_code_checked"  # parties: only whether the brand registered the code
_SUBMITTERS = ("merchant",)
_READERS = ("mediator", "admin")


def item_key(gtin: str, serial: str | None) -> str:
    return f"{gtin}/{serial or ''}"


def _chunks(values: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- company prefixes -------------------------------------------------------------------------------


async def add_prefix(viewer: Viewer, enterprise_id: int, prefix: str, clock: Clock) -> dict[str, Any]:
    """A registrar records a GS1 company prefix for an enterprise; no prefix may hold or be held by another's."""
    if not viewer.has_role("admin"):
        raise Forbidden(_("Only registrars may do this."))
    if not (prefix.isascii() and prefix.isdigit() and 4 <= len(prefix) <= 12):
        raise InvalidInput.one("prefix", _("A GS1 company prefix has 4 to 12 digits."))
    async with events.atomic():
        if not await Enterprise.exists().where(Enterprise.id == enterprise_id):
            raise NotFound(_("No such enterprise."))
        for row in await CompanyPrefix.select(CompanyPrefix.prefix, CompanyPrefix.enterprise):
            if row["prefix"].startswith(prefix) or prefix.startswith(row["prefix"]):
                if row["prefix"] == prefix and row["enterprise"] == enterprise_id:
                    return await _prefix_row(prefix)
                raise Conflict(_("The prefix %(prefix)s overlaps one already recorded.") % {"prefix": row["prefix"]})
        await CompanyPrefix.insert(
            CompanyPrefix(enterprise=enterprise_id, prefix=prefix, added_by=viewer.id, added_at=clock.now())
        )
        await record_admin_action(
            viewer, "company_prefix", f"enterprise:{enterprise_id}", {}, {"prefix": prefix}, clock
        )
    return await _prefix_row(prefix)


async def all_prefixes() -> list[dict[str, Any]]:
    """Every recorded prefix with its enterprise, for the registrars' page."""
    return await CompanyPrefix.select(
        *CompanyPrefix.all_columns(),
        CompanyPrefix.enterprise.name.as_alias("enterprise_name"),
        CompanyPrefix.enterprise.uscc.as_alias("enterprise_uscc"),
    ).order_by(CompanyPrefix.prefix)


async def enterprise_by_uscc(uscc: str) -> int:
    row = await Enterprise.select(Enterprise.id).where(Enterprise.uscc == uscc.strip().upper()).first()
    if row is None:
        raise InvalidInput.one("uscc", _("No enterprise has this USCC."))
    return int(row["id"])


async def _prefix_row(prefix: str) -> dict[str, Any]:
    row = await CompanyPrefix.select().where(CompanyPrefix.prefix == prefix).first()
    assert row is not None
    return row


async def prefixes_of(enterprise_id: int) -> set[str]:
    rows = await CompanyPrefix.select(CompanyPrefix.prefix).where(CompanyPrefix.enterprise == enterprise_id)
    return {row["prefix"] for row in rows}


async def brand_of(gtin: str) -> int | None:
    """The enterprise whose company prefix the GTIN falls under (the brand), if one is recorded."""
    for row in await CompanyPrefix.select(CompanyPrefix.prefix, CompanyPrefix.enterprise):
        if under_prefix(gtin, {row["prefix"]}):
            return int(row["enterprise"])
    return None


# --- ingest -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    index: int
    message: str


@dataclass(frozen=True)
class IngestResult:
    accepted: int  # good events (new ones and ones already stored)
    stored: int  # of those, the new ones
    duplicates: int  # of those, already stored (a resubmission is a no-op)
    rejected: list[Rejection]


def require_submitter(viewer: Viewer) -> int:
    """The enterprise a viewer submits events for: an approved agent of a verified enterprise."""
    if not viewer.has_role(*_SUBMITTERS) or viewer.enterprise_id is None:
        raise Forbidden(_("Only agents of a verified enterprise may submit EPCIS events."))
    if not viewer.enterprise_verified:
        raise Forbidden(_("Your enterprise has not been verified yet, so it cannot submit EPCIS events."))
    return viewer.enterprise_id


def _ownership_problem(event: epcis.Event, prefixes: set[str]) -> str | None:
    for gtin in [item.gtin for item in event.items] + event.classes:
        if not under_prefix(gtin, prefixes):
            return _("GTIN %(gtin)s is not under a GS1 company prefix recorded for your enterprise.") % {"gtin": gtin}
    return None


async def ingest(viewer: Viewer, body: bytes, clock: Clock) -> IngestResult:
    """Store the good events of an EPCIS document in one transaction; list the bad ones by index."""
    enterprise_id = require_submitter(viewer)
    try:
        raw_events = epcis.read_document(body)
    except epcis.DocumentError as error:
        raise InvalidInput([FieldError("document", str(error))], detail=str(error)) from None
    prefixes = await prefixes_of(enterprise_id)
    good: dict[str, epcis.Event] = {}
    rejected: list[Rejection] = []
    accepted = 0
    for index, raw in enumerate(raw_events):
        try:
            event = epcis.read_event(raw)
        except epcis.EventError as error:
            rejected.append(Rejection(index, str(error)))
            continue
        if problem := _ownership_problem(event, prefixes):
            rejected.append(Rejection(index, problem))
            continue
        accepted += 1
        good.setdefault(f"{enterprise_id}:{event.key}"[:200], event)
    async with events.atomic():
        new = await _store(enterprise_id, good, clock.now())
        items = {item_key(item.gtin, item.serial) for event in new for item in event.items}
        await refresh_items(items, clock.now())
    return IngestResult(accepted=accepted, stored=len(new), duplicates=accepted - len(new), rejected=rejected)


_EVENT_COLUMNS = (
    "key",
    "event_id",
    "enterprise",
    "type",
    "action",
    "biz_step",
    "disposition",
    "event_time",
    "read_point",
    "biz_location",
    "parent",
    "details",
    "recorded_at",
)


async def _insert_rows(
    table: type[Any], columns: tuple[str, ...], rows: list[tuple[Any, ...]], returning: str = ""
) -> Any:
    """One multi-row INSERT with bound parameters (Piccolo builds a query object per row, which at 100,000
    events costs more than the database does)."""
    one = "(" + ", ".join("{}" for _ in columns) + ")"
    sql = f"INSERT INTO {table._meta.tablename} ({', '.join(columns)}) VALUES {', '.join(one for _ in rows)}"
    values = [value for row in rows for value in row]
    return await table.raw(sql + (f" RETURNING {returning}" if returning else ""), *values)


async def _store(enterprise_id: int, good: dict[str, epcis.Event], now: datetime) -> list[epcis.Event]:
    keys = list(good)
    known: set[str] = set()
    for chunk in _chunks(keys):
        known.update(row["key"] for row in await TraceEvent.select(TraceEvent.key).where(TraceEvent.key.is_in(chunk)))
    new = [(key, good[key]) for key in keys if key not in known]
    for chunk in _chunks(new, 200):  # 13 parameters a row, under every engine's limit
        rows = [
            (
                key,
                e.event_id,
                enterprise_id,
                e.type,
                e.action,
                e.biz_step,
                e.disposition,
                e.event_time,
                e.read_point,
                e.biz_location,
                e.parent,
                record.canonical_json(e.details),
                now,
            )
            for key, e in chunk
        ]
        made = await _insert_rows(TraceEvent, _EVENT_COLUMNS, rows, returning="id, key")
        ids = {row["key"]: row["id"] for row in made}
        links = [
            (item_key(item.gtin, item.serial), ids[key]) for key, event in chunk for item in dict.fromkeys(event.items)
        ]
        for link_chunk in _chunks(links, 1000):
            await _insert_rows(ItemEvent, ("item", "event"), link_chunk)
    return [event for _key, event in new]


# --- item history -------------------------------------------------------------------------------------

_STATUS_AFTER = {
    BizStep.commissioning: ItemStatus.in_stock,
    BizStep.packing: ItemStatus.in_stock,
    BizStep.shipping: ItemStatus.shipped,
    BizStep.receiving: ItemStatus.in_stock,
    BizStep.retail_selling: ItemStatus.sold,
    BizStep.decommissioning: ItemStatus.decommissioned,
}
_DISPOSITION_STATUS = {"recalled": ItemStatus.recalled, "destroyed": ItemStatus.destroyed}
_OUT_OF_CIRCULATION = frozenset({ItemStatus.decommissioned, ItemStatus.recalled, ItemStatus.destroyed})


def status_after(event: Mapping[str, Any]) -> ItemStatus | None:
    """What an event says of where the item now is (None: it says nothing, e.g. unpacking a case)."""
    if event["type"] == "AggregationEvent" and event["action"] == "DELETE":
        return None
    if event["disposition"] in _DISPOSITION_STATUS:
        return _DISPOSITION_STATUS[event["disposition"]]
    return _STATUS_AFTER.get(BizStep(event["biz_step"]))


def current_status(history: list[dict[str, Any]]) -> ItemStatus:
    status = ItemStatus.unknown
    for event in history:
        status = status_after(event) or status
    return status


async def events_of_item(key: str) -> list[dict[str, Any]]:
    """The item's events, oldest first, each with its submitter's name and its details parsed."""
    ids = ItemEvent.select(ItemEvent.event).where(ItemEvent.item == key)
    rows = (
        await TraceEvent.select(*TraceEvent.all_columns(), TraceEvent.enterprise.name.as_alias("enterprise_name"))
        .where(TraceEvent.id.is_in(ids))
        .order_by(TraceEvent.event_time)
        .order_by(TraceEvent.id)
    )
    for row in rows:
        row["details"] = json.loads(row["details"])
    return rows


@dataclass(frozen=True)
class ItemHistory:
    gtin: str
    serial: str
    commissioned_by: dict[str, Any] | None
    commissioned_at: datetime | None
    status: ItemStatus
    events: list[dict[str, Any]]
    cases: int


def checked_gtin(gtin: str) -> str:
    try:
        return normalize_gtin(gtin)
    except GS1Error:
        raise NotFound(_("No such item.")) from None


async def may_read_item(viewer: Viewer, gtin: str) -> bool:
    """Mediators and registrars read every item; an approved agent reads its own brand's items."""
    if viewer.has_role(*_READERS):
        return True
    return (
        viewer.has_role("merchant")
        and viewer.enterprise_id is not None
        and (under_prefix(gtin, await prefixes_of(viewer.enterprise_id)))
    )


async def item_history(viewer: Viewer, gtin: str, serial: str) -> ItemHistory:
    gtin = checked_gtin(gtin)
    if len(serial) > 20 or not await may_read_item(viewer, gtin):
        raise NotFound(_("No such item."))
    key = item_key(gtin, serial)
    history = await events_of_item(key)
    if not history:
        raise NotFound(_("No such item."))
    commissioning = next((e for e in history if e["biz_step"] == BizStep.commissioning), None)
    return ItemHistory(
        gtin=gtin,
        serial=serial,
        commissioned_by=commissioning and {"id": commissioning["enterprise"], "name": commissioning["enterprise_name"]},
        commissioned_at=commissioning["event_time"] if commissioning else None,
        status=current_status(history),
        events=history,
        cases=await TraceCheck.count().where(TraceCheck.item == key),
    )


# --- the trace check -----------------------------------------------------------------------------------

REASONS = {
    "no_serial": N_("The trace code carries no serial number (21), so it names no single item."),
    "no_such_item": N_("The brand has registered no events for this GTIN and serial number."),
    "never_commissioned": N_("The item has events, but no commissioning by the brand."),
    "commissioned": N_("Commissioned by %(brand)s on %(date)s."),
    "out_before_purchase": N_("The item was taken out of circulation (%(status)s) on %(date)s, before the purchase."),
    "waybill_not_shipment": N_("The case's waybill is not one of the item's recorded shipments."),
    "order_not_sale": N_("The case's order number is not the item's recorded sale."),
    "merchant_not_on_path": N_(
        "The merchant is not on the item's recorded path: none of its events took place at, came from or went to"
        " a location or party under the merchant's GS1 company prefixes."
    ),
    "claimed_elsewhere": N_(
        "The same GTIN and serial number are claimed in %(n)s other case(s) with a different order or consumer."
    ),
}
_SHIPMENT_DOCUMENTS = frozenset({"desadv", "bol", "cert", "recadv"})
_SALE_DOCUMENTS = frozenset({"po", "inv", "pedigree", "poc", "prodorder", "rma"})


def _same_reference(typed: str | None, recorded: str) -> bool:
    """A waybill or order number typed by a consumer against a bizTransaction (a bare id or a URI ending in it)."""
    wanted = "".join((typed or "").split()).casefold()
    have = recorded.casefold()
    return bool(wanted) and (have == wanted or have.endswith((f":{wanted}", f"/{wanted}", f"={wanted}")))


def _places(event: Mapping[str, Any]) -> Iterable[str]:
    """Where an event took place, came from and went to: readPoint, bizLocation, sources and destinations."""
    yield from (place for place in (event["read_point"], event["biz_location"]) if place)
    for end in (*event["details"]["sources"], *event["details"]["destinations"]):
        yield end["id"]


def _merchant_on_path(merchant: int, prefixes: set[str], history: list[dict[str, Any]]) -> bool:
    """Whether the merchant recorded one of the item's events itself, or one of them took place at, came from or
    went to a GLN under the merchant's company prefixes."""
    for event in history:
        if event["enterprise"] == merchant:
            return True
        for place in _places(event):
            digits = gln_digits(place)
            if digits is not None and any(digits.startswith(prefix) for prefix in prefixes):
                return True
    return False


def _history_reasons(
    case: Mapping[str, Any], history: list[dict[str, Any]], merchant_prefixes: set[str]
) -> list[dict[str, Any]]:
    if not history:
        return [{"code": "no_such_item"}]
    reasons: list[dict[str, Any]] = []
    commissioning = next((e for e in history if e["biz_step"] == BizStep.commissioning), None)
    if commissioning is None:
        reasons.append({"code": "never_commissioned"})
    else:
        reasons.append(
            {
                "code": "commissioned",
                "brand": commissioning["enterprise_name"],
                "date": commissioning["event_time"].date().isoformat(),
            }
        )
    for event in history:
        status = status_after(event)
        if status is not None and status in _OUT_OF_CIRCULATION and event["event_time"].date() < case["purchase_date"]:
            day = event["event_time"].date().isoformat()
            reasons.append({"code": "out_before_purchase", "status": status.value, "date": day})
            break
    # The case's waybill against the item's shipments, its order against the item's sale, where recorded.
    for step, documents, typed, code in (
        (BizStep.shipping, _SHIPMENT_DOCUMENTS, case["waybill"], "waybill_not_shipment"),
        (BizStep.retail_selling, _SALE_DOCUMENTS, case["order_number"], "order_not_sale"),
    ):
        recorded = [
            t["id"]
            for e in history
            if e["biz_step"] == step
            for t in e["details"]["biz_transactions"]
            if t["type"] in documents
        ]
        if recorded and typed and not any(_same_reference(typed, r) for r in recorded):
            reasons.append({"code": code})
    # A merchant with no recorded prefixes may or may not be on the path: unknown is no mismatch.
    if merchant_prefixes and not _merchant_on_path(case["enterprise"], merchant_prefixes, history):
        reasons.append({"code": "merchant_not_on_path"})
    return reasons


async def _other_claims(case: Mapping[str, Any], key: str) -> list[str]:
    """References of the other cases claiming the same item with a different order or consumer."""
    others = TraceCheck.select(TraceCheck.case).where(TraceCheck.item == key, TraceCheck.case != case["id"])
    rows = await Case.select(Case.reference, Case.consumer, Case.order_number).where(Case.id.is_in(others))
    order = "".join(case["order_number"].split()).casefold()
    return sorted(
        row["reference"]
        for row in rows
        if row["consumer"] != case["consumer"] or "".join(row["order_number"].split()).casefold() != order
    )


async def compute_check(case: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]], list[str]]:
    """(status, reasons, other cases) of a case with a trace code, from the item's events and other claims."""
    gtin, serial = case["trace_gtin"], case["trace_serial"]
    if not serial:
        return CheckStatus.unknown.value, [{"code": "no_serial"}], []
    key = item_key(gtin, serial)
    reasons = _history_reasons(case, await events_of_item(key), await prefixes_of(case["enterprise"]))
    others = await _other_claims(case, key)
    if others:
        reasons.append({"code": "claimed_elsewhere", "n": len(others)})
        return CheckStatus.cloned.value, reasons, others
    codes = {reason["code"] for reason in reasons}
    if codes & {"no_such_item"}:
        return CheckStatus.unknown.value, reasons, []
    if codes - {"commissioned"}:
        return CheckStatus.mismatch.value, reasons, []
    return CheckStatus.verified.value, reasons, []


def _registered(reasons: list[dict[str, Any]]) -> bool:
    """What the parties are told: whether the brand commissioned the item (its own events alone decide)."""
    return any(reason["code"] == "commissioned" for reason in reasons)


async def _last_told(case: Mapping[str, Any]) -> datetime:
    """When the case's record last said something: a check told later never goes before it (a case filed on
    an earlier clock, e.g. a demo story, may recheck a case whose record is already further on)."""
    last = (
        await CaseEvent.select(CaseEvent.at)
        .where(CaseEvent.case == case["id"], CaseEvent.seq == case["last_seq"])
        .first()
    )
    return last["at"] if last else datetime.min.replace(tzinfo=UTC)


async def check_case(case_id: int, now: datetime, tell: bool = True) -> None:
    """(Re)check one case; when the result changed, store it and (with `tell`) tell it in the case's record:
    in full for mediators and registrars (`internal`), in plain words for the parties when that answer
    changed. A recheck caused by another consumer's filing is not told: a new event in this case's record,
    sealed or not, would let its consumer see that something happened because of someone else's case."""
    case = await record.lock_case(case_id)
    if case is None or not case["trace_code"] or not case["trace_gtin"]:
        return
    status, reasons, others = await compute_check(case)
    stored = await stored_check(case_id)
    if stored and (stored["status"], stored["reasons"], stored["other_cases"]) == (status, reasons, others):
        return
    values = {
        TraceCheck.status: status,
        TraceCheck.reasons: record.canonical_json(reasons),
        TraceCheck.other_cases: record.canonical_json(others),
        TraceCheck.checked_at: now,
    }
    if stored is None:
        item = item_key(case["trace_gtin"], case["trace_serial"])
        await TraceCheck.insert(TraceCheck(case=case_id, item=item, **{c._meta.name: v for c, v in values.items()}))
    else:
        await TraceCheck.update(values).where(TraceCheck.case == case_id)
    if stored is None or stored["status"] != status:
        await events.emit(checked_event(case, stored["status"] if stored else None, status))
    if not tell:
        return
    told = {"actor_id": None, "actor_role": "system", "at": max(now, await _last_told(case))}
    data = {"status": status, "reasons": reasons, "other_cases": others}
    # Internal: it may name the other cases claiming the item.
    await record.append(case, type=RECORD_EVENT, channel=Channel.internal.value, data=data, **told)
    if stored is None or _registered(stored["reasons"]) != _registered(reasons):
        plain = {"registered": _registered(reasons)}
        await record.append(case, type=PARTIES_EVENT, channel=Channel.parties.value, data=plain, **told)


CHECKED_EVENT = "trace.checked"


def checked_event(case: Mapping[str, Any], old: str | None, new: str) -> events.DomainEvent:
    """The domain event of a case's check result being stored or changed (other domains, e.g. insights' counts
    per enterprise, follow it without reading `trace_check`): the case's enterprise, category and filing time,
    its old status (None for a first check) and its new one."""
    data = {
        "enterprise": case["enterprise"],
        "category": case["category"],
        "filed_at": case["filed_at"].isoformat(),
        "old": old,
        "new": new,
    }
    return events.DomainEvent(CHECKED_EVENT, case["id"], data)


async def current_checks() -> list[dict[str, Any]]:
    """Every stored check as (case, enterprise, category, filed_at, status): the module's `trace_checks`
    service, which lets a recount (`accord insights rebuild`) start from the checks as they stand.
    """
    status = {row["case"]: row["status"] for row in await TraceCheck.select(TraceCheck.case, TraceCheck.status)}
    cases = await Case.select(Case.id, Case.enterprise, Case.category, Case.filed_at).where(
        Case.id.is_in(TraceCheck.select(TraceCheck.case))
    )
    return [{**row, "case": row["id"], "status": status[row["id"]]} for row in cases if row["id"] in status]


async def refresh_items(keys: Iterable[str], now: datetime, tell: bool = True) -> None:
    """Recheck every case claiming one of these items (new events arrived, or another claim was filed)."""
    case_ids: set[int] = set()
    for chunk in _chunks(sorted(keys)):
        rows = await TraceCheck.select(TraceCheck.case).where(TraceCheck.item.is_in(chunk))
        case_ids.update(row["case"] for row in rows)
    for case_id in sorted(case_ids):
        await check_case(case_id, now, tell)


async def check_unchecked(now: datetime) -> int:
    """Check every case with a trace code that has no check yet (filed before traceability was installed,
    or where no subscriber ran, as in `accord seed-demo`), then recheck the items they claim. Returns how
    many were checked."""
    checked = TraceCheck.select(TraceCheck.case)
    async with events.atomic():
        rows = await Case.select(Case.id, Case.trace_gtin, Case.trace_serial).where(
            Case.trace_code.is_not_null(), Case.id.not_in(checked)
        )
        for row in rows:
            await check_case(row["id"], now)
        claimed = {item_key(r["trace_gtin"], r["trace_serial"]) for r in rows if r["trace_serial"]}
        await refresh_items(claimed, now, tell=False)
    return len(rows)


async def on_case_filed(event: events.DomainEvent) -> None:
    """Transaction phase: a case filed with a trace code is checked with its filing, and the other cases
    claiming the same item are rechecked (they may now be clones of each other)."""
    if event.kind != "case.filed" or event.case_id is None:
        return
    trace_columns = (Case.trace_code, Case.trace_gtin, Case.trace_serial)
    case = event.subject or await Case.select(*trace_columns).where(Case.id == event.case_id).first()
    if case is None or not case["trace_code"] or not case["trace_gtin"]:
        return
    now = datetime.fromisoformat(event.data["at"])
    await check_case(event.case_id, now)
    if case["trace_serial"]:  # the other claims: their checks change, their records say nothing (check_case)
        await refresh_items([item_key(case["trace_gtin"], case["trace_serial"])], now, tell=False)


# --- what viewers see of a check -------------------------------------------------------------------------


def reason_text(reason: Mapping[str, Any]) -> str:
    params = dict(reason)
    code = params.pop("code")
    if "date" in params:
        params["date"] = format_date(date.fromisoformat(params["date"]))
    if "status" in params:
        params["status"] = label("item_status", params["status"])
    return _(REASONS.get(code, code)) % params if params else _(REASONS.get(code, code))


async def stored_check(case_id: int) -> dict[str, Any] | None:
    row = await TraceCheck.select().where(TraceCheck.case == case_id).first()
    if row is None:
        return None
    row["reasons"] = json.loads(row["reasons"])
    row["other_cases"] = json.loads(row["other_cases"])
    return row


def _latest(events: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    return next((e for e in reversed(events) if e["type"] == kind and e.get("data") is not None), None)


async def check_for_viewer(
    viewer: Any, case: Mapping[str, Any], events: list[dict[str, Any]] | None = None
) -> dict[str, Any] | None:
    """The check as this viewer may see it (they may already see the case). Mediators and registrars get
    the status, its reasons and the other cases; the parties only whether the brand registered the code,
    which depends on the brand's events alone, never on anyone else's case. From the record when the page
    has it (no query), else from `trace_check`."""
    if not case.get("trace_code"):
        return None
    full = viewer is not None and viewer.has_role(*_READERS)
    # The parties' answer is in the record they read (no query); mediators and registrars read the stored
    # check, which also holds what other cases' filings changed without telling this case's record.
    told = _latest(events, PARTIES_EVENT) if events is not None and not full else None
    if told is not None:
        check = {**told["data"], "checked_at": told["at"]}
        registered = check.get("registered", False)
    elif events is not None and not full:
        return None  # not checked yet
    else:
        stored = await stored_check(case["id"])
        if stored is None:
            return None
        check, registered = stored, _registered(stored["reasons"])
    if full:
        reasons = [reason_text(reason) for reason in check["reasons"]]
        proposal = counterfeit_listing(case, check["status"], reasons)
        return {
            "status": check["status"],
            "reasons": reasons,
            "other_cases": check["other_cases"],
            "summary": label("trace_check", check["status"]),
            "checked_at": check["checked_at"],
            "listing_proposal": proposal,
            "prefill": {"propose_listing": proposal} if proposal else {},
        }
    return {
        "status": None,
        "reasons": [],
        "other_cases": [],
        "summary": _(_REGISTERED if registered else _NOT_CONFIRMED),
        "checked_at": None,
    }


def counterfeit_listing(case: Mapping[str, Any], status: str, reasons: list[str]) -> dict[str, Any] | None:
    """A counterfeit case whose code is cloned or does not fit the item's history is a counterfeit signal: the
    registry listing a mediator may propose from it, pre-filled (they still decide, and the registry's own
    rules say when a case may lead to one)."""
    if case.get("category") != "counterfeit" or status not in (CheckStatus.cloned, CheckStatus.mismatch):
        return None
    code = case["trace_code"]
    facts = _("Trace check of %(code)s: %(result)s.") % {"code": code, "result": label("trace_check", status)}
    return {
        "enterprise_id": case["enterprise"],
        "violation": "counterfeit",
        "tier": "general",
        "facts": " ".join([facts, *reasons]),
        "case_ref": case["reference"],
    }


_REGISTERED = N_("The trace code was checked: this code is registered by the brand.")
_NOT_CONFIRMED = N_("The trace code was checked: this code could not be confirmed.")


def tell_check(event: Mapping[str, Any]) -> str:
    """The timeline's sentence for a check (mediators and registrars: the internal event)."""
    data = event["data"]
    told = _("Accord checked the trace code: %(result)s.") % {"result": label("trace_check", data["status"])}
    return " ".join([told, *(reason_text(reason) for reason in data["reasons"])])


def tell_plain_check(event: Mapping[str, Any]) -> str:
    """The timeline's sentence for the parties: only whether the brand registered the code."""
    return _(_REGISTERED if event["data"].get("registered") else _NOT_CONFIRMED)
