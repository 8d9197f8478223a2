"""The EPCIS Event Hash ID (CBV 2.0 §8.9) against the reference implementation's examples, and idempotent
ingest by it (issue 16 §1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cases.conftest import Cast
from tests.traceability.conftest import add_prefix, document, event, fresh_prefix, gtin_under, link, submit
from traceability.event_hash import event_hash, prehash
from traceability.tables import TraceEvent

EXAMPLES = Path(__file__).parent / "event_hash_examples"
# Events whose fields Accord does not canonicalise (see the README's traceability section): no hash.
UNSUPPORTED = {("epcisDocWithVariousEventTypes", 3), ("TimeStampRoundOff", 2)}


def _cases() -> list[tuple[str, int, dict[str, Any], str, str]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.jsonld")):
        events = json.loads(path.read_text())["epcisBody"]["eventList"]
        hashes = path.with_suffix(".hashes").read_text().split()
        prehashes = path.with_suffix(".prehashes").read_text().splitlines()
        for index, (raw, expected) in enumerate(zip(events, hashes, strict=True)):
            if raw["type"] in ("ObjectEvent", "AggregationEvent"):
                found.append((path.stem, index, raw, expected, prehashes[index]))
    return found


@pytest.mark.parametrize(("name", "index", "raw", "expected", "expected_prehash"), _cases())
def test_the_reference_examples_hash_as_expected(
    name: str, index: int, raw: dict[str, Any], expected: str, expected_prehash: str
) -> None:
    if (name, index) in UNSUPPORTED:
        assert event_hash(raw) is None
        return
    assert prehash(raw) == expected_prehash
    assert event_hash(raw) == expected


def test_the_same_event_in_another_spelling_has_the_same_hash() -> None:
    urn = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:id:sgtin:0614141.107346.2017"],
        "eventTime": "2022-02-16T20:33:31.116-06:00",
        "eventTimeZoneOffset": "-06:00",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "recordTime": "2022-02-17T00:00:00Z",
    }
    link_form = {
        "eventTimeZoneOffset": "-06:00",
        "eventTime": "2022-02-17T02:33:31.116Z",
        "type": "ObjectEvent",
        "readPoint": {"id": "https://example.com/414/0614141073467/254/1234?x=1"},
        "epcList": ["https://id.gs1.org/01/10614141073464/21/2017", "https://id.gs1.org/01/10614141073464/21/2018"],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
        "action": "OBSERVE",
    }
    assert event_hash(urn) == event_hash(link_form) is not None
    assert event_hash({**urn, "disposition": "in_transit"}) != event_hash(urn)


async def test_an_event_without_an_id_gets_its_hash_and_is_stored_once(cast: Cast) -> None:
    prefix = fresh_prefix()
    await add_prefix(cast.admin, cast.enterprise_id, prefix)
    gtin = gtin_under(prefix)
    company, item = gtin[1 : 1 + len(prefix)], gtin[0] + gtin[1 + len(prefix) : 13]
    plain = event("commissioning", [link(gtin, "EH1")])
    with_id = {**event("shipping", [link(gtin, "EH1")]), "eventID": "urn:uuid:9a3b1b7e-1"}
    first = await submit(cast.merchant, document(plain, with_id))
    assert first.json()["stored"] == 2, first.text
    rows = await TraceEvent.select(TraceEvent.event_id).where(TraceEvent.enterprise == cast.enterprise_id)
    ids = {row["event_id"] for row in rows}
    assert event_hash(plain) in ids and "urn:uuid:9a3b1b7e-1" in ids
    # The same commissioning again, written with an SGTIN URN and a CBV URN: the same event, a no-op.
    again = {
        **plain,
        "epcList": [f"urn:epc:id:sgtin:{company}.{item}.EH1"],
        "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
    }
    assert event_hash(again) == event_hash(plain)
    result = (await submit(cast.merchant, document(again))).json()
    assert result["stored"] == 0 and result["duplicates"] == 1
    history = (await cast.merchant.get(f"/api/v1/trace/items/{gtin}/EH1")).json()
    assert [e["event_id"] for e in history["events"]] == [event_hash(plain), "urn:uuid:9a3b1b7e-1"]
