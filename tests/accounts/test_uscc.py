"""GB 32100-2015 Unified Social Credit Code validation."""

from __future__ import annotations

import pytest

from accounts.uscc import (
    LATER_ORGANISATION_TYPES,
    ORGANISATION_TYPES,
    normalize_uscc,
    uscc_check_character,
    uscc_problem,
)

VALID = ["91110000600037341L", "914403001922038216", "91330100716105852F", "91350200776049653A", "91440101MA5CJQ4N59"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes(code: str) -> None:
    assert uscc_problem(code) is None
    assert uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341M", "check character"),
        ("9111000060003734", "exactly 18"),
        ("911100006000373411L", "exactly 18"),
        ("", "exactly 18"),
        ("91110000600037341I", "never appear"),
        ("9111000060003734OL", "never appear"),
        ("91110000S00037341L", "never appear"),
        ("91110000600037V41L", "never appear"),
        ("9111000060Z037341L", "never appear"),
        ("911A0000600037341L", "region code"),
    ],
)
def test_invalid_codes_say_why_before_the_table(code: str, reason: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and reason in problem


def test_normalisation_removes_spaces_and_uppercases() -> None:
    assert normalize_uscc(" 91440101ma5cjq4n59 ") == "91440101MA5CJQ4N59"
    assert normalize_uscc("9144 0101 MA5C JQ4N 59") == "91440101MA5CJQ4N59"


def with_check_character(first17: str) -> str:
    return first17 + uscc_check_character(first17)


@pytest.mark.parametrize("prefix", sorted(ORGANISATION_TYPES) + sorted(LATER_ORGANISATION_TYPES))
def test_every_authority_and_organisation_type_of_the_code_table_is_accepted(prefix: str) -> None:
    assert uscc_problem(with_check_character(f"{prefix}330100MA5CJQ4N5")) is None


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("B1", "no authority has the code B"),  # B, C, D… are no registration authority
        ("01", "no authority has the code 0"),
        ("X1", "no authority has the code X"),
        ("94", "91 is an enterprise"),  # market regulation registers 91, 92 and 93 only
        ("99", "The first two characters 99 are not"),
        ("10", "The first two characters 10 are not"),
        ("Y9", "The first two characters Y9 are not"),  # "other" has a single type, 1
        ("1A", "The first two characters 1A are not"),
    ],
)
def test_a_code_outside_the_gb_32100_table_says_so(prefix: str, reason: str) -> None:
    problem = uscc_problem(with_check_character(f"{prefix}330100MA5CJQ4N5"))
    assert problem is not None and reason in problem
