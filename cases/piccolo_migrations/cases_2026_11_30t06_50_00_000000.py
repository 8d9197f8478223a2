"""A platform's agents list the cases naming their platform newest change first (issue 17): the same kind of
index as an enterprise's own list (cases_2026_11_30t04_30), which supersedes the column's own index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T06:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "platform list index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Case",
        tablename="dispute_case",
        column_name="platform_enterprise",
        db_column_name="platform_enterprise",
        params={"index": False},
        old_params={"index": True},
        schema=None,
    )

    async def create_index() -> None:
        await engine_finder().run_ddl(
            "CREATE INDEX dispute_case_platform_recent ON dispute_case (platform_enterprise, updated_at, id)"
        )

    manager.add_raw(create_index)
    return manager
