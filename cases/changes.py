"""What happened to a case since a viewer last saw it, in words: for a form refused because someone
acted first (409), and for the notice when a case page updates itself live.

Every transition raises the case's version, and its record event says so in its writes
(`{"case": {"version": n, ...}}`): the transitions since version `v` are the events that wrote a later one.
They are told with the timeline's own sentences (cases/story.py: "Zhang Min (merchant · …) offered a
partial refund of ¥60.00"), never state codes, versions or timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from accord.i18n import N_, gettext
from cases.story import Line


def _version_written(event: Mapping[str, Any]) -> int:
    writes = event.get("writes")
    writes = json.loads(writes) if isinstance(writes, str) else writes or {}
    version = (writes.get("case") or {}).get("version")
    return version if isinstance(version, int) and event["type"] != "file" else 0


def transitions_since(record: list[Mapping[str, Any]], version: int) -> list[Mapping[str, Any]]:
    """The transition events that took the case from `version` to where it is now."""
    return [event for event in record if _version_written(event) > version]


def changes_since(record: list[Mapping[str, Any]], version: int, told: Mapping[int, Line]) -> Markup | None:
    """The transitions since `version` as the timeline tells them, in one run of sentences (None: none)."""
    leads = [told[event["seq"]].lead for event in transitions_since(record, version) if event["seq"] in told]
    return Markup(gettext(N_("; "))).join(leads) if leads else None
