"""The approved agents of an enterprise by an index: a move reads them with its case (cases.workflow.LOCKED),
and a notice's people with them (notifications.service.PEOPLE). Partial: only approved merchant agents are in it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T08:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the index of approved agents by enterprise"


class User(Table, tablename="users", schema=None):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def agents_index() -> None:
        await User.raw(
            "CREATE INDEX users_approved_agents ON users (enterprise)"
            " WHERE role = 'merchant' AND agent_status = 'approved'"
        )

    manager.add_raw(agents_index)
    return manager
