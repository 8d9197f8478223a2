"""The notices whose mails are due, in a partial index (only those are in it: the mail job finds them without
walking every notice)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T04:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "the due mails' index"


class Notification(Table, tablename="notification", schema=None):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def due_mails() -> None:
        await Notification.raw("CREATE INDEX notification_mail_due ON notification (id) WHERE mail_due")

    manager.add_raw(due_mails)
    return manager
