"""The mediation queue reads cases by state in deadline order: one composite index serves it at any size."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T12:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "queue index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl("CREATE INDEX dispute_case_queue ON dispute_case (state, next_due_at, id)")

    manager.add_raw(create_index)
    return manager
