"""Covering indexes for the figures: a range's sums and the states now are read from the index alone."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T04:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "insights covering indexes"


class DailyCount(Table, tablename="insight_daily", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def covering_indexes() -> None:
        await DailyCount.raw(
            "CREATE INDEX insight_daily_range ON insight_daily (day, month, category, enterprise, metric, count)"
        )
        await DailyCount.raw("DROP INDEX insight_daily_metric_day")
        await DailyCount.raw("CREATE INDEX insight_daily_metric ON insight_daily (metric, category, enterprise, count)")

    manager.add_raw(covering_indexes)
    return manager
