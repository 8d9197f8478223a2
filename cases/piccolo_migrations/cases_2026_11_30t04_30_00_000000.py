"""Lists that do not grow with the data (issue 14 §7): each list query walks an index in its own order.

A party's, an enterprise's and a mediator's cases are read newest change first (`updated_at, id` after
the person), everyone's likewise for registrars; a mediator's own open cases by state in deadline order
like the queue; a case's open deadlines by (case, closed_at) in due order, so moving a case reads its own
deadlines instead of every open one. tests/accord/test_query_plans.py holds the queries to these indexes.

The single-column indexes these lead with (or that the queue's index leads with) go: they cost every write
and let a planner pick them and sort, as the one on closed_at did for the open-deadline reads.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "list indexes"

STATEMENTS = (
    "CREATE INDEX dispute_case_consumer_recent ON dispute_case (consumer, updated_at, id)",
    "CREATE INDEX dispute_case_enterprise_recent ON dispute_case (enterprise, updated_at, id)",
    "CREATE INDEX dispute_case_mediator_recent ON dispute_case (mediator, updated_at, id)",
    "CREATE INDEX dispute_case_recent ON dispute_case (updated_at, id)",
    "CREATE INDEX dispute_case_mediator_queue ON dispute_case (mediator, state, next_due_at, id)",
    'CREATE INDEX case_deadline_case_open ON case_deadline ("case", closed_at, due_at)',
)


# Columns whose own index a composite one above now serves (table class, table, column).
SUPERSEDED = (
    ("Case", "dispute_case", "consumer"),
    ("Case", "dispute_case", "enterprise"),
    ("Case", "dispute_case", "mediator"),
    ("Case", "dispute_case", "state"),
    ("Case", "dispute_case", "updated_at"),
    ("Deadline", "case_deadline", "case"),
    ("Deadline", "case_deadline", "closed_at"),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    for table_class_name, tablename, column in SUPERSEDED:
        manager.alter_column(
            table_class_name=table_class_name,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            params={"index": False},
            old_params={"index": True},
            schema=None,
        )

    async def create_indexes() -> None:
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
