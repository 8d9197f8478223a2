"""Piccolo's configuration: the engine comes from DATABASE_URL, the apps are our domain packages."""

from piccolo.conf.apps import AppRegistry

from accord.db import engine_for
from accord.settings import get_settings

DB = engine_for(get_settings().database)

APP_REGISTRY = AppRegistry(
    apps=[
        "accounts.piccolo_app",
        "cases.piccolo_app",
        "mediation.piccolo_app",
        "integrity.piccolo_app",
        "notifications.piccolo_app",
        "insights.piccolo_app",
        "traceability.piccolo_app",
        "guide.piccolo_app",
    ]
)
