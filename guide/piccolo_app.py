from pathlib import Path

from piccolo.conf.apps import AppConfig

from guide.tables import Diagnosis

APP_CONFIG = AppConfig(
    app_name="guide",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Diagnosis],
    migration_dependencies=[],
)
