"""Signed tree heads: the registry signs each head of its Merkle log with Ed25519, so anyone holding its
public key can prove what the log claimed, and when two claims cannot both be true.

The signed message is the canonical JSON (sorted keys, no spaces, UTF-8: the form case records hash) of
`{"at": <ISO time of the newest entry or null>, "root": <hex root>, "size": <entries>}`. Keys and
signatures travel as standard base64. Nothing here touches the database, so `accord registry monitor`
runs anywhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM = "Ed25519"


def head_message(size: int, root: str, at: str | None) -> bytes:
    return json.dumps(
        {"at": at, "root": root, "size": size}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


@lru_cache(maxsize=4)
def _private_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(seed: bytes) -> bytes:
    """The raw 32-byte public key of the signing key."""
    return _private_key(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """A short name of a public key for people comparing it: the hex SHA-256 of its raw bytes."""
    return hashlib.sha256(public).hexdigest()


def sign_head(seed: bytes, size: int, root: str, at: str | None) -> str:
    return base64.b64encode(_private_key(seed).sign(head_message(size, root, at))).decode()


def head_signed_by(public: bytes, head: dict[str, Any]) -> bool:
    """True iff `head` ({size, root, at, signature}) carries a valid signature by `public`; never raises."""
    try:
        signature = base64.b64decode(str(head["signature"]), validate=True)
        message = head_message(int(head["size"]), str(head["root"]), head["at"])
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, KeyError, TypeError, ValueError, binascii.Error):
        return False
    return True
