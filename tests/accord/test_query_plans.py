"""The hot lists stay flat as the data grows (issue 14 §7): each query the pages run walks an index in its own
order. On SQLite, `EXPLAIN QUERY PLAN` may not SCAN a table nor sort in a temporary B-tree; on PostgreSQL,
with sequential scans priced out, the JSON plan may hold no Seq Scan and no Sort. The queries are built by
the same functions the routes call, so a changed query or a dropped index fails here, not at 100k cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from piccolo.querystring import QueryString

from accord.auth import Viewer
from accord.db import Prepared, engine, is_sqlite
from accord.pagination import Window
from cases.record import LOCKED_CASE
from cases.service import MESSAGE_CASE, RESENT_MESSAGE, my_cases_query
from cases.tables import Deadline
from cases.workflow import LOCKED, next_due_query, open_deadlines
from insights.rollups import ANY_UNCOUNTED, UNCOUNTED
from mediation.service import OPEN_STATES, QUEUE_STATES, QueueFilter, queue_query
from accounts.credentials import TOKEN_VIEWER, session_statement
from notifications.service import UNREAD_COUNTS, UNREAD_ON_PAGE, inbox_query, unread_count_query

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def viewer(role: str, enterprise_id: int | None = None) -> Viewer:
    return Viewer(
        id=7,
        email="someone@example.com",
        display_name="Someone",
        role=role,
        language="en",
        enterprise_id=enterprise_id,
        enterprise_name=None,
        enterprise_verified=True,
        credential="session",
        credential_id=1,
        agent_status="approved" if role == "merchant" else None,
    )


@dataclass(frozen=True)
class Bound:
    """A hot statement built once (accord.db.Prepared) and the values it is explained with."""

    statement: Prepared
    values: dict[str, Any]


FIRST = Window(after=None, limit=25)
LATER = Window(after=[NOW.isoformat(), 123], limit=25)


def hot_queries() -> dict[str, Any]:
    mediator, registrar = viewer("mediator", enterprise_id=3), viewer("admin")
    queries: dict[str, Any] = {}
    for who in (mediator, registrar):
        for state in QUEUE_STATES:
            queries[f"queue {who.role} {state}"] = queue_query(who, QueueFilter(), NOW, state, None, 26)
            queries[f"queue {who.role} {state} later"] = queue_query(who, QueueFilter(), NOW, state, [NOW, 9], 26)
            queries[f"queue {who.role} {state} undated"] = queue_query(
                who, QueueFilter(), NOW, state, 9, 26, dated=False
            )
    for state in OPEN_STATES:
        mine = QueueFilter(mine=True)
        queries[f"queue mine {state}"] = queue_query(mediator, mine, NOW, state, [NOW, 9], 26)
        queries[f"queue mine {state} undated"] = queue_query(mediator, mine, NOW, state, None, 26, dated=False)
    for who in (viewer("consumer"), viewer("merchant", enterprise_id=3), mediator, registrar):
        queries[f"cases of {who.role}"] = my_cases_query(who, FIRST)
        queries[f"cases of {who.role} later"] = my_cases_query(who, LATER)
    agent = viewer("merchant", enterprise_id=3)
    queries["cases of platform"] = my_cases_query(agent, FIRST, role_view="platform")
    queries["cases of platform later"] = my_cases_query(agent, LATER, role_view="platform")
    queries["cases of consumer in a state"] = my_cases_query(viewer("consumer"), FIRST, "negotiating")
    queries["inbox"] = inbox_query(viewer("consumer"), FIRST)
    queries["inbox later"] = inbox_query(viewer("consumer"), Window(after=[500], limit=25))
    queries["unread count"] = unread_count_query(viewer("merchant", enterprise_id=3))
    queries["unread on a page"] = Bound(UNREAD_ON_PAGE, {"viewer_id": 7, "link": "/cases/AC-2026-1"})
    with_badge = session_statement(UNREAD_COUNTS)  # every page's first statement
    queries["session, viewer and badge"] = Bound(with_badge, {"digest": "0" * 64, "link": "/cases/AC-2026-1"})
    queries["API token and viewer"] = Bound(TOKEN_VIEWER, {"digest": "0" * 64})  # every API request's first
    queries["open deadlines of a case"] = open_deadlines(5, Deadline.name, Deadline.due_at, Deadline.paused_at)
    queries["soonest running deadline"] = next_due_query(5)
    # What every move and every live message reads first, locked on PostgreSQL.
    queries["a move's case, locked"] = Bound(LOCKED, {"reference": "AC-2026-000001", "active": True})
    queries["a message's case, locked"] = Bound(MESSAGE_CASE, {"reference": "AC-2026-000001", "active": True})
    queries["a case by id, locked"] = Bound(LOCKED_CASE, {"case": 5})
    queries["a resent message"] = Bound(RESENT_MESSAGE, {"case": 5, "author": 7, "client_id": "c-1"})
    # What the statistics' follower and every figures page look for first.
    queries["uncounted cases"] = Bound(UNCOUNTED, {"batch": 500})
    queries["any uncounted case"] = Bound(ANY_UNCOUNTED, {})
    return queries


HOT = hot_queries()


def _explained(how: str, query: Any) -> QueryString:
    """`how` ("EXPLAIN ...") before a Piccolo query or a prepared statement with its values."""
    if isinstance(query, Bound):
        return query.statement.bound(how, **query.values)
    (statement,) = query.querystrings
    return QueryString(how + " {}", statement)


async def _sqlite_plan(query: Any) -> list[str]:
    rows = await engine().run_querystring(_explained("EXPLAIN QUERY PLAN", query))
    return [row["detail"] for row in rows]


def _pg_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(child for plan in node.get("Plans", []) for child in _pg_nodes(plan))]


async def _pg_plan(query: Any) -> list[str]:
    """Every node of the plan, as "type relation index [unbounded]", on tables too small for a planner to
    bother with an index: sequential scans and sorts are priced out, so one shows only where no index
    can do the work, and an index scan without an index condition is one that walks the whole index."""
    db = engine()
    async with db.transaction():
        await db.run_ddl("SET LOCAL enable_seqscan = off")
        await db.run_ddl("SET LOCAL enable_sort = off")
        rows = await db.run_querystring(_explained("EXPLAIN (FORMAT JSON)", query))
    plan = rows[0]["QUERY PLAN"]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return [
        " ".join(
            filter(
                None,
                (
                    node["Node Type"],
                    node.get("Relation Name"),
                    node.get("Index Name"),
                    "unbounded" if "Index Name" in node and "Index Cond" not in node else None,
                ),
            )
        )
        for node in _pg_nodes(plan[0]["Plan"])
    ]


# Indexes walked whole: registrars list every case by (updated_at, id), a page at a time; the uncounted cases'
# index holds only the cases that moved since the statistics' follower last counted them (a partial index).
WALKED = {
    "cases of admin": "dispute_case_recent",
    "uncounted cases": "dispute_case_uncounted",
    "any uncounted case": "dispute_case_uncounted",
}


@pytest.mark.parametrize("name", sorted(HOT))
async def test_a_hot_query_walks_an_index_in_its_order(app: Any, name: str) -> None:
    if is_sqlite():
        plan = await _sqlite_plan(HOT[name])
        walks = f"SCAN dispute_case USING INDEX {WALKED[name]}" if name in WALKED else None
        assert not [line for line in plan if line.startswith("SCAN ") and line != walks or "TEMP B-TREE" in line], plan
    else:
        plan = await _pg_plan(HOT[name])
        scans = ("Index Scan", "Index Only Scan")
        walks = {f"{scan} dispute_case {WALKED[name]} unbounded" for scan in scans} if name in WALKED else set()
        bad = ("Seq Scan", "Sort", "Incremental Sort")
        assert not [
            node for node in plan if node.startswith(bad) or node.endswith("unbounded") and node not in walks
        ], plan


async def test_the_plans_name_the_indexes_of_the_lists(app: Any) -> None:
    """Not just any index: a person's lists walk the index made for them. SQLite's planner picks by rule, so
    its choice is checked; PostgreSQL's picks by statistics, which a test's few rows make arbitrary between
    fitting indexes (the shape of its plans is checked above), so there the indexes are checked to exist."""
    expected = {
        "queue mediator awaiting_mediator": "dispute_case_queue",
        "queue mine in_mediation": "dispute_case_mediator_queue",
        "cases of consumer later": "dispute_case_consumer_recent",
        "cases of merchant": "dispute_case_enterprise_recent",
        "cases of platform": "dispute_case_platform_recent",
        "cases of mediator": "dispute_case_mediator_recent",
        "cases of admin later": "dispute_case_recent",
        "inbox": "notification_inbox",
        "unread count": "notification_unread",
        "unread on a page": "notification_unread",
        "open deadlines of a case": "case_deadline_case_open",
    }
    for name, index in expected.items():
        if is_sqlite():
            plan = await _sqlite_plan(HOT[name])
            assert any(re.search(rf"\b{index}\b", line) for line in plan), (name, plan)
        else:
            found = await engine().run_querystring(QueryString("SELECT 1 FROM pg_indexes WHERE indexname = {}", index))
            assert found, (name, index)


@pytest.mark.parametrize("statement", [LOCKED, MESSAGE_CASE, LOCKED_CASE], ids=["move", "message", "by id"])
def test_locking_reads_lock_the_row_on_postgresql_and_leave_sqlite_to_its_writer_lock(statement: Prepared) -> None:
    postgres, _ = statement._compile("postgres")
    sqlite, _ = statement._compile("sqlite")
    assert postgres.endswith(statement.lock) and statement.lock.startswith("FOR UPDATE")
    assert "FOR UPDATE" not in sqlite and sqlite.endswith("?")
