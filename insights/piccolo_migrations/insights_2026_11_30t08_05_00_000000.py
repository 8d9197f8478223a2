"""The metric indexes lead with the metric: led by the category, SQLite walked one for a scope's totals grouped by
metric (its order) over every enterprise's rows of all time instead of the scope index's few rows."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T08:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "metric indexes lead with the metric"


class DailyCount(Table, tablename="insight_daily", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def metric_first() -> None:
        for table, period in (("insight_daily", "day"), ("insight_monthly", "month")):
            await DailyCount.raw(f"DROP INDEX {table}_by_metric")
            await DailyCount.raw(
                f"CREATE INDEX {table}_by_metric ON {table} (metric, category, {period}, enterprise, count)"
            )

    manager.add_raw(metric_first)
    return manager
