"""Rollups: the unique keys their upserts need (the backfill of earlier cases is the monthly migration's)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T03:56:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "insights keys and backfill"


class DailyCount(Table, tablename="insight_daily", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def unique_rollup_rows() -> None:
        # Writers add to a day's row with one upsert (ON CONFLICT needs this index); reruns of the detector
        # find the alert they opened.
        await DailyCount.raw(
            "CREATE UNIQUE INDEX insight_daily_key ON insight_daily (day, category, enterprise, metric)"
        )
        await DailyCount.raw("CREATE INDEX insight_daily_metric_day ON insight_daily (metric, day)")
        await DailyCount.raw(
            "CREATE UNIQUE INDEX insight_alert_key ON insight_alert (kind, day, COALESCE(enterprise, 0), COALESCE(category, ''))"
        )

    manager.add_raw(unique_rollup_rows)
    return manager
