"""Platform responsibility (issue 17): enterprises have a kind; platforms are linked to their merchants."""

from enum import Enum
from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-30T06:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "enterprise kind, platform merchants"


class Enterprise(Table, tablename="enterprise", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


class User(Table, tablename="users", schema=None):
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


def _reference(to: type[Table], on_delete: OnDelete, **overrides: Any) -> dict[str, Any]:
    return _params(references=to, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **overrides)


KIND = Enum("EnterpriseKind", {"merchant": "merchant", "platform": "platform", "brand": "brand"})
COLUMNS = [
    ("Enterprise", "enterprise", "kind", Varchar, _params(length=10, default="merchant", index=True, choices=KIND)),
    ("PlatformMerchant", "platform_merchant", "platform", ForeignKey,
     _reference(Enterprise, OnDelete.cascade, index=True, null=True)),
    ("PlatformMerchant", "platform_merchant", "merchant", ForeignKey,
     _reference(Enterprise, OnDelete.cascade, index=True, null=True)),
    ("PlatformMerchant", "platform_merchant", "linked_by", ForeignKey,
     _reference(User, OnDelete.restrict, null=True, default=None)),
    ("PlatformMerchant", "platform_merchant", "linked_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_table(class_name="PlatformMerchant", tablename="platform_merchant", schema=None, columns=None)
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
