"""Existing messages take their author's role from the record event that holds them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T00:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "message author role backfill"


async def _backfill() -> None:
    await engine_finder().run_ddl(
        'UPDATE case_message SET author_role = (SELECT e.actor_role FROM case_event e '
        'WHERE e."case" = case_message."case" AND e.seq = case_message.seq) '
        "WHERE author_role = ''"
    )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_raw(_backfill)
    return manager
