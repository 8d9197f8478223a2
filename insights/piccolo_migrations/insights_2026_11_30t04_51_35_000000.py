"""Monthly rollups: their keys and covering indexes; then every rollup recounted from the case records."""

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

    async def backfill() -> None:
        # Every rollup recounted from the case records (cases filed before insights existed, and the monthly
        # sums of the days already counted), on the deployment's calendar.
        from accord.settings import get_settings
        from insights.rollups import rebuild
        from mediation.calendar import load_calendar

        zone = get_settings().timezone
        await rebuild(await load_calendar(zone), zone)

    manager.add_raw(keys_and_backfill)
    manager.add_raw(backfill)
    return manager
