"""Demo data for `make run` / `accord seed-demo`: each domain seeds its own part, in dependency order."""

from __future__ import annotations

from accord.clock import Clock
from accounts.seed import seed_demo_accounts
from cases.seed import seed_demo_cases
from integrity.seed import seed_demo_registry


async def seed_demo(clock: Clock) -> bool:
    """Seed every domain when the database is empty; False when there was data already."""
    if not await seed_demo_accounts(clock):
        return False
    await seed_demo_cases(clock)  # cases need the demo people and enterprises just created
    await seed_demo_registry(clock)  # listings about the demo enterprises, by the demo registrar
    return True
