"""Rollup shards, continued: the upserts' conflict key takes the shard (added by the previous migration), and a
partial index finds the shards of past days and months for folding them back."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T17:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "rollup shards in the keys"


class DailyCount(Table, tablename="insight_daily", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def keys() -> None:
        for table, period in (("insight_daily", "day"), ("insight_monthly", "month")):
            await DailyCount.raw(f"DROP INDEX {table}_key")
            await DailyCount.raw(
                f"CREATE UNIQUE INDEX {table}_key ON {table} ({period}, category, enterprise, metric, shard)"
            )
            await DailyCount.raw(f"CREATE INDEX {table}_sharded ON {table} ({period}) WHERE shard > 0")

    manager.add_raw(keys)
    return manager
