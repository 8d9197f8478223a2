"""Cases and everything attached to them: offers and proposals, evidence, messages, deadlines, the record."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    Array,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from accord.i18n import N_, register_labels
from accounts.tables import Enterprise, User


class CaseState(StrEnum):
    filed = "filed"
    negotiating = "negotiating"
    awaiting_mediator = "awaiting_mediator"
    in_mediation = "in_mediation"
    settled = "settled"
    breached = "breached"
    resolved = "resolved"
    unresolved = "unresolved"
    declined = "declined"
    withdrawn = "withdrawn"


TERMINAL_STATES = frozenset({CaseState.resolved, CaseState.unresolved, CaseState.declined, CaseState.withdrawn})

# Retention (cases/retention.py): the case row's free-text personal details, replaced by MASK years after the
# case ended. The record keeps what they were (it is the evidence, and its hashes cover them); verification
# accepts MASK in these columns of a case with `masked_at` (cases/record.py).
MASKED_CASE_COLUMNS = ("order_number", "waybill", "description", "rating_comment")
MASK = "[masked]"


class Category(StrEnum):
    not_as_described = "not_as_described"
    not_delivered = "not_delivered"
    counterfeit = "counterfeit"
    defective = "defective"
    return_refused = "return_refused"
    warranty = "warranty"
    price_or_fees = "price_or_fees"
    other = "other"


class RemedyType(StrEnum):
    refund = "refund"
    partial_refund = "partial_refund"
    replacement = "replacement"
    repair = "repair"
    return_and_refund = "return_and_refund"
    compensation = "compensation"
    other = "other"


# Remedies that move money carry an amount.
MONEY_REMEDIES = frozenset(
    {RemedyType.refund, RemedyType.partial_refund, RemedyType.return_and_refund, RemedyType.compensation}
)


class Channel(StrEnum):
    """Who may read a message, evidence or record event (DESIGN §4)."""

    parties = "parties"  # record events every party sees (transitions, offers)
    joint = "joint"
    caucus_consumer = "caucus:consumer"
    caucus_merchant = "caucus:merchant"
    internal = "internal"


class DeclineReason(StrEnum):
    not_a_consumer_purchase = "not_a_consumer_purchase"
    outside_remit = "outside_remit"
    in_court_or_arbitration = "in_court_or_arbitration"
    over_three_years = "over_three_years"
    materials_missing = "materials_missing"
    duplicate = "duplicate"


register_labels(
    "state",
    {
        CaseState.filed: N_("Filed, waiting for the merchant"),
        CaseState.negotiating: N_("Negotiating"),
        CaseState.awaiting_mediator: N_("Waiting for a mediator"),
        CaseState.in_mediation: N_("In mediation"),
        CaseState.settled: N_("Settled, waiting for fulfilment"),
        CaseState.breached: N_("Settlement not kept"),
        CaseState.resolved: N_("Resolved"),
        CaseState.unresolved: N_("Closed without agreement"),
        CaseState.declined: N_("Declined"),
        CaseState.withdrawn: N_("Withdrawn"),
    },
)
register_labels(
    "category",
    {
        Category.not_as_described: N_("Not as described"),
        Category.not_delivered: N_("Not delivered"),
        Category.counterfeit: N_("Suspected counterfeit"),
        Category.defective: N_("Defective or unsafe"),
        Category.return_refused: N_("Return or refund refused"),
        Category.warranty: N_("Warranty or repair"),
        Category.price_or_fees: N_("Price, taxes or fees"),
        Category.other: N_("Something else"),
    },
)
register_labels(
    "remedy",
    {
        RemedyType.refund: N_("Full refund"),
        RemedyType.partial_refund: N_("Partial refund"),
        RemedyType.replacement: N_("Replacement"),
        RemedyType.repair: N_("Repair"),
        RemedyType.return_and_refund: N_("Return and refund"),
        RemedyType.compensation: N_("Compensation"),
        RemedyType.other: N_("Other remedy"),
    },
)
# Who spoke or acted on a case, as pages name them next to the person ("Zhang Min (merchant · …)").
register_labels(
    "speaker",
    {
        "consumer": N_("consumer"),
        "merchant": N_("merchant"),
        "platform": N_("platform"),
        "mediator": N_("mediator"),
        "any_mediator": N_("mediator"),
        "admin": N_("registrar"),
        "system": N_("Accord, automatically"),
    },
)
register_labels(
    "channel",
    {
        Channel.parties: N_("Case record"),
        Channel.joint: N_("Joint conversation"),
        Channel.caucus_consumer: N_("Private with the consumer"),
        Channel.caucus_merchant: N_("Private with the merchant"),
        Channel.internal: N_("Mediators' notes"),
    },
)
register_labels(
    "decline_reason",
    {
        DeclineReason.not_a_consumer_purchase: N_("Not a consumer purchase"),
        DeclineReason.outside_remit: N_("Outside what this service handles"),
        DeclineReason.in_court_or_arbitration: N_("Already before a court or arbitrator"),
        DeclineReason.over_three_years: N_("More than three years since the purchase"),
        DeclineReason.materials_missing: N_("Essential materials are missing"),
        DeclineReason.duplicate: N_("Duplicate of another case"),
    },
)


class Case(Table, tablename="dispute_case"):
    reference = Varchar(length=20, unique=True)
    # Indexed together with what their lists sort by (cases/piccolo_migrations, "list indexes"), like `state`.
    consumer = ForeignKey(references=User, on_delete=OnDelete.restrict)
    enterprise = ForeignKey(references=Enterprise, on_delete=OnDelete.restrict)
    mediator = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    previous_mediator = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    former_mediators = Array(base_column=Integer())  # user ids of everyone who held the case before (need to know)
    state = Varchar(length=30)
    version = Integer(default=1)
    category = Varchar(length=30)
    order_number = Varchar(length=100)
    platform = Varchar(length=200)  # as the consumer named it
    # The platform enterprise the purchase was made on, when the consumer chose a registered platform: its
    # agents become a party to the case (cases/access.py PLATFORM), it may compensate in advance.
    # (indexed with updated_at, id for the platform's list: cases_2026_11_30t06_50_00_000000)
    platform_enterprise = ForeignKey(references=Enterprise, null=True, on_delete=OnDelete.restrict)
    compensated_by = Varchar(length=20, null=True, default=None)  # "platform" after advance compensation
    # After advance compensation the consumer says whether the money arrived (cases/workflow.py):
    # awaiting_confirmation → confirmed (by them, or by the system when they stay silent) | disputed.
    compensation_state = Varchar(length=24, null=True, default=None)
    purchase_date = Date()
    product_name = Varchar(length=300)
    gtin = Varchar(length=14, null=True, default=None)
    trace_code = Varchar(length=300, null=True, default=None)
    trace_gtin = Varchar(length=14, null=True, default=None)  # may differ from `gtin` (another packaging level)
    trace_batch = Varchar(length=20, null=True, default=None)
    trace_serial = Varchar(length=20, null=True, default=None)
    trace_expiry = Date(null=True, default=None)
    waybill = Varchar(length=100, null=True, default=None)
    waybill_carrier = Varchar(length=10, null=True, default=None)  # cases.waybill.Carrier
    amount_paid = BigInt(null=True, default=None)  # minor units of `currency`
    currency = Varchar(length=3, null=True, default=None)
    desired_remedy = Varchar(length=30)
    description = Text()
    language = Varchar(length=10)
    is_appeal = Boolean(default=False)
    appealed = Boolean(default=False)
    merchant_responded = Boolean(default=False)
    decline_reason = Varchar(length=40, null=True, default=None)
    settlement = Integer(null=True, default=None)  # id of the accepted offer or proposal
    fulfilment_marked_at = Timestamptz(null=True, default=None)
    info_requested_from = Varchar(length=20, null=True, default=None)
    terminal_at = Timestamptz(null=True, default=None)
    rating = Integer(null=True, default=None)
    rating_comment = Text(null=True, default=None)
    last_seq = Integer(default=0)
    last_hash = Varchar(length=64)
    next_due_at = Timestamptz(null=True, default=None)  # soonest running deadline: the queue's sort key
    # How far the statistics have counted this case (insights follows the record): the moves up to
    # counted_version, the events up to counted_seq; cases only starts them at 0.
    counted_version = Integer(default=0)
    counted_seq = Integer(default=0)
    # The record's verified head (cases/record.py): its events up to verified_seq, ending in verified_hash, were
    # verified (a page moves it up to the events it verified); verified_at is when the whole record last was.
    # Pages check only the events after the head. Null: verify from the start.
    verified_seq = Integer(null=True, default=None)
    verified_hash = Varchar(length=64, null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)
    # When retention masked its personal details (cases/retention.py): years after it ended; null: not masked.
    masked_at = Timestamptz(null=True, default=None)
    filed_at = Timestamptz()
    updated_at = Timestamptz()


class Offer(Table, tablename="case_offer"):
    """An offer or counter-offer by a party, or a mediator's settlement proposal (by_role = mediator)."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    by_role = Varchar(length=20)
    author = ForeignKey(references=User, on_delete=OnDelete.restrict)
    remedies = Text()  # canonical JSON list of {type, amount, currency, description}
    text = Text()
    fulfil_by = Date(null=True, default=None)
    status = Varchar(length=20, default="open")  # open | accepted | rejected | superseded
    consumer_accepted_at = Timestamptz(null=True, default=None)
    merchant_accepted_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Evidence(Table, tablename="case_evidence"):
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    sha256 = Varchar(length=64)
    media_type = Varchar(length=40)
    size = Integer()
    channel = Varchar(length=20)
    description = Varchar(length=300)
    file_name = Varchar(length=120, default="")  # the uploader's name for it, sanitised: a label, never a path
    uploaded_by = ForeignKey(references=User, on_delete=OnDelete.restrict)
    seq = Integer()
    created_at = Timestamptz()


class Message(Table, tablename="case_message"):
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    seq = Integer()
    channel = Varchar(length=20)
    author = ForeignKey(references=User, on_delete=OnDelete.restrict)
    author_role = Varchar(length=20)  # consumer | merchant | mediator: their part in the case when they wrote
    text = Text()
    client_id = Varchar(length=64, null=True, default=None)  # sender's idempotency key
    created_at = Timestamptz()


class Deadline(Table, tablename="case_deadline"):
    """A running clock on a case; the sweeper applies `action` (if any) when it runs out."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade)  # indexed with closed_at, due_at
    name = Varchar(length=40)
    action = Varchar(length=40, null=True, default=None)
    due_at = Timestamptz(index=True)
    paused_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)  # indexed with due_at (the sweeper's)


class CaseEvent(Table, tablename="case_event"):
    """The append-only, hash-chained record of a case. Rows are never updated or deleted."""

    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, index=True)
    seq = Integer()
    type = Varchar(length=40)
    channel = Varchar(length=20)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    actor_role = Varchar(length=20)
    at = Timestamptz()
    data = Text()  # canonical JSON
    writes = Text(default="{}")  # canonical JSON: the case and offer columns this event set (cases/record.py)
    salt = Varchar(length=64, default="")  # hex; makes the hash a commitment nobody can test guesses against
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class RecourseState(StrEnum):
    open = "open"
    recovered = "recovered"
    waived = "waived"


register_labels(
    "recourse_state",
    {
        RecourseState.open: N_("Open"),
        RecourseState.recovered: N_("Recovered"),
        RecourseState.waived: N_("Waived"),
    },
)


register_labels("recourse_decision", {"recover": N_("Record as recovered"), "waive": N_("Waive the claim")})
register_labels("compensated_by", {"platform": N_("The platform")})
register_labels(
    "compensation_state",
    {
        "awaiting_confirmation": N_("Not confirmed yet"),
        "confirmed": N_("Payment received"),
        "disputed": N_("Says the payment did not arrive"),
    },
)


class RecourseClaim(Table, tablename="case_recourse_claim"):
    """What a merchant owes its platform after the platform paid the consumer in advance (advance compensation,
    先行赔付): made by the case's `advance_compensate` row, then recovered or waived by the platform's agents.
    Every change is in the case's record (`writes["recourse"]`, cases/record.py), so `verify-case` covers it."""

    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, index=True)
    platform = ForeignKey(references=Enterprise, on_delete=OnDelete.restrict, index=True)
    merchant = ForeignKey(references=Enterprise, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()  # minor units of `currency`
    currency = Varchar(length=3)
    note = Text(default="")
    state = Varchar(length=10, default=RecourseState.open, choices=RecourseState)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    recovered_at = Timestamptz(null=True, default=None)  # when it was recovered or waived
    closed_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
