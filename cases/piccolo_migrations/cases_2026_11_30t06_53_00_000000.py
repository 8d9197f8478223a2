"""Retention (PIPL, issue 17 §5): when a case's personal details were masked, years after it ended
(cases/retention.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T06:53:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "masked cases"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Case",
        tablename="dispute_case",
        column_name="masked_at",
        db_column_name="masked_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
