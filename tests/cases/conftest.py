"""Case fixtures: parties, a filed case, and a way to put a case in any state for table tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from accord.auth import Viewer
from accord.clock import FrozenClock, WeekdayCalendar
from accounts.schemas import EnterpriseIn
from accounts.service import act_as, create_enterprise, create_user
from accounts.tables import Role
from cases import service
from cases.schemas import CaseFilingIn
from cases.tables import Case
from cases.workflow import Context
from tests.conftest import BASE_TIME, PASSWORD, random_uscc, unique, unique_email

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

    def by_relation(self, relation: str) -> Viewer | None:
        return {
            "consumer": self.consumer,
            "merchant": self.merchant,
            "mediator": self.mediator,
            "any_mediator": self.other_mediator,
            "admin": self.admin,
            "system": None,
        }[relation]


@pytest.fixture(scope="session")
async def parties(app: Any) -> Parties:
    """One cast for the whole session (password hashing is deliberately slow); cases are per test."""
    clock = FrozenClock(BASE_TIME)

    async def make(role: str) -> Viewer:
        uscc = None
        if role == "merchant":
            uscc = random_uscc()
            await create_enterprise(EnterpriseIn(name=f"Enterprise {unique('e')}", uscc=uscc), clock)
        user = await create_user(
            email=unique_email(role),
            password=PASSWORD,
            role=Role(role),
            display_name=f"Case {role}",
            clock=clock,
            enterprise_uscc=uscc,
        )
        return viewer_of(user)

    return Parties(
        consumer=await make("consumer"),
        merchant=await make("merchant"),
        mediator=await make("mediator"),
        other_mediator=await make("mediator"),
        admin=await make("admin"),
        stranger_consumer=await make("consumer"),
        stranger_merchant=await make("merchant"),
    )


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
