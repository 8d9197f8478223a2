from pathlib import Path

from piccolo.conf.apps import AppConfig

from mediation.tables import CalendarOverride, CalendarYear

APP_CONFIG = AppConfig(
    app_name="mediation",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[CalendarOverride, CalendarYear],
    migration_dependencies=["accounts.piccolo_app", "cases.piccolo_app"],
)
