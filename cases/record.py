"""The tamper-evident case record (DESIGN §3).

Each event's hash is sha256(prev_hash + canonical_json(event)); the first event chains from 64 zeros.
Changing, removing or reordering any stored event breaks every hash after it, which `verify()` finds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord.db import is_sqlite
from cases.tables import Case, CaseEvent

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def hashed_content(event: dict[str, Any]) -> dict[str, Any]:
    """What the hash covers: everything about the event except the hashes themselves."""
    data = event["data"]
    return {
        "seq": event["seq"],
        "type": event["type"],
        "channel": event["channel"],
        "actor": event["actor"],
        "actor_role": event["actor_role"],
        "at": _timestamp(event["at"]),
        "data": json.loads(data) if isinstance(data, str) else data,
    }


def chain_hash(prev_hash: str, event: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(hashed_content(event))).encode()).hexdigest()


async def lock_case(case_id: int) -> dict[str, Any] | None:
    """The case row, locked for this write transaction (SQLite's writer lock already serialises)."""
    return await _locked(Case.id == case_id)


async def lock_case_by_reference(reference: str, *columns: Any) -> dict[str, Any] | None:
    """The case row (or just `columns`: building a 40-column select is a cost on hot paths), locked."""
    return await _locked(Case.reference == reference, *columns)


async def _locked(where: Any, *columns: Any) -> dict[str, Any] | None:
    query = Case.select(*columns).where(where)
    if not is_sqlite():
        query = query.lock_rows()
    return await query.first()


async def append(
    case: dict[str, Any],
    *,
    type: str,
    channel: str,
    actor_id: int | None,
    actor_role: str,
    at: datetime,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Append one event to a locked case's record; updates `case` (last_seq, last_hash) in place."""
    event = {
        "case": case["id"],
        "seq": case["last_seq"] + 1,
        "type": type,
        "channel": channel,
        "actor": actor_id,
        "actor_role": actor_role,
        "at": at,
        "data": canonical_json(data),
        "prev_hash": case["last_hash"],
    }
    event["hash"] = chain_hash(case["last_hash"], event)
    await CaseEvent.insert(CaseEvent(**event))
    await Case.update({Case.last_seq: event["seq"], Case.last_hash: event["hash"]}).where(Case.id == case["id"])
    case["last_seq"], case["last_hash"] = event["seq"], event["hash"]
    return event


@dataclass(frozen=True)
class Verification:
    verified: bool
    events: int
    first_bad_seq: int | None = None


async def verify(case_id: int) -> Verification:
    """Recompute the chain from the stored events; name the first event that does not fit."""
    events = await CaseEvent.select().where(CaseEvent.case == case_id).order_by(CaseEvent.seq)
    head = await Case.select(Case.last_seq, Case.last_hash).where(Case.id == case_id).first()
    return verify_rows(events, head)


def verify_rows(events: list[dict[str, Any]], head: dict[str, Any] | None) -> Verification:
    """Check stored events (in seq order) against each other and the case's recorded head."""
    prev_hash = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if (
            event["seq"] != expected_seq
            or event["prev_hash"] != prev_hash
            or chain_hash(prev_hash, event) != event["hash"]
        ):
            return Verification(verified=False, events=len(events), first_bad_seq=expected_seq)
        prev_hash = event["hash"]
    if head and (head["last_seq"] != len(events) or head["last_hash"] != prev_hash):
        return Verification(verified=False, events=len(events), first_bad_seq=len(events) + 1)
    return Verification(verified=True, events=len(events))
