"""Trace fixtures: a brand (a verified enterprise with company prefixes and an agent) and EPCIS documents."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import httpx

from cases.gs1 import gs1_check_digit
from tests.cases.conftest import cast, context, parties  # noqa: F401 - fixtures, found by name

EXAMPLES = Path(__file__).parent / "epcis_examples"


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def fresh_prefix() -> str:
    """A 9-digit company prefix nobody else in this run holds (and that holds no other)."""
    return "69" + "".join(random.choices("0123456789", k=7))


def gtin_under(prefix: str, item: str = "123", indicator: str = "0") -> str:
    body = indicator + prefix + item.zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


def document(*events: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-10-01T08:00:00Z",
            "epcisBody": {"eventList": list(events)},
        }
    ).encode()


def event(step: str, epcs: list[str], at: str = "2026-10-01T08:00:00+08:00", **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "ADD" if step == "commissioning" else "OBSERVE",
        "bizStep": step,
        "epcList": epcs,
        "eventTime": at,
        "eventTimeZoneOffset": at[-6:] if at[-6] in "+-" else "+00:00",
        **extra,
    }


def link(gtin: str, serial: str) -> str:
    return f"https://id.gs1.org/01/{gtin}/21/{serial}"


async def add_prefix(admin: httpx.AsyncClient, enterprise_id: int, prefix: str) -> httpx.Response:
    return await admin.post(f"/api/v1/admin/enterprises/{enterprise_id}/prefixes", json={"prefix": prefix})


async def submit(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post("/api/v1/trace/epcis", content=body, headers={"content-type": "application/ld+json"})
