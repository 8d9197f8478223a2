"""Case fixtures: parties, a filed case, and a way to put a case in any state for table tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from accord.auth import Viewer
from accord.clock import FrozenClock, SystemClock, WeekdayCalendar
from accounts.credentials import issue_token
from accounts.service import act_as
from accounts.tables import Enterprise, EnterpriseKind
from cases import service
from cases.schemas import CaseFilingIn
from cases.tables import Case
from cases.workflow import Context
from tests.clean_database import kept_rows
from tests.conftest import BASE_TIME, create_person

viewer_of = act_as


@dataclass
class Parties:
    consumer: Viewer
    merchant: Viewer
    mediator: Viewer
    other_mediator: Viewer
    admin: Viewer
    stranger_consumer: Viewer
    stranger_merchant: Viewer
    platform: Viewer  # an approved agent of a platform enterprise (file with its `platform_enterprise_id`)
    other_platform: Viewer  # of another platform

    def by_relation(self, relation: str) -> Viewer | None:
        return {
            "consumer": self.consumer,
            "merchant": self.merchant,
            "mediator": self.mediator,
            "any_mediator": self.other_mediator,
            "admin": self.admin,
            "platform": self.platform,
            "system": None,
        }[relation]


@pytest.fixture(scope="session")
async def parties(app: Any) -> AsyncIterator[Parties]:
    """One cast for the whole session (password hashing is deliberately slow); cases are per test."""
    clock = FrozenClock(BASE_TIME)

    async def make(role: str) -> Viewer:
        return viewer_of(await create_person(role, clock, display_name=f"Case {role}"))

    async def make_platform() -> Viewer:
        agent = await make("merchant")
        await Enterprise.update({Enterprise.kind: EnterpriseKind.platform}).where(Enterprise.id == agent.enterprise_id)
        return agent

    made = Parties(
        consumer=await make("consumer"),
        merchant=await make("merchant"),
        mediator=await make("mediator"),
        other_mediator=await make("mediator"),
        admin=await make("admin"),
        stranger_consumer=await make("consumer"),
        stranger_merchant=await make("merchant"),
        platform=await make_platform(),
        other_platform=await make_platform(),
    )
    async with kept_rows():
        yield made


@pytest.fixture
def context(clock: FrozenClock) -> Context:
    return Context(clock=clock, calendar=WeekdayCalendar())


def filing(enterprise_id: int, **overrides: Any) -> CaseFilingIn:
    data: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "category": "not_as_described",
        "order_number": "TB-2026-0001",
        "platform": "Tmall Global",
        "purchase_date": date(2026, 10, 1),
        "product_name": "Wireless earbuds",
        "amount_paid": {"amount": "199.00", "currency": "CNY"},
        "desired_remedy": "refund",
        "description": "The earbuds arrived without the charging case shown in the listing.",
        "language": "en",
    }
    data.update(overrides)
    return CaseFilingIn.model_validate(data)


@pytest.fixture
async def filed_case(parties: Parties, context: Context, clock: FrozenClock) -> dict[str, Any]:
    assert parties.merchant.enterprise_id is not None
    result = await service.file_case(
        parties.consumer, filing(parties.merchant.enterprise_id), context, clock.now().date()
    )
    return result.case


async def force_state(reference: str, state: str, **columns: Any) -> None:
    """Test set-up only: put a case straight into a state (the product always goes through apply())."""
    updates: dict[Any, Any] = {Case.state: state}
    updates.update({getattr(Case, name): value for name, value in columns.items()})
    await Case.update(updates).where(Case.reference == reference)


MONEY = {"amount": "199.00", "currency": "CNY"}


def filing_body(enterprise_id: int, /, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "category": "not_as_described",
        "order_number": "JD-88231",
        "platform": "JD Worldwide",
        "purchase_date": "2026-10-20",
        "product_name": "Stainless steel thermos",
        "amount_paid": MONEY,
        "desired_remedy": "refund",
        "description": "The thermos leaks from the lid.",
        "language": "en",
    }
    body.update(overrides)
    return body


class Cast:
    """A consumer and a merchant with a case between them, plus outsiders, all as API clients."""

    def __init__(self, **clients: Any) -> None:
        self.__dict__.update(clients)


@pytest.fixture(scope="session")
async def cast(app: Any, parties: Parties) -> AsyncIterator[Cast]:
    """API clients (bearer tokens) for the session's cast; each test files its own cases."""
    clients: list[httpx.AsyncClient] = []

    async def client_for(viewer: Viewer) -> httpx.AsyncClient:
        token = await issue_token(viewer.id, "tests", SystemClock())
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver.local",
            headers={"authorization": f"Bearer {token}"},
        )
        clients.append(client)
        return client

    made = Cast(
        consumer=await client_for(parties.consumer),
        merchant=await client_for(parties.merchant),
        mediator=await client_for(parties.mediator),
        other_mediator=await client_for(parties.other_mediator),
        admin=await client_for(parties.admin),
        other_consumer=await client_for(parties.stranger_consumer),
        other_merchant=await client_for(parties.stranger_merchant),
        platform=await client_for(parties.platform),
        other_platform=await client_for(parties.other_platform),
        platform_id=parties.platform.enterprise_id,
        enterprise_id=parties.merchant.enterprise_id,
        mediator_id=parties.mediator.id,
        other_mediator_id=parties.other_mediator.id,
    )
    async with kept_rows():
        yield made
    for client in clients:
        await client.aclose()


async def file_case(cast: Cast, **overrides: Any) -> dict[str, Any]:
    response = await cast.consumer.post("/api/v1/cases", json=filing_body(cast.enterprise_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def act(client: httpx.AsyncClient, case: dict[str, Any], action: str, **payload: Any) -> httpx.Response:
    current = (await client.get(f"/api/v1/cases/{case['reference']}")).json()
    return await client.post(
        f"/api/v1/cases/{case['reference']}/actions/{action}", json={"version": current["version"], **payload}
    )


async def to_mediation(cast: Cast, **filing: Any) -> dict[str, Any]:
    """A case filed, answered, sent to mediation and admitted by the cast's mediator, all through the workflow
    (the record vouches for the case row, so tests that check it must not write state directly)."""
    case = await file_case(cast, **filing)
    await act(cast.merchant, case, "respond", kind="reject", text="The product was fine when shipped.")
    await act(cast.consumer, case, "request_mediation")
    for action in ("claim", "admit"):
        response = await act(cast.mediator, case, action)
        assert response.status_code == 200, response.text
    return case
