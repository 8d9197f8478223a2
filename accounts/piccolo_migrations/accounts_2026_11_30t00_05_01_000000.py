"""Merchant agents who registered before approvals existed keep acting for their enterprise: they were
accepted under the old rules, and taking their cases away would stop every case they answer."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T00:05:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "existing merchant agents are approved"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def approve_existing_agents() -> None:
        await engine_finder().run_ddl(
            "UPDATE users SET agent_status = 'approved', agent_decided_at = created_at "
            "WHERE role = 'merchant' AND agent_status IS NULL"
        )

    manager.add_raw(approve_existing_agents)
    return manager
