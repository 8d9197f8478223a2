"""Composite keys Piccolo cannot declare: the record's sequence is unique per case, a sender's client_id
identifies one message (idempotent retries), and the sweeper finds open deadlines by due time."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T12:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case composite indexes"

STATEMENTS = (
    'CREATE UNIQUE INDEX case_event_case_seq ON case_event ("case", seq)',
    'CREATE UNIQUE INDEX case_message_client ON case_message ("case", author, client_id)',
    "CREATE INDEX case_deadline_open_due ON case_deadline (closed_at, due_at)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
