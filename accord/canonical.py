"""Canonical JSON: one text per value (keys sorted, no spaces, UTF-8 as is), so a hash of it commits to
the value itself. The case record's hash chain and the registry's Merkle log hash this text."""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
