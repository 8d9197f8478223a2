"""Hot-path writes built once (accord.db: insert_rows, update_rows, numbered): each stores exactly what the
Piccolo query it replaces stored, on SQLite and PostgreSQL, and the statement text is built once per shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar

from accord.db import (
    _insert,
    _update,
    column_values,
    insert_rows,
    numbered,
    numbered_values,
    update_rows,
    write_transaction,
)
from accord.piccolo_conf import APP_REGISTRY
from accounts.tables import AdminAction
from notifications.tables import Notification
from tests.conftest import UserFactory

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _stored(table: Any, ids: list[int]) -> list[dict[str, Any]]:
    rows = await table.select().where(table.id.is_in(ids)).order_by(table.id)
    return [{name: value for name, value in row.items() if name != "id"} for row in rows]


async def test_rows_inserted_are_those_piccolos_insert_stores_defaults_and_json_included(
    app: Litestar, make_user: UserFactory
) -> None:
    actor = await make_user("admin")
    given = [
        {"actor": actor["id"], "action": "verify", "target": "enterprise 1", "before": {"v": False}, "after": {}},
        {"actor": actor["id"], "action": "note", "target": "用户 2", "before": [1, "二"], "after": {"zh": "二"}, "at": AT},
    ]
    async with write_transaction():
        ours = await insert_rows(AdminAction, given, returning=("id", "action"))
        theirs = await AdminAction.insert(*(AdminAction(**row) for row in given)).returning(AdminAction.id)
    assert [row["action"] for row in ours] == ["verify", "note"]
    mine = await _stored(AdminAction, [row["id"] for row in ours])
    piccolos = await _stored(AdminAction, [row["id"] for row in theirs])
    assert mine[1] == piccolos[1] and mine[1]["at"] == AT
    assert {k: v for k, v in mine[0].items() if k != "at"} == {k: v for k, v in piccolos[0].items() if k != "at"}
    assert abs((mine[0]["at"] - piccolos[0]["at"]).total_seconds()) < 60  # "now" by the column's default, each


def test_a_new_rows_defaults_are_piccolos_in_every_column_of_every_table() -> None:
    """column_values decides once per column how its default is made; a new row still gets what `table()` gives it
    (a time default made for each row, within the seconds between the two)."""
    compared = 0
    for app in APP_REGISTRY.app_configs.values():
        for table in app.table_classes:
            ours, theirs = column_values(table, {}), table()
            for name, value in ours.items():
                expected = getattr(theirs, name)
                if isinstance(expected, datetime):
                    assert isinstance(value, datetime) and abs(value - expected) < timedelta(seconds=5), (table, name)
                else:
                    assert value == expected and type(value) is type(expected), (table, name, value, expected)
                compared += 1
    assert compared > 300, compared


async def test_notices_keep_their_defaults_and_no_rows_run_nothing(app: Litestar, make_user: UserFactory) -> None:
    person = await make_user("consumer")
    row = {"recipient": person["id"], "kind": "case_filed", "link": "/cases/X", "subject_ref": "X", "created_at": AT}
    async with write_transaction():
        assert await insert_rows(Notification, []) == []
        (made,) = await insert_rows(Notification, [row], returning=("id",))
    (stored,) = await _stored(Notification, [made["id"]])
    assert stored == {**row, "details": "", "read_at": None, "mail_due": False}


async def test_an_unknown_column_is_refused_before_anything_runs(app: Litestar) -> None:
    with pytest.raises(AssertionError, match="no column"):
        await insert_rows(Notification, [{"recipient": 1, "colour": "red"}])


async def test_updates_match_each_value_or_a_list_of_them_and_return_what_changed(
    app: Litestar, make_user: UserFactory
) -> None:
    person = await make_user("consumer")
    rows = [
        {"recipient": person["id"], "kind": "k", "link": f"/{n}", "subject_ref": str(n), "created_at": AT}
        for n in range(3)
    ]
    async with write_transaction():
        ids = [row["id"] for row in await insert_rows(Notification, rows, returning=("id",))]
        which = {Notification.id: ids[:2], Notification.recipient: person["id"]}
        changed = await update_rows(Notification, {Notification.read_at: AT}, which, returning=True)
        none = await update_rows(Notification, {Notification.kind: "x"}, {Notification.id: -1}, returning=True)
    assert sorted(row["id"] for row in changed) == ids[:2] and none == []
    assert [row["read_at"] for row in await _stored(Notification, ids)] == [AT, AT, None]


def test_each_shape_is_built_once() -> None:
    assert _insert(Notification, 2, ("id",)) is _insert(Notification, 2, ("id",))
    assert _insert(Notification, 2, ()) is not _insert(Notification, 3, ())
    shape = ((Notification.id, 2),)
    assert _update(Notification, (Notification.read_at,), shape, False) is _update(
        Notification, (Notification.read_at,), shape, False
    )
    assert numbered("INSERT INTO t (a, b) VALUES ", "", 2, 3) is numbered("INSERT INTO t (a, b) VALUES ", "", 2, 3)
    two_rows = numbered("INSERT INTO t (a, b) VALUES ", "", 2, 2)
    assert two_rows.sql == "INSERT INTO t (a, b) VALUES ({v0}, {v1}), ({v2}, {v3})"
    assert numbered_values(["a", "b"]) == {"v0": "a", "v1": "b"}
