"""Record events become salted commitments and name the rows they wrote (cases/record.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "record salts and writes"

COMMON = {
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
    manager.add_column(
        table_class_name="CaseEvent",
        tablename="case_event",
        column_name="writes",
        db_column_name="writes",
        column_class_name="Text",
        column_class=Text,
        params={"default": "{}", **COMMON},
        schema=None,
    )
    manager.add_column(
        table_class_name="CaseEvent",
        tablename="case_event",
        column_name="salt",
        db_column_name="salt",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 64, "default": "", **COMMON},
        schema=None,
    )
    return manager
