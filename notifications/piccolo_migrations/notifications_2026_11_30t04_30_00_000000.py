"""The inbox and the unread badge read only the recipient's own notices (issue 14 §7): the inbox walks
(recipient, id) newest first; the badge, and the count of a page's own notices it reads at once, count
the unread ones in (recipient, read_at, link) without touching the table (a partial index of unread
notices alone was not chosen by SQLite's planner over the inbox's). tests/accord/test_query_plans.py holds the queries to them. The
recipient's own index goes: the inbox's leads with it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbox indexes"

STATEMENTS = (
    "CREATE INDEX notification_inbox ON notification (recipient, id)",
    "CREATE INDEX notification_unread ON notification (recipient, read_at, link)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="recipient",
        db_column_name="recipient",
        params={"index": False},
        old_params={"index": True},
        schema=None,
    )

    async def create_indexes() -> None:
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
