"""Counts updated in place: `count` leaves the scope and metric indexes. Every filing and move adds to about forty
rollup rows; with `count` in two indexes each of those updates wrote a new entry into every index of the table
(on PostgreSQL none could be a heap-only update), and the two upserts were most of what a filing cost the
database. The figures read a few hundred rows at most, now from the table through the same indexes. On
PostgreSQL the tables also leave room on each page for the updated row versions (fillfactor 70, on the pages
written from now on), so that an update stays on its page and touches no index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T20:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rollup counts out of the indexes"


class DailyCount(Table, tablename="insight_daily", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def uncovered() -> None:
        postgres = DailyCount._meta.db.engine_type == "postgres"
        for table, period in (("insight_daily", "day"), ("insight_monthly", "month")):
            covered = "day, month" if period == "day" else "month"
            await DailyCount.raw(f"DROP INDEX {table}_scope")
            await DailyCount.raw(f"CREATE INDEX {table}_scope ON {table} (category, enterprise, {covered}, metric)")
            await DailyCount.raw(f"DROP INDEX {table}_by_metric")
            await DailyCount.raw(f"CREATE INDEX {table}_by_metric ON {table} (metric, category, {period}, enterprise)")
            if postgres:
                await DailyCount.raw(f"ALTER TABLE {table} SET (fillfactor = 70)")

    manager.add_raw(uncovered)
    return manager
