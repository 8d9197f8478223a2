"""What the accounts API and forms accept and return. Request models list exactly the settable fields."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from accord.i18n import gettext as _
from accord.validation import Boolean, Strict
from accounts.passwords import MAX_LENGTH, password_problem
from accounts.uscc import normalize_uscc, uscc_problem

LanguageCode = Literal["en", "zh-Hans"]
SelfServiceRole = Literal["consumer", "merchant"]
AnyRole = Literal["consumer", "merchant", "mediator", "admin"]
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO"}
COUNTRY_CODES = frozenset(
    code for code in Locale("en").territories if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)


def _email(value: str) -> str:
    try:
        # test_environment admits the reserved `.test` domain our demo accounts use.
        checked = validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise PydanticCustomError("email", _("Enter a valid email address, like name@example.com.")) from None
    return checked.normalized.lower()


def _uscc(value: str) -> str:
    code = normalize_uscc(value)
    if problem := uscc_problem(code):
        raise PydanticCustomError("uscc", problem)
    return code


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise PydanticCustomError("country", _("Use a two-letter ISO 3166 country code, like CN or US."))
    return code


def _shop_url(value: str) -> str:
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")) or len(value) < 11 or " " in value:
        raise PydanticCustomError("url", _("Shop addresses must be web addresses starting with https://."))
    return value


def _display_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise PydanticCustomError("display_name", _("Enter the name other people will see."))
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Uscc = Annotated[str, Field(max_length=40), AfterValidator(_uscc)]
Country = Annotated[str, Field(max_length=2), AfterValidator(_country)]
ShopUrl = Annotated[str, Field(max_length=500), AfterValidator(_shop_url)]
DisplayName = Annotated[str, Field(max_length=100), AfterValidator(_display_name)]
Password = Annotated[str, Field(max_length=MAX_LENGTH)]


@lru_cache(maxsize=1)
def time_zone_names() -> list[str]:
    """The zones people may choose: every IANA name zoneinfo knows but its "localtime" alias, sorted."""
    return sorted(available_timezones() - {"localtime"})


def _time_zone(value: str) -> str:
    if value not in time_zone_names():
        raise PydanticCustomError(
            "timezone", _("Choose a time zone from the list, such as Asia/Shanghai or Europe/Berlin.")
        )
    return value


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]


EnterpriseName = Annotated[
    str, Field(min_length=2, max_length=200), AfterValidator(lambda name: " ".join(name.split()))
]


class EnterpriseIn(Strict):
    name: EnterpriseName
    name_zh: EnterpriseName | None = None
    country: Country = "CN"
    uscc: Annotated[Uscc | None, Field(validate_default=True)] = None
    shop_urls: Annotated[list[ShopUrl], Field(max_length=10)] = []

    @field_validator("uscc")
    @classmethod
    def chinese_enterprises_have_uscc(cls, uscc: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("country") == "CN" and not uscc:
            raise PydanticCustomError(
                "uscc_required", _("Enterprises registered in China need their Unified Social Credit Code.")
            )
        return uscc


class AgentEnterpriseIn(EnterpriseIn):
    """The enterprise a merchant agent registers with: it may say it is a platform (or a brand owner); a
    registrar verifies it as any enterprise, and an enterprise already registered keeps its kind."""

    kind: Literal["merchant", "platform", "brand"] = "merchant"


class EnterpriseNameZhIn(Strict):
    """A registrar sets (or, left empty, clears) an enterprise's Chinese name."""

    name_zh: EnterpriseName | None = None


class RegistrationIn(Strict):
    email: Email
    password: Password
    display_name: DisplayName
    language: LanguageCode = "en"
    role: SelfServiceRole = "consumer"
    # A colleague's invitation link (merchants): joins the inviting enterprise, approved at once.
    invitation: Annotated[str | None, Field(max_length=100)] = None
    enterprise: Annotated[AgentEnterpriseIn | None, Field(validate_default=True)] = None
    # Explicit agreement to the privacy notice (PIPL): `true`, or no account. Its version and time are kept.
    consent: Annotated[Boolean, Field(validate_default=True)] = False

    @field_validator("password")
    @classmethod
    def strong_password(cls, password: str, info: ValidationInfo) -> str:
        if problem := password_problem(password, info.data.get("email", "")):
            raise PydanticCustomError("password", problem)
        return password

    @field_validator("consent")
    @classmethod
    def consent_given(cls, consent: bool) -> bool:
        if consent is not True:
            raise PydanticCustomError(
                "consent", _("Please agree to how we process your data, or we cannot open an account.")
            )
        return consent

    @field_validator("enterprise")
    @classmethod
    def merchants_bring_enterprise(
        cls, enterprise: AgentEnterpriseIn | None, info: ValidationInfo
    ) -> AgentEnterpriseIn | None:
        role = info.data.get("role")
        invited = bool(info.data.get("invitation"))
        if role == "merchant" and enterprise is None and not invited:
            raise PydanticCustomError("enterprise_required", _("Merchants register together with their enterprise."))
        if role == "merchant" and enterprise is not None and invited:
            raise PydanticCustomError(
                "enterprise_forbidden", _("An invitation joins the enterprise that sent it: leave the enterprise out.")
            )
        if role == "consumer" and enterprise is not None:
            raise PydanticCustomError("enterprise_forbidden", _("Consumers do not register an enterprise."))
        return enterprise

    @field_validator("invitation")
    @classmethod
    def invitations_are_for_merchants(cls, invitation: str | None, info: ValidationInfo) -> str | None:
        if invitation and info.data.get("role") != "merchant":
            raise PydanticCustomError("invitation", _("Invitations are for merchant agents."))
        return invitation or None


class TokenRequest(Strict):
    email: Annotated[str, Field(max_length=254)]
    password: Password
    label: Annotated[str, Field(max_length=100)] = "API"


EnterpriseKindName = Literal["merchant", "platform", "brand"]


class EnterpriseBrief(BaseModel):
    """An enterprise as a case or listing names it."""

    id: int
    name: str
    uscc: str | None
    verified: bool
    kind: EnterpriseKindName = "merchant"  # a platform answers for its merchants' cases (issue 17)


class EnterpriseOut(EnterpriseBrief):
    """An enterprise as the registry and searches show it."""

    name_zh: str | None = None
    country: str


class AgencyOut(BaseModel):
    """A merchant agent's standing: until `approved`, `enterprise` stays null and nothing of it is shown."""

    status: Literal["pending", "approved", "rejected"]
    enterprise_uscc: str | None
    decided_at: datetime | None
    note: str | None


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: AnyRole
    language: LanguageCode
    timezone: str  # IANA name: every time shown to them on pages and in mails is in this zone
    enterprise: EnterpriseBrief | None
    agency: AgencyOut | None = None


class AdminUserOut(UserOut):
    active: bool
    created_at: datetime


class ActiveChangeIn(Strict):
    active: Boolean


class VerificationIn(Strict):
    verified: Boolean


class TokenOut(BaseModel):
    token: str
    user: UserOut


class ProfileIn(Strict):
    display_name: DisplayName
    language: LanguageCode
    timezone: TimeZoneName | None = None  # unchanged when left out


class PasswordChangeIn(Strict):
    current_password: Password
    new_password: Password

    @field_validator("new_password")
    @classmethod
    def strong_password(cls, password: str) -> str:
        if problem := password_problem(password):
            raise PydanticCustomError("password", problem)
        return password


class CloseAccountIn(Strict):
    """Closing one's own account is confirmed with one's password."""

    password: Password


class ClosedOut(BaseModel):
    detail: str


class ForgotPasswordIn(Strict):
    email: Email


class ForgotPasswordOut(BaseModel):
    detail: str


class PasswordResetIn(Strict):
    token: Annotated[str, Field(max_length=100)]  # from the mailed link: /password/reset/{token}
    new_password: Password  # checked against the account's address too (accounts.recovery)


class RoleChangeIn(Strict):
    role: AnyRole


def user_out(row: dict) -> UserOut:  # type: ignore[type-arg]
    """A user row from `accounts.service.USER_COLUMNS` as the API shows it (to that user)."""
    return UserOut(**_user_fields(row, show_enterprise=row["role"] != "merchant" or row["agent_status"] == "approved"))


def admin_user_out(row: dict) -> AdminUserOut:  # type: ignore[type-arg]
    return AdminUserOut(
        **_user_fields(row, show_enterprise=True), active=row["active"], created_at=row["created_at"]
    )


def _agency(row: dict) -> AgencyOut | None:  # type: ignore[type-arg]
    if row["role"] != "merchant" or row["agent_status"] is None:
        return None
    return AgencyOut(
        status=row["agent_status"],
        enterprise_uscc=row["enterprise_uscc"],
        decided_at=row["agent_decided_at"],
        note=row["agent_note"],
    )


def _user_fields(row: dict, *, show_enterprise: bool) -> dict:  # type: ignore[type-arg]
    enterprise = None
    if row["enterprise_id"] is not None and show_enterprise:
        enterprise = EnterpriseBrief(
            id=row["enterprise_id"],
            name=row["enterprise_name"],
            uscc=row["enterprise_uscc"],
            verified=bool(row["enterprise_verified"]),
            kind=row.get("enterprise_kind") or "merchant",
        )
    return {
        "id": row["id"],
        "email": row["email"],
        "display_name": row["display_name"],
        "role": row["role"],
        "language": row["language"],
        "timezone": row["timezone"],
        "enterprise": enterprise,
        "agency": _agency(row),
    }


# --- enterprise ownership (accounts.agency, accounts.invitations) ---------------------------------


class ProofOut(BaseModel):
    """A document an agent gave the registrars; the file itself is for registrars only."""

    id: int
    sha256: str
    media_type: str
    size: int
    uploaded_at: datetime


class AgentOut(BaseModel):
    """An agent (or would-be agent) of the caller's enterprise."""

    id: int
    display_name: str
    email: str
    status: Literal["pending", "approved", "rejected"]
    active: bool
    decided_at: datetime | None


class InvitationIn(Strict):
    note: Annotated[str, Field(max_length=100)] = ""


class InvitationOut(BaseModel):
    id: int
    note: str
    invited_by: str
    created_at: datetime
    expires_at: datetime


class NewInvitationOut(InvitationOut):
    """Shown once: only a hash of the token is kept, so a lost link cannot be shown again."""

    token: str
    url: str


class AgentApplicationOut(BaseModel):
    """A merchant agent's request as registrars decide it: who, for which enterprise, on what proof."""

    user: AdminUserOut
    status: Literal["pending", "approved", "rejected"]
    enterprise: EnterpriseOut
    proofs: list[ProofOut]
    decided_at: datetime | None
    decided_by: str | None
    note: str | None


def proof_out(row: dict) -> ProofOut:  # type: ignore[type-arg]
    return ProofOut(**{key: row[key] for key in ProofOut.model_fields})


def agent_out(row: dict) -> AgentOut:  # type: ignore[type-arg]
    return AgentOut(
        id=row["id"],
        display_name=row["display_name"],
        email=row["email"],
        status=row["agent_status"],
        active=row["active"],
        decided_at=row["agent_decided_at"],
    )


def invitation_out(row: dict) -> InvitationOut:  # type: ignore[type-arg]
    return InvitationOut(
        id=row["id"],
        note=row["note"],
        invited_by=row["invited_by_name"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


def application_out(row: dict) -> AgentApplicationOut:  # type: ignore[type-arg]
    """A row of `accounts.agency.APPLICATION_COLUMNS` (with its proofs attached)."""
    return AgentApplicationOut(
        user=AdminUserOut(
            id=row["id"],
            email=row["email"],
            display_name=row["display_name"],
            role="merchant",
            language=row["language"],
            timezone=row["timezone"],
            enterprise=None,
            agency=None,
            active=row["active"],
            created_at=row["created_at"],
        ),
        status=row["agent_status"],
        enterprise=EnterpriseOut(
            id=row["enterprise_id"],
            name=row["enterprise_name"],
            uscc=row["enterprise_uscc"],
            verified=bool(row["enterprise_verified"]),
            kind=row["enterprise_kind"],
            country=row["enterprise_country"],
        ),
        proofs=[proof_out(proof) for proof in row["proofs"]],
        decided_at=row["agent_decided_at"],
        decided_by=row["decided_by_name"],
        note=row["agent_note"],
    )


# --- platforms and their merchants (accounts.platforms) -------------------------------------------


class PlatformMerchantIn(Strict):
    merchant_id: int  # a merchant enterprise (`GET /enterprises?q=&kind=merchant`)


class PlatformMerchantOut(BaseModel):
    """A merchant selling on the platform."""

    id: int  # the merchant enterprise's
    name: str
    name_zh: str | None = None
    uscc: str | None
    verified: bool
    country: str
    linked_at: datetime


def platform_merchant_out(row: dict) -> PlatformMerchantOut:  # type: ignore[type-arg]
    return PlatformMerchantOut(**{**row, "id": row["merchant_id"], "verified": bool(row["verified"])})


class EnterpriseKindIn(Strict):
    kind: EnterpriseKindName
