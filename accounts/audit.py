"""The registrars' audit log in words: who did what to whom, and each value before and after, labelled.

The table keeps the raw values (`AdminAction.before` / `after`, JSON); this module only tells them, in the
reader's language, at the time the page is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from accord.i18n import N_, format_date, label, names_for_reader
from accord.i18n import gettext as _
from accounts.tables import AdminAction, Enterprise, User

# What each action did, as a sentence; `before` / `after` choose the wording where one action reads two ways.
_SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {
    "change_role": lambda after: N_("%(actor)s changed the role of %(target)s."),
    "set_active": lambda after: (
        N_("%(actor)s reactivated the account of %(target)s.")
        if after.get("active")
        else N_("%(actor)s deactivated the account of %(target)s.")
    ),
    "verify_enterprise": lambda after: (
        N_("%(actor)s verified %(target)s.")
        if after.get("verified")
        else N_("%(actor)s withdrew the verification of %(target)s.")
    ),
    "approve_agent": lambda after: N_("%(actor)s approved %(target)s as an agent of their enterprise."),
    "reject_agent": lambda after: N_("%(actor)s did not approve %(target)s as an agent of their enterprise."),
    "calendar_day": lambda after: (
        N_("%(actor)s removed %(target)s from the working-day calendar.")
        if after.get("working") is None
        else N_("%(actor)s entered %(target)s in the working-day calendar.")
    ),
    "calendar_year": lambda after: (
        N_("%(actor)s marked the official holiday schedule of %(target)s as entered.")
        if after.get("entered")
        else N_("%(actor)s marked the official holiday schedule of %(target)s as not entered.")
    ),
    "enterprise_name_zh": lambda after: N_("%(actor)s set the Chinese name of %(target)s."),
    "enterprise_kind": lambda after: N_("%(actor)s changed what %(target)s is."),
    "link_merchant": lambda after: N_("%(actor)s linked a merchant to the platform %(target)s."),
    "unlink_merchant": lambda after: N_("%(actor)s removed a merchant from the platform %(target)s."),
}
_UNKNOWN_ACTION = N_("%(actor)s changed %(target)s.")

_FIELDS = {
    "role": N_("Role"),
    "active": N_("Account"),
    "verified": N_("Verification"),
    "agent_status": N_("Agent status"),
    "enterprise": N_("Enterprise"),
    "note": N_("Note"),
    "working": N_("This day is"),
    "name_zh": N_("Chinese name"),
    "kind": N_("Kind"),
    "merchant": N_("Merchant"),
}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditEntry:
    at: Any
    sentence: str
    changes: list[Change]


@dataclass(frozen=True)
class _Names:
    """Names of the people and enterprises the entries refer to, read once for the whole page."""

    users: dict[int, dict[str, Any]]
    enterprises: dict[int, dict[str, Any]]

    def user(self, user_id: int) -> str:
        user = self.users.get(user_id)
        return f"{user['display_name']} ({user['email']})" if user else _("user no. %(id)s") % {"id": user_id}

    def enterprise(self, enterprise_id: int) -> str:
        enterprise = self.enterprises.get(enterprise_id)
        if enterprise is None:
            return _("enterprise no. %(id)s") % {"id": enterprise_id}
        shown, _other = names_for_reader(enterprise["name"], enterprise["name_zh"])
        if enterprise["uscc"]:
            return _("%(name)s (USCC %(uscc)s)") % {"name": shown, "uscc": enterprise["uscc"]}
        return shown


def _target(target: str, names: _Names) -> str:
    kind, _sep, key = target.partition(":")
    if kind == "user" and key.isdigit():
        return names.user(int(key))
    if kind == "enterprise" and key.isdigit():
        return names.enterprise(int(key))
    if kind == "year":
        return key
    if kind == "day":
        try:
            return format_date(date.fromisoformat(key))
        except ValueError:
            return key
    return target


def _value(field: str, value: Any, names: _Names) -> str:
    """One stored value as words: a role's name, 'a holiday', 'verified', an enterprise's name."""
    if value is None or value == "":
        return _("not in the calendar") if field == "working" else "—"
    if field == "role":
        return label("role", str(value))
    if field == "agent_status":
        return label("agent_status", str(value))
    if field == "kind":
        return label("enterprise_kind", str(value))
    if field in ("enterprise", "merchant") and isinstance(value, int):
        return names.enterprise(value)
    if isinstance(value, bool):
        return _value_of_flag(field, value)
    return str(value)


def _value_of_flag(field: str, value: bool) -> str:
    words = {
        "active": (N_("active"), N_("deactivated")),
        "verified": (N_("verified"), N_("unverified")),
        "working": (N_("a working day"), N_("a holiday")),
    }.get(field, (N_("yes"), N_("no")))
    return _(words[0] if value else words[1])


def _changes(before: dict[str, Any], after: dict[str, Any], names: _Names) -> list[Change]:
    """The labelled values that differ, in the order the action stored them."""
    fields = [key for key in {**before, **after} if key in _FIELDS]
    told = [
        Change(_(_FIELDS[key]), _value(key, before.get(key), names), _value(key, after.get(key), names))
        for key in fields
    ]
    return [change for change in told if change.before != change.after]


async def _names_for(rows: list[dict[str, Any]]) -> _Names:
    user_ids: set[int] = set()
    enterprise_ids: set[int] = set()
    for row in rows:
        kind, _sep, key = row["target"].partition(":")
        if kind == "user" and key.isdigit():
            user_ids.add(int(key))
        elif kind == "enterprise" and key.isdigit():
            enterprise_ids.add(int(key))
        for values in (row["before"], row["after"]):
            enterprise_ids.update(values[key] for key in ("enterprise", "merchant") if isinstance(values.get(key), int))
    users = (
        await User.select(User.id, User.display_name, User.email).where(User.id.is_in(list(user_ids)))
        if user_ids
        else []
    )
    enterprises = (
        await Enterprise.select(Enterprise.id, Enterprise.name, Enterprise.name_zh, Enterprise.uscc).where(
            Enterprise.id.is_in(list(enterprise_ids))
        )
        if enterprise_ids
        else []
    )
    return _Names({row["id"]: row for row in users}, {row["id"]: row for row in enterprises})


def _stored(value: Any) -> dict[str, Any]:
    """JSON columns come back as text on SQLite and as text or objects on PostgreSQL."""
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value if isinstance(value, dict) else {}


async def audit_log(limit: int = 50) -> list[AuditEntry]:
    """The newest registrar actions, told in the reader's language."""
    rows = await (
        AdminAction.select(
            AdminAction.action,
            AdminAction.target,
            AdminAction.before,
            AdminAction.after,
            AdminAction.at,
            AdminAction.actor.display_name.as_alias("actor_name"),
        )
        .order_by(AdminAction.id, ascending=False)
        .limit(limit)
    )
    rows = [{**row, "before": _stored(row["before"]), "after": _stored(row["after"])} for row in rows]
    names = await _names_for(rows)
    entries = []
    for row in rows:
        sentence = _SENTENCES.get(row["action"], lambda after: _UNKNOWN_ACTION)(row["after"])
        actor = _("Registrar %(name)s") % {"name": row["actor_name"]}
        words = {"actor": actor, "target": _target(row["target"], names)}
        entries.append(AuditEntry(row["at"], _(sentence) % words, _changes(row["before"], row["after"], names)))
    return entries
