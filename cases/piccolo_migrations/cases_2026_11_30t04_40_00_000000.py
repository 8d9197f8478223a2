"""Verify once, not per view (issue 14 §3): each case keeps the head of its record last verified in full
(seq, hash, when); the record check (a job) re-verifies every case a day, oldest check first (its index:
the next migration, as raw statements run before added columns)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T04:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "verified record head"

COMMON = {
    "default": None,
    "null": True,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
COLUMNS = (
    ("verified_seq", Integer, {}),
    ("verified_hash", Varchar, {"length": 64}),
    ("verified_at", Timestamptz, {}),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Case",
            tablename="dispute_case",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**params, **COMMON},
            schema=None,
        )
    return manager
