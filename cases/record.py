"""The tamper-evident case record (DESIGN §3), which keeps each channel's secrets.

Every event is a salted commitment, and the commitments are chained:

    commitment = sha256(canonical_json({"seq", "type", "channel", "actor", "actor_role", "at",
                                        "data", "writes", "salt"}))
    hash       = sha256(prev_hash + commitment)

Hashes are lowercase hex and `prev_hash + commitment` is the two hex strings joined (128 characters,
UTF-8); the first event's prev_hash is 64 zeros. `canonical_json` sorts keys, uses "," and ":" without
spaces and keeps non-ASCII text as it is; `at` is UTC ISO 8601 with microseconds
("2026-11-30T08:15:00.000000+00:00"). `salt` is 16 random bytes from `secrets` (32 hex digits), stored
with the event and disclosed only together with its content.

Whoever may read an event gets all of it (salt included) and can recompute its commitment and hash.
Whoever may not gets only `seq`, `prev_hash`, `commitment` and `hash`: enough to check that link of the
chain, but without the salt no guessed text can be confirmed against the commitment.

`writes` names the rows the event changed besides itself, as the record keeps them: `{"case": {column:
value}, "offers": {"<id>": {column: value}}, "recourse": {"<id>": {column: value}}}` (filing writes the
whole case row; each transition the columns it set; offers and the platform's recourse claims their whole
row when made, then each change). Message and evidence rows are the
event itself. `verify()` folds the writes over the record and compares the stored case, offer, message
and evidence rows with the events that made them (one query per table), so editing any of those rows in
the database breaks verification just as editing an event does (recourse claims too). Bookkeeping the record cannot hold is
left out: the case's id, its chain head (last_seq, last_hash, checked against the chain), next_due_at
(a cache of the deadlines for the queue), how far the statistics have counted it (counted_version,
counted_seq: insights/rollups.py) and its verified head (below). A case masked by retention
(`masked_at`, cases/retention.py) must hold the mask in its masked columns where the record has a value.

Verify once, not per view: `reverify()` checks a whole record and keeps its head on the case (verified_seq,
verified_hash, verified_at), or clears it when the record does not verify; `accord verify-case` and the
daily record check (a job of the cases module) do that. A page then recomputes the hashes of the events
after that head only (`trusted_events`); the links between all events and the rows they made are still
checked on every view. A page that found those events good moves the head up to them (`advance_head`), so
the next view recomputes only what came after; verified_at stays the time of the last full verification,
which the daily check goes by. An event edited under the head shows as damaged after the next full
verification. A process also keeps the records its pages verified, parsed and with their writes folded, by
their last event (`keep_prefix`): a page whose case names that event as its verified head reads only the
events after it (`page_events`), and still compares every row it shows with what the record adds up to.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from json.encoder import encode_basestring as _text  # how canonical_json writes a text
from typing import Any

from piccolo.columns import Column

from accord.canonical import canonical_json
from accord.db import Prepared, write_transaction
from cases.tables import MASK, MASKED_CASE_COLUMNS, Case, CaseEvent, Evidence, Message, Offer, RecourseClaim

GENESIS_HASH = "0" * 64
SALT_BYTES = 16
UNRECORDED_CASE_COLUMNS = frozenset(
    {"id", "last_seq", "last_hash", "next_due_at", "verified_seq", "verified_hash", "verified_at", "masked_at"}
    | {"counted_version", "counted_seq"}
)
JSON_TEXT_COLUMNS = frozenset({"remedies"})  # text columns holding JSON: recorded and compared as that JSON
KEPT_AS_IS = frozenset({type(None), bool, int})  # values the record keeps as they are (recorded_value)


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _parsed(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def committed_content(event: Mapping[str, Any]) -> dict[str, Any]:
    """What the commitment covers: everything about the event except the hashes."""
    return {
        "seq": event["seq"],
        "type": event["type"],
        "channel": event["channel"],
        "actor": event["actor"],
        "actor_role": event["actor_role"],
        "at": _timestamp(event["at"]),
        "data": _parsed(event["data"]),
        "writes": _parsed(event["writes"]) or {},
        "salt": event["salt"],
    }


def commitment(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(committed_content(event)).encode()).hexdigest()


def encoded_commitment(
    seq: int,
    type: str,
    channel: str,
    actor: int | None,
    actor_role: str,
    at: datetime,
    data: str,
    writes: str,
    salt: str,
) -> str:
    """`commitment()` of a new event whose data and writes are canonical JSON already (as stored): the
    content's canonical JSON is put together from them, its keys in sorted order, and its texts and numbers
    as canonical_json writes them (the C string encoder, an int's digits), instead of encoding everything a
    second time (a bulk seed writes millions of events). `actor` is a user id or None."""
    text = (
        f'{{"actor":{"null" if actor is None else int(actor)},"actor_role":{_text(actor_role)},'
        f'"at":{_text(_timestamp(at))},"channel":{_text(channel)},"data":{data},"salt":{_text(salt)},'
        f'"seq":{int(seq)},"type":{_text(type)},"writes":{writes}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


def link(prev_hash: str, committed: str) -> str:
    return hashlib.sha256((prev_hash + committed).encode()).hexdigest()


def commitment_of(event: dict[str, Any]) -> str:
    """An event's commitment, computed once (verify_rows sets it for the events it recomputed)."""
    if "commitment" not in event:
        event["commitment"] = commitment(event)
    return event["commitment"]


# --- writing -------------------------------------------------------------------------------------


def recorded_value(column: str, value: Any) -> Any:
    """A column's value as the record keeps it (JSON), for rows read back from either database too."""
    kind = value.__class__
    if kind in KEPT_AS_IS or kind is str and column not in JSON_TEXT_COLUMNS:  # most (a filing records ~40)
        return value
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if column in JSON_TEXT_COLUMNS and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _recorded(values: Mapping[Column | str, Any]) -> dict[str, Any]:
    named = {(key if isinstance(key, str) else key._meta.name): value for key, value in values.items()}
    return {name: recorded_value(name, value) for name, value in named.items()}


@dataclass
class Writes:
    """The rows one event writes besides its own: columns of the case, of offers and of recourse claims."""

    case: dict[str, Any] = field(default_factory=dict)
    offers: dict[int, dict[str, Any]] = field(default_factory=dict)
    recourse: dict[int, dict[str, Any]] = field(default_factory=dict)

    def set_case(self, values: Mapping[Column | str, Any]) -> None:
        self.case.update(_recorded(values))

    def set_offer(self, offer_id: int, values: Mapping[Column | str, Any]) -> None:
        self.offers.setdefault(offer_id, {}).update(_recorded(values))

    def set_recourse(self, claim_id: int, values: Mapping[Column | str, Any]) -> None:
        self.recourse.setdefault(claim_id, {}).update(_recorded(values))

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.case:
            found["case"] = self.case
        if self.offers:
            found["offers"] = {str(offer_id): values for offer_id, values in self.offers.items()}
        if self.recourse:
            found["recourse"] = {str(claim_id): values for claim_id, values in self.recourse.items()}
        return found


RECORDED_CASE_COLUMNS = frozenset(column._meta.name for column in Case._meta.columns) - UNRECORDED_CASE_COLUMNS


def filed(case: Mapping[str, Any]) -> Writes:
    """A new case's row as filing writes it: every column but bookkeeping (and nothing else `case` holds)."""
    writes = Writes()
    writes.set_case({name: value for name, value in case.items() if name in RECORDED_CASE_COLUMNS})
    return writes


LOCKED_CASE = Prepared("SELECT * FROM dispute_case WHERE id = {case}", lock="FOR UPDATE")


async def lock_case(case_id: int) -> dict[str, Any] | None:
    """The case row, locked for this write transaction (SQLite's writer lock already serialises)."""
    return await LOCKED_CASE.first(case=case_id)


def chained(
    case: dict[str, Any],
    *,
    type: str,
    channel: str,
    actor_id: int | None,
    actor_role: str,
    at: datetime,
    data: dict[str, Any],
    writes: Writes | None = None,
) -> dict[str, Any]:
    """The next event of a locked case's record (without its case id), chained onto the case's head, which
    moves to it in `case` (last_seq, last_hash) only: the caller stores the event and the head (`append`;
    a move writes the head with the rest of its case row)."""
    event = {
        "seq": case["last_seq"] + 1,
        "type": type,
        "channel": channel,
        "actor": actor_id,
        "actor_role": actor_role,
        "at": at,
        "data": canonical_json(data),
        "writes": canonical_json(writes.as_json() if writes else {}),
        "salt": secrets.token_hex(SALT_BYTES),
        "prev_hash": case["last_hash"],
    }
    event["hash"] = link(case["last_hash"], commitment(event))
    case["last_seq"], case["last_hash"] = event["seq"], event["hash"]
    return event


# What an event is stored with besides its case: `chained` makes each.
STORED_COLUMNS = ("seq", "type", "channel", "actor", "actor_role", "at", "data", "writes", "salt", "prev_hash", "hash")


@functools.cache
def _insert_events(count: int) -> Prepared:
    """The INSERT of `count` events of one case, built once per count."""
    rows = ", ".join(
        "({case}, " + ", ".join(f"{{{name}{index}}}" for name in STORED_COLUMNS) + ")" for index in range(count)
    )
    return Prepared(f'INSERT INTO case_event ("case", {", ".join(STORED_COLUMNS)}) VALUES {rows}')


async def insert_events(case_id: int, events: list[dict[str, Any]]) -> None:
    """Store events `chained` made for one case, in one statement (a move's transition and its words kept in
    another channel go together)."""
    values = {f"{name}{index}": event[name] for index, event in enumerate(events) for name in STORED_COLUMNS}
    await _insert_events(len(events)).rows(case=case_id, **values)


# An event stored and the case's head moved to it, built once: every live message does both (issue 14 §8).
MOVE_HEAD = Prepared("UPDATE dispute_case SET last_seq = {seq}, last_hash = {hash} WHERE id = {case}")


def next_event(case: dict[str, Any], **event: Any) -> dict[str, Any]:
    """`chained` with the case's id: an event as `store` writes it."""
    return {"case": case["id"], **chained(case, **event)}


async def append(case: dict[str, Any], **event: Any) -> dict[str, Any]:
    """Append one event (`chained`'s arguments) to a locked case's record, and store its new head."""
    made = next_event(case, **event)
    await store(made)
    return made


async def store(made: dict[str, Any]) -> None:
    """Store an event `next_event` made and the case's head that moved to it."""
    await insert_events(made["case"], [made])
    await MOVE_HEAD.rows(**made)


# --- what a viewer sees --------------------------------------------------------------------------

SEALED = {"type", "channel", "actor", "actor_name", "actor_role", "at", "data", "writes", "salt"}


def as_seen(events: list[dict[str, Any]], readable: set[str]) -> list[dict[str, Any]]:
    """Events after verify_rows() (which parsed them and set their commitments) as a viewer may see them:
    in channels they cannot read, only seq and the hashes (prev_hash, commitment, hash) are left, and
    everything else is None."""
    seen = []
    for event in events:
        if event["channel"] in readable:
            seen.append({**event, "sealed": False})
        else:
            kept = {"seq": event["seq"], "prev_hash": event["prev_hash"], "commitment": commitment_of(event)}
            kept["hash"] = event["hash"]
            seen.append({**kept, **dict.fromkeys(SEALED), "sealed": True})
    return seen


# --- verifying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    verified: bool
    events: int
    first_bad_seq: int | None = None
    problem: str | None = None  # what does not fit there, for the operator


@dataclass(frozen=True)
class StoredRows:
    """The rows pages and the API show beside the record, as stored: the record must account for each."""

    case: Mapping[str, Any] | None
    offers: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    # The platform's recourse claims on the case (advance compensation); a case page reads them only for a
    # case the platform compensated (the case row's compensated_by, itself checked against the record).
    recourse: list[dict[str, Any]] = field(default_factory=list)


async def stored_rows(case_id: int, case: Mapping[str, Any] | None = None) -> StoredRows:
    """Everything of a case the record vouches for, one query per table (the case row may be given)."""
    if case is None:
        case = await Case.select().where(Case.id == case_id).first()
    return StoredRows(
        case=case,
        offers=await Offer.select().where(Offer.case == case_id),
        messages=await Message.select().where(Message.case == case_id),
        evidence=await Evidence.select().where(Evidence.case == case_id),
        recourse=await RecourseClaim.select().where(RecourseClaim.case == case_id),
    )


# Built once; the actor's name is for showing who did what (it is not part of what the hash covers).
EVENT_COLUMNS = (*CaseEvent.all_columns(), CaseEvent.actor.display_name.as_alias("actor_name"))


# A case's record, as EVENT_COLUMNS has it, built once (every case page reads it: issue 14).
EVENTS = Prepared(
    "SELECT event.*, actor.display_name AS actor_name FROM case_event event"
    ' LEFT JOIN users actor ON actor.id = event.actor WHERE event."case" = {case} ORDER BY event.seq'
)


async def events_of(case_id: int) -> list[dict[str, Any]]:
    return await EVENTS.rows(case=case_id)


# A page's events after a kept record's (`page_events`): unnamed, the page names every event itself.
EVENTS_AFTER = Prepared(
    'SELECT event.* FROM case_event event WHERE event."case" = {case} AND event.seq > {after} ORDER BY event.seq'
)


class KeptRecords:
    """The verified prefixes of records this process keeps parsed for pages (verify once, not per view: issue 14
    §3), by (case id, seq, hash) of their last event; the least recently used go first when they hold more than
    `events` events together (a few kB each)."""

    def __init__(self, events: int = 20_000) -> None:
        self.limit, self.held = events, 0
        self.prefixes: OrderedDict[tuple[int, int, str], Folded] = OrderedDict()

    def get(self, key: tuple[int, int, str]) -> Folded | None:
        prefix = self.prefixes.get(key)
        if prefix is not None:
            self.prefixes.move_to_end(key)
        return prefix

    def keep(self, key: tuple[int, int, str], prefix: Folded) -> None:
        self.prefixes[key] = prefix
        self.held += len(prefix.events)
        while len(self.prefixes) > 1 and self.held > self.limit:
            self.held -= len(self.prefixes.popitem(last=False)[1].events)


_kept = KeptRecords()


async def page_events(case: Mapping[str, Any]) -> tuple[list[dict[str, Any]], Folded | None]:
    """A case's events for a page, and the verified prefix they start with when this process keeps the one
    the case's verified head names: then only the events after it are read. The events are the page's own
    copies, which it names (as people are named now) and narrows for its viewer."""
    key = (case["id"], case.get("verified_seq") or 0, case.get("verified_hash") or "")
    prefix = _kept.get(key)
    if prefix is None:
        return await events_of(case["id"]), None
    after = await EVENTS_AFTER.rows(case=case["id"], after=key[1])
    return [*(dict(event) for event in prefix.events), *after], prefix


def keep_prefix(case_id: int, folded: Folded) -> None:
    """Keep a record a page has just verified (`verified_record`) as the prefix of the next page's."""
    if not folded.events or (key := (case_id, folded.events[-1]["seq"], folded.events[-1]["hash"])) in _kept.prefixes:
        return
    kept = [dict(event) for event in folded.events]  # the page goes on naming and narrowing its own
    _kept.keep(key, Folded(kept, folded.case, folded.made, folded.own_rows))


async def verify(case_id: int) -> Verification:
    """Recompute the chain from the stored events and check the rows they made; name the first bad event."""
    return verify_rows(await events_of(case_id), await stored_rows(case_id))


async def reverify(case_id: int, at: datetime) -> Verification:
    """Verify the whole record, with the case locked so no event comes in meanwhile, and keep its head as
    verified at `at`, or clear the head when it does not verify (pages then check every event)."""
    async with write_transaction():
        await lock_case(case_id)
        events = await events_of(case_id)
        result = verify_rows(events, await stored_rows(case_id))
        head = events[-1] if result.verified and events else {"seq": None, "hash": None}
        await Case.update(
            {Case.verified_seq: head["seq"], Case.verified_hash: head["hash"], Case.verified_at: at}
        ).where(Case.id == case_id)
    return result


# Moves the verified head up to the events a page has just verified, unless a full verification moved or
# cleared the head since the page read the case (`seen`: the verified_seq it read, 0 for none).
ADVANCE_HEAD = Prepared(
    "UPDATE dispute_case SET verified_seq = {seq}, verified_hash = {hash}"
    " WHERE id = {case} AND COALESCE(verified_seq, 0) = {seen} AND {seen} < {seq}"
)


async def advance_head(case: Mapping[str, Any], events: list[dict[str, Any]], verification: Verification) -> None:
    """After a view verified the record (`case` as the view read it), keep its last event as the verified head."""
    seen = case.get("verified_seq") or 0
    if not verification.verified or not events or events[-1]["seq"] <= seen:
        return
    async with write_transaction():
        await ADVANCE_HEAD.rows(case=case["id"], seq=events[-1]["seq"], hash=events[-1]["hash"], seen=seen)


def trusted_events(events: list[dict[str, Any]], case: Mapping[str, Any]) -> int:
    """How many events, from the first, the case's verified head vouches for: those up to verified_seq while
    the event there still ends in verified_hash (a record rewritten since is verified from the start)."""
    seq = case.get("verified_seq") or 0
    if not 0 < seq <= len(events) or events[seq - 1]["seq"] != seq or events[seq - 1]["hash"] != case["verified_hash"]:
        return 0
    return seq


Problems = list[tuple[int, str]]


def verify_rows(events: list[dict[str, Any]], stored: StoredRows, trusted: int = 0) -> Verification:
    """Check stored events (in seq order) against each other, the case's head and the rows they made; the
    hashes of the first `trusted` events (a verified head's, `trusted_events`) are not recomputed.

    Parses each event's data and writes in place and sets the "commitment" (what a viewer who cannot read
    the event needs to check its link) of those it recomputes (`commitment_of` computes the others' when
    needed)."""
    return verified_record(events, stored, trusted)[0]


def verified_record(
    events: list[dict[str, Any]], stored: StoredRows, trusted: int = 0, prefix: Folded | None = None
) -> tuple[Verification, Folded]:
    """`verify_rows`, and what the events add up to; the events of `prefix` (`page_events`: parsed, trusted,
    their writes folded) are taken as they are, `trusted` then counting at least those."""
    start = len(prefix.events) if prefix else 0
    for event in events[start:]:
        event["data"], event["writes"] = _parsed(event["data"]), _parsed(event["writes"]) or {}
    trusted = max(trusted, start)
    for event in events[trusted:]:
        event["commitment"] = commitment(event)
    problems: Problems = []
    _check_chain(events, stored.case, problems, trusted)
    folded = fold(events, prefix)
    _check_writes(folded, stored, problems)
    for kind, rows in (("message", stored.messages), ("evidence", stored.evidence)):
        _check_own_rows(events, kind, rows, folded.own_rows, problems)
    if not problems:
        return Verification(verified=True, events=len(events)), folded
    seq, problem = min(problems)
    return Verification(verified=False, events=len(events), first_bad_seq=seq, problem=problem), folded


def _check_chain(
    events: list[dict[str, Any]], case: Mapping[str, Any] | None, problems: Problems, trusted: int = 0
) -> None:
    prev_hash = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if event["seq"] != expected_seq or event["prev_hash"] != prev_hash:
            problems.append((expected_seq, "the event does not follow the one before it"))
            return
        if expected_seq > trusted and link(prev_hash, event["commitment"]) != event["hash"]:
            problems.append((expected_seq, "the event's hash does not match its content"))
            return
        prev_hash = event["hash"]
    if case and (case["last_seq"] != len(events) or case["last_hash"] != prev_hash):
        problems.append((len(events) + 1, "the case's head does not match its last event"))


Expected = dict[str, tuple[Any, int]]  # column → (value, seq of the event that wrote it last)


@dataclass(frozen=True)
class Folded:
    """Parsed events (in seq order) and what their writes add up to: the case row's columns, each offer's
    and each recourse claim's (kept as a verified prefix by `keep_prefix`; never changed once made)."""

    events: list[dict[str, Any]]
    case: Expected
    made: dict[str, dict[int, Expected]]
    own_rows: dict[int, dict[str, Any]]  # seq of a message or evidence event → the row it made, as it must be


def fold(events: list[dict[str, Any]], prefix: Folded | None = None) -> Folded:
    """Fold the writes of parsed `events` (those after `prefix`'s onto a copy of what it adds up to)."""
    case: Expected = dict(prefix.case) if prefix else {}
    made: dict[str, dict[int, Expected]] = {"offers": {}, "recourse": {}}
    own_rows = dict(prefix.own_rows) if prefix else {}
    if prefix:
        made = {kind: {row_id: dict(row) for row_id, row in rows.items()} for kind, rows in prefix.made.items()}
    for event in events[len(prefix.events) if prefix else 0 :]:
        if row_of_event := ROW_OF_EVENT.get(event["type"]):
            own_rows[event["seq"]] = row_of_event(event, event["data"])
        writes = event["writes"]
        case.update({column: (value, event["seq"]) for column, value in writes.get("case", {}).items()})
        for kind, rows_of_kind in made.items():
            for row_id, values in writes.get(kind, {}).items():
                row = rows_of_kind.setdefault(int(row_id), {})
                row.update({column: (value, event["seq"]) for column, value in values.items()})
    return Folded(events, case, made, own_rows)


def _check_writes(folded: Folded, stored: StoredRows, problems: Problems) -> None:
    """Compare the case row, each offer and each recourse claim with what the record's writes add up to."""
    case, made = folded.case, folded.made
    if stored.case is not None:
        if stored.case.get("masked_at") is not None:  # retention: these columns hold the mask where they held a value
            case = {
                column: ((MASK if value is not None else None), seq) if column in MASKED_CASE_COLUMNS else (value, seq)
                for column, (value, seq) in case.items()
            }
        _compare("the case row", stored.case, case, problems)
    for kind, what, rows in (("offers", "offer", stored.offers), ("recourse", "recourse claim", stored.recourse)):
        _check_made_rows(what, made[kind], rows, len(folded.events) + 1, problems)


def _check_made_rows(
    what: str, expected_rows: dict[int, Expected], stored: list[dict[str, Any]], last: int, problems: Problems
) -> None:
    rows = {row["id"]: row for row in stored}
    for row_id, expected in expected_rows.items():
        row = rows.pop(row_id, None)
        if row is None:
            problems.append((min(seq for _value, seq in expected.values()), f"{what} {row_id} is missing"))
        else:
            _compare(f"{what} {row_id}", row, expected, problems)
    problems.extend((last, f"{what} {row_id} was made by no event") for row_id in rows)


def _compare(
    what: str, row: Mapping[str, Any], expected: Expected, problems: Problems, as_recorded: bool = True
) -> None:
    """Columns the row holds that differ from the record (a row read with fewer columns is checked on those).
    Values from writes are JSON, so the row's are turned into JSON first; the others compare as they are."""
    differing = {
        column: seq
        for column, (value, seq) in expected.items()
        if column in row and (recorded_value(column, row[column]) if as_recorded else row[column]) != value
    }
    if differing:
        columns = ", ".join(sorted(differing))
        problems.append((min(differing.values()), f"{what} differs from the record ({columns})"))


def _message_row(event: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "channel": event["channel"],
        "author": event["actor"],
        "author_role": event["actor_role"],
        "text": data.get("text"),
        "created_at": event["at"],
    }


def _evidence_row(event: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "channel": event["channel"],
        "uploaded_by": event["actor"],
        "created_at": event["at"],
        **{key: data.get(key) for key in ("sha256", "media_type", "size", "description")},
        "file_name": data.get("file_name", ""),  # events from before file names were kept have none
    }


# Rows that are an event themselves, stored a second time for pages: what each must hold.
ROW_OF_EVENT: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]] = {
    "message": _message_row,
    "evidence": _evidence_row,
}


def _check_own_rows(
    events: list[dict[str, Any]],
    kind: str,
    rows: list[dict[str, Any]],
    own_rows: dict[int, dict[str, Any]],
    problems: Problems,
) -> None:
    """Each `kind` row against the row its event made (`own_rows`, from `fold`); every row an event's."""
    by_seq = {row["seq"]: row for row in rows}
    made = set()
    for event in events:
        if event["type"] != kind:
            continue
        made.add(event["seq"])
        row = by_seq.get(event["seq"])
        if row is None:
            problems.append((event["seq"], f"the {kind} row of this event is missing"))
            continue
        made_row = own_rows[event["seq"]]
        # The set comparison (in C) answers for an intact row holding every column; a row read with fewer
        # columns, or one that differs, is looked at column by column.
        if not made_row.items() <= row.items() and any(
            name in row and row[name] != value for name, value in made_row.items()
        ):
            expected = {name: (value, event["seq"]) for name, value in made_row.items()}
            _compare(f"the {kind} row", row, expected, problems, as_recorded=False)
    doubled = [seq for seq, count in Counter(row["seq"] for row in rows).items() if count > 1]
    unmade = [seq for seq in by_seq if seq not in made]
    last = len(events) + 1
    problems.extend((min(max(seq, 1), last), f"more than one {kind} row claims this event") for seq in doubled)
    problems.extend((min(max(seq, 1), last), f"a {kind} row was made by no event") for seq in unmade)
