from pathlib import Path

from piccolo.conf.apps import AppConfig

from insights.tables import Alert, CaseFact, DailyCount, MonthlyCount

APP_CONFIG = AppConfig(
    app_name="insights",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[DailyCount, MonthlyCount, CaseFact, Alert],
    migration_dependencies=["cases.piccolo_app", "mediation.piccolo_app"],
)
