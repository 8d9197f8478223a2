"""Advance compensation (issue 17): the platform's recourse claims against merchants, and whether the consumer
confirmed the platform's payment."""

from enum import Enum
from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import BigInt, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-30T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "recourse claims, compensation state"


class Enterprise(Table, tablename="enterprise", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


class User(Table, tablename="users", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


class Case(Table, tablename="dispute_case", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


def _params(**overrides: Any) -> dict[str, Any]:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


def _reference(to: type[Table], **overrides: Any) -> dict[str, Any]:
    return _params(references=to, on_delete=OnDelete.restrict, on_update=OnUpdate.cascade, target_column=None,
                   **overrides)


STATE = Enum("RecourseState", {"open": "open", "recovered": "recovered", "waived": "waived"})
CLAIM = "RecourseClaim", "case_recourse_claim"
COLUMNS = [
    (*CLAIM, "case", ForeignKey, _reference(Case, index=True)),
    (*CLAIM, "platform", ForeignKey, _reference(Enterprise, index=True)),
    (*CLAIM, "merchant", ForeignKey, _reference(Enterprise, index=True)),
    (*CLAIM, "amount", BigInt, _params(default=0)),
    (*CLAIM, "currency", Varchar, _params(length=3, default="")),
    (*CLAIM, "note", Text, _params(default="")),
    (*CLAIM, "state", Varchar, _params(length=10, default="open", choices=STATE)),
    (*CLAIM, "created_by", ForeignKey, _reference(User, null=True, default=None)),
    (*CLAIM, "created_at", Timestamptz, _params(default=TimestamptzNow())),
    (*CLAIM, "recovered_at", Timestamptz, _params(null=True, default=None)),
    (*CLAIM, "closed_by", ForeignKey, _reference(User, null=True, default=None)),
    ("Case", "dispute_case", "compensation_state", Varchar, _params(length=24, null=True, default=None)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_table(class_name="RecourseClaim", tablename="case_recourse_claim", schema=None, columns=None)
    for class_name, tablename, name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
