"""`accord seed-demo --cases N`: N plausible cases spread over the last 24 months, for benchmarks, written in
bulk (executemany or COPY a batch, in one transaction) into any database with people in it (the demo
seed runs first when it is empty).

Each case follows one of a few paths of the real transition table (filed, answered, withdrawn, settled and
fulfilled or not, sent to mediation and declined or closed without agreement), a few days a step, stopping
where "now" cuts it off. Its record is built as apply() would write it: the filing event writes the whole
row, each move the columns it set (state, version, updated_at and the move's own), offers their row, every
event a salted commitment chained to the one before (cases/record.py), so `accord verify-case` verifies
every seeded case. The rollups count them as the record's follower would (insights.rollups.move_counts),
added with multi-row upserts, and the cases are written as counted.
"""

from __future__ import annotations

import json
import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from itertools import accumulate
from operator import itemgetter
from typing import Any

from accord.canonical import canonical_json
from accord.clock import Calendar, Clock
from accord.db import engine, write_transaction
from accounts.tables import Enterprise, User
from cases.filing import REFERENCE_DIGITS, reference
from cases.record import GENESIS_HASH, SALT_BYTES, encoded_commitment, link, recorded_value
from cases.tables import Case, CaseEvent, Category, Offer
from insights.rollups import add_counts, bulk_cache, filing_metrics, local_day, move_counts
from insights.tables import CaseFact, DailyCount, MonthlyCount

BATCH = 2000
CURRENCIES = (("CNY", 0.7), ("USD", 0.15), ("EUR", 0.08), ("JPY", 0.04), ("KRW", 0.03))
CURRENCY_CODES, CURRENCY_ODDS = [c for c, _w in CURRENCIES], list(accumulate(w for _c, w in CURRENCIES))
CATEGORIES = [c.value for c in Category]
PLATFORMS = ("Tmall Global", "JD Worldwide", "Kaola", "Pinduoduo Global", "Douyin Mall", "Xiaohongshu")
TERMINAL = {"resolved", "unresolved", "declined", "withdrawn"}
HELD_BY = "_held_by"  # beside a move, for the rollups: the case's mediator after it
SALTS_A_DRAW = 4096


def salts() -> Iterator[str]:
    """Salts as cases.record.append draws them (SALT_BYTES from `secrets`, in hex), drawn from the system
    SALTS_A_DRAW at a time instead of one system call an event."""
    width = 2 * SALT_BYTES
    while True:
        drawn = secrets.token_hex(SALT_BYTES * SALTS_A_DRAW)
        yield from (drawn[start : start + width] for start in range(0, len(drawn), width))


@dataclass
class Draft:
    """One case being written: its row, record and offers, as apply() would have left them."""

    row: dict[str, Any]
    agent: int  # the merchant's agent who answers it
    salts: Iterator[str]
    events: list[dict[str, Any]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)  # what the rollups count: {action, from, to, ...}

    def append(
        self,
        kind: str,
        channel: str,
        actor: int | None,
        role: str,
        at: datetime,
        data: dict[str, Any],
        writes: dict[str, Any],
    ) -> None:
        salt, seq, prev = next(self.salts), len(self.events) + 1, self.row["last_hash"]
        data_json, writes_json = canonical_json(data), canonical_json(writes)
        committed = encoded_commitment(seq, kind, channel, actor, role, at, data_json, writes_json, salt)
        event = {
            "case": self.row["id"],
            "seq": seq,
            "type": kind,
            "channel": channel,
            "actor": actor,
            "actor_role": role,
            "at": at,
            "data": data_json,
            "writes": writes_json,
            "salt": salt,
            "prev_hash": prev,
            "hash": link(prev, committed),
        }
        self.events.append(event)
        self.row["last_seq"], self.row["last_hash"] = event["seq"], event["hash"]

    def move(
        self, action: str, role: str, actor: int | None, at: datetime, to: str, data: dict[str, Any], **columns: Any
    ) -> None:
        before = self.row["state"]
        updates = {**columns, "state": to, "version": self.row["version"] + 1, "updated_at": at}
        if to in TERMINAL and before not in TERMINAL:
            updates["terminal_at"] = at
        offers = updates.pop("offers", None)
        self.row.update(updates)
        writes: dict[str, Any] = {"case": {name: recorded_value(name, value) for name, value in updates.items()}}
        if offers:
            writes["offers"] = {
                str(oid): {n: recorded_value(n, v) for n, v in values.items()} for oid, values in offers.items()
            }
        channel = "caucus:consumer" if action == "rate" else "parties"
        self.moves.append(
            {
                "action": action,
                "from": before,
                "to": to,
                "at": at,
                "actor_role": role,
                **data,
                HELD_BY: self.row["mediator"],
            }
        )
        self.append(action, channel, actor, role, at, {"action": action, "from": before, "to": to, **data}, writes)


@dataclass
class Cast:
    consumers: list[int]
    agents: list[tuple[int, int]]  # (enterprise, agent user)
    mediators: list[int]


Step = Callable[[Draft, Cast, datetime, random.Random, "Ids"], None]


@dataclass
class Ids:
    offer: int


def respond_reject(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    text = "We shipped the item as described and cannot refund it."
    case.move(
        "respond",
        "merchant",
        case.agent,
        at,
        "negotiating",
        {"kind": "reject", "text": text},
        merchant_responded=True,
    )


def respond_offer(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    ids.offer += 1
    remedies = [{"amount": None, "currency": None, "description": "A new one, shipped free", "type": "replacement"}]
    offer = {
        "id": ids.offer,
        "case": case.row["id"],
        "by_role": "merchant",
        "author": case.agent,
        "remedies": json.dumps(remedies),
        "text": "Sorry about this: we will send a new one.",
        "fulfil_by": None,
        "status": "open",
        "consumer_accepted_at": None,
        "merchant_accepted_at": None,
        "created_at": at,
    }
    case.offers.append(offer)
    data = {"kind": "offer", "offer_id": ids.offer, "remedies": remedies, "fulfil_by": None, "text": offer["text"]}
    written = {name: value for name, value in offer.items() if name != "id"}
    case.move(
        "respond",
        "merchant",
        case.agent,
        at,
        "negotiating",
        data,
        merchant_responded=True,
        offers={ids.offer: written},
    )


def accept_offer(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    offer = case.offers[-1]
    offer.update({"status": "accepted", "consumer_accepted_at": at})
    changed = {offer["id"]: {"consumer_accepted_at": at, "status": "accepted"}}
    data = {"offer_id": offer["id"], "settlement_id": offer["id"]}
    case.move(
        "accept_offer",
        "consumer",
        case.row["consumer"],
        at,
        "settled",
        data,
        fulfilment_marked_at=None,
        settlement=offer["id"],
        offers=changed,
    )


def mark_fulfilled(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    case.move(
        "mark_fulfilled",
        "merchant",
        case.agent,
        at,
        "settled",
        {"proof": "Waybill SF0000000000"},
        fulfilment_marked_at=at,
    )


def confirm_fulfilment(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    case.move("confirm_fulfilment", "consumer", case.row["consumer"], at, "resolved", {})


def dispute_fulfilment(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    case.move("dispute_fulfilment", "consumer", case.row["consumer"], at, "breached", {"reason": "Nothing arrived."})


def rate(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    score = rng.choice((3, 4, 4, 5, 5, 5))
    case.move(
        "rate",
        "consumer",
        case.row["consumer"],
        at,
        case.row["state"],
        {"score": score, "comment": ""},
        rating=score,
        rating_comment="",
    )


def withdraw(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    case.move("withdraw", "consumer", case.row["consumer"], at, "withdrawn", {"reason": "Sorted out directly."})


def request_mediation(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    case.move(
        "request_mediation", "consumer", case.row["consumer"], at, "awaiting_mediator", {"reason": "No agreement."}
    )


def claim(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    mediator = rng.choice(cast.mediators)
    case.move("claim", "any_mediator", mediator, at, "awaiting_mediator", {"mediator": mediator}, mediator=mediator)


def decline(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    data = {"reason": "materials_missing", "note": "No order or payment record was provided."}
    case.move("decline", "mediator", case.row["mediator"], at, "declined", data, decline_reason="materials_missing")


def admit(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    case.move("admit", "mediator", case.row["mediator"], at, "in_mediation", {})


def close_unresolved(case: Draft, cast: Cast, at: datetime, rng: random.Random, ids: Ids) -> None:
    case.move(
        "close_unresolved", "mediator", case.row["mediator"], at, "unresolved", {"note": "The parties did not agree."}
    )


PATHS: list[tuple[int, list[Step]]] = [
    (12, []),
    (10, [withdraw]),
    (10, [respond_reject, withdraw]),
    (30, [respond_offer, accept_offer, mark_fulfilled, confirm_fulfilment, rate]),
    (5, [respond_offer, accept_offer, mark_fulfilled, dispute_fulfilment]),
    (8, [respond_reject, request_mediation, claim, decline]),
    (12, [respond_reject, request_mediation, claim, admit, close_unresolved]),
    (8, [respond_reject, request_mediation]),
    (5, [respond_reject]),
]
PATH_STEPS, PATH_ODDS = [steps for _w, steps in PATHS], list(accumulate(w for w, _steps in PATHS))


async def _cast() -> Cast:
    consumers = [row["id"] for row in await User.select(User.id).where(User.role == "consumer").limit(200)]
    agents = await User.select(User.id, User.enterprise).where(
        User.role == "merchant", User.agent_status == "approved", User.enterprise.is_not_null()
    )
    mediators = [row["id"] for row in await User.select(User.id).where(User.role == "mediator")]
    if not consumers or not agents or not mediators:
        raise LookupError("bulk seeding needs consumers, approved merchant agents and mediators (run seed-demo first)")
    by_enterprise = {row["enterprise"]: row["id"] for row in agents}
    return Cast(consumers, sorted(by_enterprise.items()), mediators)


async def _next_id(table: Any) -> int:
    row = await table.raw(f"SELECT MAX(id) AS top FROM {table._meta.tablename}")
    return int(row[0]["top"] or 0)


def _filing(case_id: int, reference: str, cast: Cast, at: datetime, rng: random.Random, salted: Iterator[str]) -> Draft:
    enterprise, agent = rng.choice(cast.agents)
    currency = rng.choices(CURRENCY_CODES, cum_weights=CURRENCY_ODDS)[0]
    amount = rng.randrange(20, 3000) * 100
    row: dict[str, Any] = {
        "id": case_id,
        "reference": reference,
        "consumer": rng.choice(cast.consumers),
        "enterprise": enterprise,
        "mediator": None,
        "previous_mediator": None,
        "former_mediators": [],
        "state": "filed",
        "version": 1,
        "category": rng.choice(CATEGORIES),
        "order_number": f"BULK-{case_id:08d}",
        "platform": rng.choice(PLATFORMS),
        "purchase_date": (at - timedelta(days=rng.randrange(3, 60))).date(),
        "product_name": "Bulk-seeded product",
        "gtin": None,
        "trace_code": None,
        "trace_gtin": None,
        "trace_batch": None,
        "trace_serial": None,
        "trace_expiry": None,
        "waybill": None,
        "amount_paid": amount,
        "currency": currency,
        "desired_remedy": "refund",
        "description": "A case seeded in bulk for benchmarks.",
        "language": "en",
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
        "last_seq": 0,
        "last_hash": GENESIS_HASH,
        "next_due_at": None,
        "filed_at": at,
        "updated_at": at,
    }
    case = Draft(row, agent, salted)
    skip = {"id", "last_seq", "last_hash", "next_due_at"}
    writes = {"case": {name: recorded_value(name, value) for name, value in row.items() if name not in skip}}
    major, minor = divmod(amount, 100)
    data = {
        "action": "file",
        "to": "filed",
        "amount_paid": {"amount": f"{major}.{minor:02d}", "currency": currency},
        **{name: recorded_value(name, row[name]) for name in ("category", "description", "desired_remedy", "gtin")},
        **{name: recorded_value(name, row[name]) for name in ("language", "order_number", "platform", "product_name")},
        **{name: recorded_value(name, row[name]) for name in ("purchase_date", "trace_code", "waybill")},
    }
    case.append("file", "parties", row["consumer"], "consumer", at, data, writes)
    return case


async def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    """Rows straight into the open write transaction's connection: SQLite's executemany (values adapted by the
    adapters Piccolo registers, so they read back as Piccolo wrote them) or PostgreSQL's COPY. Piccolo builds
    a query string a row, about a millisecond each: too slow for 100,000 cases."""
    if not rows:
        return
    columns = list(rows[0])
    values = itemgetter(*columns)
    records = [values(row) for row in rows]
    name = table._meta.tablename
    connection = engine().current_transaction.get().connection
    if engine().engine_type == "sqlite":
        quoted = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join("?" * len(columns))
        connection.raw.executemany(f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})', records)
    else:
        await connection.copy_records_to_table(name, records=records, columns=columns)


def _reference(at: datetime, rng: random.Random, taken: set[str]) -> str:
    """A reference drawn as a filing draws one (cases.filing.new_reference), from the seed, none taken twice."""
    while (drawn := reference(at.year, rng.randrange(10**REFERENCE_DIGITS))) in taken:
        pass
    taken.add(drawn)
    return drawn


def _rollups(
    drafts: list[Draft],
    countries: dict[int, str],
    calendar: Calendar,
    zone: tzinfo,
    counts: Counter[tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """The seeded cases' facts rows, and their counts added to `counts` (as the follower would count them)."""
    facts = []
    for draft in drafts:
        row = draft.row
        fact: dict[str, Any] = {"filed_at": row["filed_at"], "first_response_days": None, "closing_days": None}
        fact.update(outcome=None, settled=0, mediator=None)
        key = (row["category"], row["enterprise"])
        filed = {name: row[name] for name in ("category", "currency", "platform")}  # (not the whole row: a copy a case)
        filed["country"], day = countries.get(row["enterprise"]), local_day(row["filed_at"], zone)
        for metric in filing_metrics(filed):
            counts[(day, *key, metric)] += 1
        for move in draft.moves:
            metrics, updates = move_counts(fact, move, move[HELD_BY], calendar)
            fact.update(updates)
            day = local_day(move["at"], zone)
            for metric, n in metrics.items():
                counts[(day, *key, metric)] += n
        facts.append({"case": row["id"], "enterprise": row["enterprise"], "category": row["category"], **fact})
    return facts


async def seed_cases(count: int, clock: Clock, calendar: Calendar, zone: tzinfo, seed: int = 15) -> int:
    """Write `count` cases over the 24 months before now (counted in `calendar`'s working days and `zone`'s
    days, as the deployment's follower would); the number written."""
    rng, salted = random.Random(seed), salts()
    now = clock.now()
    cast = await _cast()
    countries = {row["id"]: row["country"] for row in await Enterprise.select(Enterprise.id, Enterprise.country)}
    counts: Counter[tuple[Any, ...]] = Counter()
    moments = sorted(now - timedelta(seconds=rng.randrange(60, 730 * 86400)) for _ in range(count))
    async with write_transaction(), bulk_cache():
        next_case, ids = await _next_id(Case), Ids(await _next_id(Offer))
        taken = {row["reference"] for row in await Case.select(Case.reference)}
        for start in range(0, count, BATCH):
            drafts = []
            for at in moments[start : start + BATCH]:
                next_case += 1
                case = _filing(next_case, _reference(at, rng, taken), cast, at, rng, salted)
                moment = at
                for step in rng.choices(PATH_STEPS, cum_weights=PATH_ODDS)[0]:
                    moment += timedelta(hours=rng.randrange(6, 24 * 6))
                    if moment >= now:
                        break
                    step(case, cast, moment, rng, ids)
                drafts.append(case)
            for draft in drafts:  # counted here, below: the follower need not count them again
                draft.row.update(counted_version=draft.row["version"], counted_seq=draft.row["last_seq"])
            await _insert(Case, [draft.row for draft in drafts])
            await _insert(Offer, [offer for draft in drafts for offer in draft.offers])
            await _insert(CaseEvent, [event for draft in drafts for event in draft.events])
            await _insert(CaseFact, _rollups(drafts, countries, calendar, zone, counts))
        if engine().engine_type == "postgres":
            for table in ("dispute_case", "case_offer"):
                await Case.raw(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        await add_counts(counts)
    await _refresh_statistics()
    return count


async def _refresh_statistics() -> None:
    """PostgreSQL plans from table statistics that autovacuum refreshes only a while after a bulk load: until
    then it planned the registrar's case list (every case, latest first) for the few rows it had last seen, 14x
    slower at 100k cases than at 1k (bench/scale.py). Loading in bulk is when to analyze."""
    if engine().engine_type == "postgres":
        tables = (Case, Offer, CaseEvent, CaseFact, DailyCount, MonthlyCount)
        await Case.raw("ANALYZE " + ", ".join(table._meta.tablename for table in tables))
