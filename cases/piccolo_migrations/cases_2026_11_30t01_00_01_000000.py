"""Records made before salted commitments move to the scheme of cases/record.py.

The old chain hashed each event's content directly, `hash = sha256(prev_hash + canonical_json(event))`, so a
party could test a guessed caucus text against the hash of an event they could not read. For every case,
the events whose old chain still verifies get a fresh salt, the writes the old record implies (the case
and offer columns each one set, worked out below as the workflow of the time made them) and a new hash,
and the case's head follows. The facts a filing's old event never held (the case's reference, its
enterprise, the parsed trace fields) and the texts of settlement proposals (which old proposal events left
out) are taken from the rows as found: from now on the record vouches for them too.

A record that no longer verified is re-chained only up to the first event that does not fit; that event
and the ones after it are left exactly as they were, so `accord verify-case` still names where it was
damaged instead of the migration laundering the damage.

Everything here is frozen as of this migration (formulas included): later changes to cases/record.py must
not change what it does.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-30T01:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "record salts and writes: re-chain existing records"

GENESIS_HASH = "0" * 64
TERMINAL = frozenset({"resolved", "unresolved", "declined", "withdrawn"})
FILED_FACTS = (
    "category",
    "order_number",
    "platform",
    "purchase_date",
    "product_name",
    "gtin",
    "trace_code",
    "waybill",
    "desired_remedy",
    "description",
    "language",
)
FOUND_FACTS = ("reference", "enterprise", "trace_gtin", "trace_batch", "trace_serial", "trace_expiry")
FRESH_CASE = {
    "mediator": None,
    "previous_mediator": None,
    "version": 1,
    "is_appeal": False,
    "appealed": False,
    "merchant_responded": False,
    "decline_reason": None,
    "settlement": None,
    "fulfilment_marked_at": None,
    "info_requested_from": None,
    "terminal_at": None,
    "rating": None,
    "rating_comment": None,
}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _timestamp(value: Any) -> str:
    return _moment(value).astimezone(UTC).isoformat(timespec="microseconds")


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _content(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": event["seq"],
        "type": event["type"],
        "channel": event["channel"],
        "actor": event["actor"],
        "actor_role": event["actor_role"],
        "at": _timestamp(event["at"]),
        "data": json.loads(event["data"]),
    }


def _old_hash(prev_hash: str, event: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + _canonical(_content(event))).encode()).hexdigest()


def _new_hash(prev_hash: str, event: dict[str, Any], writes: dict[str, Any], salt: str) -> str:
    committed = hashlib.sha256(_canonical({**_content(event), "writes": writes, "salt": salt}).encode()).hexdigest()
    return hashlib.sha256((prev_hash + committed).encode()).hexdigest()


def _minor_units(money: dict[str, str] | None) -> int | None:
    if not money:
        return None
    return int(Decimal(money["amount"]).scaleb(get_currency_precision(money["currency"])))


class Replay:
    """What each old event wrote, as the workflow of the time wrote it."""

    def __init__(self, case: dict[str, Any], offers: list[dict[str, Any]]) -> None:
        self.case = case
        self.offers = {offer["id"]: offer for offer in offers}
        self.version = 0
        self.mediator: int | None = None
        self.open: dict[str, list[int]] = {"mediator": [], "parties": []}

    def writes(self, event: dict[str, Any]) -> dict[str, Any]:
        data = json.loads(event["data"])
        # "words": a transition's words kept apart; "trace_checked", "trace_code_checked": told by trace/, no case column
        if event["type"] in ("message", "evidence", "words", "trace_checked", "trace_code_checked"):
            return {}
        if event["type"] == "file":
            return {"case": self._filing(event, data)}
        case, offers = self._transition(event, data)
        return {"case": case, **({"offers": {str(key): value for key, value in offers.items()}} if offers else {})}

    def _filing(self, event: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        self.version = 1
        money = data.get("amount_paid")
        at = _timestamp(event["at"])
        return {
            **FRESH_CASE,
            **{fact: data.get(fact) for fact in FILED_FACTS},
            **{fact: _value(self.case[fact]) for fact in FOUND_FACTS},
            "consumer": event["actor"],
            "state": data["to"],
            "amount_paid": _minor_units(money),
            "currency": money["currency"] if money else None,
            "filed_at": at,
            "updated_at": at,
        }

    def _transition(self, event: dict[str, Any], data: dict[str, Any]) -> tuple[dict[str, Any], dict[int, Any]]:
        at, role, action = _timestamp(event["at"]), event["actor_role"], event["type"]
        self.version += 1
        case: dict[str, Any] = {"state": data["to"], "version": self.version, "updated_at": at}
        if data["to"] in TERMINAL and data.get("from") not in TERMINAL:
            case["terminal_at"] = at
        offers: dict[int, dict[str, Any]] = {}
        stamp = "consumer_accepted_at" if role == "consumer" else "merchant_accepted_at"
        if action in ("respond", "counter_offer", "propose_settlement") and "offer_id" in data:
            self._new_offer(event, data, offers)
        if action == "respond" or (action == "counter_offer" and role == "merchant"):
            case["merchant_responded"] = True
        elif action == "accept_offer":
            offers[data["offer_id"]] = {stamp: at, "status": "accepted"}
            self._close(data["offer_id"])
        elif action == "reject_offer":
            offers[data["offer_id"]] = {"status": "rejected"}
            self._close(data["offer_id"])
        elif action == "accept_proposal":
            offers[data["proposal_id"]] = {stamp: at}
            if "settlement_id" in data:
                offers[data["proposal_id"]]["status"] = "accepted"
                self._close(data["proposal_id"])
        elif action == "reject_proposal":
            offers[data["proposal_id"]] = {"status": "rejected"}
            self._close(data["proposal_id"])
        if "settlement_id" in data:
            case.update({"settlement": data["settlement_id"], "fulfilment_marked_at": None})
        case.update(self._case_effects(action, data, at))
        return case, offers

    def _new_offer(self, event: dict[str, Any], data: dict[str, Any], offers: dict[int, Any]) -> None:
        kind = "mediator" if event["type"] == "propose_settlement" else "parties"
        for earlier in self.open[kind]:
            offers[earlier] = {"status": "superseded"}
        offer_id = data["offer_id"]
        self.open[kind] = [offer_id]
        by_role = {"respond": "merchant", "propose_settlement": "mediator"}.get(event["type"], event["actor_role"])
        found = self.offers.get(offer_id, {})
        offers[offer_id] = {
            "case": event["case"],
            "by_role": by_role,
            "author": event["actor"],
            "remedies": data["remedies"],
            "text": data["text"] if "text" in data else found.get("text"),
            "fulfil_by": data.get("fulfil_by"),
            "status": "open",
            "consumer_accepted_at": None,
            "merchant_accepted_at": None,
            "created_at": _timestamp(event["at"]),
        }

    def _close(self, offer_id: int) -> None:
        for kind in self.open.values():
            if offer_id in kind:
                kind.remove(offer_id)

    def _case_effects(self, action: str, data: dict[str, Any], at: str) -> dict[str, Any]:
        if action in ("claim", "reassign"):
            self.mediator = data["mediator"]
            return {"mediator": data["mediator"]}
        if action == "release":
            self.mediator = None
            return {"mediator": None}
        if action == "appeal":
            previous, self.mediator = self.mediator, None
            return {
                "is_appeal": True,
                "appealed": True,
                "previous_mediator": previous,
                "mediator": None,
                "terminal_at": None,
                "decline_reason": None,
            }
        return {
            "decline": lambda: {"decline_reason": data["reason"]},
            "request_info": lambda: {"info_requested_from": data["party"]},
            "provide_info": lambda: {"info_requested_from": None},
            "information_timeout": lambda: {"info_requested_from": None},
            "mark_fulfilled": lambda: {"fulfilment_marked_at": at},
            "rate": lambda: {"rating": data["score"], "rating_comment": data.get("comment")},
        }.get(action, dict)()


async def _rechain_case(engine: Any, case: dict[str, Any]) -> None:
    events = await engine.run_ddl(f'SELECT * FROM case_event WHERE "case" = {int(case["id"])} ORDER BY seq')
    if not events or any(event["salt"] for event in events):
        return
    offers = await engine.run_ddl(f'SELECT id, text FROM case_offer WHERE "case" = {int(case["id"])}')
    replay = Replay(case, offers)
    old_prev = new_prev = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        fits = event["seq"] == expected_seq and event["prev_hash"] == old_prev
        if not fits or _old_hash(old_prev, event) != event["hash"]:
            return  # damaged before the migration: what follows stays as it was
        old_prev = event["hash"]
        writes, salt = replay.writes(event), secrets.token_hex(16)
        new_hash = _new_hash(new_prev, event, writes, salt)
        await engine.run_querystring(
            QueryString(
                "UPDATE case_event SET salt = {}, writes = {}, prev_hash = {}, hash = {} WHERE id = {}",
                salt,
                _canonical(writes),
                new_prev,
                new_hash,
                event["id"],
            )
        )
        new_prev = new_hash
    if case["last_seq"] == len(events) and case["last_hash"] == old_prev:
        await engine.run_querystring(
            QueryString("UPDATE dispute_case SET last_hash = {} WHERE id = {}", new_prev, case["id"])
        )


async def _rechain() -> None:
    engine = engine_finder()
    for case in await engine.run_ddl("SELECT * FROM dispute_case ORDER BY id"):
        await _rechain_case(engine, case)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_raw(_rechain)
    return manager
