"""The enterprise IP integrity registry: listings, their internal record, and the public Merkle log."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from accord.i18n import N_, register_labels
from accounts.tables import Enterprise, User


class Violation(StrEnum):
    counterfeit = "counterfeit"
    trademark = "trademark"
    patent = "patent"
    copyright = "copyright"
    false_origin = "false_origin"
    settlement_breach = "settlement_breach"


class Tier(StrEnum):
    minor = "minor"  # recorded, never published
    general = "general"
    serious = "serious"


class ListingState(StrEnum):
    proposed = "proposed"
    noticed = "noticed"
    published = "published"
    withdrawn = "withdrawn"
    repaired = "repaired"
    expired = "expired"


register_labels(
    "tier", {Tier.minor: N_("Minor (not published)"), Tier.general: N_("General"), Tier.serious: N_("Serious")}
)
register_labels(
    "listing_state",
    {
        ListingState.proposed: N_("Proposed"),
        ListingState.noticed: N_("Enterprise notified, objection window open"),
        ListingState.published: N_("Published"),
        ListingState.withdrawn: N_("Withdrawn"),
        ListingState.repaired: N_("Repaired"),
        ListingState.expired: N_("Expired"),
    },
)


register_labels(
    "listing_file", {"facts": N_("the facts"), "objection": N_("the objection"), "repair": N_("the correction")}
)


class Listing(Table, tablename="registry_listing"):
    enterprise = ForeignKey(references=Enterprise, on_delete=OnDelete.restrict, index=True)
    violation = Varchar(length=30)
    tier = Varchar(length=20)
    escalated = Boolean(default=False)  # raised one tier because another listing was active
    facts = Text()
    source = Varchar(length=20)  # case | report | registrar
    case_ref = Varchar(length=20, null=True, default=None)
    state = Varchar(length=20, index=True)
    version = Integer(default=1)
    proposed_by = ForeignKey(references=User, on_delete=OnDelete.restrict)
    objection_until = Timestamptz(null=True, default=None)
    objection = Text(null=True, default=None)
    decision = Text(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    minimum_until = Timestamptz(null=True, default=None)
    maximum_until = Timestamptz(null=True, default=None, index=True)
    repair_application = Text(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ListingEvent(Table, tablename="registry_listing_event"):
    """Everything that happened to a listing, for registrars and the enterprise (not public)."""

    listing = ForeignKey(references=Listing, on_delete=OnDelete.restrict, index=True)
    type = Varchar(length=30)
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    at = Timestamptz()
    data = Text()


class LogEntry(Table, tablename="registry_log"):
    """The public, append-only Merkle log: one leaf per public listing event.

    `leaf` is the canonical JSON that was hashed. When a listing is repaired or expires its entries are
    "forgotten": `forgotten` hides the leaf from the export, while `leaf_hash` keeps the tree verifiable.
    """

    seq = Integer(unique=True)
    listing = ForeignKey(references=Listing, on_delete=OnDelete.restrict, index=True)
    leaf = Text()
    leaf_hash = Varchar(length=64)
    forgotten = Boolean(default=False)
    at = Timestamptz()


class RightsHolder(Table, tablename="registry_rights_holder"):
    """A user who owns marks, patents or copyrights and may report infringing enterprises."""

    user = ForeignKey(references=User, unique=True, on_delete=OnDelete.restrict)
    organisation = Varchar(length=200)
    marks = Text()  # canonical JSON list of the marks, patents and works they hold
    created_at = Timestamptz()


class Report(Table, tablename="registry_report"):
    """A rights-holder's report against an enterprise; upheld reports become proposed listings."""

    reporter = ForeignKey(references=RightsHolder, on_delete=OnDelete.restrict, index=True)
    enterprise = ForeignKey(references=Enterprise, on_delete=OnDelete.restrict, index=True)
    violation = Varchar(length=30)
    marks = Text()
    description = Text()
    status = Varchar(length=20, default="open")  # open | upheld | rejected | withdrawn
    malicious = Boolean(default=False)
    counter_notice = Text(null=True, default=None)
    decision = Text(null=True, default=None)
    listing = ForeignKey(references=Listing, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)


class ListingEvidence(Table, tablename="registry_listing_evidence"):
    """Files behind a listing: the facts, the enterprise's objection, its proof of correction. Never public."""

    listing = ForeignKey(references=Listing, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=20)  # facts | objection | repair
    sha256 = Varchar(length=64)
    media_type = Varchar(length=40)
    size = Integer()
    description = Varchar(length=300)
    uploaded_by = ForeignKey(references=User, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
