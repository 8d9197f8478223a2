"""Earlier mediators of a case keep reading its caucus and notes (need to know): remember who held it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Array, Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "former mediators"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Case",
        tablename="dispute_case",
        column_name="former_mediators",
        db_column_name="former_mediators",
        column_class_name="Array",
        column_class=Array,
        params={
            "default": list,
            "base_column": Integer(default=0, null=False, primary_key=False, unique=False, index=False,
                                   index_method=IndexMethod.btree, choices=None, db_column_name=None,
                                   secret=False),
            "null": False,
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
