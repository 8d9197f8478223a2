"""Existing users keep seeing times in the zone they saw them in so far: the deployment's (ACCORD_TIMEZONE),
where the new column's default is Asia/Shanghai."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T01:05:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "existing users get the deployment's time zone"


def _quoted(zone: str) -> str:
    """An IANA zone name as an SQL literal (they hold letters, digits, '/', '_', '-', '+' only)."""
    if not all(char.isalnum() or char in "/_-+" for char in zone):
        raise ValueError(f"unexpected time zone name {zone!r}")
    return f"'{zone}'"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def deployment_zone_for_existing_users() -> None:
        from accord.settings import get_settings

        zone = get_settings().timezone.key
        if zone != "Asia/Shanghai":
            await engine_finder().run_ddl(f"UPDATE users SET timezone = {_quoted(zone)}")

    manager.add_raw(deployment_zone_for_existing_users)
    return manager
