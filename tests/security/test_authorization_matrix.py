"""The authorization matrix: every route of the app × every kind of person → the status they must get,
and no response carrying a secret they may not read (SECURITY.md "Access control", DESIGN §4, issue 11).

The routes come from the app itself: one missing from ROUTES fails `test_every_route_of_the_app_has_an_entry`
by name, so no endpoint appears without someone deciding who may use it. The expectations are written out
by hand from the spec, not derived from `cases.access`, so a change that widens or narrows access fails here.

The subject is one case in mediation: a mediator held it first (the earlier mediator), then a registrar
reassigned it (the assigned mediator). Each of the four channels carries messages, an evidence description
and an evidence file with a random marker; the product name and the consumer's name mark the case itself,
and its reference does too wherever the address does not contain it. Every response (pages, JSON, files,
socket replays, queued mails) is searched for markers the person may not read, and the responses that show
a conversation must contain every marker the person may read, so the matrix cannot pass by showing nothing.

Unsafe methods get an empty or minimal body (at most the current version): nothing may succeed that the
person may not do, and nothing may be a server error. A call that ends its credential (logout, token
revocation) uses a spare one.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
import websockets
from litestar import Litestar
from litestar.routes import HTTPRoute, WebSocketRoute

from accord.auth import CSRF_COOKIE, SESSION_COOKIE
from accord.clock import FrozenClock, WeekdayCalendar
from accord.settings import get_settings
from accounts.credentials import digest, issue_token, start_session
from accounts.schemas import EnterpriseIn
from accounts.service import act_as, create_enterprise, get_user
from accounts.tables import ApiToken, Enterprise, EnterpriseKind
from cases.gs1 import gs1_check_digit
from cases.routes import ACTION_REQUESTS as CASE_ACTION_ROUTES
from cases.tables import Case
from integrity import reports
from integrity import service as registry
from integrity.log import tree_head
from integrity.routes import ACTION_REQUESTS as LISTING_ACTION_ROUTES
from integrity.tables import Listing
from integrity.workflow import RegistryContext
from integrity.workflow import apply as registry_apply
from notifications.service import MAIL_KINDS, unsubscribe_token
from notifications.tables import OutboxMail
from tests.cases.conftest import act, filing_body
from tests.cases.test_api import PNG
from tests.clean_database import kept_rows
from tests.conftest import BASE_TIME, PASSWORD, create_person, mails_written, random_uscc
from tests.e2e.listener import Listener, is_event
from tests.servers import start_server

# --- who, and what each may read -------------------------------------------------------------------

ANONYMOUS = "anonymous"
CONSUMER = "consumer"  # filed the case
OTHER_CONSUMER = "other_consumer"
MERCHANT = "merchant"  # an approved agent of the case's enterprise
OTHER_MERCHANT = "other_merchant"  # an approved agent of another enterprise
PENDING_AGENT = "pending_agent"  # registered with the case's enterprise's USCC, approved by nobody
PLATFORM = "platform"  # an approved agent of the platform enterprise the case names (issue 17)
OTHER_PLATFORM = "other_platform"  # an approved agent of another platform enterprise
MEDIATOR = "mediator"  # holds the case
EARLIER_MEDIATOR = "earlier_mediator"  # held it before a registrar reassigned it
OTHER_MEDIATOR = "other_mediator"
REGISTRAR = "registrar"
ROLES = (
    ANONYMOUS,
    CONSUMER,
    OTHER_CONSUMER,
    MERCHANT,
    OTHER_MERCHANT,
    PENDING_AGENT,
    PLATFORM,
    OTHER_PLATFORM,
    MEDIATOR,
    EARLIER_MEDIATOR,
    OTHER_MEDIATOR,
    REGISTRAR,
)
SIGNED_IN = ROLES[1:]
STAFF = (MEDIATOR, EARLIER_MEDIATOR, OTHER_MEDIATOR, REGISTRAR)

# Marker groups: the case itself, and its four channels.
CASE, JOINT, CAUCUS_CONSUMER, CAUCUS_MERCHANT, INTERNAL = (
    "case",
    "joint",
    "caucus:consumer",
    "caucus:merchant",
    "internal",
)
CHANNELS = (JOINT, CAUCUS_CONSUMER, CAUCUS_MERCHANT, INTERNAL)
EVERYTHING = frozenset({CASE, *CHANNELS})
READS: dict[str, frozenset[str]] = {
    ANONYMOUS: frozenset(),
    CONSUMER: frozenset({CASE, JOINT, CAUCUS_CONSUMER}),
    OTHER_CONSUMER: frozenset(),
    MERCHANT: frozenset({CASE, JOINT, CAUCUS_MERCHANT}),
    OTHER_MERCHANT: frozenset(),
    PENDING_AGENT: frozenset(),  # nothing of the enterprise until it vouches for them
    PLATFORM: frozenset({CASE, JOINT}),  # answers for its merchants in the open: never a caucus, never the notes
    OTHER_PLATFORM: frozenset(),
    MEDIATOR: EVERYTHING,
    EARLIER_MEDIATOR: EVERYTHING,  # need to know: they handled the case
    OTHER_MEDIATOR: frozenset({CASE, JOINT}),  # what the queue needs; no party's private words, no notes
    REGISTRAR: EVERYTHING,  # everything, read-only
}
# Marker kinds: where a marker was planted.
MESSAGE, EVIDENCE, FILE, PRODUCT, CONSUMER_NAME, REFERENCE = (
    "message",
    "evidence",
    "file",
    "product",
    "consumer_name",
    "reference",
)
CONVERSATION = frozenset({MESSAGE, EVIDENCE})
CASE_PAGE = frozenset({MESSAGE, EVIDENCE, PRODUCT, CONSUMER_NAME})
PRINTED = CASE_PAGE - {PRODUCT}

# --- expected statuses -----------------------------------------------------------------------------

# A status, or the page a 302 must lead to.
LOGIN = "/login"  # pages send anonymous visitors to sign in
WAITING = "/agency"  # and an agent nobody has approved yet to their waiting page
Status = int | str


def everyone(status: Status) -> dict[str, Status]:
    return {role: status for role in ROLES}


def signed_in(status: Status, anonymous: Status, **exceptions: Status) -> dict[str, Status]:
    return {**everyone(status), ANONYMOUS: anonymous, **exceptions}


def readers_of(group: str, status: Status, anonymous: Status, **exceptions: Status) -> dict[str, Status]:
    """Those who may read `group` get `status`; everyone else is told there is nothing (404)."""
    expected = {role: status if group in READS[role] else 404 for role in ROLES}
    return {**expected, ANONYMOUS: anonymous, **exceptions}


def registrars(status: Status, anonymous: Status, others: Status = 403) -> dict[str, Status]:
    return signed_in(others, anonymous, registrar=status)


def agents(status: Status, anonymous: Status) -> dict[str, Status]:
    """Merchant agents, approved or waiting, reach their agency pages; nobody else does."""
    every_agent = (MERCHANT, OTHER_MERCHANT, PENDING_AGENT, PLATFORM, OTHER_PLATFORM)
    return signed_in(403, anonymous, **{role: status for role in every_agent})


def approved_agents(status: Status, anonymous: Status, **exceptions: Status) -> dict[str, Status]:
    """Only approved agents speak for an enterprise (invite, list colleagues)."""
    approved = {role: status for role in (MERCHANT, OTHER_MERCHANT, PLATFORM, OTHER_PLATFORM)}
    return signed_in(403, anonymous, **{**approved, **exceptions})


def mediators_and_registrars(status: Status, anonymous: Status) -> dict[str, Status]:
    return signed_in(
        403, anonymous, **{role: status for role in (MEDIATOR, EARLIER_MEDIATOR, OTHER_MEDIATOR, REGISTRAR)}
    )


def enterprise_and_registrars(status: Status, anonymous: Status, **exceptions: Status) -> dict[str, Status]:
    """The case's enterprise (its approved agents) and registrars; nobody else learns the object exists."""
    return signed_in(404, anonymous, **{MERCHANT: status, REGISTRAR: status, **exceptions})


def listing_readers(variant: str, status: Status, anonymous: Status = 404) -> dict[str, Status]:
    """Who sees a listing of the case's enterprise: anyone once it is published; otherwise registrars, and the
    enterprise once it has been told (a listing withdrawn before notice never reaches it).

    `anonymous`: 404 where the route takes visitors (they see only what is public), 401 where it wants a sign-in.
    """
    if variant == "published":
        return everyone(status) if anonymous == 404 else signed_in(status, anonymous)
    if variant == "noticed":
        return enterprise_and_registrars(status, anonymous)
    return registrars(status, anonymous, others=404)


@dataclass(frozen=True)
class Probe:
    """One request per role: where (path parameters), with what body, and what must come back."""

    expect: Mapping[str, Status]
    params: Mapping[str, str] = field(default_factory=dict)  # path parameter → fixture object, or "=literal"
    query: str = ""
    # "json" ({}), "form", "multipart" (no file), "version" (the current version only), "sign-in" (unknown account)
    body: str | None = None
    shows: frozenset[str] = frozenset()  # marker kinds each reader with a 2xx must find (of the groups they read)
    shown_to: frozenset[str] | None = None  # when only some readers see it here (lists are filtered by relation)
    only: str | None = None  # a download: only this channel's file must be in it
    spare: bool = False  # the call ends the credential it uses
    name: str = ""


REF = {"reference": "reference"}


def case_reads(status: Status, anonymous: Status, **options: Any) -> Probe:
    return Probe(readers_of(CASE, status, anonymous), REF, **options)


def evidence_downloads(anonymous: Status) -> tuple[Probe, ...]:
    """One download per channel's file: its readers get it, everyone else is told there is no such file."""
    return tuple(
        Probe(
            readers_of(channel, 200, anonymous),
            {**REF, "evidence_id": f"evidence {channel}"},
            shows=frozenset({FILE}),
            only=channel,
            name=channel,
        )
        for channel in CHANNELS
    )


def listing_probes(status: Status, anonymous: Status = 404, **options: Any) -> tuple[Probe, ...]:
    return tuple(
        Probe(
            listing_readers(variant, status, anonymous), {"listing_id": f"listing {variant}"}, name=variant, **options
        )
        for variant in ("published", "noticed", "withdrawn")
    )


DESK_OF_MEDIATORS = {MEDIATOR: 200, EARLIER_MEDIATOR: 200, OTHER_MEDIATOR: 200}
APPLICANTS_PROOF = {"user_id": "applicant", "proof_id": "applicant's proof"}
TRACED_ITEM = {"gtin": "traced gtin", "serial": "=S1"}


def item_readers(status: Status, anonymous: Status) -> dict[str, Status]:
    """The brand's approved agents, mediators and registrars; nobody else learns the item exists."""
    readers = (MERCHANT, MEDIATOR, EARLIER_MEDIATOR, OTHER_MEDIATOR, REGISTRAR)
    return signed_in(404, anonymous, **{role: status for role in readers})


PLATFORM_OF_CASE = {"platform_id": "case platform"}
PLATFORM_OF_CASE_ADMIN = {"enterprise_id": "case platform"}


def platform_desk(status: Status, anonymous: Status) -> dict[str, Status]:
    """A platform's merchants: its approved agents and registrars; no other agent learns of it (404); the roles
    that never manage a platform's merchants are refused (403)."""
    never = {role: 403 for role in (CONSUMER, OTHER_CONSUMER, MEDIATOR, EARLIER_MEDIATOR, OTHER_MEDIATOR)}
    return signed_in(404, anonymous, **never, **{PLATFORM: status, REGISTRAR: status})


def own_platform(status: Status, anonymous: Status, **exceptions: Status) -> dict[str, Status]:
    """The agent's own platform (/platform/merchants): every platform's approved agents; an agent of an enterprise
    that is no platform hears it has no merchants (409), an agent not yet approved of no platform (404)."""
    agents_of = {PLATFORM: status, OTHER_PLATFORM: status, MERCHANT: 409, OTHER_MERCHANT: 409, PENDING_AGENT: 404}
    return signed_in(403, anonymous, **{**agents_of, **exceptions})


NOTICED = {"listing_id": "listing noticed"}
REPORT = {"report_id": "report"}
# Whose case lists show the case: their own, their enterprise's, the one on their platform, held.
MINE = frozenset({CONSUMER, MERCHANT, PLATFORM, MEDIATOR})
# Agents of verified enterprises (any kind) may submit EPCIS events and open the upload page.
SUBMITTERS = (MERCHANT, OTHER_MERCHANT, PLATFORM, OTHER_PLATFORM)

# (method, path) → the probes of that route. The case's and the listing's actions are tried with an action
# the role cannot complete even where allowed (its payload is missing), so nothing changes. An empty body on
# the API is refused by its schema before anyone looks at the object (422 whoever asks, which tells nothing);
# writes with valid bodies are `test_writing_in_a_channel`.
ROUTES: dict[tuple[str, str], tuple[Probe, ...]] = {
    # shell
    ("GET", "/"): (Probe(everyone(200)),),
    ("GET", "/healthz"): (Probe(everyone(200)),),
    ("GET", "/favicon.ico"): (Probe(everyone(200)),),
    ("GET", "/static/{file_path}"): (Probe(everyone(200), {"file_path": "=accord.css"}),),
    ("HEAD", "/static/{file_path}"): (Probe(everyone(200), {"file_path": "=accord.css"}),),
    ("GET", "/schema"): (Probe(everyone(200)),),
    ("GET", "/schema/openapi.json"): (Probe(everyone(200)),),
    ("GET", "/schema/{path}"): (Probe(everyone(404), {"path": "=swagger"}),),
    # accounts: pages
    ("GET", "/login"): (Probe(everyone(200)),),
    ("POST", "/login"): (Probe(everyone(401), body="sign-in"),),
    ("GET", "/logout"): (Probe(everyone(200)),),
    ("POST", "/logout"): (Probe(everyone(302), body="form", spare=True),),
    ("GET", "/register"): (Probe(everyone(200)),),
    ("POST", "/register"): (Probe(everyone(422), body="form"),),
    ("GET", "/profile"): (Probe(signed_in(200, LOGIN)),),
    ("POST", "/profile"): (Probe(signed_in(422, 401), body="form"),),
    ("POST", "/profile/password"): (Probe(signed_in(422, 401), body="form"),),
    ("POST", "/profile/tokens"): (Probe(signed_in(200, 401), body="form"),),
    # closing one's account: a wrong (empty) password changes nothing; staff accounts are closed by registrars
    ("POST", "/profile/close"): (Probe(signed_in(422, 401, **dict.fromkeys(STAFF, 403)), body="form"),),
    ("POST", "/profile/tokens/{token_id}/revoke"): (
        Probe(signed_in(404, 401, consumer=302), {"token_id": "consumer's token"}, body="form"),
    ),
    ("POST", "/language"): (Probe(everyone(422), body="form"),),
    # a forgotten password: anyone may ask (the form without an address is refused); a made-up link opens nothing
    ("GET", "/password/forgot"): (Probe(everyone(200)),),
    ("POST", "/password/forgot"): (Probe(everyone(422), body="form"),),
    ("GET", "/password/reset/{token}"): (Probe(everyone(404), {"token": "=made-up-token"}),),
    ("POST", "/password/reset/{token}"): (Probe(everyone(404), {"token": "=made-up-token"}, body="form"),),
    ("GET", "/admin"): (Probe(registrars(200, LOGIN)),),
    ("GET", "/admin/users"): (Probe(registrars(200, LOGIN)),),
    ("GET", "/admin/users/{user_id}"): (Probe(registrars(200, LOGIN), {"user_id": "victim"}),),
    ("POST", "/admin/users/{user_id}/role"): (Probe(registrars(422, 401), {"user_id": "victim"}, body="form"),),
    ("POST", "/admin/users/{user_id}/active"): (Probe(registrars(302, 401), {"user_id": "victim"}, body="form"),),
    ("GET", "/admin/enterprises"): (Probe(registrars(200, LOGIN)),),
    ("POST", "/admin/enterprises/{enterprise_id}/verify"): (
        Probe(registrars(302, 401), {"enterprise_id": "spare enterprise"}, body="form"),
    ),
    ("POST", "/admin/enterprises/{enterprise_id}/name-zh"): (
        Probe(registrars(302, 401), {"enterprise_id": "spare enterprise"}, body="form"),
    ),
    ("GET", "/admin/audit"): (Probe(registrars(200, LOGIN)),),
    # platforms' merchants: the platform's approved agents and registrars; another enterprise's agents are told
    # there is no such platform, an agent of an enterprise that is no platform that it has no merchants
    ("GET", "/api/v1/platforms/{platform_id}/merchants"): (
        Probe(platform_desk(200, 401), PLATFORM_OF_CASE),
    ),
    ("POST", "/api/v1/platforms/{platform_id}/merchants"): (Probe(signed_in(422, 401), PLATFORM_OF_CASE, body="json"),),
    ("DELETE", "/api/v1/platforms/{platform_id}/merchants/{merchant_id}"): (
        Probe(platform_desk(404, 401), {**PLATFORM_OF_CASE, "merchant_id": "=999999999"}),
    ),
    ("POST", "/api/v1/admin/enterprises/{enterprise_id}/kind"): (
        Probe(registrars(422, 401), {"enterprise_id": "spare enterprise"}, body="json"),
    ),
    ("GET", "/platform/merchants"): (Probe(own_platform(200, LOGIN, pending_agent=WAITING)),),
    ("POST", "/platform/merchants"): (Probe(own_platform(422, 401), body="form"),),
    ("POST", "/platform/merchants/{merchant_id}/remove"): (
        Probe(own_platform(404, 401), {"merchant_id": "=999999999"}, body="form"),
    ),
    ("GET", "/admin/enterprises/{enterprise_id}/merchants"): (Probe(registrars(200, LOGIN), PLATFORM_OF_CASE_ADMIN),),
    ("POST", "/admin/enterprises/{enterprise_id}/merchants"): (
        Probe(registrars(422, 401), PLATFORM_OF_CASE_ADMIN, body="form"),
    ),
    ("POST", "/admin/enterprises/{enterprise_id}/merchants/{merchant_id}/remove"): (
        Probe(registrars(404, 401), {**PLATFORM_OF_CASE_ADMIN, "merchant_id": "=999999999"}, body="form"),
    ),
    ("POST", "/admin/enterprises/{enterprise_id}/kind"): (
        Probe(registrars(422, 401), {"enterprise_id": "spare enterprise"}, body="form"),
    ),
    # accounts: API
    ("POST", "/api/v1/auth/register"): (Probe(everyone(422), body="json"),),
    ("POST", "/api/v1/auth/token"): (Probe(everyone(422), body="json"),),
    ("POST", "/api/v1/auth/password/forgot"): (Probe(everyone(422), body="json"),),
    ("POST", "/api/v1/auth/password/reset"): (Probe(everyone(422), body="json"),),
    ("DELETE", "/api/v1/auth/token"): (Probe(signed_in(204, 401), spare=True),),
    ("GET", "/api/v1/me"): (Probe(signed_in(200, 401)),),
    ("POST", "/api/v1/me/password"): (Probe(signed_in(422, 401), body="json"),),
    ("POST", "/api/v1/me/close"): (Probe(signed_in(422, 401), body="json"),),
    # one's own data: everyone signed in gets their archive, holding the case only for those it is theirs
    # (party, holder, or acted on it) and, inside, only what they may read (the ZIP is searched unpacked)
    ("GET", "/api/v1/me/export"): (
        Probe(signed_in(200, 401), shows=CASE_PAGE, shown_to=frozenset({*MINE, EARLIER_MEDIATOR, REGISTRAR})),
    ),
    ("GET", "/api/v1/enterprises"): (Probe(everyone(200)),),
    ("GET", "/api/v1/admin/users"): (Probe(registrars(200, 401)),),
    ("POST", "/api/v1/admin/users/{user_id}/role"): (Probe(registrars(422, 401), {"user_id": "victim"}, body="json"),),
    ("POST", "/api/v1/admin/users/{user_id}/active"): (
        Probe(registrars(422, 401), {"user_id": "victim"}, body="json"),
    ),
    ("POST", "/api/v1/admin/enterprises/{enterprise_id}/verify"): (
        Probe(registrars(422, 401), {"enterprise_id": "spare enterprise"}, body="json"),
    ),
    # enterprise ownership: an agent's request, an approved agent's colleagues and invitations, the registrars' queue
    ("GET", "/agency"): (Probe(agents(200, LOGIN)),),
    ("POST", "/agency/proofs"): (Probe(agents(422, 401), body="multipart"),),
    ("POST", "/agency/join"): (Probe(agents(422, 401), body="form"),),
    ("POST", "/agency/invitations"): (Probe(approved_agents(200, 401), body="form"),),
    ("POST", "/agency/invitations/{invitation_id}/withdraw"): (
        Probe(approved_agents(404, 401, merchant=302), {"invitation_id": "invitation for the page"}, body="form"),
    ),
    ("GET", "/api/v1/agency/proofs"): (Probe(agents(200, 401)),),
    ("POST", "/api/v1/agency/proofs"): (Probe(signed_in(422, 401), body="multipart"),),
    ("POST", "/api/v1/agency/join"): (Probe(signed_in(422, 401), body="json"),),
    ("GET", "/api/v1/agency/agents"): (Probe(approved_agents(200, 401)),),
    ("GET", "/api/v1/agency/invitations"): (Probe(approved_agents(200, 401)),),
    ("POST", "/api/v1/agency/invitations"): (Probe(approved_agents(201, 401), body="json"),),
    ("DELETE", "/api/v1/agency/invitations/{invitation_id}"): (
        Probe(approved_agents(404, 401, merchant=204), {"invitation_id": "invitation for the API"}),
    ),
    ("GET", "/admin/agents"): (Probe(registrars(200, LOGIN)),),
    ("GET", "/admin/agents/{user_id}"): (Probe(registrars(200, LOGIN), {"user_id": "pending agent"}),),
    ("GET", "/admin/agents/{user_id}/proofs/{proof_id}"): (Probe(registrars(200, LOGIN), APPLICANTS_PROOF),),
    # The pending agent has sent no document: approving them is refused, rejecting them needs a note.
    ("POST", "/admin/agents/{user_id}/approve"): (
        Probe(registrars(409, 401), {"user_id": "pending agent"}, body="form"),
    ),
    ("POST", "/admin/agents/{user_id}/reject"): (
        Probe(registrars(422, 401), {"user_id": "pending agent"}, body="form"),
    ),
    ("GET", "/api/v1/admin/agents"): (Probe(registrars(200, 401)),),
    ("GET", "/api/v1/admin/agents/{user_id}"): (Probe(registrars(200, 401), {"user_id": "pending agent"}),),
    ("GET", "/api/v1/admin/agents/{user_id}/proofs/{proof_id}"): (Probe(registrars(200, 401), APPLICANTS_PROOF),),
    ("POST", "/api/v1/admin/agents/{user_id}/approve"): (
        Probe(registrars(409, 401), {"user_id": "pending agent"}, body="json"),
    ),
    ("POST", "/api/v1/admin/agents/{user_id}/reject"): (
        Probe(registrars(422, 401), {"user_id": "pending agent"}, body="json"),
    ),
    # cases: pages
    ("GET", "/cases"): (
        Probe(signed_in(200, LOGIN, pending_agent=WAITING), shows=frozenset({PRODUCT}), shown_to=MINE),
    ),
    ("GET", "/cases/new"): (Probe(signed_in(403, LOGIN, consumer=200, other_consumer=200)),),
    ("POST", "/cases/new"): (Probe(signed_in(403, 401, consumer=422, other_consumer=422), body="multipart"),),
    ("GET", "/cases/{reference}"): (case_reads(200, LOGIN, shows=CASE_PAGE),),
    ("GET", "/cases/{reference}/print"): (case_reads(200, LOGIN, shows=PRINTED),),
    ("GET", "/cases/{reference}/withdraw"): (Probe(readers_of(CASE, 409, LOGIN, consumer=200), REF),),
    # In mediation without a proposal: nothing to accept for anyone who may see the case.
    ("GET", "/cases/{reference}/accept"): (Probe(readers_of(CASE, 409, LOGIN), REF),),
    ("GET", "/cases/{reference}/evidence/{evidence_id}"): evidence_downloads(LOGIN),
    ("POST", "/cases/{reference}/actions/{action}"): (
        Probe(
            readers_of(CASE, 403, 401, mediator=422),
            {**REF, "action": "=propose_settlement"},
            body="version",
        ),
    ),
    ("POST", "/cases/{reference}/messages"): (case_reads(422, 401, body="form"),),
    # The platform's recourse claims (advance compensation): only a merchant agent can ever close one (its
    # platform's); no claim of this number exists for any of them.
    ("POST", "/platform/recourse/{claim_id}/{decision}"): (
        Probe(agents(404, 401), {"claim_id": "=999999999", "decision": "=recover"}, body="form"),
    ),
    ("POST", "/cases/{reference}/evidence"): (case_reads(422, 401, body="multipart"),),
    # cases: API
    ("GET", "/api/v1/cases"): (Probe(signed_in(200, 401), shows=frozenset({PRODUCT}), shown_to=MINE),),
    ("POST", "/api/v1/cases"): (Probe(signed_in(422, 401), body="json"),),
    ("GET", "/api/v1/cases/{reference}"): (case_reads(200, 401, shows=frozenset({PRODUCT, CONSUMER_NAME})),),
    # The undocumented catch-all answers actions without a route of their own (the system's timeouts: 403).
    ("POST", "/api/v1/cases/{reference}/actions/{action}"): (
        Probe(readers_of(CASE, 403, 401), {**REF, "action": "=response_timeout"}, body="version"),
    ),
    # One documented route per action people take: a body that does not fit is refused before anything is read.
    **{
        ("POST", f"/api/v1/cases/{{reference}}/actions/{action}"): (Probe(signed_in(422, 401), REF, body="json"),)
        for action in CASE_ACTION_ROUTES
    },
    ("GET", "/api/v1/cases/{reference}/messages"): (case_reads(200, 401, shows=frozenset({MESSAGE})),),
    ("POST", "/api/v1/cases/{reference}/messages"): (Probe(signed_in(422, 401), REF, body="json"),),
    ("GET", "/api/v1/cases/{reference}/evidence"): (case_reads(200, 401, shows=frozenset({EVIDENCE})),),
    ("POST", "/api/v1/cases/{reference}/evidence"): (Probe(signed_in(422, 401), REF, body="multipart"),),
    ("GET", "/api/v1/cases/{reference}/evidence/{evidence_id}"): evidence_downloads(401),
    ("GET", "/api/v1/cases/{reference}/record"): (case_reads(200, 401, shows=CONVERSATION),),
    ("POST", "/api/v1/platform/recourse/{claim_id}/{decision}"): (
        Probe(agents(404, 401), {"claim_id": "=999999999", "decision": "=recover"}, body="json"),
    ),
    # mediation
    ("GET", "/queue"): (Probe(mediators_and_registrars(200, LOGIN)),),
    ("GET", "/api/v1/queue"): (Probe(mediators_and_registrars(200, 401)),),
    ("GET", "/admin/calendar"): (Probe(registrars(200, LOGIN)),),
    ("POST", "/admin/calendar"): (Probe(registrars(422, 401), body="form"),),
    ("POST", "/admin/calendar/{day}/remove"): (Probe(registrars(302, 401), {"day": "=2099-01-05"}, body="form"),),
    ("POST", "/admin/calendar/years/{year}"): (Probe(registrars(302, 401), {"year": "=2150"}, body="form"),),
    ("POST", "/admin/calendar/years/{year}/remove"): (Probe(registrars(302, 401), {"year": "=2150"}, body="form"),),
    # registry: public
    ("GET", "/registry"): (Probe(everyone(200)),),
    ("GET", "/api/v1/registry"): (Probe(everyone(200)),),
    ("GET", "/registry/tree-head"): (Probe(everyone(200)),),
    ("GET", "/api/v1/registry/tree-head"): (Probe(everyone(200)),),
    ("GET", "/registry/public-key"): (Probe(everyone(200)),),
    ("GET", "/api/v1/registry/public-key"): (Probe(everyone(200)),),
    ("GET", "/registry/log/consistency"): (Probe(everyone(200), query="consistency"),),
    ("GET", "/api/v1/registry/log/consistency"): (Probe(everyone(200), query="consistency"),),
    ("GET", "/registry/export.jsonl"): (Probe(everyone(200)),),
    ("GET", "/api/v1/registry/export.jsonl"): (Probe(everyone(200)),),
    ("GET", "/registry/log/{seq}/proof"): (Probe(everyone(200), {"seq": "log seq"}),),
    ("GET", "/api/v1/registry/log/{seq}/proof"): (Probe(everyone(200), {"seq": "log seq"}),),
    ("GET", "/enterprises/{enterprise_id}"): (Probe(everyone(200), {"enterprise_id": "case enterprise"}),),
    ("GET", "/registry/reporters/{holder_id}"): (Probe(everyone(200), {"holder_id": "holder"}),),
    ("GET", "/api/v1/registry/reporters/{holder_id}"): (Probe(everyone(200), {"holder_id": "holder"}),),
    # registry: listings
    ("GET", "/registry/{listing_id}"): listing_probes(200),
    ("GET", "/api/v1/registry/listings/{listing_id}"): listing_probes(200),
    ("POST", "/api/v1/registry/listings"): (Probe(signed_in(422, 401), body="json"),),
    ("POST", "/api/v1/registry/listings/{listing_id}/actions/{action}"): (
        Probe(enterprise_and_registrars(403, 401), {**NOTICED, "action": "=expire"}, body="version"),
    ),
    **{
        ("POST", f"/api/v1/registry/listings/{{listing_id}}/actions/{action}"): (
            Probe(signed_in(422, 401), NOTICED, body="json"),
        )
        for action in LISTING_ACTION_ROUTES
    },
    ("POST", "/registry/{listing_id}/actions/{action}"): (
        Probe(
            enterprise_and_registrars(403, 401, merchant=422),
            {**NOTICED, "action": "=object"},
            body="version",
        ),
    ),
    ("GET", "/api/v1/registry/listings/{listing_id}/evidence"): listing_probes(200, 401),
    ("POST", "/api/v1/registry/listings/{listing_id}/evidence"): (
        Probe(signed_in(422, 401), NOTICED, body="multipart"),
    ),
    ("POST", "/registry/{listing_id}/evidence"): (
        Probe(listing_readers("noticed", 422, 401), NOTICED, body="multipart"),
    ),
    ("GET", "/registry/{listing_id}/evidence/{evidence_id}"): (
        Probe(listing_readers("noticed", 200), {**NOTICED, "evidence_id": "listing evidence"}),
    ),
    ("GET", "/api/v1/registry/listings/{listing_id}/evidence/{evidence_id}"): (
        Probe(listing_readers("noticed", 200), {**NOTICED, "evidence_id": "listing evidence"}),
    ),
    ("GET", "/admin/registry"): (Probe(registrars(200, LOGIN)),),
    ("POST", "/admin/registry"): (Probe(registrars(422, 401), body="form"),),
    # registry: rights-holders' reports (filed by someone outside the matrix, against the case's enterprise)
    ("POST", "/api/v1/registry/rights-holder"): (Probe(signed_in(422, 401), body="json"),),
    ("POST", "/api/v1/registry/reports"): (Probe(signed_in(422, 401), body="json"),),
    ("GET", "/api/v1/registry/reports/{report_id}"): (Probe(enterprise_and_registrars(200, 401), REPORT),),
    ("POST", "/api/v1/registry/reports/{report_id}/counter-notice"): (Probe(signed_in(422, 401), REPORT, body="json"),),
    ("POST", "/api/v1/registry/reports/{report_id}/withdraw"): (Probe(enterprise_and_registrars(403, 401), REPORT),),
    ("POST", "/api/v1/registry/reports/{report_id}/{verdict}"): (
        Probe(signed_in(422, 401), {**REPORT, "verdict": "=reject"}, body="json"),
    ),
    # notifications
    ("GET", "/api/v1/notifications"): (Probe(signed_in(200, 401)),),
    ("POST", "/api/v1/notifications/read"): (Probe(signed_in(200, 401), body="json"),),
    ("GET", "/inbox"): (Probe(signed_in(200, LOGIN)),),
    ("POST", "/inbox/read"): (Probe(signed_in(302, 401), body="form"),),
    ("GET", "/inbox/settings"): (Probe(signed_in(200, LOGIN)),),
    ("POST", "/inbox/settings"): (Probe(signed_in(302, 401), body="form"),),
    ("GET", "/unsubscribe"): (Probe(everyone(200), query="unsubscribe"),),
    ("POST", "/unsubscribe"): (Probe(everyone(404), body="form"),),
    ("GET", "/admin/outbox"): (Probe(registrars(200, LOGIN)),),
    # guide: the diagnoses are public (a first visit shows the questions); their counts are the registrars'
    ("GET", "/guide"): (Probe(everyone(200)),),
    ("GET", "/guide/{category}"): (Probe(everyone(200), {"category": "=not_delivered"}),),
    ("GET", "/admin/guide"): (Probe(registrars(200, LOGIN)),),
    ("GET", "/api/v1/guide/stats"): (Probe(registrars(200, 401)),),
    # insights: public statistics (counts only), the desk's dashboard and its CSV
    ("GET", "/stats"): (Probe(everyone(200)),),
    ("GET", "/api/v1/stats"): (Probe(everyone(200)),),
    ("GET", "/insights"): (Probe(mediators_and_registrars(200, LOGIN)),),
    ("GET", "/insights/export.csv"): (Probe(mediators_and_registrars(200, LOGIN)),),
    ("GET", "/api/v1/insights"): (Probe(mediators_and_registrars(200, 401)),),
    ("GET", "/api/v1/insights/alerts"): (Probe(mediators_and_registrars(200, 401)),),
    ("GET", "/metrics"): (Probe(everyone(404)),),
    # a platform's dashboard: its approved agents (each sees its own platform's); a role that may never, 403
    ("GET", "/platform"): (Probe(signed_in(403, LOGIN, platform=200, other_platform=200)),),
    ("GET", "/api/v1/platform/dashboard"): (Probe(signed_in(403, 401, platform=200, other_platform=200)),),  # ACCORD_METRICS_TOKEN is unset here
    # a merchant's scorecard: its approved agents, registrars and mediators; nobody else learns anything
    ("GET", "/api/v1/enterprises/{enterprise_id}/scorecard"): (
        Probe(enterprise_and_registrars(200, 401, **DESK_OF_MEDIATORS), {"enterprise_id": "case enterprise"}),
    ),
    ("GET", "/enterprises/{enterprise_id}/scorecard"): (
        Probe(enterprise_and_registrars(200, LOGIN, **DESK_OF_MEDIATORS), {"enterprise_id": "case enterprise"}),
    ),
    ("POST", "/api/v1/insights/alerts/{alert_id}/{decision}"): (
        Probe(registrars(404, 401), {"alert_id": "=999999999", "decision": "=acknowledge"}, body="json"),
    ),
    ("POST", "/insights/alerts/{alert_id}/{decision}"): (
        Probe(registrars(404, 401), {"alert_id": "=999999999", "decision": "=acknowledge"}, body="form"),
    ),
    # traceability: registrars record company prefixes; agents of verified enterprises submit EPCIS events;
    # an item's history is for its brand (the case's enterprise here), mediators and registrars
    ("POST", "/api/v1/admin/enterprises/{enterprise_id}/prefixes"): (
        Probe(registrars(422, 401), {"enterprise_id": "spare enterprise"}, body="json"),
    ),
    ("POST", "/api/v1/trace/epcis"): (Probe(signed_in(403, 401, **dict.fromkeys(SUBMITTERS, 422)), body="json"),),
    ("GET", "/api/v1/trace/items/{gtin}/{serial}"): (Probe(item_readers(200, 401), TRACED_ITEM),),
    ("GET", "/trace/items/{gtin}/{serial}"): (Probe(item_readers(200, LOGIN), TRACED_ITEM),),
    ("GET", "/trace/upload"): (Probe(signed_in(403, LOGIN, **dict.fromkeys(SUBMITTERS, 200))),),
    ("GET", "/admin/trace/prefixes"): (Probe(registrars(200, LOGIN)),),
    ("POST", "/admin/trace/prefixes"): (Probe(registrars(422, 401), body="form"),),
    ("POST", "/trace/upload"): (Probe(signed_in(403, 401, **dict.fromkeys(SUBMITTERS, 422)), body="multipart"),),
    ("POST", "/admin/outbox/{mail_id}/retry"): (Probe(registrars(404, 401), {"mail_id": "mail"}, body="form"),),
}
# Sockets: the close code for those refused before any data (4401 not signed in, 4403 not allowed), or None.
SOCKETS: dict[str, Mapping[str, int | None]] = {
    "/ws/cases/{reference}": {role: (None if READS[role] else 4403) for role in ROLES} | {ANONYMOUS: 4401},
    "/ws/notifications": {role: None for role in ROLES} | {ANONYMOUS: 4401},
}


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; OPTIONS is Litestar's own answer on every path."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            found.update((method, route.path_format) for method in route.methods if method != "OPTIONS")
        elif isinstance(route, WebSocketRoute):
            found.add(("WS", route.path_format))
        else:
            found.add((type(route).__name__, route.path_format))
    return found


def test_every_route_of_the_app_has_an_entry(app: Litestar) -> None:
    served = app_routes(app)
    listed = set(ROUTES) | {("WS", path) for path in SOCKETS}
    missing = sorted(served - listed)
    assert not missing, "routes without an entry in the authorization matrix: " + ", ".join(
        f"{method} {path}" for method, path in missing
    )
    gone = sorted(listed - served)
    assert not gone, "entries for routes the app no longer has: " + ", ".join(f"{m} {p}" for m, p in gone)


# --- the world: people, their credentials, the case and the other domains' objects -----------------


@dataclass
class Person:
    email: str | None
    api: httpx.AsyncClient  # bearer token
    browser: httpx.AsyncClient  # session cookie, CSRF token echoed in a header
    spare_api: httpx.AsyncClient
    spare_browser: httpx.AsyncClient
    token: str | None = None


@dataclass
class World:
    people: dict[str, Person]
    objects: dict[str, Any]  # what path parameters name: "reference", "evidence joint", "listing noticed", ...
    markers: dict[str, tuple[str, str]] = field(default_factory=dict)  # marker → (group, kind)
    end_seq: int = 0

    def plant(self, group: str, kind: str, who: str) -> str:
        marker = f"secret-{kind}-{group.replace(':', '-')}-{who}-{self.objects['run']}"
        self.markers[marker] = (group, kind)
        return marker

    def hidden_from(self, role: str, url: str) -> list[str]:
        """Markers `role` may not read; the reference only where the address does not carry it."""
        return [
            marker
            for marker, (group, kind) in self.markers.items()
            if group not in READS[role] and not (kind == REFERENCE and marker in url)
        ]

    def readable_by(self, role: str, kinds: frozenset[str], only: str | None = None) -> list[str]:
        return [
            marker
            for marker, (group, kind) in self.markers.items()
            if group in READS[role] and kind in kinds and only in (None, group)
        ]


def _client(app: Litestar, address: str, **headers: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local", headers=headers)


async def _browser(app: Litestar, address: str, session: str | None) -> httpx.AsyncClient:
    client = _client(app, address)
    if session:
        client.cookies.set(SESSION_COOKIE, session)
    await client.get("/login")  # sets the CSRF cookie that forms echo
    client.headers["x-csrftoken"] = client.cookies[CSRF_COOKIE]
    return client


async def _person(app: Litestar, index: int, user: dict[str, Any] | None, clock: FrozenClock) -> Person:
    address = f"198.51.100.{index + 10}"  # one per role: failed sign-ins of one do not throttle another
    if user is None:
        api, browser = _client(app, address), await _browser(app, address, None)
        return Person(None, api, browser, api, browser)
    tokens = [await issue_token(user["id"], "matrix", clock) for _ in range(2)]
    sessions = [await start_session(user["id"], clock) for _ in range(2)]
    return Person(
        email=user["email"],
        api=_client(app, address, authorization=f"Bearer {tokens[0]}"),
        browser=await _browser(app, address, sessions[0]),
        spare_api=_client(app, address, authorization=f"Bearer {tokens[1]}"),
        spare_browser=await _browser(app, address, sessions[1]),
        token=tokens[0],
    )


async def _register_agent(app: Litestar, uscc: str, name: str) -> dict[str, Any]:
    """Anyone may register as a merchant with a (public) USCC; until the enterprise vouches, they are pending."""
    async with _client(app, "198.51.100.250") as anonymous:
        response = await anonymous.post(
            "/api/v1/auth/register",
            json={
                "email": f"{name}@example.com",
                "password": PASSWORD,
                "consent": True,
                "display_name": name,
                "role": "merchant",
                "enterprise": {"name": f"Claimed by {name}", "uscc": uscc},
            },
        )
    assert response.status_code == 201, response.text
    return await get_user(response.json()["id"])


async def _post(client: httpx.AsyncClient, path: str, **kwargs: Any) -> dict[str, Any]:
    response = await client.post(path, **kwargs)
    assert response.status_code in (200, 201), (path, response.text)
    return response.json()  # type: ignore[no-any-return]


async def _plant_conversation(world: World, people: dict[str, Person], reference: str, posts: list[tuple]) -> None:
    for channel, role in posts:
        text = world.plant(channel, MESSAGE, role)
        await _post(people[role].api, f"/api/v1/cases/{reference}/messages", json={"channel": channel, "text": text})


async def _build_case(world: World, people: dict[str, Person], users: dict[str, dict[str, Any]]) -> None:
    """A case in mediation, reassigned from the earlier to the assigned mediator, with markers everywhere."""
    filed = await _post(
        people[CONSUMER].api,
        "/api/v1/cases",
        json=filing_body(
            world.objects["case enterprise"],
            product_name=world.plant(CASE, PRODUCT, "product"),
            platform_enterprise_id=world.objects["case platform"],
        ),
    )
    reference = filed["reference"]
    world.objects["reference"] = reference
    world.markers[reference] = (CASE, REFERENCE)
    steps = [
        (MERCHANT, "respond", {"kind": "reject", "text": "Not our fault."}),
        (CONSUMER, "request_mediation", {"reason": "No agreement."}),
        (EARLIER_MEDIATOR, "claim", {}),
        (EARLIER_MEDIATOR, "admit", {}),
    ]
    for role, action, payload in steps:
        assert (await act(people[role].api, filed, action, **payload)).status_code == 200, action
    earlier = [(JOINT, EARLIER_MEDIATOR), (CAUCUS_CONSUMER, EARLIER_MEDIATOR), (CAUCUS_MERCHANT, EARLIER_MEDIATOR)]
    await _plant_conversation(world, people, reference, [*earlier, (INTERNAL, EARLIER_MEDIATOR)])
    reassigned = await act(people[REGISTRAR].api, filed, "reassign", mediator_id=users[MEDIATOR]["id"])
    assert reassigned.status_code == 200 and reassigned.json()["mediator"]["id"] == users[MEDIATOR]["id"]
    posts = [(channel, MEDIATOR) for channel in CHANNELS]
    posts += [(JOINT, CONSUMER), (CAUCUS_CONSUMER, CONSUMER), (JOINT, MERCHANT), (CAUCUS_MERCHANT, MERCHANT)]
    posts += [(JOINT, PLATFORM)]  # the platform speaks in the open
    await _plant_conversation(world, people, reference, posts)
    uploads = [(JOINT, CONSUMER), (CAUCUS_CONSUMER, CONSUMER), (CAUCUS_MERCHANT, MERCHANT), (INTERNAL, MEDIATOR)]
    for channel, role in uploads:
        content = PNG + world.plant(channel, FILE, role).encode()  # the marker rides in the file's bytes
        stored = await _post(
            people[role].api,
            f"/api/v1/cases/{reference}/evidence",
            files={"file": ("proof.png", content, "image/png")},
            data={"channel": channel, "description": world.plant(channel, EVIDENCE, role)},
        )
        world.objects[f"evidence {channel}"] = stored["id"]
    # The last event, readable by everyone who sees the case: a socket that has it has replayed everything.
    end = world.plant(JOINT, MESSAGE, "end")
    posted = await _post(
        people[MEDIATOR].api, f"/api/v1/cases/{reference}/messages", json={"channel": JOINT, "text": end}
    )
    world.end_seq = posted["seq"]


async def _build_registry(world: World, app: Litestar, registrar: dict[str, Any], clock: FrozenClock) -> None:
    """Listings on the case's enterprise in three stages, a listing file, and a rights-holder's report."""
    viewer = act_as(registrar)
    enterprise_id = world.objects["case enterprise"]
    stages = {
        "published": [
            ("notice", {}, clock.now()),
            ("publish", {"decision": "Listed."}, clock.now() + timedelta(days=30)),
        ],
        "noticed": [("notice", {}, clock.now())],
        "withdrawn": [("withdraw", {"decision": "Not pursued."}, clock.now())],
    }
    for stage, steps in stages.items():
        listing = await registry.propose(
            viewer, registry.ListingIn(enterprise_id=enterprise_id, violation="trademark", facts="Fake labels."), clock
        )
        for action, payload, at in steps:
            await registry_apply(
                listing["id"], action, viewer, payload, RegistryContext(FrozenClock(at), WeekdayCalendar())
            )
        world.objects[f"listing {stage}"] = listing["id"]
    stored = await registry.add_evidence(
        viewer, world.objects["listing noticed"], "facts", PNG + b"listing", "Photos.", clock, app.state.file_store
    )
    world.objects["listing evidence"] = stored["id"]
    world.objects["log seq"] = (await tree_head()).size
    world.objects["consistency"] = f"?first=1&second={world.objects['log seq']}"

    reporter = act_as(await create_person("consumer", clock))
    holder = await reports.register_rights_holder(
        reporter, reports.RightsHolderIn(organisation="Matrix Brands", marks=["MATRIX"]), clock
    )
    report = await reports.file_report(
        reporter,
        reports.ReportIn(enterprise_id=enterprise_id, violation="trademark", marks=["MATRIX"], description="Fakes."),
        clock,
    )
    world.objects.update(holder=holder["id"], report=report["id"])


async def _build_accounts(world: World, app: Litestar, users: dict[str, dict[str, Any]], clock: FrozenClock) -> None:
    """Objects of the account and notification routes: a user and an enterprise registrars may change,
    a token of the consumer's to revoke, another enterprise's applicant with a proof document, invitations
    of the case's enterprise, a queued mail, an unsubscribe link."""
    world.objects["victim"] = (await create_person("consumer", clock))["id"]
    world.objects["pending agent"] = users[PENDING_AGENT]["id"]
    applicant = await _register_agent(app, random_uscc(), f"applicant-{world.objects['run']}")
    async with _client(
        app, "198.51.100.251", authorization=f"Bearer {await issue_token(applicant['id'], 'x', clock)}"
    ) as client:
        proof = await _post(client, "/api/v1/agency/proofs", files={"file": ("licence.png", PNG, "image/png")})
    world.objects.update(applicant=applicant["id"], **{"applicant's proof": proof["id"]})
    for use in ("the page", "the API"):
        invitation = await _post(world.people[MERCHANT].api, "/api/v1/agency/invitations", json={})
        world.objects[f"invitation for {use}"] = invitation["id"]
    spare = await create_enterprise(EnterpriseIn(name=f"Spare {world.objects['run']}", uscc=random_uscc()), clock)
    world.objects["spare enterprise"] = spare["id"]
    raw = await issue_token(users[CONSUMER]["id"], "to revoke", clock)
    token = await ApiToken.select(ApiToken.id).where(ApiToken.token_hash == digest(raw)).first()
    world.objects["consumer's token"] = token["id"]
    await mails_written()
    mail = await OutboxMail.select(OutboxMail.id).order_by(OutboxMail.id, ascending=False).first()
    world.objects["mail"] = mail["id"]
    consumer_id, kind = users[CONSUMER]["id"], MAIL_KINDS[0]
    world.objects["unsubscribe"] = f"?u={consumer_id}&k={kind}&t={unsubscribe_token(get_settings(), consumer_id, kind)}"


async def _build_trace(world: World) -> None:
    """The case's enterprise is a brand: a registrar recorded its company prefix, its agent commissioned an item."""
    prefix = "69" + world.objects["run"][:7].translate(str.maketrans("abcdef", "123456"))
    body = "0" + prefix + "001"
    gtin = body + gs1_check_digit(body)
    enterprise_id = world.objects["case enterprise"]
    prefixes = f"/api/v1/admin/enterprises/{enterprise_id}/prefixes"
    await _post(world.people[REGISTRAR].api, prefixes, json={"prefix": prefix})
    document = {
        "type": "EPCISDocument",
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "action": "ADD",
                    "bizStep": "commissioning",
                    "epcList": [f"https://id.gs1.org/01/{gtin}/21/S1"],
                    "eventTime": "2026-10-01T08:00:00+08:00",
                }
            ]
        },
    }
    result = await _post(world.people[MERCHANT].api, "/api/v1/trace/epcis", json=document)
    assert result["stored"] == 1, result
    world.objects["traced gtin"] = gtin


@pytest.fixture(scope="module")
async def world(app: Litestar) -> AsyncIterator[World]:
    clock = FrozenClock(BASE_TIME)
    app.state.clock = clock
    run = uuid.uuid4().hex[:10]
    world = World(people={}, objects={"run": run})
    uscc = random_uscc()
    enterprise = await create_enterprise(EnterpriseIn(name=f"Matrix Trading {run}", uscc=uscc), clock, verified=True)
    world.objects["case enterprise"] = enterprise["id"]
    users: dict[str, dict[str, Any]] = {PENDING_AGENT: await _register_agent(app, uscc, f"pending-{run}")}
    platform_usccs: dict[str, str] = {}
    for role, name in ((PLATFORM, "case platform"), (OTHER_PLATFORM, "other platform")):
        platform_usccs[role] = random_uscc()
        named = EnterpriseIn(name=f"{name} {run}", uscc=platform_usccs[role])
        made = await create_enterprise(named, clock, verified=True)
        await Enterprise.update({Enterprise.kind: EnterpriseKind.platform}).where(Enterprise.id == made["id"])
        world.objects[name] = made["id"]
    kinds = {
        CONSUMER: "consumer",
        OTHER_CONSUMER: "consumer",
        MERCHANT: "merchant",
        OTHER_MERCHANT: "merchant",
        PLATFORM: "merchant",
        OTHER_PLATFORM: "merchant",
        MEDIATOR: "mediator",
        EARLIER_MEDIATOR: "mediator",
        OTHER_MEDIATOR: "mediator",
        REGISTRAR: "admin",
    }
    for role, kind in kinds.items():
        options: dict[str, Any] = {"enterprise_uscc": uscc} if role == MERCHANT else {}
        if role in platform_usccs:
            options["enterprise_uscc"] = platform_usccs[role]
        if role == CONSUMER:
            options["display_name"] = world.plant(CASE, CONSUMER_NAME, "owner")
        users[role] = await create_person(kind, clock, **options)
    for index, role in enumerate(ROLES):
        world.people[role] = await _person(app, index, users.get(role), clock)
    await _build_case(world, world.people, users)
    await _build_registry(world, app, users[REGISTRAR], clock)
    await _build_accounts(world, app, users, clock)
    await _build_trace(world)
    async with kept_rows():
        yield world
    for person in world.people.values():
        for client in {id(c): c for c in (person.api, person.browser, person.spare_api, person.spare_browser)}.values():
            await client.aclose()


# --- HTTP: every route × every role ---------------------------------------------------------------


async def _current_version(world: World, probe: Probe) -> int:
    if "reference" in probe.params:
        row = await Case.select(Case.version).where(Case.reference == world.objects["reference"]).first()
    else:
        row = (
            await Listing.select(Listing.version).where(Listing.id == world.objects[probe.params["listing_id"]]).first()
        )
    return int(row["version"])


def _url(world: World, path: str, probe: Probe) -> str:
    values = {
        name: source[1:] if source.startswith("=") else world.objects[source] for name, source in probe.params.items()
    }
    return path.format(**values) + (world.objects[probe.query] if probe.query else "")


async def _body(world: World, probe: Probe, api: bool, role: str) -> dict[str, Any]:
    if probe.body == "sign-in":  # an account of its own, so no other test's failures slow this one down
        return {"data": {"email": f"nobody-{role}-{world.objects['run']}@example.com", "password": "x"}}
    if probe.body == "json":
        return {"json": {}}
    if probe.body == "form":
        return {"data": {"_probe": "1"}}
    if probe.body == "multipart":
        return {"files": {"_probe": (None, "1")}}  # a multipart form without the file
    if probe.body == "version":
        version = await _current_version(world, probe)
        return {"json": {"version": version}} if api else {"data": {"version": str(version)}}
    return {}


async def _call(world: World, route: tuple[str, str], probe: Probe, role: str) -> tuple[str, httpx.Response]:
    method, path = route
    url = _url(world, path, probe)
    person, api = world.people[role], path.startswith("/api/")
    if probe.spare:
        client = person.spare_api if api else person.spare_browser
    else:
        client = person.api if api else person.browser
    return url, await client.request(method, url, **await _body(world, probe, api, role))


def _status_problem(expected: Status, response: httpx.Response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    location = response.headers.get("location", "")
    if isinstance(expected, str):
        if status == 302 and location.startswith(expected):
            return None
        return f"expected a redirect to {expected}, got {status} {location}"
    if status != expected:
        return f"expected {expected}, got {status} {location}: {response.text[:160]!r}"
    return None


def _readable(response: httpx.Response) -> str:
    """The response as text to search for markers; a ZIP (the data export) unpacked, every member."""
    if response.headers.get("content-type") == "application/zip" and response.is_success:
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return response.content.decode("utf-8", "replace")


def _problems(world: World, probe: Probe, role: str, url: str, response: httpx.Response) -> list[str]:
    found = []
    if problem := _status_problem(probe.expect[role], response):
        found.append(problem)
    body = _readable(response)
    if leaked := [marker for marker in world.hidden_from(role, url) if marker in body]:
        found.append(f"shows {role} what they may not read: {leaked}")
    if response.is_success and probe.shows and (probe.shown_to is None or role in probe.shown_to):
        if missing := [marker for marker in world.readable_by(role, probe.shows, probe.only) if marker not in body]:
            found.append(f"does not show what {role} may read: {missing}")
    return found


CELLS = [(route, role) for route in ROUTES for role in ROLES]


@pytest.mark.parametrize(("route", "role"), CELLS, ids=[f"{m} {p} as {role}" for (m, p), role in CELLS])
async def test_route(world: World, route: tuple[str, str], role: str) -> None:
    failures = []
    for probe in ROUTES[route]:
        url, response = await _call(world, route, probe, role)
        failures += [f"{probe.name or url}: {problem}" for problem in _problems(world, probe, role, url, response)]
    assert not failures, "\n".join(failures)


PATHS = sorted({path for _method, path in ROUTES})


@pytest.mark.parametrize("path", PATHS)
async def test_options_answers_with_the_methods_only(world: World, path: str) -> None:
    """Litestar answers OPTIONS on every path itself: the same for everyone, with nothing of the object."""
    probe = next(probe for (_method, other), probes in ROUTES.items() if other == path for probe in probes)
    url = _url(world, path, replace(probe, query=""))
    for role in ROLES:
        response = await world.people[role].browser.options(url)
        assert (response.status_code, response.content) == (204, b""), role


# --- sockets: the case's replay and the unread badge, on a real server ------------------------------


@dataclass
class Opened:
    close_code: int | None
    frames: list[dict[str, Any]]


@pytest.fixture(scope="module")
def matrix_server(app: Litestar) -> Iterator[str]:
    """`accord serve` on the test database (sockets need the app's lifespan: its channels)."""
    server = start_server({"ACCORD_SWEEP_SECONDS": "0"}, log_name="authorization-matrix-server.log")
    yield server.url
    server.stop()


async def _open(url: str, token: str | None, done: Any) -> Opened:
    """Connect (bearer header, or no credentials at all) and read until refused or `done(frames)`."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    listener = Listener(await websockets.connect(url, additional_headers=headers, max_queue=None))
    try:
        await listener.wait_until(lambda: listener.closed or done(listener.frames), timeout=10)
        refused_with = listener.close_code if listener.closed else None
    finally:
        await listener.close()
    return Opened(refused_with, listener.frames)


@pytest.fixture(scope="module")
async def sockets(world: World, matrix_server: str) -> dict[tuple[str, str], Opened]:
    """Every role's case socket (replay from after=0) and notification socket, opened at once."""
    base = matrix_server.replace("http://", "ws://")
    targets = {
        "/ws/cases/{reference}": (
            f"{base}/ws/cases/{world.objects['reference']}?after=0",
            lambda frames: any(is_event(frame, seq=world.end_seq) for frame in frames),
        ),
        "/ws/notifications": (f"{base}/ws/notifications", lambda frames: bool(frames)),
    }
    keys = [(path, role) for path in SOCKETS for role in ROLES]
    opened = await asyncio.gather(
        *(_open(targets[path][0], world.people[role].token, targets[path][1]) for path, role in keys)
    )
    return dict(zip(keys, opened, strict=True))


SOCKET_CELLS = [(path, role) for path in SOCKETS for role in ROLES]


@pytest.mark.parametrize(("path", "role"), SOCKET_CELLS, ids=[f"WS {p} as {role}" for p, role in SOCKET_CELLS])
async def test_socket(world: World, sockets: dict[tuple[str, str], Opened], path: str, role: str) -> None:
    opened, refused_with = sockets[path, role], SOCKETS[path][role]
    if refused_with is not None:
        assert (opened.close_code, opened.frames) == (refused_with, []), f"expected {refused_with} before any data"
        return
    assert opened.close_code is None, f"refused with {opened.close_code}"
    dumped = json.dumps(opened.frames, ensure_ascii=False)
    leaked = [marker for marker in world.hidden_from(role, path.format(**world.objects)) if marker in dumped]
    assert not leaked, f"the socket shows {role} what they may not read: {leaked}"
    if path == "/ws/cases/{reference}":
        missing = [marker for marker in world.readable_by(role, CONVERSATION) if marker not in dumped]
        assert not missing, f"the replay lacks what {role} may read: {missing}"


# --- mail ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", SIGNED_IN)
async def test_queued_mail_carries_nothing_the_recipient_may_not_read(world: World, role: str) -> None:
    mails = await OutboxMail.select(OutboxMail.subject, OutboxMail.text_body, OutboxMail.html_body).where(
        OutboxMail.recipient_email == world.people[role].email
    )
    dumped = json.dumps(mails, ensure_ascii=False)
    leaked = [marker for marker in world.hidden_from(role, "") if marker in dumped]
    assert not leaked, f"mail to {role} carries what they may not read: {leaked}"


# --- writes with a valid body: who may speak in which channel -----------------------------------------

# Everyone who reads a channel may not write in it: earlier mediators and registrars only read.
WRITERS = {
    JOINT: {CONSUMER, MERCHANT, PLATFORM, MEDIATOR},
    CAUCUS_CONSUMER: {CONSUMER, MEDIATOR},
    CAUCUS_MERCHANT: {MERCHANT, MEDIATOR},
    INTERNAL: {MEDIATOR},
}


def write_status(role: str, channel: str, created: int) -> int:
    if role == ANONYMOUS:
        return 401
    if role in WRITERS[channel]:
        return created
    return 403 if channel in READS[role] else 404  # a channel one may not read is not there at all


WRITE_CELLS = [(kind, channel, role) for kind in ("messages", "evidence") for channel in CHANNELS for role in ROLES]


@pytest.mark.parametrize(
    ("kind", "channel", "role"), WRITE_CELLS, ids=[f"{kind} in {c} by {role}" for kind, c, role in WRITE_CELLS]
)
async def test_writing_in_a_channel(world: World, kind: str, channel: str, role: str) -> None:
    """A message or a file in each channel, from each role: only the channel's writers succeed."""
    text = f"probe-{kind}-{channel}-{role}-{world.objects['run']}"
    path = f"/api/v1/cases/{world.objects['reference']}/{kind}"
    if kind == "messages":
        request: dict[str, Any] = {"json": {"channel": channel, "text": text}}
    else:
        request = {"files": {"file": ("p.png", PNG + text.encode(), "image/png")}, "data": {"channel": channel}}
    response = await world.people[role].api.post(path, **request)
    assert response.status_code == write_status(role, channel, 201), response.text[:200]
