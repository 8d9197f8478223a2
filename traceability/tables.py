"""Company prefixes, EPCIS events, the item index built from them, and each case's trace check."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from accord.i18n import N_, register_labels
from accounts.tables import Enterprise, User


class BizStep(StrEnum):
    """The CBV 2.0 business steps Accord builds item histories from."""

    commissioning = "commissioning"
    packing = "packing"
    shipping = "shipping"
    receiving = "receiving"
    retail_selling = "retail_selling"
    decommissioning = "decommissioning"


class ItemStatus(StrEnum):
    in_stock = "in_stock"
    shipped = "shipped"
    sold = "sold"
    decommissioned = "decommissioned"
    recalled = "recalled"
    destroyed = "destroyed"
    unknown = "unknown"


class CheckStatus(StrEnum):
    verified = "verified"
    unknown = "unknown"
    mismatch = "mismatch"
    cloned = "cloned"


register_labels(
    "biz_step",
    {
        BizStep.commissioning: N_("Commissioned (code issued)"),
        BizStep.packing: N_("Packed"),
        BizStep.shipping: N_("Shipped"),
        BizStep.receiving: N_("Received"),
        BizStep.retail_selling: N_("Sold"),
        BizStep.decommissioning: N_("Decommissioned"),
    },
)
register_labels(
    "item_status",
    {
        ItemStatus.in_stock: N_("In stock"),
        ItemStatus.shipped: N_("Shipped"),
        ItemStatus.sold: N_("Sold"),
        ItemStatus.decommissioned: N_("Decommissioned"),
        ItemStatus.recalled: N_("Recalled"),
        ItemStatus.destroyed: N_("Destroyed"),
        ItemStatus.unknown: N_("Unknown"),
    },
)
register_labels(
    "trace_check",
    {
        CheckStatus.verified: N_("Verified: commissioned by the brand, no conflict"),
        CheckStatus.unknown: N_("Unknown: the brand has registered no such item"),
        CheckStatus.mismatch: N_("Mismatch: the item's history does not fit this purchase"),
        CheckStatus.cloned: N_("Cloned: the same code is claimed in another case"),
    },
)


class CompanyPrefix(Table, tablename="trace_company_prefix"):
    """A GS1 company prefix a registrar recorded for an enterprise: it may submit events for GTINs under it."""

    enterprise = ForeignKey(references=Enterprise, on_delete=OnDelete.restrict, index=True)
    prefix = Varchar(length=12, unique=True)
    added_by = ForeignKey(references=User, on_delete=OnDelete.restrict)
    added_at = Timestamptz()


class TraceEvent(Table, tablename="trace_event"):
    """One EPCIS event as a verified enterprise submitted it. `key` (the submitter and the event's ID or
    content hash) makes a resubmission a no-op."""

    key = Varchar(length=200, unique=True)
    event_id = Varchar(length=300, null=True, default=None)
    enterprise = ForeignKey(references=Enterprise, on_delete=OnDelete.restrict, index=True)
    type = Varchar(length=30)
    action = Varchar(length=10)
    biz_step = Varchar(length=30)
    disposition = Varchar(length=100, null=True, default=None)
    event_time = Timestamptz()
    read_point = Varchar(length=300, null=True, default=None)
    biz_location = Varchar(length=300, null=True, default=None)
    parent = Varchar(length=300, null=True, default=None)  # AggregationEvent: the case or pallet (SSCC)
    details = Text()  # canonical JSON: bizTransactionList, sourceList, destinationList as submitted
    recorded_at = Timestamptz()


class ItemEvent(Table, tablename="trace_item_event"):
    """The item index: one row per (item, event), looked up by `item` = "<gtin14>/<serial>"."""

    item = Varchar(length=40, index=True)
    event = ForeignKey(references=TraceEvent, on_delete=OnDelete.cascade, index=True)


class TraceCheck(Table, tablename="trace_check"):
    """The latest trace check of a case with a trace code (the record keeps every change of it)."""

    case = Integer(unique=True)  # dispute_case.id
    item = Varchar(length=40, index=True)  # "<gtin14>/<serial>", or "<gtin14>/" without a serial
    status = Varchar(length=20)
    reasons = Text()  # canonical JSON list of {code, ...params}
    other_cases = Text(default="[]")  # canonical JSON list of references (mediators and registrars only)
    checked_at = Timestamptz()
