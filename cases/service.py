"""Case domain logic besides transitions: filing, reading a case, conversation, evidence, the record.

Every function takes the viewer and checks, through `cases.access`, what they may see and do;
invisible cases and files are "not found", so their existence does not leak.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

from piccolo.query.methods.select import Select

from accord import events, i18n
from accord.auth import Viewer
from accord.db import Prepared
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.files import FileStore, file_label, store_upload
from accord.i18n import gettext as _
from accord.pagination import ID, TIME, Window, page_of
from accounts.tables import User
from cases import filing, record, recourse, story
from cases.access import (
    can_see,
    readable_channels,
    relations,
    writable_channels,
)
from cases.next_steps import NextStep, next_step
from cases.schemas import CaseFilingIn, MessageIn
from cases.tables import (
    Case,
    CaseEvent,
    Deadline,
    Evidence,
    Message,
)
from cases.words import CaseWords, statements
from cases.workflow import PEOPLE_COLUMNS, PEOPLE_JOINS, Context, allowed_actions, apply_filing, with_people

MAX_EVIDENCE_PER_CASE = 20


@dataclass(frozen=True)
class FilingResult:
    case: dict[str, Any]
    warnings: list[str]


# --- filing --------------------------------------------------------------------------------------


async def file_case(viewer: Viewer, data: CaseFilingIn, context: Context, local_today: date) -> FilingResult:
    """A consumer opens a case against a merchant (the case table's first row); the merchant's clock starts."""
    if viewer.role != "consumer":
        raise Forbidden(_("Only consumers file cases."))
    filing.traceability(data, local_today)  # field errors before anything is written
    filing.waybill(data)
    warnings = filing.purchase_date_warnings(data.purchase_date, local_today)
    return FilingResult(case=await apply_filing(viewer, data, context, local_today), warnings=warnings)


async def file_case_with_files(
    viewer: Viewer,
    data: CaseFilingIn,
    files: list[tuple[bytes, str | None]],
    context: Context,
    local_today: date,
    store: FileStore,
    guide_id: str | None = None,
) -> FilingResult:
    """Filing with its evidence files (content, device file name): all stored, or nothing.

    Every check comes first (the form also sniffs each file), then one transaction holds the case
    and its files, so a refusal never leaves a case without the files it was filed with. A filing made
    from a guide's diagnosis (`guide_id`) says so in the same transaction (`filing.FILING_GUIDED`).
    """
    if len(files) > MAX_EVIDENCE_PER_CASE:
        raise InvalidInput.one("evidence", _("Attach at most %(n)d files.") % {"n": MAX_EVIDENCE_PER_CASE})
    async with events.atomic():
        result = await file_case(viewer, data, context, local_today)
        for content, file_name in files:
            await add_evidence(viewer, result.case["reference"], content, "joint", "", context, store, file_name)
        if guide_id:
            await events.emit(events.DomainEvent(filing.FILING_GUIDED, data={"guide_id": guide_id, "at": context.clock.now()}))
    return result


# --- reading -------------------------------------------------------------------------------------


# The case page's reads (issue 14): statements built once, run with bound parameters (accord.db.Prepared).
# The case with the names pages show next to it.
_CASE_SELECT = (
    "SELECT c.*, consumer.display_name AS consumer_name, mediator.display_name AS mediator_name,"
    " enterprise.name AS enterprise_name, enterprise.uscc AS enterprise_uscc,"
    " enterprise.verified AS enterprise_verified, enterprise.kind AS enterprise_kind,"
    " platform.name AS platform_enterprise_name"
)
_CASE_FROM = (
    " FROM dispute_case c LEFT JOIN users consumer ON consumer.id = c.consumer"
    " LEFT JOIN users mediator ON mediator.id = c.mediator"
    " LEFT JOIN enterprise ON enterprise.id = c.enterprise"
    " LEFT JOIN enterprise platform ON platform.id = c.platform_enterprise"
)
CASE = Prepared(_CASE_SELECT + _CASE_FROM + " WHERE c.reference = {reference}")
# The same, once per open deadline (none: one row with the deadline's columns NULL), by the index on
# (case, closed_at, due_at).
DEADLINE_COLUMNS = {"deadline_name": "name", "deadline_due_at": "due_at", "deadline_paused_at": "paused_at"}
CASE_WITH_OPEN_DEADLINES = Prepared(
    _CASE_SELECT
    + ", deadline.name AS deadline_name, deadline.due_at AS deadline_due_at, deadline.paused_at AS deadline_paused_at"
    + _CASE_FROM
    + ' LEFT JOIN case_deadline deadline ON deadline."case" = c.id AND deadline.closed_at IS NULL'
    " WHERE c.reference = {reference} ORDER BY deadline.due_at"
)
OFFERS = Prepared(
    "SELECT o.*, author.display_name AS author_name FROM case_offer o"
    ' LEFT JOIN users author ON author.id = o.author WHERE o."case" = {case} ORDER BY o.id'
)
# Messages and evidence, what the record's message and evidence events made, in one statement: the columns they
# share (a message's text is in `text`, an evidence file's description too), then the file's own.
MESSAGES_AND_EVIDENCE = Prepared(
    "SELECT 'message' AS kind, m.seq AS seq, m.channel AS channel, m.created_at AS created_at, m.author AS person,"
    " author.display_name AS person_name, m.text AS text, m.author_role AS author_role, NULL AS id,"
    " NULL AS sha256, NULL AS media_type, NULL AS size, NULL AS file_name"
    ' FROM case_message m LEFT JOIN users author ON author.id = m.author WHERE m."case" = {case}'
    " UNION ALL SELECT 'evidence', e.seq, e.channel, e.created_at, e.uploaded_by, uploader.display_name,"
    " e.description, NULL, e.id, e.sha256, e.media_type, e.size, e.file_name"
    ' FROM case_evidence e LEFT JOIN users uploader ON uploader.id = e.uploaded_by WHERE e."case" = {case}'
    # The names of everyone who acted in the record, as they are now: a page's events may come parsed from
    # record.page_events, named when they were read.
    " UNION ALL SELECT 'actor', NULL, NULL, NULL, actor.id, actor.display_name, NULL, NULL, NULL, NULL, NULL, NULL,"
    ' NULL FROM users actor WHERE actor.id IN (SELECT event.actor FROM case_event event WHERE event."case" = {case})'
)


# Each kind's columns, as MESSAGE_COLUMNS and EVIDENCE_COLUMNS name them, and the union's column holding them.
AS_MESSAGE = {
    **dict.fromkeys(("seq", "channel", "text", "created_at", "author_role")),
    "author": "person",
    "author_name": "person_name",
}
AS_EVIDENCE = {
    **dict.fromkeys(("id", "sha256", "media_type", "size", "channel", "file_name", "created_at", "seq")),
    "description": "text",
    "uploaded_by": "person",
    "uploaded_by_name": "person_name",
}


def rows_of(rows: list[dict[str, Any]], kind: str, columns: dict[str, str | None]) -> list[dict[str, Any]]:
    """The `kind` rows of MESSAGES_AND_EVIDENCE with their own columns (`columns`: name → the union's column,
    None for the same name), in seq order (sorted here: in SQL each part of the union took a sort of its own)."""
    found = [{name: row[column or name] for name, column in columns.items()} for row in rows if row["kind"] == kind]
    return sorted(found, key=itemgetter("seq"))


# Built once (columns through foreign keys are costly to build): what the messages and evidence requests list.
MESSAGE_COLUMNS = (
    Message.seq,
    Message.channel,
    Message.text,
    Message.created_at,
    Message.author,
    Message.author_role,
    Message.author.display_name.as_alias("author_name"),
)
UPLOADER_NAME = Evidence.uploaded_by.display_name.as_alias("uploaded_by_name")
EVIDENCE_COLUMNS = (
    Evidence.id,
    Evidence.sha256,
    Evidence.media_type,
    Evidence.size,
    Evidence.channel,
    Evidence.description,
    Evidence.file_name,
    Evidence.created_at,
    Evidence.seq,
    Evidence.uploaded_by,
    UPLOADER_NAME,
)
MESSAGES_SHOWN = 500  # the most a page or a request lists at once


async def visible_case(viewer: Viewer, reference: str) -> tuple[dict[str, Any], frozenset[str]]:
    return _seen_by(viewer, await CASE.first(reference=reference))


def _without_deadline(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in DEADLINE_COLUMNS}


def _seen_by(viewer: Viewer, case: dict[str, Any] | None) -> tuple[dict[str, Any], frozenset[str]]:
    """The case and the viewer's relations to it; NotFound (not Forbidden) when they may not see it."""
    related = relations(case, viewer) if case else frozenset()
    if case is None or not can_see(related):
        raise NotFound(_("There is no such case."))
    return case, related


def _remedies(stored: str) -> list[dict[str, Any]]:
    return json.loads(stored) if stored else []


def masked_consumer_name() -> str:
    return _("Consumer (details masked)")


def unnamed(case: dict[str, Any], rows: list[dict[str, Any]], who: str, name: str) -> list[dict[str, Any]]:
    """Retention: in a case whose personal details were masked (`masked_at`, cases/retention.py) the consumer
    is no longer named, wherever the case shows who did or said what (rows' `who` id, `name` shown)."""
    if case.get("masked_at") is not None:
        for row in rows:
            if row.get(who) == case["consumer"]:
                row[name] = masked_consumer_name()
    return rows


@dataclass(frozen=True)
class CaseView:
    """Everything a case page or the API shows, already filtered for the viewer."""

    case: dict[str, Any]
    related: frozenset[str]
    enterprise: dict[str, Any]
    platform_enterprise: dict[str, Any] | None  # the registered platform the case names: {id, name}
    consumer: dict[str, Any]
    mediator: dict[str, Any] | None
    offers: list[dict[str, Any]]
    proposals: list[dict[str, Any]]
    proposal: dict[str, Any] | None
    settlement: dict[str, Any] | None
    deadlines: dict[str, datetime]
    allowed_actions: list[str]
    readable_channels: list[str]
    writable_channels: list[str]
    next: NextStep  # what happens next, told to this viewer
    recourse_claim: dict[str, Any] | None = None  # the platform's claim, on a case it compensated in advance


async def case_view(viewer: Viewer, reference: str, context: Context) -> CaseView:
    rows = await CASE_WITH_OPEN_DEADLINES.rows(reference=reference)
    deadlines = [{name: row[column] for column, name in DEADLINE_COLUMNS.items()} for row in rows if row["deadline_name"]]
    case, related = _seen_by(viewer, _without_deadline(rows[0]) if rows else None)
    offers = await OFFERS.rows(case=case["id"])
    unnamed(case, offers, "author", "author_name")
    consumer = unnamed(case, [{"id": case["consumer"], "display_name": case["consumer_name"]}], "id", "display_name")
    for offer in offers:
        offer["remedies"] = _remedies(offer["remedies"])
    running = {row["name"]: row["due_at"] for row in deadlines if row["paused_at"] is None}
    proposals = [offer for offer in offers if offer["by_role"] == "mediator" and offer["status"] == "open"]
    # Read only for a case the platform compensated (the case row, checked against the record, says so).
    claim = await recourse.claim_of_case(case["id"]) if case["compensated_by"] else None
    return CaseView(
        case=case,
        related=related,
        enterprise={
            "id": case["enterprise"],
            "name": case["enterprise_name"],
            "uscc": case["enterprise_uscc"],
            "verified": bool(case["enterprise_verified"]),
            "kind": case["enterprise_kind"] or "merchant",
        },
        platform_enterprise=(
            {"id": case["platform_enterprise"], "name": case["platform_enterprise_name"]}
            if case["platform_enterprise"] is not None
            else None
        ),
        consumer=consumer[0],
        mediator={"id": case["mediator"], "display_name": case["mediator_name"]} if case["mediator"] else None,
        offers=[offer for offer in offers if offer["by_role"] != "mediator"],
        proposals=[offer for offer in offers if offer["by_role"] == "mediator"],
        proposal=proposals[-1] if proposals else None,
        settlement=next((offer for offer in offers if offer["id"] == case["settlement"]), None),
        deadlines={row["name"]: row["due_at"] for row in deadlines},
        allowed_actions=await allowed_actions(case, viewer, context, offers),
        readable_channels=readable_channels(related),
        writable_channels=writable_channels(related, case),
        next=next_step(case, related, offers, running, context, viewer),
        recourse_claim=claim,
    )


ROLE_VIEWS = ("merchant", "platform")  # an agent's lists: the cases against their enterprise, or naming it as platform


def role_view_of(viewer: Viewer, asked: str | None) -> str | None:
    """Which of an agent's lists to show: the one asked for, else a platform's agents see the cases on
    their platform and other agents their enterprise's. None for everyone else (they have one list)."""
    if viewer.role != "merchant":
        return None
    if asked in ROLE_VIEWS:
        return asked
    return "platform" if viewer.speaks_for_platform else "merchant"


async def list_cases(
    viewer: Viewer,
    window: Window,
    state: str | None = None,
    due_before: datetime | None = None,
    role_view: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The viewer's cases, most recently changed first: their own, their enterprise's (or, `role_view`
    "platform", those naming their enterprise as the platform of the purchase), or assigned to them."""
    query = my_cases_query(viewer, window, state, due_before, role_view)
    if query is None:
        return [], None  # an agent the enterprise has not vouched for sees none of its cases
    shown, cursor = changed_page(await query, window)
    await _attach_next_deadlines(shown)
    return shown, cursor


def my_cases_query(
    viewer: Viewer,
    window: Window,
    state: str | None = None,
    due_before: datetime | None = None,
    role_view: str | None = None,
) -> Any:
    """The page of `list_cases` as one query, walking the person's (updated_at, id) index (or everyone's, for
    registrars) from the cursor; None when the viewer may see no case at all."""
    if viewer.role == "merchant" and viewer.enterprise_id is None:
        return None
    query = Case.select(
        Case.id,
        Case.reference,
        Case.state,
        Case.category,
        Case.product_name,
        Case.filed_at,
        Case.updated_at,
        Case.enterprise.name.as_alias("enterprise_name"),
        Case.platform_enterprise,
    )
    if viewer.role == "consumer":
        query = query.where(Case.consumer == viewer.id)
    elif viewer.role == "merchant" and role_view_of(viewer, role_view) == "platform":
        query = query.where(Case.platform_enterprise == viewer.enterprise_id)
    elif viewer.role == "merchant":
        query = query.where(Case.enterprise == viewer.enterprise_id)
    elif viewer.role == "mediator":
        query = query.where(Case.mediator == viewer.id)
    if state:
        query = query.where(Case.state == state)
    if due_before is not None:
        due = Deadline.select(Deadline.case).where(Deadline.closed_at.is_null(), Deadline.due_at <= due_before)
        query = query.where(Case.id.is_in(due))
    return latest_changed_first(query, window)


def latest_changed_first(query: Select, window: Window) -> Select:
    """A case list's page, most recently changed first, from the window's cursor (keyset on updated_at, id)."""
    if window.after:
        stamp, last_id = window.keys(TIME, ID)
        # The first condition alone lets the index start at the cursor; the second is the exact order.
        query = query.where(
            Case.updated_at <= stamp, (Case.updated_at < stamp) | ((Case.updated_at == stamp) & (Case.id < last_id))
        )
    return (
        query.order_by(Case.updated_at, ascending=False).order_by(Case.id, ascending=False).limit(window.limit + 1)
    )


def changed_page(rows: list[dict[str, Any]], window: Window) -> tuple[list[dict[str, Any]], str | None]:
    """The page of `latest_changed_first` rows and the cursor after it."""
    return page_of(rows, window.limit, key=lambda row: [row["updated_at"].isoformat(), row["id"]])


async def _attach_next_deadlines(rows: list[dict[str, Any]]) -> None:
    ids = [row["id"] for row in rows]
    soonest: dict[int, datetime] = {}
    if ids:
        for deadline in await Deadline.select(Deadline.case, Deadline.due_at).where(
            Deadline.case.is_in(ids), Deadline.closed_at.is_null()
        ):
            current = soonest.get(deadline["case"])
            if current is None or deadline["due_at"] < current:
                soonest[deadline["case"]] = deadline["due_at"]
    for row in rows:
        row["next_deadline"] = soonest.get(row["id"])


# --- conversation --------------------------------------------------------------------------------


def _require_writable(related: frozenset[str], case: dict[str, Any], channel: str) -> None:
    if channel not in writable_channels(related, case):
        if channel not in readable_channels(related):
            raise NotFound(_("There is no such conversation on this case."))
        raise Forbidden(_("You cannot write in this conversation."))


# A live message's statements, built once (the hot path of live conversations, issue 14 §8): its case, locked,
# with only what a message needs of it (who is related, the head of the record); the message itself, unless the
# author sent that client_id before; that earlier message, which a resend answers with.
MESSAGE_CASE = Prepared(
    "SELECT c.id, c.reference, c.consumer, c.enterprise, c.platform_enterprise, c.mediator, c.former_mediators,"
    f" c.last_seq, c.last_hash, {PEOPLE_COLUMNS} FROM dispute_case c JOIN enterprise e ON e.id = c.enterprise"
    f"{PEOPLE_JOINS}" + " WHERE c.reference = {reference}",
    lock="FOR UPDATE OF c",
)
RESENT_MESSAGE = Prepared(
    'SELECT * FROM case_message WHERE "case" = {case} AND author = {author} AND client_id = {client_id} LIMIT 1'
)
INSERT_MESSAGE = Prepared(
    'INSERT INTO case_message ("case", seq, channel, author, author_role, text, client_id, created_at)'
    " VALUES ({case}, {seq}, {channel}, {author}, {author_role}, {text}, {client_id}, {created_at})"
    ' ON CONFLICT ("case", author, client_id) DO NOTHING RETURNING seq'
)


async def post_message(viewer: Viewer, reference: str, message: MessageIn, context: Context) -> dict[str, Any]:
    """Store a message and its record event; a repeated client_id returns the first one unchanged."""
    async with events.atomic():
        # The case's row, locked, with the people its notice may tell, is all a message needs (the hot path of
        # live conversations).
        rows = await MESSAGE_CASE.rows(reference=reference, active=True)
        case, related = _seen_by(viewer, with_people(rows) if rows else None)
        _require_writable(related, case, message.channel)
        now = context.clock.now()
        role = _role_in_case(related)
        event = record.next_event(
            case,
            type="message",
            channel=message.channel,
            actor_id=viewer.id,
            actor_role=role,
            at=now,
            data={"text": message.text},
        )
        row = {
            "case": case["id"],
            "seq": event["seq"],
            "channel": message.channel,
            "author": viewer.id,
            "author_role": role,
            "text": message.text,
            "client_id": message.client_id,
            "created_at": now,
        }
        # The message first: a client_id this author already sent on the case (a retry) stores nothing, found by
        # the unique index in the same statement (no look-up before it: one round trip less on PostgreSQL).
        if not await INSERT_MESSAGE.rows(**row):
            earlier = await RESENT_MESSAGE.first(case=case["id"], author=viewer.id, client_id=message.client_id)
            return {**earlier, "author_name": viewer.display_name}
        await record.store(event)
        await events.emit(
            events.DomainEvent(
                "case.message",
                case["id"],
                {
                    "reference": reference,
                    "seq": event["seq"],
                    "channel": message.channel,
                    "author": viewer.id,
                    "author_name": viewer.display_name,
                    "author_role": role,
                    "text": message.text,
                    "at": now.isoformat(),
                    # Messages are the busiest event: carry the parties so subscribers need no lookup.
                    "parties": {key: case[key] for key in ("consumer", "enterprise", "mediator")},
                },
                subject=case,  # with the people its notice may tell
            )
        )
    return {**row, "author_name": viewer.display_name}


def _role_in_case(related: frozenset[str]) -> str:
    for role in ("consumer", "merchant", "platform", "mediator", "any_mediator", "admin"):
        if role in related:
            return "mediator" if role == "any_mediator" else role
    return "unknown"


async def messages(
    viewer: Viewer, reference: str, after: int = 0, limit: int = MESSAGES_SHOWN
) -> list[dict[str, Any]]:
    case, related = await visible_case(viewer, reference)
    return await messages_in(case, related, after, limit)


async def messages_in(
    case: dict[str, Any], related: frozenset[str], after: int = 0, limit: int = MESSAGES_SHOWN
) -> list[dict[str, Any]]:
    """Messages of an already visible case, in the channels the viewer may read."""
    rows = await (
        Message.select(*MESSAGE_COLUMNS)
        .where(Message.case == case["id"], Message.seq > after, Message.channel.is_in(readable_channels(related)))
        .order_by(Message.seq)
        .limit(limit)
    )
    return unnamed(case, rows, "author", "author_name")


# --- evidence ------------------------------------------------------------------------------------


async def add_evidence(
    viewer: Viewer,
    reference: str,
    content: bytes,
    channel: str,
    description: str,
    context: Context,
    store: FileStore,
    file_name: str | None = None,
) -> dict[str, Any]:
    """Attach a file to the case in a channel the viewer may write to (checked before anything is stored).
    `file_name` is what the uploader's device called it: kept, sanitised, as the file's label only."""
    found, related = await visible_case(viewer, reference)
    _require_writable(related, found, channel)
    stored = store_upload(store, content)  # content-addressed: a rolled-back upload leaves a harmless file
    kept = {
        "sha256": stored.sha256,
        "media_type": stored.media_type,
        "size": stored.size,
        "description": " ".join(description.split())[:300],
        "file_name": file_label(file_name),
    }
    async with events.atomic():
        case = await record.lock_case(found["id"])
        assert case is not None
        if await Evidence.count().where(Evidence.case == case["id"]) >= MAX_EVIDENCE_PER_CASE:
            raise Conflict(_("A case can hold at most %(n)d files.") % {"n": MAX_EVIDENCE_PER_CASE})
        now = context.clock.now()
        event = await record.append(
            case,
            type="evidence",
            channel=channel,
            actor_id=viewer.id,
            actor_role=_role_in_case(related),
            at=now,
            data=kept,
        )
        created = await Evidence.insert(
            Evidence(case=case["id"], channel=channel, uploaded_by=viewer.id, seq=event["seq"], created_at=now, **kept)
        ).returning(Evidence.id)
        await events.emit(
            events.DomainEvent(
                "case.evidence", case["id"], {"reference": reference, "seq": event["seq"], "channel": channel}
            )
        )
    return {"id": created[0]["id"], "channel": channel, **kept}


async def evidence_list(viewer: Viewer, reference: str) -> list[dict[str, Any]]:
    case, related = await visible_case(viewer, reference)
    return await evidence_in(case, related)


async def evidence_in(case: dict[str, Any], related: frozenset[str]) -> list[dict[str, Any]]:
    """Evidence of an already visible case, in the channels the viewer may read."""
    rows = await (
        Evidence.select(*EVIDENCE_COLUMNS)
        .where(Evidence.case == case["id"], Evidence.channel.is_in(readable_channels(related)))
        .order_by(Evidence.seq)
    )
    return unnamed(case, rows, "uploaded_by", "uploaded_by_name")


async def evidence_file(
    viewer: Viewer, reference: str, evidence_id: int, store: FileStore
) -> tuple[dict[str, Any], bytes]:
    case, related = await visible_case(viewer, reference)
    row = (
        await Evidence.select()
        .where(
            Evidence.id == evidence_id, Evidence.case == case["id"], Evidence.channel.is_in(readable_channels(related))
        )
        .first()
    )
    if row is None:
        raise NotFound(_("There is no such file on this case."))
    return row, store.open(row["sha256"])


# --- record --------------------------------------------------------------------------------------


async def case_record(viewer: Viewer, reference: str) -> tuple[list[dict[str, Any]], record.Verification]:
    """All events, verified with the rows they made; events in channels the viewer cannot read keep
    only their sequence number and hashes (record.as_seen)."""
    case, related = await visible_case(viewer, reference)
    events = await record.events_of(case["id"])
    verification = record.verify_rows(events, await record.stored_rows(case["id"], case))
    await record.advance_head(case, events, verification)
    unnamed(case, events, "actor", "actor_name")
    return record.as_seen(events, set(readable_channels(related))), verification


@dataclass(frozen=True)
class CaseContents:
    """What a case page or the printable record shows below the case itself."""

    messages: list[dict[str, Any]]  # in the channels the viewer may read
    evidence: list[dict[str, Any]]  # likewise
    record: list[dict[str, Any]]  # every event as the viewer may see it
    verification: record.Verification


async def case_contents(view: CaseView, *, full: bool = False) -> CaseContents:
    """Messages, evidence and record of a visible case. All messages and evidence are read (in one
    statement) so that the record vouches for every row, then narrowed to what the viewer may read.
    The hashes are recomputed after the record's verified head only, or (`full`) all of them."""
    case_id, readable = view.case["id"], set(view.readable_channels)
    both = await MESSAGES_AND_EVIDENCE.rows(case=case_id)
    messages, evidence = rows_of(both, "message", AS_MESSAGE), rows_of(both, "evidence", AS_EVIDENCE)
    events, prefix = (await record.events_of(case_id), None) if full else await record.page_events(view.case)
    names = {row["person"]: row["person_name"] for row in both if row["kind"] == "actor"}
    for event in events:
        event["actor_name"] = names.get(event["actor"])
    verification, folded = record.verified_record(
        events,
        record.StoredRows(
            view.case, view.offers + view.proposals, messages, evidence, [view.recourse_claim] if view.recourse_claim else []
        ),
        trusted=0 if full else record.trusted_events(events, view.case),
        prefix=prefix,
    )
    if verification.verified:
        record.keep_prefix(case_id, folded)
    await record.advance_head(view.case, events, verification)
    unnamed(view.case, messages, "author", "author_name")
    unnamed(view.case, evidence, "uploaded_by", "uploaded_by_name")
    unnamed(view.case, events, "actor", "actor_name")
    return CaseContents(
        messages=[row for row in messages if row["channel"] in readable][:MESSAGES_SHOWN],
        evidence=[row for row in evidence if row["channel"] in readable],
        record=record.as_seen(events, readable),
        verification=verification,
    )


# --- what was said -------------------------------------------------------------------------------


async def case_words(view: CaseView) -> CaseWords:
    """What people said in action forms on a visible case, as the viewer may read it (one query; the case
    page takes the same from the record it has loaded anyway)."""
    rows = (
        await CaseEvent.select(*record.EVENT_COLUMNS)
        .where(
            CaseEvent.case == view.case["id"],
            CaseEvent.type.not_in(["message", "evidence"]),
            CaseEvent.channel.is_in(view.readable_channels),
        )
        .order_by(CaseEvent.seq)
    )
    for row in rows:
        row["data"] = json.loads(row["data"])
    return CaseWords(statements(unnamed(view.case, rows, "actor", "actor_name")))


async def story_setting(view: CaseView, events: list[dict[str, Any]], context: Context) -> story.Setting:
    """What the timeline's sentences need besides the events; names of people an event only refers to (a
    reassignment's new mediator) cost one query, and only when there is such an event."""
    named = {e["data"].get("mediator") for e in events if e.get("type") == "reassign" and e.get("data")}
    names: dict[int, str] = {}
    if named - {None}:
        rows = await User.select(User.id, User.display_name).where(User.id.is_in(sorted(named - {None})))
        names = {row["id"]: row["display_name"] for row in rows}
    return story.Setting(
        enterprise=view.enterprise["name"],
        platform=view.platform_enterprise["name"] if view.platform_enterprise else None,
        offers={offer["id"]: offer for offer in view.offers + view.proposals},
        names=names,
        terms=context.terms,
        zone=i18n.shown_zone(context.zone),  # type: ignore[arg-type]  # the viewer's
    )


async def verify_reference(reference: str, at: datetime) -> record.Verification:
    """For `accord verify-case`: the whole chain, whatever anyone may see; keeps or clears its verified head."""
    case = await Case.select(Case.id).where(Case.reference == reference).first()
    if case is None:
        raise NotFound(_("There is no such case."))
    return await record.reverify(case["id"], at)


RECHECK_EVERY = timedelta(days=1)
RECHECK_BATCH = 100  # cases a round: a large deployment's first check spreads over rounds


async def recheck_records(now: datetime, batch: int = RECHECK_BATCH) -> list[tuple[str, record.Verification]]:
    """The record check: every case's record verified in full once a day (never checked first, then the
    longest ago), each keeping or clearing its verified head. Several processes may run it at once."""
    due = (
        await Case.select(Case.id, Case.reference)
        .where(Case.verified_at.is_null())
        .order_by(Case.verified_at, Case.id)
        .limit(batch)
    )
    if len(due) < batch:
        due += (
            await Case.select(Case.id, Case.reference)
            .where(Case.verified_at < now - RECHECK_EVERY)
            .order_by(Case.verified_at, Case.id)
            .limit(batch - len(due))
        )
    return [(row["reference"], await record.reverify(row["id"], now)) for row in due]
