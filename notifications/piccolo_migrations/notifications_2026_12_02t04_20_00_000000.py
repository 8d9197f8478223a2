"""A notice whose mail is still to be written (the mail job writes it: issue 14, a move's transaction writes
its notices only)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T04:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "mail_due of a notice"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="mail_due",
        db_column_name="mail_due",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
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
