"""Unified Social Credit Code (GB 32100-2015): 18 characters, the last a mod-31 check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, position, 31) for position in range(17)]


def normalize_uscc(raw: str) -> str:
    return "".join(raw.split()).upper()


def uscc_check_character(first17: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why `code` (already normalised) is not a valid USCC, or None when it is."""
    from accord.i18n import gettext as _

    if len(code) != 18:
        return _("A Unified Social Credit Code has exactly 18 characters.")
    if bad := sorted({char for char in code if char not in _VALUE}):
        return _("These characters never appear in a Unified Social Credit Code: %(chars)s") % {"chars": " ".join(bad)}
    if not code[2:8].isdigit():
        return _("Characters 3 to 8 of a Unified Social Credit Code are the region code and must be digits.")
    if uscc_check_character(code[:17]) != code[17]:
        return _("The check character does not match: please check the code for typing mistakes.")
    return None
