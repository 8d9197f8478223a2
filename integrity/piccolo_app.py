from pathlib import Path

from piccolo.conf.apps import AppConfig

from integrity.tables import Listing, ListingEvent, ListingEvidence, LogEntry, Report, RightsHolder

APP_CONFIG = AppConfig(
    app_name="integrity",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Listing, ListingEvent, LogEntry, RightsHolder, Report, ListingEvidence],
    migration_dependencies=["accounts.piccolo_app"],
)
