"""Enterprise ownership: merchant agents carry an approval status; proof documents and invitations."""

from enum import Enum
from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-30T00:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "agent approval, proofs, invitations"


class Enterprise(Table, tablename="enterprise", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


class User(Table, tablename="users", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


def _params(**overrides: Any) -> dict[str, Any]:
    """Piccolo's full column parameters: the defaults every column here shares, and its own."""
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


def _foreign_key(references: type[Table], on_delete: OnDelete, **overrides: Any) -> dict[str, Any]:
    return _params(
        references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, null=True,
        **overrides,
    )


USER_COLUMNS = [
    (
        "agent_status",
        Varchar,
        _params(
            length=10,
            default=None,
            null=True,
            index=True,
            choices=Enum("AgentStatus", {"pending": "pending", "approved": "approved", "rejected": "rejected"}),
        ),
    ),
    ("agent_decided_by", ForeignKey, _foreign_key(User, OnDelete.restrict, default=None)),
    ("agent_decided_at", Timestamptz, _params(default=None, null=True)),
    ("agent_note", Varchar, _params(length=500, default=None, null=True)),
]
PROOF_COLUMNS = [
    ("user", ForeignKey, _foreign_key(User, OnDelete.cascade, index=True)),
    ("sha256", Varchar, _params(length=64, default="")),
    ("media_type", Varchar, _params(length=50, default="")),
    ("size", Integer, _params(default=0)),
    ("uploaded_at", Timestamptz, _params(default=TimestamptzNow())),
]
INVITATION_COLUMNS = [
    ("enterprise", ForeignKey, _foreign_key(Enterprise, OnDelete.restrict, index=True)),
    ("invited_by", ForeignKey, _foreign_key(User, OnDelete.restrict)),
    ("token_hash", Varchar, _params(length=64, default="", unique=True)),
    ("note", Varchar, _params(length=100, default="")),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ("expires_at", Timestamptz, _params(default=TimestamptzNow())),
    ("used_at", Timestamptz, _params(default=None, null=True)),
    ("used_by", ForeignKey, _foreign_key(User, OnDelete.restrict, default=None)),
    ("revoked_at", Timestamptz, _params(default=None, null=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_table(class_name="AgencyProof", tablename="agency_proof", schema=None, columns=None)
    manager.add_table(class_name="AgentInvitation", tablename="agent_invitation", schema=None, columns=None)
    for class_name, tablename, columns in (
        ("User", "users", USER_COLUMNS),
        ("AgencyProof", "agency_proof", PROOF_COLUMNS),
        ("AgentInvitation", "agent_invitation", INVITATION_COLUMNS),
    ):
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
