"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accord.i18n import gettext as _

MIN_LENGTH = 10
MAX_LENGTH = 256
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so both failures cost the same time. Made when first needed:
    every `accord` command imports this module, and one hash costs a tenth of a second or more."""
    return _hasher.hash("accord-timing-equaliser")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """Why this password may not be used, or None."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.") % {"n": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return _("Use at most %(n)d characters.") % {"n": MAX_LENGTH}
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        return _("This password is too easy to guess; choose a less common one.")
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return _("Do not use your email address as your password.")
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
