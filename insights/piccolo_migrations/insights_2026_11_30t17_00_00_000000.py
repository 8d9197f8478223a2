"""Rollup shards: a rollup row is kept per shard too, so that on PostgreSQL concurrent transactions adding to the
same day's counts (every filing adds to the day's "filed") mostly write different rows instead of queueing on one
row lock until each commits. Every row so far is shard 0 (SQLite only ever writes shard 0); reads sum whatever
shards there are; `accord sweep` folds the shards of past days back into shard 0 (insights.rollups.fold_shards).
The keys take the shard in the next migration (Piccolo runs a migration's raw steps before its columns)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rollup shards"
SHARD = {
    "default": 0,
    "null": False,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)
    for class_name, tablename in (("DailyCount", "insight_daily"), ("MonthlyCount", "insight_monthly")):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="shard",
            db_column_name="shard",
            column_class_name="Integer",
            column_class=Integer,
            params=SHARD,
        )
    return manager
