"""Demo data for `make run` / `accord seed-demo`: each domain seeds its own part, in dependency order."""

from __future__ import annotations

from accord.clock import Calendar, Clock
from accord.modules import installed


async def seed_demo(clock: Clock, calendar: Calendar) -> bool:
    """Seed every domain when the database is empty; False when there was data already (the first seed,
    the demo people, says so and the rest is skipped: cases need the people and enterprises just created).
    Deadlines are counted in `calendar`'s working days, as the server counts them."""
    for module in installed():
        if module.seed is not None and await module.seed(clock, calendar) is False:
            return False
    return True
