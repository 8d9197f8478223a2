"""References are drawn at random from here on (cases/filing.py, new_reference): the year's counter they were
counted by goes. The cases filed so far keep their references."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the reference counter dropped"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.drop_table(class_name="ReferenceCounter", tablename="case_reference_counter")
    return manager
