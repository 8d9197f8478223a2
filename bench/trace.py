"""Issue 16 §7: EPCIS ingest at scale and item lookup by index, on SQLite (or PostgreSQL).

    .venv/bin/python bench/trace.py [--events 100000] [--postgres URL]

Builds a fresh database, a verified brand with a company prefix, and one EPCIS document of N ObjectEvents
(commissioning, shipping, receiving and retail sale of N/4 items, one serialised item each, as GS1 Digital
Links); times `trace.service.ingest` on it (the whole document, one transaction, bulk inserts), then the
same document again (every event a no-op), then item lookups: the median of 200 item histories at N
events, against the same lookups at N/100 events, as a ratio (an index lookup stays flat as the table grows).
Budget: the N-event ingest under 30 s on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _document(prefix: str, gtin_of: object, start: int, items: int) -> bytes:
    steps = ("commissioning", "shipping", "receiving", "retail_selling")
    events = []
    for n in range(start, start + items):
        epc = f"https://id.gs1.org/01/{gtin_of(n % 1000)}/21/S{n}"  # type: ignore[operator]
        for hour, step in enumerate(steps):
            event = {
                "type": "ObjectEvent",
                "action": "ADD" if step == "commissioning" else "OBSERVE",
                "bizStep": step,
                "epcList": [epc],
                "eventTime": f"2026-10-01T{8 + hour:02d}:00:00+08:00",
                "eventTimeZoneOffset": "+08:00",
                "readPoint": {"id": f"urn:epc:id:sgln:{prefix}.00001.0"},
            }
            if step == "shipping":
                event["bizTransactionList"] = [{"type": "desadv", "bizTransaction": f"SF{n:013d}"}]
            events.append(event)
    return json.dumps({"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": events}}).encode()


async def _lookups(service: object, viewer: object, gtin_of: object, start: int, items: int) -> float:
    import random

    times = []
    for n in random.sample(range(start, start + items), min(200, items)):
        began = time.perf_counter()
        await service.item_history(viewer, gtin_of(n % 1000), f"S{n}")  # type: ignore[attr-defined,operator]
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


async def main(events: int) -> None:
    from accord.clock import FrozenClock
    from accord.db import migrate
    from accounts.schemas import EnterpriseIn
    from accounts.service import USER_COLUMNS, act_as, create_enterprise, create_user
    from accounts.tables import Role, User
    from accounts.uscc import uscc_check_character
    from cases.gs1 import gs1_check_digit
    from traceability import service

    await migrate()
    clock = FrozenClock(__import__("datetime").datetime(2026, 11, 1, tzinfo=__import__("datetime").UTC))
    body = "91330100MA2BENCH1".replace("I", "1")
    uscc = body + uscc_check_character(body)
    await create_enterprise(EnterpriseIn(name="Bench Brand", uscc=uscc), clock, verified=True)
    for email, role in (
        ("brand@bench.test", Role.merchant),
        ("admin@bench.test", Role.admin),
        ("m@bench.test", Role.mediator),
    ):
        await create_user(
            email=email,
            password="bench-password-1",
            role=role,
            display_name=email,
            clock=clock,
            enterprise_uscc=uscc if role is Role.merchant else None,
        )
    agent, admin, mediator = [
        act_as(await User.select(*USER_COLUMNS).where(User.email == e).first())
        for e in ("brand@bench.test", "admin@bench.test", "m@bench.test")
    ]
    prefix = "952987"
    await service.add_prefix(admin, agent.enterprise_id, prefix, clock)

    def gtin_of(item: int) -> str:
        digits = "0" + prefix + f"{item:06d}"
        return digits + gs1_check_digit(digits)

    small_items = max(events // 400, 1)
    small = _document(prefix, gtin_of, 0, small_items)
    await service.ingest(agent, small, clock)
    at_small = await _lookups(service, mediator, gtin_of, 0, small_items)

    items = events // 4
    document = _document(prefix, gtin_of, small_items, items)
    began = time.perf_counter()
    result = await service.ingest(agent, document, clock)
    ingest_seconds = time.perf_counter() - began
    assert result.stored == items * 4 and not result.rejected, result.rejected[:3]
    began = time.perf_counter()
    again = await service.ingest(agent, document, clock)
    again_seconds = time.perf_counter() - began
    assert again.stored == 0 and again.duplicates == items * 4
    at_large = await _lookups(service, mediator, gtin_of, small_items, items)

    print(
        f"ingest: {items * 4} events ({len(document) / 1e6:.1f} MB, {items} items) in {ingest_seconds:.1f} s"
        f" ({items * 4 / ingest_seconds:,.0f} events/s); budget 30 s: {'ok' if ingest_seconds < 30 else 'OVER'}"
    )
    print(f"resubmitted: all {again.duplicates} events no-ops in {again_seconds:.1f} s")
    print(
        f"item history: median {at_large:.2f} ms at {items * 4 + small_items * 4} events,"
        f" {at_small:.2f} ms at {small_items * 4} events: ratio {at_large / at_small:.2f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database to use instead of SQLite")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="accord-bench-trace-")
    os.environ["ACCORD_DATA_DIR"] = data
    os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{data}/bench.sqlite3"
    asyncio.run(main(args.events))
