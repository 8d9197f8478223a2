"""The case API as a client uses it: filing, visibility on every route, actions, messages, evidence, record."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import pytest

from cases.tables import Case, CaseEvent, Evidence, Message
from tests.cases.conftest import MONEY, Cast, act, file_case, filing_body, to_mediation
from tests.conftest import UserFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- filing --------------------------------------------------------------------------------------


async def test_invalid_gtin_is_a_field_error_and_nothing_is_stored(cast: Cast) -> None:
    before = await Case.count()
    response = await cast.consumer.post("/api/v1/cases", json=filing_body(cast.enterprise_id, gtin="6291041500214"))
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["gtin"]
    assert "check digit" in response.json()["errors"][0]["message"]
    assert await Case.count() == before


async def test_valid_gtin_and_trace_code_are_stored_parsed_and_shown(cast: Cast) -> None:
    case = await file_case(cast, gtin="6291041500213", trace_code="(01)09521234543213(10)ABC123(21)XYZ")
    assert case["gtin"] == "06291041500213"
    assert case["trace"] == {"gtin": "09521234543213", "batch": "ABC123", "serial": "XYZ", "expiry": None}
    assert re.fullmatch(r"AC-2026-\d{8}", case["reference"]), case["reference"]
    assert case["state"] == "filed" and case["version"] == 1
    assert case["amount_paid"] == MONEY
    assert set(case["deadlines"]) == {"merchant_response", "negotiation_limit"}
    assert "withdraw" in case["allowed_actions"] and "respond" not in case["allowed_actions"]
    merchant_view = (await cast.merchant.get(f"/api/v1/cases/{case['reference']}")).json()
    assert merchant_view["trace"]["batch"] == "ABC123" and "respond" in merchant_view["allowed_actions"]


async def test_digital_link_trace_code_and_gtin_from_it(cast: Cast) -> None:
    case = await file_case(cast, trace_code="https://id.gs1.org/01/09521234543213/10/LOT7?17=271231")
    assert case["gtin"] == "09521234543213"
    assert case["trace"]["expiry"] == "2027-12-31" and case["trace"]["batch"] == "LOT7"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purchase_date": "2027-01-01"}, "purchase_date"),
        ({"amount_paid": {"amount": "12.345", "currency": "CNY"}}, "amount_paid"),
        ({"amount_paid": {"amount": "10", "currency": "XXY"}}, "amount_paid.currency"),
        ({"amount_paid": {"amount": "-5", "currency": "USD"}}, "amount_paid.amount"),
        ({"trace_code": "(01)09521234543214(10)A"}, "trace_code"),
        ({"category": "angry"}, "category"),
        ({"description": "   "}, "description"),
        ({"enterprise_id": 99999999}, "enterprise_id"),
        ({"state": "resolved"}, "state"),
    ],
)
async def test_bad_filings_name_the_field(cast: Cast, change: dict[str, Any], field: str) -> None:
    before = await Case.count()
    response = await cast.consumer.post("/api/v1/cases", json=filing_body(cast.enterprise_id, **change))
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await Case.count() == before


async def test_old_purchase_is_a_warning_not_an_error(cast: Cast) -> None:
    case = await file_case(cast, purchase_date="2022-06-01")
    assert case["warnings"] and "three years" in case["warnings"][0]


async def test_new_unverified_enterprise_can_be_named(cast: Cast) -> None:
    body = filing_body(0)
    del body["enterprise_id"]
    body["enterprise"] = {"name": "Overseas Gadgets Ltd", "country": "GB"}
    response = await cast.consumer.post("/api/v1/cases", json=body)
    assert response.status_code == 201
    assert response.json()["enterprise"]["verified"] is False
    assert response.json()["enterprise"]["name"] == "Overseas Gadgets Ltd"


async def test_only_consumers_file(cast: Cast) -> None:
    response = await cast.merchant.post("/api/v1/cases", json=filing_body(cast.enterprise_id))
    assert response.status_code == 403


# --- visibility on every route -------------------------------------------------------------------


async def test_outsiders_get_404_on_every_case_route(cast: Cast, new_client: Any) -> None:
    case = await file_case(cast)
    reference = case["reference"]
    upload = await cast.consumer.post(
        f"/api/v1/cases/{reference}/evidence", files={"file": ("box.png", PNG, "image/png")}, data={"channel": "joint"}
    )
    evidence_id = upload.json()["id"]
    routes = [
        ("GET", f"/api/v1/cases/{reference}", None),
        ("GET", f"/api/v1/cases/{reference}/messages", None),
        ("POST", f"/api/v1/cases/{reference}/messages", {"channel": "joint", "text": "hi"}),
        ("GET", f"/api/v1/cases/{reference}/evidence", None),
        ("GET", f"/api/v1/cases/{reference}/evidence/{evidence_id}", None),
        ("GET", f"/api/v1/cases/{reference}/record", None),
        ("POST", f"/api/v1/cases/{reference}/actions/withdraw", {"version": 1}),
        ("POST", f"/api/v1/cases/{reference}/actions/respond", {"version": 1, "kind": "question", "text": "?"}),
    ]
    for outsider in (cast.other_consumer, cast.other_merchant):
        for method, path, body in routes:
            response = await outsider.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.status_code)
    upload_attempt = await cast.other_merchant.post(
        f"/api/v1/cases/{reference}/evidence", files={"file": ("x.png", PNG, "image/png")}
    )
    assert upload_attempt.status_code == 404
    listed = (await cast.other_consumer.get("/api/v1/cases")).json()["items"]
    assert reference not in [item["reference"] for item in listed]
    anonymous = new_client()
    assert (await anonymous.get(f"/api/v1/cases/{reference}")).status_code == 401
    assert (await Case.select(Case.state).where(Case.reference == reference).first())["state"] == "filed"


async def test_channels_per_role_on_messages_evidence_and_record(cast: Cast) -> None:
    case = await to_mediation(cast)
    reference = case["reference"]
    posts = {
        "joint": cast.consumer,
        "caucus:consumer": cast.consumer,
        "caucus:merchant": cast.merchant,
        "internal": cast.mediator,
    }
    for channel, client in posts.items():
        response = await client.post(
            f"/api/v1/cases/{reference}/messages", json={"channel": channel, "text": f"in {channel}"}
        )
        assert response.status_code == 201, (channel, response.text)
        evidence = await client.post(
            f"/api/v1/cases/{reference}/evidence",
            files={"file": ("f.pdf", PDF + channel.encode(), "application/pdf")},
            data={"channel": channel},
        )
        assert evidence.status_code == 201, evidence.text
    expected = {
        "consumer": (cast.consumer, {"joint", "caucus:consumer"}),
        "merchant": (cast.merchant, {"joint", "caucus:merchant"}),
        "mediator": (cast.mediator, {"joint", "caucus:consumer", "caucus:merchant", "internal"}),
        # need to know: a mediator who does not hold the case reads what the queue needs, nothing private
        "other mediator": (cast.other_mediator, {"joint"}),
        "admin": (cast.admin, {"joint", "caucus:consumer", "caucus:merchant", "internal"}),
    }
    for who, (client, channels) in expected.items():
        seen = {m["channel"] for m in (await client.get(f"/api/v1/cases/{reference}/messages")).json()["items"]}
        assert seen == channels, who
        files = (await client.get(f"/api/v1/cases/{reference}/evidence")).json()["items"]
        assert {f["channel"] for f in files} == channels, who
        record = (await client.get(f"/api/v1/cases/{reference}/record")).json()
        assert record["verified"] is True
        readable = {e["channel"] for e in record["events"] if "data" in e} - {"parties"}
        assert readable == channels, who
        assert all(e["hash"] and e["prev_hash"] for e in record["events"])
    internal_file = (
        await Evidence.select(Evidence.id)
        .where(Evidence.channel == "internal")
        .order_by(Evidence.id, ascending=False)
        .first()
    )
    for client in (cast.consumer, cast.merchant, cast.other_mediator):
        assert (await client.get(f"/api/v1/cases/{reference}/evidence/{internal_file['id']}")).status_code == 404
    assert (await cast.admin.get(f"/api/v1/cases/{reference}/evidence/{internal_file['id']}")).status_code == 200


async def test_parties_cannot_write_in_channels_that_are_not_theirs(cast: Cast) -> None:
    case = await file_case(cast)
    reference = case["reference"]
    hidden = await cast.consumer.post(f"/api/v1/cases/{reference}/messages", json={"channel": "internal", "text": "x"})
    assert hidden.status_code == 404
    other_caucus = await cast.consumer.post(
        f"/api/v1/cases/{reference}/messages", json={"channel": "caucus:merchant", "text": "x"}
    )
    assert other_caucus.status_code == 404
    before_mediation = await cast.consumer.post(
        f"/api/v1/cases/{reference}/messages", json={"channel": "caucus:consumer", "text": "x"}
    )
    assert before_mediation.status_code == 403  # caucus opens once a mediator holds the case
    read_only = await cast.admin.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": "x"})
    assert read_only.status_code == 403
    assert await Message.count().where(Message.text == "x") == 0


async def test_message_client_id_is_idempotent(cast: Cast) -> None:
    case = await file_case(cast)
    path = f"/api/v1/cases/{case['reference']}/messages"
    first = await cast.consumer.post(path, json={"channel": "joint", "text": "Hello", "client_id": "c-1"})
    events = await CaseEvent.count().where(CaseEvent.case.reference == case["reference"])
    again = await cast.consumer.post(path, json={"channel": "joint", "text": "Hello", "client_id": "c-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["seq"] == again.json()["seq"]
    assert await CaseEvent.count().where(CaseEvent.case.reference == case["reference"]) == events  # nothing stored
    other = await cast.merchant.post(path, json={"channel": "joint", "text": "Hi", "client_id": "c-1"})  # not theirs
    assert other.status_code == 201 and other.json()["seq"] == first.json()["seq"] + 1
    items = (await cast.merchant.get(path)).json()["items"]
    assert [m["text"] for m in items] == ["Hello", "Hi"]
    after = (await cast.merchant.get(path, params={"after": first.json()["seq"]})).json()["items"]
    assert [m["text"] for m in after] == ["Hi"]
    assert (await cast.merchant.get(f"/api/v1/cases/{case['reference']}/record")).json()["verified"]


async def test_messages_hold_at_most_5000_characters(cast: Cast) -> None:
    case = await file_case(cast)
    path = f"/api/v1/cases/{case['reference']}/messages"
    too_long = await cast.consumer.post(path, json={"channel": "joint", "text": "x" * 5001})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "text"
    assert (await cast.consumer.post(path, json={"channel": "joint", "text": "y" * 5000})).status_code == 201
    assert [len(m["text"]) for m in (await cast.merchant.get(path)).json()["items"]] == [5000]


async def test_message_pages_follow_next_cursor_as_cursor_or_after(cast: Cast) -> None:
    case = await file_case(cast)
    path = f"/api/v1/cases/{case['reference']}/messages"
    for number in range(5):
        await cast.consumer.post(path, json={"channel": "joint", "text": f"m{number}"})
    first = (await cast.merchant.get(path, params={"limit": 2})).json()
    assert [m["text"] for m in first["items"]] == ["m0", "m1"]
    by_cursor = (await cast.merchant.get(path, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    by_after = (await cast.merchant.get(path, params={"limit": 2, "after": first["next_cursor"]})).json()
    assert [m["text"] for m in by_cursor["items"]] == [m["text"] for m in by_after["items"]] == ["m2", "m3"]
    bad = await cast.merchant.get(path, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


# --- negotiation ---------------------------------------------------------------------------------


async def test_offer_accepted_settles_and_twin_acceptance_is_409(cast: Cast) -> None:
    case = await file_case(cast)
    reference = case["reference"]
    responded = await act(
        cast.merchant,
        case,
        "respond",
        kind="offer",
        text="Full refund.",
        remedies=[{"type": "refund", "amount": MONEY}],
    )
    assert responded.status_code == 200, responded.text
    state = responded.json()
    assert state["state"] == "negotiating" and state["offers"][0]["remedies"][0]["amount"] == MONEY
    offer_id = state["offers"][0]["id"]
    consumer_view = (await cast.consumer.get(f"/api/v1/cases/{reference}")).json()
    body = {"version": consumer_view["version"], "offer_id": offer_id}
    path = f"/api/v1/cases/{reference}/actions/accept_offer"
    first, second = await asyncio.gather(cast.consumer.post(path, json=body), cast.consumer.post(path, json=body))
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = first if first.status_code == 409 else second
    assert "settled" in loser.json()["detail"]
    settled = (await cast.consumer.get(f"/api/v1/cases/{reference}")).json()
    assert settled["state"] == "settled" and settled["settlement"]["id"] == offer_id
    transitions = await CaseEvent.count().where(
        CaseEvent.case == (await Case.select(Case.id).where(Case.reference == reference).first())["id"],
        CaseEvent.type == "accept_offer",
    )
    assert transitions == 1


async def test_stale_version_and_wrong_role_and_missing_version(cast: Cast) -> None:
    case = await file_case(cast)
    path = f"/api/v1/cases/{case['reference']}/actions/withdraw"
    stale = await cast.consumer.post(path, json={"version": 7})
    assert stale.status_code == 409 and "version 1" in stale.json()["detail"]
    merchant = await cast.merchant.post(path, json={"version": 1})
    assert merchant.status_code == 403
    missing = await cast.consumer.post(path, json={})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "version"
    unknown = await cast.consumer.post(f"/api/v1/cases/{case['reference']}/actions/explode", json={"version": 1})
    assert unknown.status_code == 404
    bad_payload = await act(cast.merchant, case, "respond", kind="offer", text="x")
    assert bad_payload.status_code == 422
    done = await cast.consumer.post(path, json={"version": 1, "reason": "Sorted it out myself."})
    assert done.status_code == 200 and done.json()["state"] == "withdrawn"


async def test_counter_offers_and_mediation_request(cast: Cast) -> None:
    case = await file_case(cast)
    await act(cast.merchant, case, "respond", kind="question", text="Can you send a photo of the lid?")
    counter = await act(
        cast.consumer,
        case,
        "counter_offer",
        text="A replacement would do.",
        remedies=[{"type": "replacement", "description": "A new thermos"}],
    )
    assert counter.status_code == 200 and counter.json()["offers"][0]["by"] == "consumer"
    own = await act(cast.consumer, case, "accept_offer", offer_id=counter.json()["offers"][0]["id"])
    assert own.status_code == 409
    merchant_counter = await act(
        cast.merchant,
        case,
        "counter_offer",
        text="Half refund.",
        remedies=[{"type": "partial_refund", "amount": {"amount": "99.50", "currency": "CNY"}}],
    )
    offers = merchant_counter.json()["offers"]
    assert [o["status"] for o in offers] == ["superseded", "open"]
    mediation = await act(cast.consumer, case, "request_mediation")
    assert mediation.status_code == 200 and mediation.json()["state"] == "awaiting_mediator"
    assert "admissibility" in mediation.json()["deadlines"]


# --- evidence ------------------------------------------------------------------------------------


async def test_renamed_exe_is_415_and_nothing_is_stored(cast: Cast) -> None:
    case = await file_case(cast)
    before = await Evidence.count()
    response = await cast.consumer.post(
        f"/api/v1/cases/{case['reference']}/evidence",
        files={"file": ("holiday.jpg", b"MZ\x90\x00" + b"\x00" * 200, "image/jpeg")},
    )
    assert response.status_code == 415
    assert "JPEG, PNG or WebP images and PDF" in response.json()["detail"]
    assert await Evidence.count() == before


async def test_evidence_too_large_is_413(cast: Cast) -> None:
    case = await file_case(cast)
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = await cast.consumer.post(
        f"/api/v1/cases/{case['reference']}/evidence", files={"file": ("big.pdf", io.BytesIO(big), "application/pdf")}
    )
    assert response.status_code == 413


async def test_evidence_is_served_with_sniffed_type_to_those_who_may_see_it(cast: Cast) -> None:
    case = await file_case(cast)
    upload = await cast.consumer.post(
        f"/api/v1/cases/{case['reference']}/evidence",
        files={"file": ("receipt.txt", PDF, "text/plain")},
        data={"description": "Receipt"},
    )
    assert upload.status_code == 201
    body = upload.json()
    assert body["media_type"] == "application/pdf" and body["size"] == len(PDF) and len(body["sha256"]) == 64
    download = await cast.merchant.get(f"/api/v1/cases/{case['reference']}/evidence/{body['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "receipt" not in download.headers["content-disposition"]


async def test_at_most_twenty_files_per_case(cast: Cast) -> None:
    case = await file_case(cast)
    path = f"/api/v1/cases/{case['reference']}/evidence"
    for number in range(20):
        response = await cast.consumer.post(
            path, files={"file": ("p.pdf", PDF + str(number).encode(), "application/pdf")}
        )
        assert response.status_code == 201
    refused = await cast.consumer.post(path, files={"file": ("p.pdf", PDF + b"x", "application/pdf")})
    assert refused.status_code == 409


# --- record --------------------------------------------------------------------------------------


async def test_record_chain_and_tampering_detected_by_cli(cast: Cast, make_user: UserFactory) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    case = await file_case(cast)
    reference = case["reference"]
    await cast.consumer.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": "first"})
    await cast.merchant.post(f"/api/v1/cases/{reference}/messages", json={"channel": "joint", "text": "second"})
    record = (await cast.consumer.get(f"/api/v1/cases/{reference}/record")).json()
    assert record["verified"] is True and [e["seq"] for e in record["events"]] == [1, 2, 3]
    assert record["events"][0]["prev_hash"] == "0" * 64
    assert record["events"][1]["prev_hash"] == record["events"][0]["hash"]
    accord = str(Path(sys.executable).with_name("accord"))
    ok = subprocess.run([accord, "verify-case", reference], capture_output=True, text=True, env=os.environ.copy())
    assert ok.returncode == 0 and "verified (3 events)" in ok.stdout

    case_id = (await Case.select(Case.id).where(Case.reference == reference).first())["id"]
    await CaseEvent.update({CaseEvent.data: '{"text":"edited later"}'}).where(
        CaseEvent.case == case_id, CaseEvent.seq == 2
    )
    broken = subprocess.run([accord, "verify-case", reference], capture_output=True, text=True, env=os.environ.copy())
    assert broken.returncode == 1 and "seq 2" in broken.stderr
    assert (await cast.consumer.get(f"/api/v1/cases/{reference}/record")).json()["verified"] is False


async def test_case_lists_are_scoped_and_paginated(cast: Cast) -> None:
    references = [(await file_case(cast))["reference"] for _ in range(3)]
    first = (await cast.consumer.get("/api/v1/cases", params={"limit": 2})).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (await cast.consumer.get("/api/v1/cases", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    seen = [item["reference"] for item in first["items"] + second["items"]]
    assert set(references) <= set(seen) and len(seen) == len(set(seen))
    merchant_refs = {
        item["reference"] for item in (await cast.merchant.get("/api/v1/cases", params={"limit": 100})).json()["items"]
    }
    assert set(references) <= merchant_refs
    filtered = (await cast.merchant.get("/api/v1/cases", params={"state": "negotiating"})).json()["items"]
    assert not set(references) & {item["reference"] for item in filtered}
    due = (await cast.merchant.get("/api/v1/cases", params={"due_soon": True})).json()["items"]
    assert not set(references) & {item["reference"] for item in due}  # 10 working days away
