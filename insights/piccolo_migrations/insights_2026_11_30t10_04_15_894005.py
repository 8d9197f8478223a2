"""The daily rollups' single-column indexes on day and enterprise go: every read of insight_daily names its
category and reads through the key (day, ...), scope (category, enterprise, ...) or metric index, each of which
serves it at least as well (insights/service.py, insights/alerts.py), so these two only cost every upsert (a
bulk seed writes a million rows into five indexes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import Integer

ID = "2026-11-30T10:04:15:894005"
VERSION = "1.38.0"
DESCRIPTION = "drop the daily rollups' unused day and enterprise indexes"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="insights", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="DailyCount",
        tablename="insight_daily",
        column_name="day",
        db_column_name="day",
        params={"index": False},
        old_params={"index": True},
        column_class=Date,
        old_column_class=Date,
        schema=None,
    )

    manager.alter_column(
        table_class_name="DailyCount",
        tablename="insight_daily",
        column_name="enterprise",
        db_column_name="enterprise",
        params={"index": False},
        old_params={"index": True},
        column_class=Integer,
        old_column_class=Integer,
        schema=None,
    )

    return manager
