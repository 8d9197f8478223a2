"""A filing's reference number (cases/filing.py): on PostgreSQL taken and committed apart from the filing's
transaction, so concurrent filings do not queue on the year's counter until the first commits (a filing that
fails leaves its number unused); on SQLite taken inside it (one writer at a time there anyway)."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar

from accord.db import _SIDE, is_sqlite, write_transaction
from cases.filing import _next_reference

YEAR = 2031  # no other test files a case in it


class Abandoned(Exception):
    """Rolls a filing's transaction back."""


async def test_a_number_taken_in_an_open_transaction(app: Litestar) -> None:
    holding, release = asyncio.Event(), asyncio.Event()

    async def open_filing() -> str:
        with pytest.raises(Abandoned):
            async with write_transaction():
                taken = await _next_reference(YEAR)
                holding.set()
                await release.wait()
                raise Abandoned
        return taken

    first = asyncio.create_task(open_filing())
    await holding.wait()
    if is_sqlite():
        release.set()
        assert await first == f"AC-{YEAR}-000001"
        assert await _next_reference(YEAR) == f"AC-{YEAR}-000001"  # rolled back with the filing: no gap
        return
    # PostgreSQL: the next filing gets its number while the first is still open, and the first's is not reused.
    try:
        second = await asyncio.wait_for(_next_reference(YEAR), timeout=5)
    finally:
        release.set()  # whatever happened: the open filing ends
    assert second == f"AC-{YEAR}-000002"
    assert await first == f"AC-{YEAR}-000001"
    assert await _next_reference(YEAR) == f"AC-{YEAR}-000003"


async def test_a_number_taken_apart_does_not_wait_for_the_disk(app: Litestar) -> None:
    """PostgreSQL: the side connection commits without waiting for its log to reach the disk; the filing's own
    commit, which does wait, comes after it and flushes the log up to itself (accord.db._SideConnection)."""
    await _next_reference(YEAR)
    if is_sqlite():
        return
    # Set by the connection itself (the test database has it off for every connection: tests/conftest.py).
    setting = "SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'"
    assert tuple(await _SIDE.connection.fetchrow(setting)) == ("off", "session")
