"""What a transparency-log monitor checks (RFC 9162 §8.3), for anyone outside: `accord registry monitor URL`.

Each run fetches the registry's signed tree head, checks its Ed25519 signature against a key pinned on the
first run (or given), and proves with a consistency proof that the log only grew since the head the last
run saw. Any failure is an alarm: the log said two things that cannot both be true, or someone else is
speaking for it. The last good head stays in a small local state file, so an alarm repeats until a person
looks. Nothing here needs Accord's database or settings.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from integrity import signing
from integrity.merkle import EMPTY_ROOT, verify_consistency

TIMEOUT_SECONDS = 20


class Unreachable(Exception):
    """The registry could not be asked, or answered something that is no answer (not an alarm)."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def default_state_file() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "accord" / "monitor.json"


def _get(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "accord-monitor"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise Unreachable(f"{url}: HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(f"{url}: {getattr(error, 'reason', error)}") from None
    except ValueError:
        raise Unreachable(f"{url}: the answer is not JSON") from None


def _load_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"logs": {}}
    except (OSError, ValueError) as error:
        raise Unreachable(f"state file {path}: {error}") from None
    if not isinstance(state, dict) or not isinstance(state.get("logs"), dict):
        raise Unreachable(f"state file {path}: not a monitor state file")
    return state


def _save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)  # a crash never leaves half a state file


def _key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise Unreachable(f"{where} is not a base64 Ed25519 public key")
    return key


def _served_key(base: str) -> str:
    answer = _get(f"{base}/registry/public-key")
    return str(answer.get("public_key")) if isinstance(answer, dict) else ""


def _well_formed(head: Any) -> bool:
    return (
        isinstance(head, dict)
        and type(head.get("size")) is int
        and head["size"] >= 0
        and isinstance(head.get("root"), str)
        and len(head["root"]) == 64
        and all(c in "0123456789abcdef" for c in head["root"])
        and (head.get("at") is None or isinstance(head["at"], str))
        and isinstance(head.get("signature"), str)
    )


def _consistent(base: str, seen: dict[str, Any], head: dict[str, Any]) -> str | None:
    """Why `head` cannot extend the `seen` one, or None when the log only grew."""
    if head["size"] < seen["size"]:
        return f"the log shrank from {seen['size']} to {head['size']} entries"
    if head["size"] == seen["size"]:
        return None if head["root"] == seen["root"] else f"a different root for the same {head['size']} entries"
    if seen["size"] == 0:
        return None  # every log extends the empty one
    answer = _get(f"{base}/registry/log/consistency?first={seen['size']}&second={head['size']}")
    try:
        proof = [bytes.fromhex(node) for node in answer["proof"]]
    except (KeyError, TypeError, ValueError):
        return "the consistency proof it served is malformed"
    if not verify_consistency(
        seen["size"], head["size"], proof, bytes.fromhex(seen["root"]), bytes.fromhex(head["root"])
    ):
        return f"its {head['size']} entries do not extend the {seen['size']} seen before: the log was rewritten"
    return None


def check(url: str, state_file: Path, public_key: str | None = None) -> Outcome:
    """One monitoring round; raises Unreachable when the registry or the state file cannot be read."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise Unreachable(f"{url}: give the registry's http:// or https:// address")
    base = url.rstrip("/")
    state = _load_state(state_file)
    seen = state["logs"].get(base, {})
    notes = []
    if public_key:
        key = _key(public_key, "--public-key")
    elif seen.get("public_key"):
        key = _key(seen["public_key"], f"the key pinned in {state_file}")
        served = _served_key(base)
        if served != seen["public_key"]:
            return Outcome(
                False,
                f"the log now serves another public key ({served}) than the one pinned ({seen['public_key']}); "
                "if its operator announced a new key, check it and pass it with --public-key",
            )
    else:
        key = _key(_served_key(base), f"{base}/registry/public-key")
        notes.append(f"pinned its public key {signing.key_id(key)[:16]} (first run)")
    head = _get(f"{base}/registry/tree-head")
    if not _well_formed(head):
        return Outcome(False, "the tree head is malformed")
    if not signing.head_signed_by(key, head):
        return Outcome(False, f"the tree head of {head['size']} entries is not signed by the log's key")
    if head["size"] == 0 and head["root"] != EMPTY_ROOT.hex():
        return Outcome(False, "an empty log with a root that is not the empty tree's")
    if previous := seen.get("head"):
        if problem := _consistent(base, previous, head):
            return Outcome(False, problem)
        notes.append(f"consistent with the {previous['size']} entries seen before")
    state["logs"][base] = {
        "public_key": base64.b64encode(key).decode(),
        "head": {name: head[name] for name in ("size", "root", "at", "signature")},
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _save_state(state_file, state)
    summary = f"signed tree head of {head['size']} entries, root {head['root']}"
    return Outcome(True, "; ".join([summary, *notes]))
