from pathlib import Path

from piccolo.conf.apps import AppConfig

from traceability.tables import CompanyPrefix, ItemEvent, TraceCheck, TraceEvent

APP_CONFIG = AppConfig(
    app_name="trace",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[CompanyPrefix, TraceEvent, ItemEvent, TraceCheck],
    migration_dependencies=["accounts.piccolo_app", "cases.piccolo_app"],
)
