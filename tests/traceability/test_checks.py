"""The trace check on every case with a trace code (issue 16 §3): verified, unknown, mismatch, cloned; refreshed
when events arrive; told in the record; and the parties learn nothing of anyone else's case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cases.conftest import Cast, act, file_case, to_mediation
from tests.traceability.conftest import add_prefix, document, event, fresh_prefix, gtin_under, link, submit


@pytest.fixture
async def brand(cast: Cast, parties: Any) -> dict[str, Any]:
    """The other merchant's enterprise is the brand, with a fresh prefix; cases are against the cast's merchant,
    which has a prefix of its own: an event at `shop` (its store's SGLN) puts it on the item's path."""
    prefix, merchant_prefix = fresh_prefix(), fresh_prefix()
    response = await add_prefix(cast.admin, parties.stranger_merchant.enterprise_id, prefix)
    assert response.status_code == 201, response.text
    assert (await add_prefix(cast.admin, cast.enterprise_id, merchant_prefix)).status_code == 201
    shop = {"id": f"urn:epc:id:sgln:{merchant_prefix}.001.0"}
    return {"client": cast.other_merchant, "gtin": gtin_under(prefix), "shop": shop}


def received_at_shop(brand: dict[str, Any], serial: str, at: str = "2026-10-12T08:00:00+08:00") -> dict[str, Any]:
    return event("receiving", [link(brand["gtin"], serial)], at=at, bizLocation=brand["shop"])


def code(gtin: str, serial: str) -> str:
    return f"(01){gtin}(21){serial}"


async def check_seen_by(client: Any, case: dict[str, Any]) -> dict[str, Any] | None:
    response = await client.get(f"/api/v1/cases/{case['reference']}")
    assert response.status_code == 200, response.text
    return response.json()["trace_check"]  # type: ignore[no-any-return]


async def test_an_item_the_brand_commissioned_and_shipped_is_verified(cast: Cast, brand: dict[str, Any]) -> None:
    gtin = brand["gtin"]
    shipping = event(
        "shipping",
        [link(gtin, "OK1")],
        at="2026-10-10T08:00:00+08:00",
        bizTransactionList=[{"type": "desadv", "bizTransaction": "SF1402883301276"}],
    )
    await submit(
        brand["client"], document(event("commissioning", [link(gtin, "OK1")]), shipping, received_at_shop(brand, "OK1"))
    )
    case = await file_case(cast, trace_code=code(gtin, "OK1"), waybill="SF1402883301276")
    check = await check_seen_by(cast.mediator, case)
    assert check is not None and check["status"] == "verified", check
    assert check["other_cases"] == [] and any("Commissioned by" in reason for reason in check["reasons"])
    assert (await check_seen_by(cast.admin, case))["status"] == "verified"  # type: ignore[index]
    seen = await check_seen_by(cast.consumer, case)
    assert seen == {
        "status": None,
        "reasons": [],
        "other_cases": [],
        "summary": "The trace code was checked: this code is registered by the brand.",
        "checked_at": None,
        "listing_proposal": None,
    }
    page = await cast.consumer.get(f"/cases/{case['reference']}")
    assert "this code is registered by the brand" in page.text and "Verified" not in page.text


async def test_a_code_the_brand_never_registered_is_unknown(cast: Cast, brand: dict[str, Any]) -> None:
    case = await file_case(cast, trace_code=code(brand["gtin"], "NOPE1"))
    assert (await check_seen_by(cast.mediator, case))["status"] == "unknown"  # type: ignore[index]
    seen = await check_seen_by(cast.consumer, case)
    assert seen["summary"] == "The trace code was checked: this code could not be confirmed."  # type: ignore[index]


async def test_a_case_without_a_trace_code_has_no_check(cast: Cast) -> None:
    case = await file_case(cast)
    assert await check_seen_by(cast.mediator, case) is None


@pytest.mark.parametrize(
    ("events", "filing", "reason"),
    [
        (
            [("decommissioning", "2026-09-01T08:00:00Z", {"disposition": "destroyed"})],
            {"purchase_date": "2026-10-20"},
            "taken out of circulation",
        ),
        (
            [
                (
                    "shipping",
                    "2026-10-02T08:00:00Z",
                    {"bizTransactionList": [{"type": "desadv", "bizTransaction": "SF1"}]},
                )
            ],
            {"waybill": "JDV018827734412"},
            "waybill",
        ),
        (
            [
                (
                    "retail_selling",
                    "2026-10-02T08:00:00Z",
                    {"bizTransactionList": [{"type": "inv", "bizTransaction": "TM-1"}]},
                )
            ],
            {"order_number": "JD-88231"},
            "order number",
        ),
    ],
)
async def test_a_history_that_does_not_fit_the_purchase_is_a_mismatch(
    cast: Cast, brand: dict[str, Any], events: list[Any], filing: dict[str, Any], reason: str
) -> None:
    gtin, serial = brand["gtin"], f"MM{len(reason)}"
    later = [event(step, [link(gtin, serial)], at=at, **extra) for step, at, extra in events]
    await submit(
        brand["client"], document(event("commissioning", [link(gtin, serial)], at="2026-08-01T08:00:00Z"), *later)
    )
    case = await file_case(cast, trace_code=code(gtin, serial), **filing)
    check = await check_seen_by(cast.mediator, case)
    assert check["status"] == "mismatch", check  # type: ignore[index]
    assert any(reason in text for text in check["reasons"]), check  # type: ignore[index]
    # The parties hear only that the brand registered the code.
    assert "registered by the brand" in (await check_seen_by(cast.consumer, case))["summary"]  # type: ignore[index]


async def test_events_arriving_later_refresh_the_check_and_the_record_tells_it(
    cast: Cast, brand: dict[str, Any]
) -> None:
    gtin = brand["gtin"]
    case = await file_case(cast, trace_code=code(gtin, "LATE1"))
    assert (await check_seen_by(cast.mediator, case))["status"] == "unknown"  # type: ignore[index]
    commissioned = event("commissioning", [link(gtin, "LATE1")])
    await submit(brand["client"], document(commissioned, received_at_shop(brand, "LATE1")))
    assert (await check_seen_by(cast.mediator, case))["status"] == "verified"  # type: ignore[index]
    assert "registered by the brand" in (await check_seen_by(cast.consumer, case))["summary"]  # type: ignore[index]
    record = (await cast.admin.get(f"/api/v1/cases/{case['reference']}/record")).json()
    told = [e["data"]["status"] for e in record["events"] if e.get("type") == "trace_checked"]
    assert told == ["unknown", "verified"] and record["verified"]
    parties = (await cast.consumer.get(f"/api/v1/cases/{case['reference']}/record")).json()
    plain = [e["data"] for e in parties["events"] if e.get("type") == "trace_code_checked"]
    assert plain == [{"registered": False}, {"registered": True}]
    assert not any(e.get("type") == "trace_checked" for e in parties["events"])  # sealed for the parties
    page = await cast.mediator.get(f"/cases/{case['reference']}")
    assert "Verified: commissioned by the brand" in page.text and f"/trace/items/{gtin}/LATE1" in page.text
    # The timeline tells each check: in full to registrars (and the case's mediator), in plain words to the parties.
    registrar_page = (await cast.admin.get(f"/cases/{case['reference']}")).text
    assert "Accord checked the trace code: Unknown" in registrar_page
    assert "Accord checked the trace code: Verified" in registrar_page
    consumer_page = (await cast.consumer.get(f"/cases/{case['reference']}")).text
    assert "could not be confirmed" in consumer_page and "Accord checked the trace code" not in consumer_page


async def test_two_consumers_claiming_one_item_are_both_cloned_and_learn_nothing_of_each_other(
    cast: Cast, brand: dict[str, Any]
) -> None:
    gtin = brand["gtin"]
    await submit(brand["client"], document(event("commissioning", [link(gtin, "CL1")])))
    first = await file_case(cast, trace_code=code(gtin, "CL1"), order_number="TM-1001")
    first_seen_before = await check_seen_by(cast.consumer, first)
    first_record_before = (await cast.consumer.get(f"/api/v1/cases/{first['reference']}/record")).json()
    response = await cast.other_consumer.post(
        "/api/v1/cases",
        json={**_filing(cast), "trace_code": code(gtin, "CL1"), "order_number": "TM-2002"},
    )
    assert response.status_code == 201, response.text
    second = response.json()

    for case, other in ((first, second), (second, first)):
        check = await check_seen_by(cast.mediator, case)
        assert check["status"] == "cloned", check  # type: ignore[index]
        assert check["other_cases"] == [other["reference"]]  # type: ignore[index]
        assert (await check_seen_by(cast.admin, case))["status"] == "cloned"  # type: ignore[index]
    # Each consumer: the same plain answer as before the other filed, and not a word of the other case.
    assert await check_seen_by(cast.consumer, first) == first_seen_before
    assert await check_seen_by(cast.other_consumer, second) == first_seen_before
    for client, own, other in ((cast.consumer, first, second), (cast.other_consumer, second, first)):
        for path in (
            f"/api/v1/cases/{own['reference']}",
            f"/cases/{own['reference']}",
            f"/api/v1/cases/{own['reference']}/record",
        ):
            text = (await client.get(path)).text
            assert (
                other["reference"] not in text
                and "cloned" not in text.lower()
                and "TM-" + ("2002" if own is first else "1001") not in text
            )
        assert (await client.get(f"/api/v1/cases/{other['reference']}")).status_code == 404
        assert (await client.get(f"/api/v1/trace/items/{gtin}/CL1")).status_code == 404
    # Not even a sealed event: the first consumer's record is exactly what it was before the second filed.
    first_record_after = (await cast.consumer.get(f"/api/v1/cases/{first['reference']}/record")).json()
    assert first_record_after == first_record_before
    # The brand sees that its item is claimed twice, not by whom.
    item = (await brand["client"].get(f"/api/v1/trace/items/{gtin}/CL1")).json()
    assert item["cases"] == 2 and first["reference"] not in str(item)


def _filing(cast: Cast) -> dict[str, Any]:
    from tests.cases.conftest import filing_body

    return filing_body(cast.enterprise_id)


async def test_a_cloned_counterfeit_case_offers_the_mediator_a_prefilled_listing(
    cast: Cast, brand: dict[str, Any]
) -> None:
    gtin = brand["gtin"]
    await submit(brand["client"], document(event("commissioning", [link(gtin, "CF1")])))
    claimed = await file_case(cast, trace_code=code(gtin, "CF1"), order_number="TM-5001")
    case = await to_mediation(cast, category="counterfeit", trace_code=code(gtin, "CF1"), order_number="TM-5002")
    check = await check_seen_by(cast.mediator, case)
    assert check["status"] == "cloned"  # type: ignore[index]
    proposal = check["listing_proposal"]  # type: ignore[index]
    assert proposal["violation"] == "counterfeit" and proposal["case_ref"] == case["reference"]
    assert "Cloned" in proposal["facts"] and claimed["reference"] not in proposal["facts"]
    assert (await check_seen_by(cast.consumer, case))["listing_proposal"] is None  # type: ignore[index]
    assert (await check_seen_by(cast.mediator, claimed))["listing_proposal"] is None  # type: ignore[index]
    assert (
        await act(cast.mediator, case, "close_unresolved", note="The merchant would not take part.")
    ).status_code == 200
    page = await cast.mediator.get(f"/cases/{case['reference']}")
    assert 'id="action-propose_listing"' in page.text and "Trace check of" in page.text
    listing = await cast.mediator.post("/api/v1/registry/listings", json=proposal)
    assert listing.status_code == 201, listing.text


async def test_a_merchant_none_of_whose_places_the_item_passed_is_a_mismatch(cast: Cast, brand: dict[str, Any]) -> None:
    gtin = brand["gtin"]
    elsewhere = {"id": f"urn:epc:id:sgln:{fresh_prefix()}.001.0"}  # a store that is not the merchant's
    history = [
        event("commissioning", [link(gtin, "PATH1")]),
        event("receiving", [link(gtin, "PATH1")], at="2026-10-12T08:00:00+08:00", bizLocation=elsewhere),
    ]
    await submit(brand["client"], document(*history))
    case = await file_case(cast, trace_code=code(gtin, "PATH1"))
    check = await check_seen_by(cast.mediator, case)
    assert check["status"] == "mismatch", check  # type: ignore[index]
    assert any("not on the item's recorded path" in reason for reason in check["reasons"])  # type: ignore[index]
    # A destination under the merchant's prefix (its party GLN, as a PGLN) puts it on the path.
    merchant_party = "urn:epc:id:pgln:" + brand["shop"]["id"].split(":")[-1].split(".")[0] + ".000"
    shipped = event(
        "shipping",
        [link(gtin, "PATH1")],
        at="2026-10-11T08:00:00+08:00",
        destinationList=[{"type": "owning_party", "destination": merchant_party}],
    )
    await submit(brand["client"], document(shipped))
    assert (await check_seen_by(cast.mediator, case))["status"] == "verified"  # type: ignore[index]


async def test_a_merchant_without_recorded_prefixes_is_not_judged_on_the_path(
    cast: Cast, brand: dict[str, Any], make_user: Any
) -> None:
    gtin = brand["gtin"]
    unregistered = await make_user("merchant")  # a fresh enterprise: no company prefix recorded
    await submit(brand["client"], document(event("commissioning", [link(gtin, "PATH2")])))
    response = await cast.consumer.post(
        "/api/v1/cases",
        json={**_filing(cast), "enterprise_id": unregistered["enterprise_id"], "trace_code": code(gtin, "PATH2")},
    )
    assert response.status_code == 201, response.text
    check = await check_seen_by(cast.admin, response.json())
    assert check["status"] == "verified", check  # type: ignore[index]
    assert not any("path" in reason for reason in check["reasons"])  # type: ignore[index]


async def _trace_counts(client: Any, enterprise_id: int, **query: Any) -> dict[str, int]:
    """The enterprise's row of the dashboard's trace-check counts (zeros when it has none)."""
    response = await client.get("/api/v1/insights", params={"enterprise_id": enterprise_id, **query})
    assert response.status_code == 200, response.text
    rows = [row for row in response.json()["trace_checks"] if row["enterprise_id"] == enterprise_id]
    statuses = ("verified", "unknown", "mismatch", "cloned")
    return {status: rows[0][status] for status in statuses} if rows else dict.fromkeys(statuses, 0)


async def test_the_insights_dashboard_counts_cases_by_their_current_trace_check_per_enterprise(
    cast: Cast, brand: dict[str, Any], parties: Any
) -> None:
    from accord.clock import WeekdayCalendar
    from insights import rollups
    from accord.settings import get_settings
    from traceability.service import current_checks

    gtin, enterprise = brand["gtin"], cast.enterprise_id
    before = await _trace_counts(cast.admin, enterprise)
    shipped = event(
        "shipping",
        [link(gtin, "IN1")],
        at="2026-10-10T08:00:00+08:00",
        bizTransactionList=[{"type": "desadv", "bizTransaction": "SF1402883301276"}],
    )
    commissioned = [event("commissioning", [link(gtin, serial)]) for serial in ("IN1", "IN2", "IN3")]
    at_shop = [received_at_shop(brand, serial) for serial in ("IN1", "IN3")]
    await submit(brand["client"], document(*commissioned, shipped, *at_shop))
    await file_case(cast, trace_code=code(gtin, "IN1"), waybill="SF1402883301276")  # verified
    await file_case(cast, trace_code=code(gtin, "NOPE-IN"))  # unknown
    await file_case(cast, trace_code=code(gtin, "IN2"))  # mismatch: the merchant is not on the item's path
    await file_case(cast, trace_code=code(gtin, "IN3"), order_number="TM-3001")  # verified, until...
    after_one_claim = await _trace_counts(cast.admin, enterprise)
    expected = {"verified": 2, "unknown": 1, "mismatch": 1, "cloned": 0}
    assert {k: after_one_claim[k] - before[k] for k in before} == expected
    # ... another consumer claims IN3 with another order: both cases turn cloned, the first leaves `verified`.
    response = await cast.other_consumer.post(
        "/api/v1/cases", json={**_filing(cast), "trace_code": code(gtin, "IN3"), "order_number": "TM-3002"}
    )
    assert response.status_code == 201, response.text
    after = await _trace_counts(cast.admin, enterprise)
    assert {k: after[k] - before[k] for k in before} == {"verified": 1, "unknown": 1, "mismatch": 1, "cloned": 2}
    assert await _trace_counts(cast.mediator, enterprise) == after

    # The enterprise filter: another enterprise's figures do not hold this one's row.
    other = parties.stranger_merchant.enterprise_id
    response = await cast.admin.get("/api/v1/insights", params={"enterprise_id": other})
    assert all(row["enterprise_id"] == other for row in response.json()["trace_checks"])
    # The page and the CSV show the same counts.
    page = await cast.admin.get("/insights", params={"enterprise_id": enterprise})
    assert page.status_code == 200 and "Trace-check results by enterprise" in page.text
    assert (
        f"<td>{after['verified']}</td><td>{after['unknown']}</td><td>{after['mismatch']}</td><td>{after['cloned']}</td>"
        in page.text
    )
    chinese = await cast.admin.get("/insights", params={"enterprise_id": enterprise, "lang": "zh-Hans"})
    assert "各企业的追溯码核验结果" in chinese.text
    exported = (await cast.admin.get("/insights/export.csv", params={"enterprise_id": enterprise})).text
    for status, n in after.items():
        assert f"trace_check:{enterprise}:" in exported and f",{status},{n}\r\n" in exported
    # A recount from the records and traceability's current checks gives the same figures.
    await rollups.rebuild(WeekdayCalendar(), get_settings().timezone, trace_checks=current_checks)
    assert await _trace_counts(cast.admin, enterprise) == after


async def _public_trace_counts(client: Any) -> dict[str, int]:
    response = await client.get("/api/v1/stats")
    assert response.status_code == 200, response.text
    return response.json()["by_trace_check"]  # type: ignore[no-any-return]


async def test_public_statistics_count_cases_by_their_trace_check(
    cast: Cast, brand: dict[str, Any], new_client: Any
) -> None:
    gtin, public = brand["gtin"], new_client()
    before = await _public_trace_counts(public)
    assert set(before) == {"verified", "unknown", "mismatch", "cloned"}
    await submit(
        brand["client"],
        document(event("commissioning", [link(gtin, "PUB1")]), event("commissioning", [link(gtin, "PUB2")])),
    )
    await submit(brand["client"], document(received_at_shop(brand, "PUB1")))
    await file_case(cast, trace_code=code(gtin, "PUB1"))  # verified
    await file_case(cast, trace_code=code(gtin, "PUB-NONE"))  # unknown
    await file_case(cast, trace_code=code(gtin, "PUB2"))  # mismatch: the merchant is not on its path
    after = await _public_trace_counts(public)
    assert {k: after[k] - before[k] for k in before} == {"verified": 1, "unknown": 1, "mismatch": 1, "cloned": 0}
    for lang, heading in (("en", "Trace-code checks"), ("zh-Hans", "追溯码核验")):
        page = await public.get("/stats", params={"lang": lang})
        assert page.status_code == 200 and heading in page.text
        assert f"<td>{after['verified']}</td>" in page.text and "PUB1" not in page.text
