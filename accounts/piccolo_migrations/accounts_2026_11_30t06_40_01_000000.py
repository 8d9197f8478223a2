"""A merchant is linked to a platform once (raw statements run before added columns: hence a migration of its own)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T06:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "platform merchant pair unique"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_index() -> None:
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX platform_merchant_pair ON platform_merchant (platform, merchant)"
        )

    manager.add_raw(create_index)
    return manager
