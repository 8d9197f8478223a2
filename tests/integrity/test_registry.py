"""The registry end to end: due process, publication, public lookup, repair and verifiable open data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.clock import FrozenClock, WeekdayCalendar
from cases.tables import Case
from integrity.tables import Listing
from tests.cases.conftest import Cast, act, file_case
from tests.cli import accord


async def breached_case(cast: Cast, clock: FrozenClock) -> dict[str, Any]:
    case = await file_case(cast, category="counterfeit")
    await act(cast.merchant, case, "respond", kind="reject", text="Genuine.")
    await act(cast.consumer, case, "request_mediation")
    await act(cast.mediator, case, "claim")
    await act(cast.mediator, case, "admit")
    fulfil_by = (clock.now() + timedelta(days=5)).date().isoformat()
    await act(
        cast.mediator,
        case,
        "propose_settlement",
        terms=[{"type": "refund", "amount": {"amount": "199", "currency": "CNY"}}],
        fulfil_by=fulfil_by,
    )
    await act(cast.consumer, case, "accept_proposal")
    await act(cast.merchant, case, "accept_proposal")
    await act(cast.merchant, case, "mark_fulfilled", proof="Refunded")
    response = await act(cast.consumer, case, "dispute_fulfilment", reason="No refund arrived.")
    assert response.json()["state"] == "breached"
    return response.json()


async def listing_act(
    client: httpx.AsyncClient, listing: dict[str, Any], action: str, **payload: Any
) -> httpx.Response:
    current = await Listing.select(Listing.version).where(Listing.id == listing["id"]).first()
    return await client.post(
        f"/api/v1/registry/listings/{listing['id']}/actions/{action}", json={"version": current["version"], **payload}
    )


async def test_full_path_from_breached_case_to_repair_with_verifiable_export(
    cast: Cast, clock: FrozenClock, new_client: Any, tmp_path: Path
) -> None:
    case = await breached_case(cast, clock)
    proposed = await act(
        cast.mediator,
        case,
        "propose_listing",
        violation="counterfeit",
        facts="Sold fake branded goods; refund never paid.",
    )
    assert proposed.status_code == 200, proposed.text
    case_id = (await Case.select(Case.id).where(Case.reference == case["reference"]).first())["id"]
    row = await Listing.select().where(Listing.case_ref == case["reference"]).first()
    assert row is not None and row["state"] == "proposed" and row["source"] == "case" and case_id
    listing = {"id": row["id"]}
    anonymous = new_client()
    assert (await anonymous.get(f"/api/v1/registry/listings/{row['id']}")).status_code == 404
    assert (await cast.merchant.get(f"/api/v1/registry/listings/{row['id']}")).status_code == 404  # not yet told

    noticed = await listing_act(cast.admin, listing, "notice")
    assert noticed.status_code == 200 and noticed.json()["state"] == "noticed"
    early = await listing_act(cast.admin, listing, "publish", decision="Published.")
    assert early.status_code == 409 and "noticed" in early.json()["detail"]
    assert (await listing_act(cast.merchant, listing, "publish", decision="x")).status_code == 403
    assert (await cast.merchant.get(f"/api/v1/registry/listings/{row['id']}")).json()["state"] == "noticed"
    objected = await listing_act(cast.merchant, listing, "object", text="The goods were genuine; invoices attached.")
    assert objected.status_code == 200
    assert (await listing_act(cast.merchant, listing, "object", text="Again")).status_code == 409
    published = await listing_act(cast.admin, listing, "publish", decision="The invoices do not match the batch codes.")
    assert published.status_code == 200 and published.json()["state"] == "published"

    uscc = (await cast.merchant.get("/api/v1/me")).json()["enterprise"]["uscc"]
    found = (await anonymous.get("/api/v1/registry", params={"q": uscc})).json()["items"]
    assert [item["id"] for item in found] == [row["id"]]
    public = (await anonymous.get(f"/api/v1/registry/listings/{row['id']}")).json()
    assert public["decision"] == "The invoices do not match the batch codes." and public["objection_until"] is None
    page = await anonymous.get(f"/registry/{row['id']}")
    assert page.status_code == 200 and "genuine; invoices" not in page.text  # the objection stays private
    head = (await anonymous.get("/registry/tree-head")).json()
    assert head["size"] >= 1 and len(head["root"]) == 64

    too_soon = await listing_act(cast.merchant, listing, "apply_repair", text="We recalled the stock.")
    assert too_soon.status_code == 409
    clock.advance(timedelta(days=95))
    assert (await listing_act(cast.merchant, listing, "apply_repair", text="We recalled the stock.")).status_code == 200
    repaired = await listing_act(cast.admin, listing, "grant_repair", decision="Recall verified.")
    assert repaired.status_code == 200 and repaired.json()["state"] == "repaired"
    assert (await anonymous.get(f"/api/v1/registry/listings/{row['id']}")).status_code == 404
    assert row["id"] not in [
        item["id"] for item in (await anonymous.get("/api/v1/registry", params={"q": uscc})).json()["items"]
    ]

    export = (await anonymous.get("/registry/export.jsonl")).text.splitlines()
    mine = [json.loads(line) for line in export if f'"accord-listing-{row["id"]}"' in line]
    assert mine == []  # details forgotten...
    head = (await anonymous.get("/registry/tree-head")).json()
    exported = tmp_path / "export.jsonl"
    exported.write_text("\n".join(export) + "\n")
    verified = accord("registry", "verify", str(exported), "--root", head["root"])
    assert verified.returncode == 0, verified.stderr  # ...yet the tree still verifies


async def test_tampering_with_one_line_is_named(
    cast: Cast, clock: FrozenClock, new_client: Any, tmp_path: Path
) -> None:
    for _number in range(2):
        created = await cast.admin.post(
            "/api/v1/registry/listings",
            json={
                "enterprise_id": cast.enterprise_id,
                "violation": "trademark",
                "tier": "general",
                "facts": "Copied logo.",
            },
        )
        assert created.status_code == 201, created.text
        listing = created.json()
        await listing_act(cast.admin, listing, "notice")
        clock.set(WeekdayCalendar().add_working_days(clock.now(), 11))
        assert (await listing_act(cast.admin, listing, "publish", decision="No objection.")).status_code == 200
    exported = tmp_path / "export.jsonl"
    assert accord("registry", "export", "--out", str(exported)).returncode == 0
    root = (await new_client().get("/registry/tree-head")).json()["root"]
    assert accord("registry", "verify", str(exported), "--root", root).returncode == 0
    lines = exported.read_text().splitlines()
    target = next(i for i, line in enumerate(lines) if json.loads(line)["data"] is not None)
    record = json.loads(lines[target])
    record["data"]["entity"]["name"] = "Somebody Else Ltd"
    lines[target] = json.dumps(record)
    exported.write_text("\n".join(lines) + "\n")
    broken = accord("registry", "verify", str(exported), "--root", root)
    assert broken.returncode == 1 and f"line {target + 1}:" in broken.stderr


async def test_second_published_listing_escalates_and_says_so(cast: Cast, clock: FrozenClock) -> None:
    tiers = []
    for _number in range(2):
        created = (
            await cast.admin.post(
                "/api/v1/registry/listings",
                json={
                    "enterprise_id": cast.enterprise_id,
                    "violation": "patent",
                    "tier": "general",
                    "facts": "Patent copy.",
                },
            )
        ).json()
        await listing_act(cast.admin, created, "notice")
        clock.set(WeekdayCalendar().add_working_days(clock.now(), 11))
        tiers.append((await listing_act(cast.admin, created, "publish", decision="Upheld.")).json())
    assert tiers[1]["tier"] == "serious" and tiers[1]["escalated"] is True


async def test_expiry_at_the_maximum_through_the_sweep(cast: Cast, clock: FrozenClock) -> None:
    created = (
        await cast.admin.post(
            "/api/v1/registry/listings",
            json={
                "enterprise_id": cast.enterprise_id,
                "violation": "copyright",
                "tier": "general",
                "facts": "Pirated manuals.",
            },
        )
    ).json()
    await listing_act(cast.admin, created, "notice")
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 11))
    published = (await listing_act(cast.admin, created, "publish", decision="Upheld.")).json()
    before_end = accord("sweep", "--at", (clock.now() + timedelta(days=30)).isoformat())
    assert f"listing {created['id']} expired" not in before_end.stdout
    at = (datetime.fromisoformat(published["maximum_until"]) + timedelta(minutes=1)).isoformat()
    swept = accord("sweep", "--at", at)
    assert swept.returncode == 0 and f"listing {created['id']} expired" in swept.stdout
    assert (await Listing.select(Listing.state).where(Listing.id == created["id"]).first())["state"] == "expired"
    assert published["maximum_until"]


@pytest.mark.parametrize("role", ["consumer", "merchant"])
async def test_parties_cannot_propose_listings(api_client: Any, role: str, cast: Cast) -> None:
    client, _user = await api_client(role)
    response = await client.post(
        "/api/v1/registry/listings",
        json={"enterprise_id": cast.enterprise_id, "violation": "trademark", "facts": "x"},
    )
    assert response.status_code == 403


async def test_anonymous_sees_no_unpublished_content_on_any_route(cast: Cast, new_client: Any) -> None:
    created = (
        await cast.admin.post(
            "/api/v1/registry/listings",
            json={"enterprise_id": cast.enterprise_id, "violation": "false_origin", "facts": "SECRET-FACTS-123"},
        )
    ).json()
    anonymous = new_client()
    for path in (f"/api/v1/registry/listings/{created['id']}", f"/registry/{created['id']}"):
        assert (await anonymous.get(path)).status_code == 404
    for path in ("/api/v1/registry", "/registry", "/registry/export.jsonl", f"/enterprises/{cast.enterprise_id}"):
        response = await anonymous.get(path, params={"q": ""})
        assert response.status_code == 200 and "SECRET-FACTS-123" not in response.text
    assert (
        await anonymous.post(f"/api/v1/registry/listings/{created['id']}/actions/notice", json={"version": 1})
    ).status_code == 401


async def test_mediator_listing_needs_grounds(cast: Cast, clock: FrozenClock) -> None:
    case = await file_case(cast)
    response = await cast.mediator.post(
        "/api/v1/registry/listings",
        json={
            "enterprise_id": cast.enterprise_id,
            "violation": "trademark",
            "facts": "x",
            "case_ref": case["reference"],
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "case_ref"


async def test_filing_form_warns_about_a_listed_merchant(cast: Cast, clock: FrozenClock, signed_in: Any) -> None:
    created = (
        await cast.admin.post(
            "/api/v1/registry/listings",
            json={"enterprise_id": cast.enterprise_id, "violation": "counterfeit", "facts": "Fake goods."},
        )
    ).json()
    await listing_act(cast.admin, created, "notice")
    clock.set(WeekdayCalendar().add_working_days(clock.now(), 11))
    assert (await listing_act(cast.admin, created, "publish", decision="Upheld.")).status_code == 200
    browser, _user = await signed_in("consumer")
    uscc = (await cast.merchant.get("/api/v1/me")).json()["enterprise"]["uscc"]
    page = await browser.get("/cases/new", params={"q": uscc})
    assert "currently has a published listing in the integrity registry" in page.text
    enterprise = await browser.get(f"/enterprises/{cast.enterprise_id}")
    assert enterprise.status_code == 200 and "Complaints received" in enterprise.text


async def test_listing_files_for_those_involved_only(cast: Cast, clock: FrozenClock, new_client: Any) -> None:
    from tests.cases.test_api import PDF, PNG

    created = (
        await cast.admin.post(
            "/api/v1/registry/listings",
            json={"enterprise_id": cast.enterprise_id, "violation": "counterfeit", "facts": "Test purchase of fakes."},
        )
    ).json()
    path = f"/api/v1/registry/listings/{created['id']}/evidence"
    facts = await cast.admin.post(path, files={"file": ("buy.png", PNG, "image/png")}, data={"kind": "facts"})
    assert facts.status_code == 201 and facts.json()["media_type"] == "image/png"
    too_early = await cast.merchant.post(
        path, files={"file": ("o.pdf", PDF, "application/pdf")}, data={"kind": "objection"}
    )
    assert too_early.status_code == 404  # not told yet, so it does not exist for them
    await listing_act(cast.admin, created, "notice")
    objection = await cast.merchant.post(
        path, files={"file": ("o.pdf", PDF, "application/pdf")}, data={"kind": "objection"}
    )
    assert objection.status_code == 201
    wrong_kind = await cast.merchant.post(
        path, files={"file": ("o.pdf", PDF, "application/pdf")}, data={"kind": "facts"}
    )
    assert wrong_kind.status_code == 403
    exe = await cast.merchant.post(
        path, files={"file": ("o.pdf", b"MZ" + b"\x00" * 50, "application/pdf")}, data={"kind": "objection"}
    )
    assert exe.status_code == 415
    assert len((await cast.merchant.get(path)).json()["items"]) == 2
    file_id = facts.json()["id"]
    assert (await cast.merchant.get(f"/registry/{created['id']}/evidence/{file_id}")).content == PNG
    for outsider in (new_client(), cast.other_merchant, cast.consumer):
        assert (await outsider.get(f"/registry/{created['id']}/evidence/{file_id}")).status_code == 404
