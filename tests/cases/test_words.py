"""Every party's words reach everyone entitled to them, and nobody else (issue 12 §1).

The actions walked are those of the transition table whose payload has typed text, and the text fields are
found in the payload models themselves (nested remedies included): a new text field gets a marker of its
own here and fails until pages, the printable record, the API, the record and the notices show it. Who may
read which words is written out by hand below, from the product decisions (cases/access.py `placement`):
- a mediator's question and the answer: the asked party, the case's mediators, registrars;
- a rating: the consumer, the case's mediators, registrars (not the merchant, not other mediators);
- a proposed registry listing: the case's mediators and registrars (the registry gives notice itself);
- every other word: everyone who may see the case.
"""

from __future__ import annotations

import types
import typing
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from accounts.tables import User
from cases.workflow import TRANSITIONS
from notifications.tables import OutboxMail
from tests.cases.conftest import MONEY, Cast, Parties, act, file_case, to_mediation
from tests.conftest import BASE_TIME, mails_written

# Who looks: the case's people, a mediator who never held it, a registrar, and strangers.
CONSUMER, MERCHANT, MEDIATOR, OTHER_MEDIATOR, REGISTRAR = "consumer", "merchant", "mediator", "other_mediator", "admin"
STRANGERS = ("other_consumer", "other_merchant")
EVERYONE_ON_THE_CASE = frozenset({CONSUMER, MERCHANT, MEDIATOR, OTHER_MEDIATOR, REGISTRAR})
LOOKERS = (*sorted(EVERYONE_ON_THE_CASE), *STRANGERS)

# Whose words are not for everyone on the case (see the module's docstring).
READERS: dict[str, frozenset[str]] = {
    "request_info": frozenset({MERCHANT, MEDIATOR, REGISTRAR}),  # the question goes to the merchant here
    "provide_info": frozenset({MERCHANT, MEDIATOR, REGISTRAR}),
    "rate": frozenset({CONSUMER, MEDIATOR, REGISTRAR}),
    "propose_listing": frozenset({MEDIATOR, REGISTRAR}),
}
# Who is told by a notice (inbox and mail), with the words.
TOLD: dict[str, frozenset[str]] = {
    "respond": frozenset({CONSUMER}),
    "counter_offer": frozenset({MERCHANT}),
    "reject_offer": frozenset({MERCHANT}),
    "request_mediation": frozenset({MERCHANT}),
    "withdraw": frozenset({MERCHANT}),
    "decline": frozenset({CONSUMER, MERCHANT}),
    "request_info": frozenset({MERCHANT}),
    "provide_info": frozenset({MEDIATOR}),
    "propose_settlement": frozenset({CONSUMER, MERCHANT}),
    "reject_proposal": frozenset({MEDIATOR, MERCHANT}),
    "refuse_mediation": frozenset({CONSUMER, MEDIATOR}),
    "close_unresolved": frozenset({CONSUMER, MERCHANT}),
    "mark_fulfilled": frozenset({CONSUMER}),
    "dispute_fulfilment": frozenset({MERCHANT}),
    "propose_listing": frozenset(),
    "appeal": frozenset({MERCHANT}),
    "rate": frozenset({MEDIATOR}),
    "advance_compensate": frozenset({CONSUMER, MERCHANT}),  # and the mediator, when one holds the case
    "dispute_compensation": frozenset({MERCHANT}),
}


# --- the text fields of the payload models ------------------------------------------------------------

FULFIL_BY = (BASE_TIME + timedelta(days=20)).date().isoformat()
# Values of the fields nobody types (choices), the same for every action.
CHOICES: dict[str, Any] = {
    "kind": "offer",
    "type": "partial_refund",
    "amount": MONEY,
    "party": "merchant",
    "reason": "duplicate",  # a decline's reason is a choice; everywhere else "reason" is typed
    "score": 4,
    "violation": "counterfeit",
    "fulfil_by": FULFIL_BY,
}


def _inner(annotation: Any) -> list[Any]:
    """The types an annotation allows (Optional and list unwrapped)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [inner for arg in typing.get_args(annotation) for inner in _inner(arg)]
    if typing.get_origin(annotation) is list:
        return _inner(typing.get_args(annotation)[0])
    return [annotation]


def typed_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every free-text field of a payload, nested models included ("remedies.description")."""
    paths = []
    for name, info in model.model_fields.items():
        for kind in _inner(info.annotation):
            if kind is str:
                paths.append(prefix + name)
            elif isinstance(kind, type) and issubclass(kind, BaseModel) and name not in CHOICES:  # not money
                paths.extend(typed_paths(kind, f"{prefix}{name}."))
    return paths


ACTIONS_WITH_WORDS = sorted({action for (_s, action), row in TRANSITIONS.items() if typed_paths(row.payload)})
PAYLOADS = {action: row.payload for (_s, action), row in TRANSITIONS.items()}


def payload_with_markers(model: type[BaseModel], markers: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """A valid payload whose every typed field carries its own marker (recorded in `markers` by path)."""
    body: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        kinds = _inner(info.annotation)
        if str in kinds:
            markers[prefix + name] = body[name] = f"said-{prefix}{name}-{uuid.uuid4().hex[:10]}"
        elif nested := next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)), None):
            if name in CHOICES:
                body[name] = CHOICES[name]
            else:
                item = payload_with_markers(nested, markers, f"{prefix}{name}.")
                body[name] = [item] if typing.get_origin(info.annotation) is list else item
        elif name in CHOICES:
            body[name] = CHOICES[name]
    return body


def test_the_walk_covers_every_typed_field_of_the_table() -> None:
    found = {action: typed_paths(PAYLOADS[action]) for action in ACTIONS_WITH_WORDS}
    assert found["respond"] == ["remedies.description", "text"] and found["decline"] == ["note"]
    assert set(ACTIONS_WITH_WORDS) == set(TOLD), "say who is told of each action's words"
    assert len(ACTIONS_WITH_WORDS) >= 17


# --- how each action is reached (through the workflow, so every record verifies) ----------------------


@dataclass(frozen=True)
class Recipe:
    actor: str
    setup: Callable[[Cast], Awaitable[tuple[dict[str, Any], dict[str, Any]]]]  # → case, extra payload


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def filed(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    return await file_case(cast), {}


async def merchant_offered(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case = await file_case(cast)
    offer = {"type": "refund", "amount": MONEY}
    answered = await _ok(await act(cast.merchant, case, "respond", kind="offer", text="Refund.", remedies=[offer]))
    return case, {"offer_id": answered["offers"][-1]["id"]}


async def merchant_rejected(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case = await file_case(cast)
    await _ok(await act(cast.merchant, case, "respond", kind="reject", text="No."))
    return case, {}


async def claimed(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case, _extra = await merchant_rejected(cast)
    await _ok(await act(cast.consumer, case, "request_mediation"))
    await _ok(await act(cast.mediator, case, "claim"))
    return case, {}


async def in_mediation(cast: Cast, **filing: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return await to_mediation(cast, **filing), {}


async def merchant_asked(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case, _extra = await in_mediation(cast)
    await _ok(await act(cast.mediator, case, "request_info", party="merchant", question="Where was it shipped?"))
    return case, {}


async def proposed(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case, _extra = await in_mediation(cast)
    terms = [{"type": "refund", "amount": MONEY}]
    await _ok(await act(cast.mediator, case, "propose_settlement", terms=terms, fulfil_by=FULFIL_BY))
    return case, {}


async def settled(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case, offer = await merchant_offered(cast)
    await _ok(await act(cast.consumer, case, "accept_offer", **offer))
    return case, {}


async def fulfilment_reported(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case, _extra = await settled(cast)
    await _ok(await act(cast.merchant, case, "mark_fulfilled", proof="Refunded."))
    return case, {}


async def closed_unresolved(cast: Cast, **filing: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    case, _extra = await in_mediation(cast, **filing)
    await _ok(await act(cast.mediator, case, "close_unresolved", note="No agreement."))
    return case, {}


async def counterfeit_closed(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    return await closed_unresolved(cast, category="counterfeit")


async def breached_on_platform(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case = await file_case(cast, platform_enterprise_id=cast.platform_id)
    offer = {"type": "refund", "amount": MONEY}
    answered = await _ok(await act(cast.merchant, case, "respond", kind="offer", text="Refund.", remedies=[offer]))
    await _ok(await act(cast.consumer, case, "accept_offer", offer_id=answered["offers"][-1]["id"]))
    await _ok(await act(cast.merchant, case, "mark_fulfilled", proof="Refunded."))
    await _ok(await act(cast.consumer, case, "dispute_fulfilment", reason="Nothing came."))
    return case, {}


async def compensated(cast: Cast) -> tuple[dict[str, Any], dict[str, Any]]:
    case, _extra = await breached_on_platform(cast)
    await _ok(await act(cast.platform, case, "advance_compensate", amount=MONEY, note="Paid."))
    return case, {}


RECIPES: dict[str, Recipe] = {
    "respond": Recipe(MERCHANT, filed),
    "counter_offer": Recipe(CONSUMER, merchant_offered),
    "reject_offer": Recipe(CONSUMER, merchant_offered),
    "request_mediation": Recipe(CONSUMER, merchant_rejected),
    "withdraw": Recipe(CONSUMER, filed),
    "decline": Recipe(MEDIATOR, claimed),
    "request_info": Recipe(MEDIATOR, in_mediation),
    "provide_info": Recipe(MERCHANT, merchant_asked),
    "propose_settlement": Recipe(MEDIATOR, in_mediation),
    "reject_proposal": Recipe(CONSUMER, proposed),
    "refuse_mediation": Recipe(MERCHANT, in_mediation),
    "close_unresolved": Recipe(MEDIATOR, in_mediation),
    "mark_fulfilled": Recipe(MERCHANT, settled),
    "dispute_fulfilment": Recipe(CONSUMER, fulfilment_reported),
    "propose_listing": Recipe(MEDIATOR, counterfeit_closed),
    "appeal": Recipe(CONSUMER, closed_unresolved),
    "rate": Recipe(CONSUMER, closed_unresolved),
    "advance_compensate": Recipe("platform", breached_on_platform),
    "dispute_compensation": Recipe(CONSUMER, compensated),
}


# --- where words must (not) be ------------------------------------------------------------------------


def clients(cast: Cast) -> dict[str, httpx.AsyncClient]:
    return {
        CONSUMER: cast.consumer,
        MERCHANT: cast.merchant,
        MEDIATOR: cast.mediator,
        OTHER_MEDIATOR: cast.other_mediator,
        REGISTRAR: cast.admin,
        "other_consumer": cast.other_consumer,
        "other_merchant": cast.other_merchant,
        "platform": cast.platform,
    }


async def emails(parties: Parties) -> dict[str, str]:
    people = {
        CONSUMER: parties.consumer,
        MERCHANT: parties.merchant,
        MEDIATOR: parties.mediator,
        OTHER_MEDIATOR: parties.other_mediator,
        REGISTRAR: parties.admin,
        "other_consumer": parties.stranger_consumer,
        "other_merchant": parties.stranger_merchant,
    }
    rows = await User.select(User.id, User.email).where(User.id.is_in([person.id for person in people.values()]))
    by_id = {row["id"]: row["email"] for row in rows}
    return {role: by_id[person.id] for role, person in people.items()}


CASE_PLACES = ("case page", "printable record", "case JSON", "record JSON")


async def case_surfaces(client: httpx.AsyncClient, reference: str) -> dict[str, str]:
    """What one person gets from every place that shows a case."""
    return {
        "case page": (await client.get(f"/cases/{reference}")).text,
        "printable record": (await client.get(f"/cases/{reference}/print")).text,
        "case JSON": (await client.get(f"/api/v1/cases/{reference}")).text,
        "record JSON": (await client.get(f"/api/v1/cases/{reference}/record")).text,
    }


async def notice_surfaces(client: httpx.AsyncClient, email: str, since_mail: int) -> dict[str, str]:
    await mails_written()
    mails = await OutboxMail.select(OutboxMail.text_body, OutboxMail.html_body).where(
        OutboxMail.recipient_email == email, OutboxMail.id > since_mail
    )
    return {
        "inbox JSON": (await client.get("/api/v1/notifications", params={"limit": 5})).text,
        "inbox page": (await client.get("/inbox")).text,
        "mail text": "\n".join(mail["text_body"] for mail in mails),
        "mail HTML": "\n".join(mail["html_body"] for mail in mails),
    }


@pytest.mark.parametrize("action", ACTIONS_WITH_WORDS)
async def test_words_reach_everyone_entitled_and_nobody_else(action: str, cast: Cast, parties: Parties) -> None:
    recipe = RECIPES[action]  # a new action with words needs a way to reach it here
    case, extra = await recipe.setup(cast)
    markers: dict[str, str] = {}
    wanted = {name: value for name, value in extra.items() if name in PAYLOADS[action].model_fields}
    payload = {**payload_with_markers(PAYLOADS[action], markers), **wanted}
    last_mail = await OutboxMail.select(OutboxMail.id).order_by(OutboxMail.id, ascending=False).first()
    await _ok(await act(clients(cast)[recipe.actor], case, action, **payload))

    readers, told, addresses = READERS.get(action, EVERYONE_ON_THE_CASE), TOLD[action], await emails(parties)
    for looker in LOOKERS:
        client = clients(cast)[looker]
        shown = await case_surfaces(client, case["reference"])
        if looker in told:
            assert looker in readers, f"{action}: a notice to {looker}, who may not read it"
        shown.update(await notice_surfaces(client, addresses[looker], last_mail["id"] if last_mail else 0))
        for path, marker in markers.items():
            for where, content in shown.items():
                expected = looker in readers and (where in CASE_PLACES or looker in told)
                problem = "missing from" if expected else "leaks into"
                assert (marker in content) == expected, f"{action}.{path} {problem} {looker}'s {where}"
