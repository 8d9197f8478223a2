from pathlib import Path

from piccolo.conf.apps import AppConfig

from accounts.tables import (
    AdminAction,
    AgencyProof,
    AgentInvitation,
    ApiToken,
    Enterprise,
    LoginFailure,
    MediatorProfile,
    PasswordReset,
    PlatformMerchant,
    User,
    UserSession,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Enterprise,
        User,
        MediatorProfile,
        UserSession,
        ApiToken,
        LoginFailure,
        AdminAction,
        AgencyProof,
        AgentInvitation,
        PasswordReset,
        PlatformMerchant,
    ],
)
