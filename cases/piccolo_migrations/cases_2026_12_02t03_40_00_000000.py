"""How far the statistics have counted each case's record (insights follows the record, issue 14): the
version whose moves they counted and the last event they read."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "counted_version and counted_seq of a case"

PARAMS = {
    "default": 0,
    "null": False,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    for name in ("counted_version", "counted_seq"):
        manager.add_column(
            table_class_name="Case",
            tablename="dispute_case",
            column_name=name,
            db_column_name=name,
            column_class_name="Integer",
            column_class=Integer,
            params=PARAMS,
            schema=None,
        )
    return manager
