"""What the case API and forms accept and return. Request models list exactly the settable fields."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from babel.numbers import get_currency_precision, list_currencies
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from accord.i18n import gettext as _
from accord.validation import LongText, Strict
from accounts.schemas import EnterpriseBrief, EnterpriseIn
from cases.tables import MONEY_REMEDIES, Category, DeclineReason, RemedyType
from cases.waybill import Carrier

CURRENCIES = frozenset(list_currencies())
MAX_MINOR_UNITS = 10**13  # far above any consumer purchase, well inside BIGINT
MAX_AMOUNT_DIGITS = 15  # decimal orders of magnitude an amount may span either side of the point


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise PydanticCustomError("currency", _("Use a three-letter ISO 4217 currency code, like CNY or USD."))
    return code


Currency = Annotated[str, Field(max_length=3), AfterValidator(_currency)]


class MoneyIn(Strict):
    """`{"amount": "199.00", "currency": "CNY"}`: a decimal string in the currency's own precision."""

    amount: Annotated[str, Field(max_length=20)]
    currency: Currency

    @field_validator("amount")
    @classmethod
    def decimal_amount(cls, amount: str) -> str:
        text = amount.strip().replace(",", "")
        try:
            value = Decimal(text) if text.isascii() else None  # Decimal() would also read "٣" as 3
        except InvalidOperation:
            value = None
        if value is None:
            raise PydanticCustomError("amount", _("Enter an amount like 199.00."))
        if not value.is_finite() or value <= 0:
            raise PydanticCustomError("amount", _("Enter an amount greater than zero."))
        # Exponents like "1e999999" would overflow (or "1e-999999" vanish to zero) once scaled to minor
        # units; no purchase is within 15 orders of magnitude of either.
        if value.adjusted() > MAX_AMOUNT_DIGITS:
            raise PydanticCustomError("amount", _("This amount is too large."))
        if value.adjusted() < -MAX_AMOUNT_DIGITS:
            raise PydanticCustomError("amount", _("Enter an amount like 199.00."))
        return str(value)

    def minor_units(self) -> int:
        """The amount in minor units; too many decimals for the currency are a field error."""
        places = get_currency_precision(self.currency)
        scaled = Decimal(self.amount).scaleb(places)
        if scaled != scaled.to_integral_value():
            raise PydanticCustomError(
                "amount",
                _("%(currency)s amounts have at most %(places)d decimal places.")
                % {"currency": self.currency, "places": places},
            )
        if scaled > MAX_MINOR_UNITS:
            raise PydanticCustomError("amount", _("This amount is too large."))
        return int(scaled)

    @model_validator(mode="after")
    def fits_currency(self) -> MoneyIn:
        self.minor_units()
        return self


class MoneyOut(BaseModel):
    amount: str
    currency: str


def money_out(minor_units: int | None, currency: str | None) -> MoneyOut | None:
    if minor_units is None or currency is None:
        return None
    places = get_currency_precision(currency)
    return MoneyOut(amount=f"{Decimal(minor_units).scaleb(-places):.{places}f}", currency=currency)


class RemedyIn(Strict):
    type: RemedyType
    amount: MoneyIn | None = None
    description: Annotated[str, Field(max_length=500)] = ""

    @model_validator(mode="after")
    def money_where_money_moves(self) -> RemedyIn:
        if self.type in MONEY_REMEDIES and self.amount is None:
            raise PydanticCustomError("amount", _("Say how much money this remedy involves."))
        if self.type == RemedyType.other and not self.description.strip():
            raise PydanticCustomError("description", _("Describe the remedy."))
        return self

    def stored(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "amount": self.amount.minor_units() if self.amount else None,
            "currency": self.amount.currency if self.amount else None,
            "description": self.description.strip(),
        }


Remedies = Annotated[list[RemedyIn], Field(min_length=1, max_length=5)]


class CaseFilingIn(Strict):
    enterprise_id: int | None = None
    enterprise: EnterpriseIn | None = None
    category: Category
    order_number: Annotated[str, Field(min_length=1, max_length=100)]
    # The platform the purchase was made on: a registered platform enterprise chosen from the list (its
    # agents then see the case), or its name as the consumer knows it; the chosen one names it if left empty.
    platform_enterprise_id: int | None = None
    platform: Annotated[str, Field(max_length=200, validate_default=True)] = ""
    purchase_date: date
    product_name: Annotated[str, Field(min_length=1, max_length=300)]
    gtin: Annotated[str | None, Field(max_length=20)] = None
    trace_code: Annotated[str | None, Field(max_length=300)] = None
    waybill: Annotated[str | None, Field(max_length=100)] = None
    waybill_carrier: Carrier | None = None  # left out: guessed from the number, else "other"
    amount_paid: MoneyIn | None = None
    desired_remedy: RemedyType
    description: LongText
    language: Literal["en", "zh-Hans"] = "en"

    @field_validator("order_number", "platform", "product_name", "waybill")
    @classmethod
    def trimmed(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        named_by_choice = info.field_name == "platform" and info.data.get("platform_enterprise_id") is not None
        if not value and info.field_name != "waybill" and not named_by_choice:
            raise PydanticCustomError("required", _("This field is required."))
        return value or None

    @model_validator(mode="after")
    def one_merchant(self) -> CaseFilingIn:
        if (self.enterprise_id is None) == (self.enterprise is None):
            raise PydanticCustomError(
                "enterprise", _("Choose the merchant from the list, or enter it as a new enterprise.")
            )
        return self


# --- action payloads (DESIGN §11) ----------------------------------------------------------------


class RespondIn(Strict):
    kind: Literal["offer", "reject", "question"]
    remedies: Annotated[list[RemedyIn], Field(max_length=5)] = []
    text: LongText
    fulfil_by: date | None = None

    @model_validator(mode="after")
    def offers_have_remedies(self) -> RespondIn:
        if self.kind == "offer" and not self.remedies:
            raise PydanticCustomError("remedies", _("An offer needs at least one remedy."))
        if self.kind != "offer" and self.remedies:
            raise PydanticCustomError("remedies", _("Only offers carry remedies."))
        return self


class OfferIn(Strict):
    remedies: Remedies
    text: LongText
    fulfil_by: date | None = None


class OfferChoiceIn(Strict):
    offer_id: int


class OfferRejectionIn(Strict):
    offer_id: int
    reason: Annotated[str, Field(max_length=2000)] = ""


class ReasonIn(Strict):
    reason: LongText


class OptionalReasonIn(Strict):
    reason: Annotated[str, Field(max_length=2000)] = ""


class DeclineIn(Strict):
    reason: DeclineReason
    note: Annotated[str, Field(max_length=5000)] = ""


class InfoRequestIn(Strict):
    party: Literal["consumer", "merchant"]
    question: LongText


class InfoIn(Strict):
    text: LongText


class ProposalIn(Strict):
    terms: Remedies
    fulfil_by: date
    text: Annotated[str, Field(max_length=5000)] = ""


class NoteIn(Strict):
    note: LongText


class ProofIn(Strict):
    proof: LongText


class RatingIn(Strict):
    score: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=2000)] = ""


class ReassignIn(Strict):
    mediator_id: int


class AdvanceCompensationIn(Strict):
    """The platform pays the consumer in advance (先行赔付): how much, and what it says about it."""

    amount: MoneyIn
    note: Annotated[str, Field(max_length=2000)] = ""


class ListingProposalIn(Strict):
    violation: Literal["counterfeit", "trademark", "patent", "copyright", "false_origin", "settlement_breach"]
    facts: LongText


# --- responses -----------------------------------------------------------------------------------


class PartyOut(BaseModel):
    id: int
    display_name: str


class PlatformEnterpriseOut(BaseModel):
    """The registered platform a case names (issue 17): its agents see the case and speak in its joint thread."""

    id: int
    name: str


class AuthorOut(BaseModel):
    """Who wrote or did something, with their part in the case: consumer, merchant, mediator, admin
    (registrar) or system (deadlines)."""

    id: int | None
    display_name: str
    role: str


class TraceOut(BaseModel):
    gtin: str | None
    batch: str | None
    serial: str | None
    expiry: date | None


class TraceCheckOut(BaseModel):
    """The trace check of a case's trace code (computed by `trace`, shown through `accord.extensions`).

    Mediators and registrars get `status` (verified | unknown | mismatch | cloned), `reasons` and the
    `other_cases` involved; the parties only `summary`, in plain words, with `status` null."""

    status: str | None
    reasons: list[str]
    other_cases: list[str]
    summary: str
    checked_at: datetime | None
    # A counterfeit case whose code is cloned or mismatched: the registry listing a mediator may propose
    # (POST /api/v1/registry/listings), pre-filled.
    listing_proposal: dict[str, Any] | None = None


class StatementOut(BaseModel):
    """Words someone typed into an action form (a reason, a note, a question, proof…), as the caller may read
    them: `words` maps the form's field to the text; `words_channel` says who else reads them ("parties":
    everyone on the case; "caucus:consumer" / "caucus:merchant": that party and the case's mediators and
    registrars; "internal": mediators and registrars)."""

    seq: int
    action: str
    at: datetime
    author: AuthorOut
    words: dict[str, str]
    words_channel: str


class InformationRequestOut(BaseModel):
    """The mediator's latest question to one party and its answer. `question` and `answer` are null for
    those who may not read them (the other party; mediators who never held the case)."""

    party: str
    asked_by: AuthorOut
    asked_at: datetime
    due_at: datetime | None
    question: str | None
    open: bool
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by: AuthorOut | None = None
    lapsed_at: datetime | None = None  # no answer came in time


class FulfilmentOut(BaseModel):
    """The merchant's report that the settlement was carried out, and the consumer's dispute if any."""

    proof: str
    marked_at: datetime
    marked_by: AuthorOut
    dispute_reason: str | None = None
    disputed_at: datetime | None = None


class RatingOut(BaseModel):
    """The consumer's rating of the service: shown to them, the case's mediators and registrars only."""

    score: int
    comment: str


class RemedyOut(BaseModel):
    type: str
    amount: MoneyOut | None
    description: str


class OfferOut(BaseModel):
    id: int
    by: str
    author: AuthorOut
    remedies: list[RemedyOut]
    text: str
    fulfil_by: date | None
    status: str
    consumer_accepted: bool
    merchant_accepted: bool
    created_at: datetime


class TimeoutOut(BaseModel):
    """What happens by itself when the deadline runs out."""

    action: str | None  # the system's timeout action (None: nothing happens, the case shows as overdue)
    state: str | None  # where that action takes the case
    summary: str


class NextOut(BaseModel):
    """What happens next on the case, told to the caller: who must act, what, by when."""

    situation: str  # the state refined by what is open on the case, e.g. "negotiating.merchant_offer"
    actor_roles: list[str]  # consumer, merchant, mediator (the one holding it), any_mediator (from the queue)
    you_act: bool
    summary: str
    deadline: str | None  # a deadline's name, or "appeal_window"
    due_at: datetime | None  # in the caller's time zone
    time_zone: str
    working_days_left: int | None  # 0: due today; negative: overdue
    overdue: bool
    on_timeout: TimeoutOut | None


class RecourseClaimOut(BaseModel):
    """The platform's claim against the merchant for what it paid the consumer in advance."""

    id: int
    case_reference: str
    platform: EnterpriseBrief
    merchant: EnterpriseBrief
    amount: MoneyOut
    note: str
    state: str  # open | recovered | waived
    created_at: datetime
    recovered_at: datetime | None  # when it was recovered or waived


class CaseOut(BaseModel):
    reference: str
    state: str
    version: int
    category: str
    enterprise: EnterpriseBrief
    consumer: PartyOut
    mediator: PartyOut | None
    order_number: str
    platform: str
    platform_enterprise: PlatformEnterpriseOut | None = None
    compensated_by: str | None = None  # "platform" once the platform compensated the consumer in advance
    purchase_date: date
    product_name: str
    gtin: str | None
    trace: TraceOut | None
    trace_check: TraceCheckOut | None = None
    waybill: str | None
    waybill_carrier: str | None = None
    amount_paid: MoneyOut | None
    desired_remedy: str
    description: str
    language: str
    is_appeal: bool
    decline_reason: str | None
    deadlines: dict[str, datetime]
    offers: list[OfferOut]
    proposal: OfferOut | None
    settlement: OfferOut | None
    allowed_actions: list[str]
    next: NextOut
    filed_at: datetime
    updated_at: datetime
    warnings: list[str] = []
    # What people said in action forms, as far as the caller may read it (issue 12 §1).
    statements: list[StatementOut] = []
    information_request: InformationRequestOut | None = None
    fulfilment: FulfilmentOut | None = None
    decline_note: str | None = None
    closing_note: str | None = None  # the mediator's, when they closed the case without agreement
    rating: RatingOut | None = None
    # Advance compensation (issue 17): the platform's claim against the merchant for what it paid the consumer;
    # whether the consumer confirmed the payment (awaiting_confirmation, confirmed, disputed).
    compensation_state: str | None = None
    recourse_claim: RecourseClaimOut | None = None


class CaseSummaryOut(BaseModel):
    reference: str
    state: str
    category: str
    product_name: str
    enterprise: str
    # The registered platform the case names; in a platform's list (role_view=platform) it is the caller's.
    platform_enterprise_id: int | None = None
    filed_at: datetime
    updated_at: datetime
    next_deadline: datetime | None


class MessageIn(Strict):
    channel: Literal["joint", "caucus:consumer", "caucus:merchant", "internal"]
    text: LongText
    # An empty key is no key: "" twice must not collide as the same message (case_message_client).
    client_id: Annotated[str | None, Field(max_length=64), AfterValidator(lambda key: key or None)] = None


class MessageOut(BaseModel):
    seq: int
    channel: str
    text: str
    author: AuthorOut
    at: datetime


class EvidenceOut(BaseModel):
    id: int
    sha256: str
    media_type: str
    size: int
    channel: str = "joint"
    description: str = ""
    file_name: str = ""  # what the uploader's device called it (sanitised): a label, not a download name


class RecordEventOut(BaseModel):
    """An event the caller may read, with all that its commitment covers (cases/record.py)."""

    seq: int
    type: str
    at: datetime
    actor: int | None
    actor_role: str
    author: AuthorOut  # the actor with their name and part in the case, as messages name theirs
    channel: str
    data: dict[str, Any]
    writes: dict[str, Any]
    salt: str
    commitment: str
    prev_hash: str
    hash: str


class SealedEventOut(BaseModel):
    """An event in a channel the caller may not read: enough to check its link of the chain, nothing more."""

    # Documented closed (it is built from the whole row): so a full event never also reads as a sealed one.
    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})
    seq: int
    prev_hash: str
    commitment: str
    hash: str


class RecordOut(BaseModel):
    events: list[RecordEventOut | SealedEventOut]
    verified: bool
    first_bad_seq: int | None = None
