from pathlib import Path

from piccolo.conf.apps import AppConfig

from cases.tables import Case, CaseEvent, Deadline, Evidence, Message, Offer, RecourseClaim

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Case, Offer, Evidence, Message, Deadline, CaseEvent, RecourseClaim],
    migration_dependencies=["accounts.piccolo_app"],
)
