"""Monthly rollups: their keys and covering indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T04:51:35:000000"
VERSION = "1.38.0"
DESCRIPTION = "monthly rollups: keys and backfill"


class MonthlyCount(Table, tablename="insight_monthly", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def keys_and_backfill() -> None:
        await MonthlyCount.raw(
            "CREATE UNIQUE INDEX insight_monthly_key ON insight_monthly (month, category, enterprise, metric)"
        )
        await MonthlyCount.raw(
            "CREATE INDEX insight_monthly_range ON insight_monthly (month, category, enterprise, metric, count)"
        )
        await MonthlyCount.raw(
            "CREATE INDEX insight_monthly_metric ON insight_monthly (metric, category, enterprise, count)"
        )

    # The recount from the case records that followed here is the latest insights migration's (2026-11-30T07:20:01):
    # it counts into the columns and scopes that came after this one.
    manager.add_raw(keys_and_backfill)
    return manager
