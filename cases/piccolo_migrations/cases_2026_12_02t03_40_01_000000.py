"""The cases counted so far: every existing one (the rollups counted them as they moved, in the moves'
transactions), and the index the statistics find the uncounted ones by (a partial index: only the cases that
moved since they were last counted are in it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T03:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases counted so far, the uncounted cases' index"


class Case(Table, tablename="dispute_case", schema=None):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def counted_so_far() -> None:
        await Case.raw("UPDATE dispute_case SET counted_version = version, counted_seq = last_seq")
        await Case.raw("CREATE INDEX dispute_case_uncounted ON dispute_case (id) WHERE counted_version < version")

    manager.add_raw(counted_so_far)
    return manager
