"""Data rights (PIPL): the privacy notice version a user agreed to and when, and when they closed their account."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T06:47:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "consent and closed accounts"


def _params(**overrides: Any) -> dict[str, Any]:
    return {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


COLUMNS = [
    ("consent_version", Varchar, _params(length=20)),
    ("consent_at", Timestamptz, _params()),
    ("closed_at", Timestamptz, _params()),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="User",
            tablename="users",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
