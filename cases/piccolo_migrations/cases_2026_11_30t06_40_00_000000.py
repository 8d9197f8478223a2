"""Platform responsibility (issue 17): a case may name the platform enterprise the purchase was made on,
and records who compensated the consumer when the platform paid in advance."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-30T06:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case platform enterprise, compensated by"


class Enterprise(Table, tablename="enterprise", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


COMMON = {
    "default": None,
    "null": True,
    "primary_key": False,
    "unique": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
COLUMNS = (
    ("platform_enterprise", ForeignKey, {
        "references": Enterprise, "on_delete": OnDelete.restrict, "on_update": OnUpdate.cascade,
        "target_column": None, "index": True,
    }),
    ("compensated_by", Varchar, {"length": 20, "index": False}),
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
            params={**COMMON, **params},
            schema=None,
        )
    return manager
