"""People and organisations: users and their roles, enterprises, sessions, API tokens."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSON,
    Array,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from accord.i18n import N_, register_labels

DEFAULT_TIMEZONE = "Asia/Shanghai"  # ACCORD_TIMEZONE's default; users get the deployment's zone (accounts.service)
# The privacy notice people agree to when they register (templates/accounts/register.html): change it when
# the notice's text changes, so each user's stored consent names the text they agreed to.
PRIVACY_NOTICE_VERSION = "2026-11-30"


class Role(StrEnum):
    consumer = "consumer"
    merchant = "merchant"
    mediator = "mediator"
    admin = "admin"


register_labels(
    "role",
    {
        Role.consumer: N_("Consumer"),
        Role.merchant: N_("Merchant agent"),
        Role.mediator: N_("Mediator"),
        Role.admin: N_("Registrar (administrator)"),
    },
)


class AgentStatus(StrEnum):
    """Whether a merchant agent may act for their enterprise: only `approved` agents see its cases."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"


register_labels(
    "agent_status",
    {
        AgentStatus.pending: N_("waiting for approval"),
        AgentStatus.approved: N_("approved"),
        AgentStatus.rejected: N_("rejected"),
    },
)


class EnterpriseKind(StrEnum):
    """What an enterprise is to a case: the merchant sold, the platform hosted the shop and answers for it
    (issue 17: platform responsibility, advance compensation), the brand owns the product (traceability)."""

    merchant = "merchant"
    platform = "platform"
    brand = "brand"


register_labels(
    "enterprise_kind",
    {
        EnterpriseKind.merchant: N_("Merchant"),
        EnterpriseKind.platform: N_("Platform"),
        EnterpriseKind.brand: N_("Brand owner"),
    },
)


class Enterprise(Table, tablename="enterprise"):
    """A merchant business. Chinese enterprises carry a USCC; foreign ones may not have one."""

    name = Varchar(length=200, index=True)
    # Its Chinese name where the legal name people know is another (shown in the Chinese pages, searched too).
    name_zh = Varchar(length=200, null=True, default=None)
    uscc = Varchar(length=18, null=True, default=None, unique=True)
    country = Varchar(length=2, default="CN")
    shop_urls = Array(base_column=Varchar(length=500))
    verified = Boolean(default=False)
    verified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    kind = Varchar(length=10, default=EnterpriseKind.merchant, choices=EnterpriseKind, index=True)


class User(Table, tablename="users"):
    email = Varchar(length=254, unique=True)  # stored lower-cased: unique case-insensitively
    display_name = Varchar(length=100)
    language = Varchar(length=10, default="en")
    # IANA name (zoneinfo) of the zone every time is shown to them in, on pages and in mails (accord.i18n.viewer_zone)
    timezone = Varchar(length=64, default=DEFAULT_TIMEZONE)
    password_hash = Varchar(length=255)
    role = Varchar(length=20, choices=Role, index=True)
    active = Boolean(default=True)
    enterprise = ForeignKey(references=Enterprise, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    # Merchant agents only (null for other roles): who vouched for them, when, and the registrar's note.
    agent_status = Varchar(length=10, null=True, default=None, choices=AgentStatus, index=True)
    agent_decided_by = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict)
    agent_decided_at = Timestamptz(null=True, default=None)
    agent_note = Varchar(length=500, null=True, default=None)
    # The privacy notice they agreed to at registration, and when (null: made by `accord create-user` or
    # registered before consent was kept).
    consent_version = Varchar(length=20, null=True, default=None)
    consent_at = Timestamptz(null=True, default=None)
    # When they closed their account (accounts.service.close_account): their name and e-mail are a pseudonym since.
    closed_at = Timestamptz(null=True, default=None)


class AgencyProof(Table, tablename="agency_proof"):
    """A document (business licence, letter of authority) a pending agent gives the registrars.

    The file is content-addressed on disk like case evidence; only registrars may open it.
    """

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    sha256 = Varchar(length=64)
    media_type = Varchar(length=50)
    size = Integer()
    uploaded_at = Timestamptz()


class AgentInvitation(Table, tablename="agent_invitation"):
    """An approved agent vouches in advance for a colleague: a one-use link, stored hashed, that expires."""

    enterprise = ForeignKey(references=Enterprise, on_delete=OnDelete.restrict, index=True)
    invited_by = ForeignKey(references=User, on_delete=OnDelete.restrict)
    token_hash = Varchar(length=64, unique=True)
    note = Varchar(length=100, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    used_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    revoked_at = Timestamptz(null=True, default=None)


class PasswordReset(Table, tablename="password_reset"):
    """A link mailed to someone who forgot their password: one use, for an hour, its token stored hashed."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class MediatorProfile(Table, tablename="mediator_profile"):
    user = ForeignKey(references=User, unique=True, on_delete=OnDelete.cascade)
    languages = Array(base_column=Varchar(length=10))
    categories = Array(base_column=Varchar(length=40))
    max_active_cases = Integer(default=20)


class UserSession(Table, tablename="user_session"):
    """A signed-in browser. The cookie holds a random id; only its SHA-256 is stored."""

    id_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    """A bearer token for API clients, shown once and stored hashed."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    label = Varchar(length=100)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginFailure(Table, tablename="login_failure"):
    """One failed sign-in; counted per (IP, account) and per account for rate limiting."""

    key_hash = Varchar(length=64, index=True)
    at = Timestamptz(index=True)


class AdminAction(Table, tablename="admin_action"):
    """Audit trail of what an administrator changed, with before and after values."""

    actor = ForeignKey(references=User, on_delete=OnDelete.restrict)
    action = Varchar(length=50)
    target = Varchar(length=100)
    before = JSON()
    after = JSON()
    at = Timestamptz(index=True)


class PlatformMerchant(Table, tablename="platform_merchant"):
    """A merchant selling on a platform (linked by the platform's agents or a registrar): the platform
    answers for that merchant's cases. One row per pair (unique index in the migration)."""

    platform = ForeignKey(references=Enterprise, on_delete=OnDelete.cascade, index=True)
    merchant = ForeignKey(references=Enterprise, on_delete=OnDelete.cascade, index=True)
    linked_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    linked_at = Timestamptz()

