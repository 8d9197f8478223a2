"""EPCIS 2.0 ingest (issue 16 §1): company prefixes, GS1's own example documents, bad events by index,
idempotent resubmission, all-or-nothing documents, and who may submit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cases.conftest import Cast
from tests.traceability.conftest import add_prefix, document, event, example, fresh_prefix, gtin_under, link, submit
from traceability import service as trace_service

GS1_PREFIXES = ("0614141", "4012345")  # the company prefixes GS1's examples use


@pytest.fixture
async def gs1_brand(cast: Cast, parties: Any) -> Any:
    """The other merchant's enterprise holds the prefixes of GS1's examples (the same for the whole run)."""
    for prefix in GS1_PREFIXES:
        response = await add_prefix(cast.admin, parties.stranger_merchant.enterprise_id, prefix)
        assert response.status_code == 201, response.text
    return cast.other_merchant


async def test_a_registrar_records_a_company_prefix(cast: Cast) -> None:
    prefix = fresh_prefix()
    response = await add_prefix(cast.admin, cast.enterprise_id, prefix)
    assert response.status_code == 201, response.text
    assert response.json()["prefix"] == prefix and response.json()["enterprise_id"] == cast.enterprise_id
    assert (await add_prefix(cast.admin, cast.enterprise_id, prefix)).status_code == 201  # the same again: no-op


async def test_prefixes_are_registrars_business_and_never_overlap(cast: Cast, parties: Any) -> None:
    prefix = fresh_prefix()
    assert (await add_prefix(cast.merchant, cast.enterprise_id, prefix)).status_code == 403
    assert (await add_prefix(cast.consumer, cast.enterprise_id, prefix)).status_code == 403
    assert (await add_prefix(cast.admin, cast.enterprise_id, "12ab")).status_code == 422
    assert (await add_prefix(cast.admin, 2_000_000_000, prefix)).status_code == 404
    assert (await add_prefix(cast.admin, cast.enterprise_id, prefix)).status_code == 201
    other = parties.stranger_merchant.enterprise_id
    for overlapping in (prefix, prefix + "1", prefix[:-1]):
        response = await add_prefix(cast.admin, other, overlapping)
        assert response.status_code == 409, (overlapping, response.text)


@pytest.mark.parametrize(
    "name",
    [
        "Example_9.6.1-ObjectEvent.jsonld",
        "Example_9.6.1-ObjectEventWithDigitalLink.jsonld",
        "Example_9.6.2-ObjectEvent.jsonld",
        "Example_9.6.3-AggregationEvent.jsonld",
    ],
)
async def test_gs1_example_documents_are_accepted_once(gs1_brand: Any, name: str) -> None:
    first = await submit(gs1_brand, example(name))
    assert first.status_code == 201, first.text
    result = first.json()
    assert result["rejected"] == [] and result["accepted"] == len(json.loads(example(name))["epcisBody"]["eventList"])
    again = (await submit(gs1_brand, example(name))).json()
    assert again == {**result, "stored": 0, "duplicates": result["accepted"]}


async def test_an_example_item_has_its_history(gs1_brand: Any, cast: Cast) -> None:
    await submit(gs1_brand, example("Example_9.6.1-ObjectEvent.jsonld"))
    # urn:epc:id:sgtin:0614141.107346.2018 is GTIN 10614141073464, serial 2018: shipped, then received.
    response = await cast.mediator.get("/api/v1/trace/items/10614141073464/2018")
    assert response.status_code == 200, response.text
    item = response.json()
    object_events = [e for e in item["events"] if e["type"] == "ObjectEvent"]
    assert [e["biz_step"] for e in object_events] == ["shipping", "receiving"]
    assert item["status"] == "in_stock" and item["commissioned_by"] is None
    received = object_events[1]
    assert received["biz_transactions"][1] == {"type": "desadv", "id": "urn:epcglobal:cbv:bt:0614141073467:1152"}
    assert received["biz_location"] == "urn:epc:id:sgln:0012345.11111.0"


async def test_bad_events_are_rejected_by_index_and_the_good_ones_kept(cast: Cast) -> None:
    prefix = fresh_prefix()
    await add_prefix(cast.admin, cast.enterprise_id, prefix)
    gtin = gtin_under(prefix)
    wrong_check_digit = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    not_ours = gtin_under(fresh_prefix())
    body = document(
        event("commissioning", [link(gtin, "A1")]),
        event("commissioning", [link(wrong_check_digit, "A2")]),
        event("storing", [link(gtin, "A3")]),
        event("commissioning", [link(not_ours, "A4")]),
        {**event("shipping", [link(gtin, "A1")]), "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"}},
        {**event("shipping", [link(gtin, "A1")]), "readPoint": {"id": "somewhere"}},
        event("shipping", [link(gtin, "A1")], at="2026-10-01T08:00:00"),
        event("commissioning", ["urn:epc:id:sgtin:0614141.107346"]),
    )
    response = await submit(cast.merchant, body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["accepted"] == 2 and result["stored"] == 2
    rejected = {r["index"]: r["message"] for r in result["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 5, 6, 7]
    assert "check digit" in rejected[1]
    assert "storing" in rejected[2] and "bizStep" in rejected[2]
    assert not_ours in rejected[3] and "prefix" in rejected[3]


async def test_cbv_uris_and_urns_name_the_same_business_step(cast: Cast) -> None:
    prefix = fresh_prefix()
    await add_prefix(cast.admin, cast.enterprise_id, prefix)
    gtin = gtin_under(prefix)
    body = document(
        event("urn:epcglobal:cbv:bizstep:commissioning", [link(gtin, "U1")]),
        event("https://ref.gs1.org/cbv/BizStep-retail_selling", [link(gtin, "U1")], at="2026-10-02T08:00:00Z"),
    )
    assert (await submit(cast.merchant, body)).json()["rejected"] == []
    item = (await cast.merchant.get(f"/api/v1/trace/items/{gtin}/U1")).json()
    assert [e["biz_step"] for e in item["events"]] == ["commissioning", "retail_selling"] and item["status"] == "sold"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"type": "Something"}', "EPCISDocument"),
        (b'{"type": "EPCISDocument", "epcisBody": {}}', "eventList"),
    ],
)
async def test_a_malformed_document_is_refused_whole(cast: Cast, body: bytes, reason: str) -> None:
    response = await submit(cast.merchant, body)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


async def test_nothing_is_half_stored(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = fresh_prefix()
    await add_prefix(cast.admin, cast.enterprise_id, prefix)
    gtin = gtin_under(prefix)

    async def fail(*args: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(trace_service, "refresh_items", fail)
    body = document(*(event("commissioning", [link(gtin, f"H{n}")]) for n in range(3)))
    assert (await submit(cast.merchant, body)).status_code == 500
    assert (await cast.mediator.get(f"/api/v1/trace/items/{gtin}/H0")).status_code == 404


async def test_only_agents_of_verified_enterprises_submit(cast: Cast, api_client: Any) -> None:
    body = document(event("commissioning", [link(gtin_under(fresh_prefix()), "X")]))
    assert (await submit(cast.consumer, body)).status_code == 403
    assert (await submit(cast.mediator, body)).status_code == 403
    unverified, _user = await api_client("merchant", enterprise_verified=False)
    assert (await submit(unverified, body)).status_code == 403


async def test_an_item_is_shown_to_its_brand_mediators_and_registrars_only(cast: Cast) -> None:
    prefix = fresh_prefix()
    await add_prefix(cast.admin, cast.enterprise_id, prefix)
    gtin = gtin_under(prefix)
    await submit(cast.merchant, document(event("commissioning", [link(gtin, "V1")])))
    path = f"/api/v1/trace/items/{gtin}/V1"
    for reader in (cast.merchant, cast.mediator, cast.admin):
        response = await reader.get(path)
        assert response.status_code == 200, response.text
        assert response.json()["commissioned_by"]["id"] == cast.enterprise_id
    for outsider in (cast.consumer, cast.other_merchant):
        assert (await outsider.get(path)).status_code == 404
    assert (await cast.mediator.get(f"/api/v1/trace/items/{gtin}/nope")).status_code == 404
    assert (await cast.mediator.get("/api/v1/trace/items/123/V1")).status_code == 404
    page = await cast.mediator.get(f"/trace/items/{gtin}/V1")
    assert page.status_code == 200 and "V1" in page.text


async def test_a_document_larger_than_other_requests_may_be_is_read(cast: Cast) -> None:
    padding = "x" * (13 * 1024 * 1024)  # over the 12 MB every other request is held to
    body = b'{"type": "EPCISDocument", "epcisBody": {"eventList": []}, "comment": "' + padding.encode() + b'"}'
    response = await submit(cast.merchant, body)
    assert response.status_code == 201, response.text[:200]
    assert response.json()["accepted"] == 0


async def test_registrars_record_prefixes_on_their_page(cast: Cast, signed_in: Any) -> None:
    from accounts.tables import Enterprise
    from tests.conftest import post_form

    browser, _user = await signed_in("admin")
    enterprise = await Enterprise.select(Enterprise.uscc).where(Enterprise.id == cast.enterprise_id).first()
    prefix = fresh_prefix()
    response = await post_form(browser, "/admin/trace/prefixes", {"uscc": enterprise["uscc"], "prefix": prefix})
    assert response.status_code == 302
    page = await browser.get("/admin/trace/prefixes")
    assert prefix in page.text
    again = await post_form(browser, "/admin/trace/prefixes", {"uscc": enterprise["uscc"], "prefix": prefix[:-1]})
    assert again.status_code == 409 and "overlaps" in again.text
    unknown = await post_form(browser, "/admin/trace/prefixes", {"uscc": "91110000000000000X", "prefix": "6912345"})
    assert unknown.status_code == 422


async def test_text_no_database_can_store_rejects_its_event_only(cast: Cast) -> None:
    prefix = fresh_prefix()
    await add_prefix(cast.admin, cast.enterprise_id, prefix)
    gtin = gtin_under(prefix)
    body = document(
        {**event("commissioning", [link(gtin, "N1")]), "eventID": "urn:uuid:bad\u0000id"},
        {**event("commissioning", [link(gtin, "N2")]), "disposition": "active\u0000"},
        event("commissioning", [link(gtin, "N3")]),
    )
    response = await submit(cast.merchant, body)
    assert response.status_code == 201, response.text
    assert [r["index"] for r in response.json()["rejected"]] == [0, 1]
    assert "NUL" in response.json()["rejected"][0]["message"]
