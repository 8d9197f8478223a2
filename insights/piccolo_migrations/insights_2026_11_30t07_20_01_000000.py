"""Scoped rollups: each count is kept for its category and enterprise, and summed over all categories ("*") and
all enterprises (0), so a figure reads one scope's rows; indexes that lead with the scope (in place of those
that led with the day or month and the metric); then every rollup
recounted from the case records (on the deployment's calendar and time zone)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T07:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "scoped rollups and a recount"


class DailyCount(Table, tablename="insight_daily", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def scope_indexes() -> None:
        # A figure reads one scope (category, enterprise) over a range; a per-enterprise or per-category table
        # reads a few metrics of every enterprise or category (metric, category, range; made to lead with the
        # metric by 2026-11-30T08:05:00): both from the index.
        for table, period in (("insight_daily", "day"), ("insight_monthly", "month")):
            await DailyCount.raw(f"DROP INDEX {table}_range")
            await DailyCount.raw(f"DROP INDEX {table}_metric")
            covered = "day, month" if period == "day" else "month"  # a range of days is summed by month too
            await DailyCount.raw(
                f"CREATE INDEX {table}_scope ON {table} (category, enterprise, {covered}, metric, count)"
            )
            await DailyCount.raw(
                f"CREATE INDEX {table}_by_metric ON {table} (category, metric, {period}, enterprise, count)"
            )

    async def backfill() -> None:
        from accord.settings import get_settings
        from insights.rollups import rebuild
        from mediation.calendar import load_calendar

        zone = get_settings().timezone
        await rebuild(await load_calendar(zone), zone)

    manager.add_raw(scope_indexes)
    manager.add_raw(backfill)
    return manager
