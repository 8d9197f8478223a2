"""Fill in who held each existing case before (claims and reassignments in its record, appeals)."""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T00:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "former mediators backfill"


async def _backfill() -> None:
    """Everyone who claimed a case, or was assigned it, and no longer holds it (appeals, releases)."""
    engine = engine_finder()
    holders = await engine.run_ddl(
        "SELECT c.id AS case_id, c.mediator AS mediator, c.previous_mediator AS previous, e.actor AS actor, "
        "e.type AS type, e.data AS data FROM dispute_case c LEFT JOIN case_event e "
        "ON e.\"case\" = c.id AND e.type IN ('claim', 'reassign') ORDER BY c.id, e.seq"
    )
    former: dict[int, list[int]] = {}
    for row in holders:
        people = former.setdefault(row["case_id"], [])
        candidates = [row["previous"]]
        if row["type"] == "claim":
            candidates.append(row["actor"])
        elif row["type"] == "reassign":
            data = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
            candidates.append((data or {}).get("mediator"))
        for person in candidates:
            if person is not None and person != row["mediator"] and person not in people:
                people.append(person)
    sqlite = engine.engine_type == "sqlite"
    for case_id, people in former.items():
        if people:
            value = json.dumps(people) if sqlite else "{" + ",".join(map(str, people)) + "}"
            await engine.run_ddl(f"UPDATE dispute_case SET former_mediators = '{value}' WHERE id = {int(case_id)}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.add_raw(_backfill)
    return manager
