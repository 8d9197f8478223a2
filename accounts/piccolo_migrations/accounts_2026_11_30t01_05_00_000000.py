"""Each user's time zone, and password reset links. (Existing users get the deployment's zone, in which they
saw every time so far, in the next migration: Piccolo runs a migration's raw steps before its columns.)"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-30T01:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "user time zones, password reset links"


class User(Table, tablename="users", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


def _params(**overrides: Any) -> dict[str, Any]:
    """Piccolo's full column parameters: the defaults every column here shares, and its own."""
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


RESET_COLUMNS = [
    (
        "user",
        ForeignKey,
        _params(references=User, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None,
                index=True),
    ),
    ("token_hash", Varchar, _params(length=64, default="", unique=True)),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ("expires_at", Timestamptz, _params(default=TimestamptzNow())),
    ("used_at", Timestamptz, _params(default=None, null=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_column(
        table_class_name="User",
        tablename="users",
        column_name="timezone",
        db_column_name="timezone",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=64, default="Asia/Shanghai"),
        schema=None,
    )
    manager.add_table(class_name="PasswordReset", tablename="password_reset", schema=None, columns=None)
    for name, column_class, params in RESET_COLUMNS:
        manager.add_column(
            table_class_name="PasswordReset",
            tablename="password_reset",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager

