"""Rollups: the unique keys their upserts need, and the backfill of cases filed before insights existed."""

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

    async def backfill() -> None:
        # Cases filed before insights existed are counted from their records, on the deployment's calendar.
        from accord.settings import get_settings
        from insights.rollups import rebuild
        from mediation.calendar import load_calendar

        await rebuild(await load_calendar(get_settings().timezone))

    manager.add_raw(unique_rollup_rows)
    manager.add_raw(backfill)
    return manager
