from pathlib import Path

from piccolo.conf.apps import AppConfig

from notifications.tables import DigestSubscription, MailOptOut, Notification, OutboxMail, Reminder

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Notification, OutboxMail, MailOptOut, Reminder, DigestSubscription],
    migration_dependencies=["accounts.piccolo_app", "cases.piccolo_app"],
)
