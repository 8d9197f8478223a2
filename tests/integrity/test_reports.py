"""Rights-holder reports: filing (with USCC validation), counter-notice, decisions and public accuracy."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.tables import Enterprise
from integrity.tables import Listing, Report
from tests.cases.conftest import Cast
from tests.conftest import random_uscc


@pytest.fixture
async def holder(api_client: Any) -> Any:
    client, user = await api_client("consumer")
    response = await client.post(
        "/api/v1/registry/rights-holder", json={"organisation": "Maple Brands GmbH", "marks": ["MAPLE®", "EP1234567"]}
    )
    assert response.status_code == 200, response.text
    return client, response.json()


async def test_invalid_uscc_in_a_report_is_a_field_error_and_nothing_is_stored(holder: Any) -> None:
    client, _profile = holder
    before = (await Report.count(), await Enterprise.count())
    response = await client.post(
        "/api/v1/registry/reports",
        json={
            "uscc": "91110000600037341M",
            "enterprise_name": "Fake Maple Shop",
            "violation": "trademark",
            "marks": ["MAPLE®"],
            "description": "Sells bags with our mark.",
        },
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["uscc"]
    assert (await Report.count(), await Enterprise.count()) == before


async def test_only_rights_holders_report(api_client: Any, cast: Cast) -> None:
    client, _user = await api_client("consumer")
    response = await client.post(
        "/api/v1/registry/reports",
        json={"enterprise_id": cast.enterprise_id, "violation": "trademark", "marks": ["X"], "description": "x"},
    )
    assert response.status_code == 403


async def test_report_counter_notice_upheld_becomes_a_listing_and_accuracy_is_public(
    holder: Any, cast: Cast, new_client: Any
) -> None:
    client, profile = holder
    uscc = random_uscc()
    filed = await client.post(
        "/api/v1/registry/reports",
        json={
            "uscc": uscc,
            "enterprise_name": "Copycat Bags Co.",
            "violation": "trademark",
            "marks": ["MAPLE®"],
            "description": "Bags with our registered mark, order 88 attached.",
        },
    )
    assert filed.status_code == 201, filed.text
    report = filed.json()
    assert (await Enterprise.select(Enterprise.name).where(Enterprise.uscc == uscc).first())[
        "name"
    ] == "Copycat Bags Co."
    assert (await cast.other_merchant.get(f"/api/v1/registry/reports/{report['id']}")).status_code == 404
    assert (
        await cast.merchant.post(f"/api/v1/registry/reports/{report['id']}/uphold", json={"decision": "x"})
    ).status_code == 404
    upheld = await cast.admin.post(
        f"/api/v1/registry/reports/{report['id']}/uphold", json={"decision": "Mark infringed."}
    )
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld"
    listing = await Listing.select().where(Listing.id == upheld.json()["listing_id"]).first()
    assert listing["source"] == "report" and listing["state"] == "proposed"
    again = await cast.admin.post(f"/api/v1/registry/reports/{report['id']}/reject", json={"decision": "x"})
    assert again.status_code == 409
    record = (await new_client().get(f"/api/v1/registry/reporters/{profile['id']}")).json()
    assert record["upheld"] == 1 and record["organisation"] == "Maple Brands GmbH"


async def test_rejected_as_malicious_and_withdrawn_reports_count(holder: Any, cast: Cast, new_client: Any) -> None:
    client, profile = holder
    body = {
        "enterprise_id": cast.enterprise_id,
        "violation": "patent",
        "marks": ["EP1234567"],
        "description": "Copies our hinge.",
    }
    first = (await client.post("/api/v1/registry/reports", json=body)).json()
    second = (await client.post("/api/v1/registry/reports", json=body)).json()
    noticed = await cast.merchant.post(
        f"/api/v1/registry/reports/{first['id']}/counter-notice", json={"text": "Our hinge predates the patent."}
    )
    assert noticed.status_code == 200 and noticed.json()["counter_notice"]
    assert (
        await cast.other_merchant.post(f"/api/v1/registry/reports/{first['id']}/counter-notice", json={"text": "x"})
    ).status_code == 404
    rejected = await cast.admin.post(
        f"/api/v1/registry/reports/{first['id']}/reject",
        json={"decision": "Prior art; filed to harass a competitor.", "malicious": True},
    )
    assert rejected.status_code == 200 and rejected.json()["malicious"] is True
    assert (await client.post(f"/api/v1/registry/reports/{second['id']}/withdraw")).status_code == 200
    record = (await new_client().get(f"/api/v1/registry/reporters/{profile['id']}")).json()
    assert (record["rejected"], record["withdrawn"], record["malicious"]) == (1, 1, 1)
    page = await new_client().get(f"/registry/reporters/{profile['id']}")
    assert page.status_code == 200 and "Maple Brands GmbH" in page.text
