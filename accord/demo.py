"""Demo data for `make run` / `accord seed-demo`: each domain seeds its own part, in dependency order."""

from __future__ import annotations

from accord.clock import Clock
from accord.modules import installed


async def seed_demo(clock: Clock) -> bool:
    """Seed every domain when the database is empty; False when there was data already (the first seed,
    the demo people, says so and the rest is skipped: cases need the people and enterprises just created)."""
    for module in installed():
        if module.seed is not None and await module.seed(clock) is False:
            return False
    return True
