"""Canonical JSON: one text per value (keys sorted, no spaces, UTF-8 as is), so a hash of it commits to
the value itself. The case record's hash chain and the registry's Merkle log hash this text."""

from __future__ import annotations

from json import JSONEncoder
from typing import Any

# What json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds on every call,
# built once: the same text, without an encoder object a call (a bulk seed encodes millions of values).
_ENCODER = JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    return _ENCODER.encode(value)
