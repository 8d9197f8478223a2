"""The record check finds the cases never verified, then those verified longest ago, by one index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T04:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "verified record head index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl("CREATE INDEX dispute_case_verified ON dispute_case (verified_at, id)")

    manager.add_raw(create_index)
    return manager
