"""The registry's public, append-only Merkle log (RFC 6962) and its open-data export.

Each public listing event becomes a leaf: canonical JSON of a FollowTheMoney-like "Sanction" object.
Export lines carry the leaf (or nothing, once "forgotten" after repair or expiry), its hash and the
tree root after it, so a verifier recomputes the chain and names the first line that does not fit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.canonical import canonical_json
from accord.db import is_sqlite
from accord.errors import InvalidInput
from accord.i18n import gettext as _
from accounts.tables import Enterprise
from integrity import signing
from integrity.merkle import consistency_proof, inclusion_proof, leaf_hash, node_hash, root_from_leaf_hashes
from integrity.tables import LogEntry

PROGRAM = "Accord enterprise IP integrity registry"
PUBLIC_EVENTS = {"publish": "published", "grant_repair": "repaired", "expire": "expired"}
ADVISORY_LOCK = 6962  # serialises log appends on PostgreSQL (SQLite's writer lock already does)


def _date(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


async def _leaf(listing: dict[str, Any], event: str, seq: int, now: datetime) -> dict[str, Any]:
    enterprise = (
        await Enterprise.select(Enterprise.name, Enterprise.uscc, Enterprise.country)
        .where(Enterprise.id == listing["enterprise"])
        .first()
    )
    assert enterprise is not None
    return {
        "schema": "Sanction",
        "id": f"accord-listing-{listing['id']}",
        "seq": seq,
        "event": event,
        "at": now.isoformat(),
        "entity": {
            "schema": "Company",
            "name": enterprise["name"],
            "uscCode": enterprise["uscc"],
            "country": enterprise["country"],
        },
        "program": PROGRAM,
        "reason": {"violation": listing["violation"], "tier": listing["tier"], "escalated": bool(listing["escalated"])},
        "startDate": _date(listing["published_at"]),
        "endDate": _date(listing["ended_at"] or listing["maximum_until"]),
    }


async def record_public_event(listing: dict[str, Any], action: str, now: datetime) -> None:
    """Append a leaf for a public event; repair and expiry forget the listing's details (not its hashes)."""
    event = PUBLIC_EVENTS.get(action)
    if event is None or listing["tier"] == "minor":
        return
    if not is_sqlite():
        await LogEntry.raw("SELECT pg_advisory_xact_lock({})", ADVISORY_LOCK)
    last = await LogEntry.select(LogEntry.seq).order_by(LogEntry.seq, ascending=False).first()
    seq = (last["seq"] if last else 0) + 1
    leaf = canonical_json(await _leaf(listing, event, seq, now))
    await LogEntry.insert(
        LogEntry(
            seq=seq, listing=listing["id"], leaf=leaf, leaf_hash=leaf_hash(leaf.encode()).hex(), forgotten=False, at=now
        )
    )
    if event != "published":
        await LogEntry.update({LogEntry.forgotten: True}).where(LogEntry.listing == listing["id"])


class RunningRoot:
    """The tree root after each appended leaf in O(log n): a stack of perfect subtrees, folded from the right
    (the same shape RFC 6962 gives: the left part is always the largest power of two)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []

    def append(self, hashed_leaf: bytes) -> str:
        height, node = 0, hashed_leaf
        while self._stack and self._stack[-1][0] == height:
            left_height, left = self._stack.pop()
            node, height = node_hash(left, node), left_height + 1
        self._stack.append((height, node))
        root = self._stack[-1][1]
        for _height, left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root.hex()


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: str
    at: datetime | None

    def signed(self, seed: bytes) -> dict[str, Any]:
        """The head as published: `at` as the exact string that was signed, and the signature."""
        at = self.at.isoformat() if self.at else None
        return {
            "size": self.size,
            "root": self.root,
            "at": at,
            "signature": signing.sign_head(seed, self.size, self.root, at),
        }


async def _hashes() -> list[bytes]:
    rows = await LogEntry.select(LogEntry.leaf_hash).order_by(LogEntry.seq)
    return [bytes.fromhex(row["leaf_hash"]) for row in rows]


async def tree_head() -> TreeHead:
    last = await LogEntry.select(LogEntry.at).order_by(LogEntry.seq, ascending=False).first()
    return TreeHead(
        size=await LogEntry.count(), root=root_from_leaf_hashes(await _hashes()).hex(), at=last["at"] if last else None
    )


async def proof_for(seq: int) -> dict[str, Any] | None:
    hashes = await _hashes()
    if not 1 <= seq <= len(hashes):
        return None
    return {
        "seq": seq,
        "leaf_hash": hashes[seq - 1].hex(),
        "size": len(hashes),
        "root": root_from_leaf_hashes(hashes).hex(),
        "proof": [step.hex() for step in inclusion_proof(hashes, seq - 1)],
    }


async def consistency_for(first: int, second: int) -> dict[str, Any]:
    """Proof that the log's first `first` entries are a prefix of its first `second` (RFC 9162 §2.1.4)."""
    hashes = await _hashes()
    if not 1 <= second <= len(hashes):
        raise InvalidInput.one(
            "second", _("The log has %(size)d entries: give a size from 1 to %(size)d.") % {"size": len(hashes)}
        )
    if not 1 <= first <= second:
        raise InvalidInput.one("first", _("Give a size from 1 to the second size."))
    return {
        "first": first,
        "second": second,
        "proof": [node.hex() for node in consistency_proof(hashes[:second], first)],
    }


async def export_lines() -> list[str]:
    """One JSON object per public event; forgotten events keep only their sequence and hashes."""
    rows = await LogEntry.select(LogEntry.seq, LogEntry.leaf, LogEntry.leaf_hash, LogEntry.forgotten).order_by(
        LogEntry.seq
    )
    lines, running = [], RunningRoot()
    for row in rows:
        record = {
            "seq": row["seq"],
            "leaf_hash": row["leaf_hash"],
            "tree_root": running.append(bytes.fromhex(row["leaf_hash"])),
            "data": None if row["forgotten"] else json.loads(row["leaf"]),
        }
        lines.append(canonical_json(record))
    return lines


@dataclass(frozen=True)
class ExportCheck:
    verified: bool
    size: int
    root: str
    bad_line: int | None = None
    reason: str = ""


def verify_export(lines: Iterable[str], expected_root: str) -> ExportCheck:
    """Recompute leaf hashes and the tree; the first line whose content, hash or running root is off is named."""
    hashes: list[bytes] = []
    running = RunningRoot()
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            claimed = bytes.fromhex(record["leaf_hash"])
        except (ValueError, KeyError, TypeError):
            return ExportCheck(False, len(hashes), "", number, "not a valid export line")
        if len(claimed) != 32:
            return ExportCheck(False, len(hashes), "", number, "the leaf hash is not 32 bytes")
        data = record.get("data")
        if data is not None and not isinstance(data, dict):
            return ExportCheck(False, len(hashes), "", number, "not a valid export line")
        # Lines are numbered 1, 2, 3... in log order; the leaf (when kept) names the same number.
        if record.get("seq") != number or (data is not None and data.get("seq") != number):
            reason = f"seq {record.get('seq')!r} where {number} was expected: renumbered or reordered"
            return ExportCheck(False, len(hashes), "", number, reason)
        if data is not None and leaf_hash(canonical_json(data).encode()) != claimed:
            return ExportCheck(False, len(hashes), "", number, "content does not match its leaf hash")
        hashes.append(claimed)
        if record.get("tree_root") != running.append(claimed):
            return ExportCheck(False, len(hashes), "", number, "tree root after this line does not match")
    root = root_from_leaf_hashes(hashes).hex()
    if root != expected_root.lower():
        return ExportCheck(
            False, len(hashes), root, len(hashes) or None, "the final root differs from the published root"
        )
    return ExportCheck(True, len(hashes), root)

