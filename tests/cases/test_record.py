"""The record keeps secrets (issue 11 item 3): salted commitments, sealed events, rows the chain vouches for,
and records made before the salts that still verify after the migration."""

from __future__ import annotations

import hashlib
import importlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from accord.canonical import canonical_json
from accord.clock import FrozenClock, WeekdayCalendar
from accord.modules import Runtime, installed, jobs_of
from accounts.seed import ensure_demo_accounts
from cases import record
from cases.seed import seed_demo_cases
from cases.service import verify_reference
from accounts.tables import User
from cases.tables import Case, CaseEvent, Evidence, Message, Offer
from tests.cases.conftest import Cast, act, file_case, to_mediation
from tests.cases.test_statement_counts import counted
from tests.cli import accord
from tests.conftest import BASE_TIME

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SEALED_KEYS = {"seq", "prev_hash", "commitment", "hash"}
RECHAIN = importlib.import_module("cases.piccolo_migrations.cases_2026_11_30t01_00_01_000000")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_chain_as_documented(events: list[dict[str, Any]]) -> None:
    """What any viewer can do with the record they get, following the formula in cases/record.py."""
    prev_hash = "0" * 64
    for event in events:
        assert event["prev_hash"] == prev_hash, event["seq"]
        if "salt" in event:
            at = datetime.fromisoformat(event["at"]).astimezone(UTC).isoformat(timespec="microseconds")
            content = {key: event[key] for key in ("seq", "type", "channel", "actor", "actor_role", "data", "writes")}
            assert sha256(record.canonical_json({**content, "at": at, "salt": event["salt"]})) == event["commitment"]
        assert sha256(prev_hash + event["commitment"]) == event["hash"], event["seq"]
        prev_hash = event["hash"]


async def case_id(case: dict[str, Any]) -> int:
    found = await Case.select(Case.id).where(Case.reference == case["reference"]).first()
    assert found is not None
    return int(found["id"])


async def post(client: Any, reference: str, channel: str, text: str) -> int:
    response = await client.post(f"/api/v1/cases/{reference}/messages", json={"channel": channel, "text": text})
    assert response.status_code == 201, response.text
    return response.json()["seq"]


# --- secrets -------------------------------------------------------------------------------------


async def test_a_party_cannot_confirm_a_guessed_caucus_or_internal_text(cast: Cast) -> None:
    case = await to_mediation(cast)
    reference = case["reference"]
    hidden = {
        await post(cast.mediator, reference, "caucus:merchant", "The merchant would refund 60 if pushed"),
        await post(cast.mediator, reference, "internal", "Consumer seems credible; press the merchant"),
    }
    own = await post(cast.consumer, reference, "caucus:consumer", "I would settle for 50")
    got = (await cast.consumer.get(f"/api/v1/cases/{reference}/record")).json()
    assert got["verified"] is True
    events = {event["seq"]: event for event in got["events"]}
    for seq in hidden:
        assert set(events[seq]) == SEALED_KEYS  # no actor, role, channel, type, time or data
    assert "refund 60" not in json.dumps(got) and "credible" not in json.dumps(got)
    check_chain_as_documented(got["events"])  # every link checks out, sealed ones included

    stored = {row["seq"]: row for row in await CaseEvent.select().where(CaseEvent.case == await case_id(case))}
    assert events[own]["salt"] == stored[own]["salt"] and len(bytes.fromhex(stored[own]["salt"])) >= 16
    for seq in hidden:
        # The best possible guess: the exact stored content, everything but the salt.
        guess = {**record.committed_content(stored[seq]), "salt": ""}
        unsalted = {key: value for key, value in guess.items() if key != "salt"}
        old_scheme = {key: value for key, value in unsalted.items() if key != "writes"}
        candidates = {
            sha256(record.canonical_json(content))
            for content in (guess, unsalted, old_scheme)
        } | {sha256(events[seq]["prev_hash"] + record.canonical_json(content)) for content in (unsalted, old_scheme)}
        candidates |= {sha256(events[seq]["prev_hash"] + commitment) for commitment in set(candidates)}
        assert events[seq]["hash"] not in candidates and events[seq]["commitment"] not in candidates


async def test_print_page_and_api_disclose_salts_only_with_what_the_viewer_may_read(cast: Cast) -> None:
    case = await to_mediation(cast)
    reference = case["reference"]
    merchant_only = await post(cast.mediator, reference, "caucus:merchant", "Between us: the lid was recalled")
    joint = await post(cast.consumer, reference, "joint", "Photos attached")
    salts = {
        row["seq"]: row["salt"]
        for row in await CaseEvent.select(CaseEvent.seq, CaseEvent.salt).where(CaseEvent.case == await case_id(case))
    }
    consumer_print = (await cast.consumer.get(f"/cases/{reference}/print")).text
    merchant_print = (await cast.merchant.get(f"/cases/{reference}/print")).text
    assert salts[joint] in consumer_print and salts[joint] in merchant_print
    assert salts[merchant_only] not in consumer_print and "the lid was recalled" not in consumer_print
    assert salts[merchant_only] in merchant_print and "the lid was recalled" in merchant_print
    assert consumer_print.count("not visible to you") == 1
    assert all(salt in consumer_print for seq, salt in salts.items() if seq != merchant_only)

    api = (await cast.consumer.get(f"/api/v1/cases/{reference}/record")).json()["events"]
    assert [("salt" in event) for event in api] == [seq != merchant_only for seq in sorted(salts)]
    assert all(event["salt"] == salts[event["seq"]] for event in api if "salt" in event)


# --- rows the record vouches for -----------------------------------------------------------------


async def negotiated_case(cast: Cast) -> tuple[dict[str, Any], dict[str, int]]:
    """A case with an offer, a file and a message; returns it and the seq of the event behind each."""
    case = await file_case(cast)
    reference = case["reference"]
    offer = {"kind": "offer", "text": "A full refund on return.", "remedies": [{"type": "return_and_refund"}]}
    offer["remedies"][0]["amount"] = {"amount": "199.00", "currency": "CNY"}
    responded = await act(cast.merchant, case, "respond", **offer)
    assert responded.status_code == 200, responded.text
    uploaded = await cast.consumer.post(
        f"/api/v1/cases/{reference}/evidence",
        files={"file": ("p.pdf", PDF + reference.encode(), "application/pdf")},
        data={"channel": "joint", "description": "The receipt"},
    )
    assert uploaded.status_code == 201, uploaded.text
    seqs = {"file": 1, "offer": 2, "evidence": 3}
    seqs["message"] = await post(cast.consumer, reference, "joint", "Fine by me once it is back.")
    return case, seqs


EDITS = {
    "message text": (Message, Message.text, "I never said that", "message"),
    "message author role": (Message, Message.author_role, "mediator", "message"),
    "evidence description": (Evidence, Evidence.description, "A forged receipt", "evidence"),
    "evidence hash": (Evidence, Evidence.sha256, "0" * 64, "evidence"),
    "evidence file name": (Evidence, Evidence.file_name, "receipt-forged.pdf", "evidence"),
    "offer text": (Offer, Offer.text, "Nothing at all.", "offer"),
    "offer status": (Offer, Offer.status, "accepted", "offer"),
    "filed description": (Case, Case.description, "It was all fine really.", "file"),
    "filed amount": (Case, Case.amount_paid, 1, "file"),
    "case state": (Case, Case.state, "resolved", "offer"),  # respond moved the case to negotiating
}


@pytest.mark.parametrize("edit", list(EDITS))
async def test_editing_a_row_the_pages_show_breaks_verification_at_its_event(cast: Cast, edit: str) -> None:
    table, column, value, made_by = EDITS[edit]
    case, seqs = await negotiated_case(cast)
    reference = case["reference"]
    found = await case_id(case)
    assert (await record.verify(found)).verified
    assert "record verified" in (await cast.merchant.get(f"/cases/{reference}")).text  # the page keeps the record
    await table.update({column: value}).where((table.id if table is Case else table.case) == found)

    broken = accord("verify-case", reference)
    assert broken.returncode == 1 and f"BROKEN at seq {seqs[made_by]}:" in broken.stderr, broken.stderr
    assert column._meta.name in broken.stderr
    api = (await cast.consumer.get(f"/api/v1/cases/{reference}/record")).json()
    assert api["verified"] is False and api["first_bad_seq"] == seqs[made_by]
    page = (await cast.merchant.get(f"/cases/{reference}")).text
    assert f"record damaged at event {seqs[made_by]}" in page and "record verified" not in page


async def test_a_row_no_event_made_breaks_verification(cast: Cast) -> None:
    case, seqs = await negotiated_case(cast)
    smuggled = {"case": await case_id(case), "channel": "joint", "author": cast.mediator_id, "author_role": "consumer"}
    await Message.insert(Message(**smuggled, seq=seqs["message"] + 1, text="Added later", created_at=BASE_TIME))
    verification = await record.verify(await case_id(case))
    assert not verification.verified and verification.first_bad_seq == seqs["message"] + 1
    assert "made by no event" in (verification.problem or "")


# --- records from before the salts ---------------------------------------------------------------


async def to_pre_salt_record(case_id: int) -> None:
    """Rewrite a case's record as the code before the migration made it: no salt, no writes, old hashes."""
    prev_hash = record.GENESIS_HASH
    for event in await record.events_of(case_id):
        content = record.committed_content(event)
        del content["writes"], content["salt"]
        event_hash = sha256(prev_hash + record.canonical_json(content))
        await CaseEvent.update(
            {CaseEvent.salt: "", CaseEvent.writes: "{}", CaseEvent.prev_hash: prev_hash, CaseEvent.hash: event_hash}
        ).where(CaseEvent.id == event["id"])
        prev_hash = event_hash
    await Case.update({Case.last_hash: prev_hash}).where(Case.id == case_id)


async def test_records_from_before_the_salts_verify_after_the_migration(app: Any, cast: Cast) -> None:
    first_new = ((await Case.select(Case.id).order_by(Case.id, ascending=False).first()) or {"id": 0})["id"] + 1
    clock = FrozenClock(BASE_TIME)
    await ensure_demo_accounts(clock)
    await seed_demo_cases(clock, WeekdayCalendar())  # every state, offers, proposals, an appeal: the old workflow's full range
    # Advance compensation (its recourse claims) came long after the salts: no record from before has one.
    demo = (
        await Case.select(Case.id, Case.reference)
        .where(Case.id >= first_new, Case.compensated_by.is_null())
        .order_by(Case.id)
    )
    assert len(demo) >= 10
    damaged, later_edited = [
        {"id": await case_id(case), "reference": case["reference"]}
        for case, _seqs in [await negotiated_case(cast), await negotiated_case(cast)]
    ]
    cases = [*demo, damaged, later_edited]
    before = {}
    for case in cases:
        await to_pre_salt_record(case["id"])
        assert not (await record.verify(case["id"])).verified  # the old scheme does not pass for the new one
        before[case["id"]] = await CaseEvent.select(CaseEvent.seq, CaseEvent.data).where(
            CaseEvent.case == case["id"]
        ).order_by(CaseEvent.seq)
    await CaseEvent.update({CaseEvent.data: '{"text":"edited before the migration"}'}).where(
        CaseEvent.case == damaged["id"], CaseEvent.seq == 3
    )

    await RECHAIN._rechain()

    for case in [*demo, later_edited]:
        verification = await record.verify(case["id"])
        assert verification.verified, (case["reference"], verification)
        events = await record.events_of(case["id"])
        assert all(len(event["salt"]) == 32 for event in events)
        assert [(e["seq"], e["data"]) for e in events] == [(e["seq"], e["data"]) for e in before[case["id"]]]
    still_damaged = await record.verify(damaged["id"])  # re-chained up to the damage, not past it
    assert not still_damaged.verified and still_damaged.first_bad_seq == 3
    # Once migrated, the rows are vouched for too.
    await Case.update({Case.product_name: "Something else"}).where(Case.id == later_edited["id"])
    assert (await record.verify(later_edited["id"])).first_bad_seq == 1


# --- verified once, not per view -----------------------------------------------------------------


async def forge_event(case_id: int, seq: int) -> None:
    """Edit what an event says without touching any row it made: only its hash can tell."""
    event = await CaseEvent.select(CaseEvent.data).where(CaseEvent.case == case_id, CaseEvent.seq == seq).first()
    forged = {**json.loads(event["data"]), "forged": True}
    await CaseEvent.update({CaseEvent.data: json.dumps(forged)}).where(CaseEvent.case == case_id, CaseEvent.seq == seq)


async def test_pages_trust_the_verified_head_until_the_record_check_finds_the_edit(app: Any, cast: Cast) -> None:
    case, seqs = await negotiated_case(cast)
    reference, found = case["reference"], await case_id(case)
    # Only this case is due for the check now (the others of this test run wait until much later).
    await Case.update({Case.verified_at: BASE_TIME + timedelta(days=3650)}).where(Case.id != found)
    check = next(job for job in jobs_of(installed()) if job.name == "record check")
    runtime = Runtime(app.state.settings, FrozenClock(BASE_TIME), app.state.calendar)

    assert list(check.report(await check.run(runtime))) == []
    head = await Case.select(Case.verified_seq, Case.verified_hash, Case.last_seq, Case.last_hash).where(
        Case.id == found
    ).first()
    assert (head["verified_seq"], head["verified_hash"]) == (head["last_seq"], head["last_hash"])

    await forge_event(found, seqs["offer"])
    page = (await cast.merchant.get(f"/cases/{reference}")).text
    assert "record verified" in page  # under the head: not recomputed on a view
    assert list(check.report(await check.run(runtime))) == []  # checked a day ago at most: not due yet

    runtime = Runtime(app.state.settings, FrozenClock(BASE_TIME + timedelta(days=1, minutes=1)), app.state.calendar)
    assert list(check.report(await check.run(runtime))) == [
        f"{reference} record BROKEN at seq {seqs['offer']}: the event's hash does not match its content"
    ]
    page = (await cast.merchant.get(f"/cases/{reference}")).text
    assert f"record damaged at event {seqs['offer']}" in page and "record verified" not in page
    assert (await Case.select(Case.verified_seq).where(Case.id == found).first())["verified_seq"] is None


async def verified_head(found: int) -> dict[str, Any]:
    head = await Case.select(Case.verified_seq, Case.verified_at).where(Case.id == found).first()
    assert head is not None
    return head


async def test_events_after_the_head_are_verified_on_every_view(cast: Cast) -> None:
    case, seqs = await negotiated_case(cast)
    reference, found = case["reference"], await case_id(case)
    await verify_reference(reference, BASE_TIME)
    head = await verified_head(found)
    later = await post(cast.merchant, reference, "joint", "It is on its way back.")

    await forge_event(found, later)
    for viewer in (cast.consumer, cast.merchant):
        assert f"record damaged at event {later}" in (await viewer.get(f"/cases/{reference}")).text
    assert await verified_head(found) == head  # a view that found damage keeps the head where it was


async def test_a_page_reads_only_the_events_after_the_head_it_verified(cast: Cast) -> None:
    case, seqs = await negotiated_case(cast)
    reference = case["reference"]
    first = (await cast.merchant.get(f"/cases/{reference}")).text
    assert "record verified" in first
    async with counted() as statements:
        again = (await cast.merchant.get(f"/cases/{reference}")).text
    assert again == first
    read = [sql for sql in statements if sql.startswith("SELECT event.*")]  # the record's events
    assert len(read) == 1 and "event.seq > {after}" in read[0], statements

    later = await post(cast.consumer, reference, "joint", "Sent back today.")
    shown = (await cast.merchant.get(f"/cases/{reference}")).text
    assert "Sent back today." in shown and "record verified" in shown
    found = await case_id(case)
    assert (await Case.select(Case.verified_seq).where(Case.id == found).first())["verified_seq"] == later


async def test_a_page_from_a_kept_record_is_the_page_read_afresh_for_every_viewer(cast: Cast) -> None:
    """What a process keeps of a verified record is the same for every viewer: each still sees only their
    channels, and people under the names they have now."""
    case = await to_mediation(cast)
    reference = case["reference"]
    await post(cast.mediator, reference, "caucus:merchant", "Between us: would you refund half?")
    await post(cast.mediator, reference, "caucus:consumer", "Between us: would half do?")
    await post(cast.mediator, reference, "internal", "A note for mediators")
    await post(cast.merchant, reference, "joint", "We can offer half.")
    viewers = {"consumer": cast.consumer, "merchant": cast.merchant, "mediator": cast.mediator}
    name = (await User.select(User.display_name).where(User.id == cast.mediator_id).first())["display_name"]
    try:
        for renamed in ("", "Mediator Renamed"):
            if renamed:  # names change, the record does not
                await User.update({User.display_name: renamed}).where(User.id == cast.mediator_id)
            for role, viewer in viewers.items():
                await viewer.get(f"/cases/{reference}")
                kept = (await viewer.get(f"/cases/{reference}")).text
                record._kept.prefixes.clear()
                afresh = (await viewer.get(f"/cases/{reference}")).text
                assert kept == afresh, role
                assert "record verified" in kept and ("Mediator Renamed" in kept) is bool(renamed), role
                assert ("A note for mediators" in kept) is (role == "mediator"), role
    finally:
        await User.update({User.display_name: name}).where(User.id == cast.mediator_id)


def test_a_process_keeps_the_records_it_used_last(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record, "_kept", record.KeptRecords(events=4))

    def events(case: int, count: int) -> list[dict[str, Any]]:
        return [{"seq": seq, "type": "respond", "hash": f"{case}-{seq}", "writes": {}} for seq in range(1, count + 1)]

    for case in (1, 2):
        record.keep_prefix(case, record.fold(events(case, 2)))
    assert record._kept.get((1, 2, "1-2"))  # a page used it
    record.keep_prefix(3, record.fold(events(3, 1)))
    assert list(record._kept.prefixes) == [(1, 2, "1-2"), (3, 1, "3-1")] and record._kept.held == 3
    record.keep_prefix(4, record.fold([]))  # nothing to keep
    record.keep_prefix(5, record.fold(events(5, 9)))  # more than all: kept alone
    assert list(record._kept.prefixes) == [(5, 9, "5-9")] and record._kept.held == 9


async def test_a_view_that_verified_the_newer_events_moves_the_head_up_to_them(cast: Cast) -> None:
    case, seqs = await negotiated_case(cast)
    reference, found = case["reference"], await case_id(case)
    await verify_reference(reference, BASE_TIME)
    checked_at = (await verified_head(found))["verified_at"]
    later = await post(cast.merchant, reference, "joint", "It is on its way back.")
    assert "record verified" in (await cast.consumer.get(f"/cases/{reference}")).text
    # The head moved; the time of the last full verification, which the daily check goes by, did not.
    assert await verified_head(found) == {"verified_seq": later, "verified_at": checked_at}

    await forge_event(found, later)  # now under the head: the next full verification finds it
    assert "record verified" in (await cast.consumer.get(f"/cases/{reference}")).text
    assert (await verify_reference(reference, BASE_TIME)).first_bad_seq == later
    assert f"record damaged at event {later}" in (await cast.consumer.get(f"/cases/{reference}")).text
    assert (await verified_head(found))["verified_seq"] is None


async def test_a_view_does_not_move_a_head_a_full_verification_moved_or_cleared_meanwhile(cast: Cast) -> None:
    case, seqs = await negotiated_case(cast)
    reference, found = case["reference"], await case_id(case)
    await verify_reference(reference, BASE_TIME)
    events = await record.events_of(found)
    good = record.Verification(verified=True, events=len(events))
    # The view read the case before the full verification (no head then) and verified the events it read.
    await record.advance_head({"id": found, "verified_seq": None}, events[:-1], good)
    assert (await verified_head(found))["verified_seq"] == len(events)  # the full verification's head stands

    await Case.update({Case.verified_seq: None, Case.verified_hash: None}).where(Case.id == found)  # it found damage
    read_before = {"id": found, "verified_seq": len(events) - 1}
    await record.advance_head(read_before, events, good)
    assert (await verified_head(found))["verified_seq"] is None
    await record.advance_head({"id": found, "verified_seq": None}, events, record.Verification(False, len(events)))
    assert (await verified_head(found))["verified_seq"] is None  # a view that found damage moves nothing


async def test_verify_case_clears_the_head_of_a_damaged_record(cast: Cast) -> None:
    case, seqs = await negotiated_case(cast)
    reference, found = case["reference"], await case_id(case)
    assert (await verify_reference(reference, BASE_TIME)).verified
    await forge_event(found, seqs["file"])
    assert "record verified" in (await cast.merchant.get(f"/cases/{reference}")).text
    # The print page, an export, verifies in full whatever the head says.
    assert "The hash chain is broken at event 1." in (await cast.merchant.get(f"/cases/{reference}/print")).text

    assert (await verify_reference(reference, BASE_TIME)).first_bad_seq == seqs["file"]
    assert "record damaged at event 1" in (await cast.merchant.get(f"/cases/{reference}")).text


def test_a_head_that_no_longer_ends_the_same_event_vouches_for_nothing() -> None:
    events = [{"seq": 1, "hash": "a" * 64}, {"seq": 2, "hash": "b" * 64}]
    assert record.trusted_events(events, {"verified_seq": 2, "verified_hash": "b" * 64}) == 2
    assert record.trusted_events(events, {"verified_seq": 2, "verified_hash": "c" * 64}) == 0  # rewritten since
    assert record.trusted_events(events, {"verified_seq": 3, "verified_hash": "b" * 64}) == 0  # cut short
    assert record.trusted_events(events, {"verified_seq": None, "verified_hash": None}) == 0


@pytest.mark.parametrize(
    ("actor", "data", "writes"),
    [
        (None, {}, {}),
        (7, {"text": 'Ünïcode "quoted" \\ 中文\n\u2028', "n": [1, None, True]}, {"case": {"b": 1, "a": "x"}}),
    ],
)
def test_a_commitment_put_together_from_stored_json_is_the_one_verification_computes(
    actor: int | None, data: dict[str, Any], writes: dict[str, Any]
) -> None:
    """A bulk seed hashes the data and writes it stores (canonical JSON) without encoding them again."""
    event = {"seq": 3, "type": "respond", "channel": "caucus:consumer", "actor": actor, "actor_role": "merchant"}
    event |= {"at": datetime(2026, 11, 30, 16, 15, tzinfo=timezone(timedelta(hours=8))), "salt": "5a" * 16}
    event |= {"data": canonical_json(data), "writes": canonical_json(writes)}
    assert record.encoded_commitment(**event) == record.commitment(event)


def test_values_the_record_keeps_as_they_are() -> None:
    assert [record.recorded_value("state", value) for value in (None, True, 3, "filed")] == [None, True, 3, "filed"]
    assert record.recorded_value("remedies", '[{"type": "refund"}]') == [{"type": "refund"}]  # JSON text: parsed
    assert record.recorded_value("filed_at", datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00.000000+00:00"
