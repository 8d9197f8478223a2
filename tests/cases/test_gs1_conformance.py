"""Our GS1 parser against the unit tests of GS1's own syntax engine (vendored as data, see
gs1_conformance/README.md): the same verdict on every case, and the same AIs read from every valid one,
except for the deliberate differences named in DIFFERENCES (and in the README)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cases.gs1_syntax import (
    EAN_SYMBOLOGIES,
    GS,
    GS1_DATA_SYMBOLOGIES,
    Element,
    GS1Error,
    check_exclusions,
    check_repeats,
    check_requisites,
    check_signed_keys_are_serialised,
    dictionary,
    parse_bracketed,
    parse_digital_link,
    parse_fnc1_data,
    parse_scan,
)

VENDORED = Path(__file__).parent / "gs1_conformance/syntax-engine-cases.json"
CASES: list[dict[str, Any]] = json.loads(VENDORED.read_text(encoding="utf-8"))


def _ais_named(case: dict[str, Any]) -> set[str]:
    return set(re.findall(r"\((\d{2,4})\)", case["input"])) | set(re.findall(r"[?&](\d+)=", case["input"]))


# Where we decide otherwise than GS1's engine, on purpose. Each: why, which cases, and what we do instead
# (REFUSED or ACCEPTED), which the test holds us to like any other verdict.
REFUSED, ACCEPTED = True, False
DIFFERENCES: dict[str, tuple[Callable[[dict[str, Any]], bool], bool]] = {
    # The engine can be told to accept AIs its dictionary does not know (its tests switch that on to test
    # the rules between AIs with made-up ones, such as (89)); we never accept an AI GS1 has not defined.
    "unknown AIs are always refused": (
        lambda case: bool(case.get("options", {}).get("permit_unknown_ais"))
        and any(ai not in dictionary() for ai in _ais_named(case)),
        REFUSED,
    ),
    # North American coupon codes (8110, 8112) are checked for length and character set only: their
    # linters' inner structure does not concern consumer goods disputes.
    "coupon codes are not linted": (
        lambda case: case["kind"] == "linter"
        and case["linter_error"].startswith("GS1_LINTER_COUPON_"),
        ACCEPTED,
    ),
    # A 2D code or DotCode with plain data that is not a Digital Link is a valid scan, but no GS1 data:
    # a trace code needs GS1 data, so we refuse it.
    "plain data is no trace code": (
        lambda case: case["kind"] == "scan"
        and case["valid"]
        and case["input"][:3] in ("]Q1", "]d1", "]J0")
        and not case["expected"].lower().startswith(("http://", "https://")),
        REFUSED,
    ),
    # Convenience alphas (/gtin/… for /01/…) were dropped from the Digital Link standard (1.2); the engine
    # refuses them too unless told otherwise, as its tests do for these cases.
    "no convenience alphas": (
        lambda case: bool(case.get("options", {}).get("permit_convenience_alphas"))
        and case["valid"],
        REFUSED,
    ),
    # A Digital Link in a scan whose scheme mixes cases is plain data for the engine (still a valid scan).
    "a mixed-case scheme is no Digital Link": (
        lambda case: case["kind"] == "scan"
        and case["input"].startswith("]Q1HtTps"),
        REFUSED,
    ),
}


def _as_elements(fnc1_data: str) -> list[Element]:
    """GS1's expected AI data, "^" standing for FNC1, read as (AI, value) pairs."""
    return parse_fnc1_data(fnc1_data.lstrip("^").replace("^", GS))


def _read(case: dict[str, Any]) -> list[Element]:
    kind, text, options = case["kind"], case["input"], case.get("options", {})
    if kind in ("bracketed", "linter"):
        return parse_bracketed(text)
    if kind == "fnc1":
        if not text.startswith("^"):
            raise GS1Error("no FNC1 in first position: not GS1 data")
        return parse_fnc1_data(text[1:].replace("^", GS))
    if kind == "digital_link":
        return parse_digital_link(text, pad_short_gtin=bool(options.get("permit_zero_suppressed_gtin")))
    if kind == "scan":
        return parse_scan(text)
    check = {
        "validateAIrepeats": check_repeats,
        "validateAImutex": check_exclusions,
        "validateAIrequisites": check_requisites,
        "validateDigSigRequiresSerialisedKey": check_signed_keys_are_serialised,
    }[case["check"]]
    elements = parse_bracketed(text)
    check(elements)
    return elements


def _expected(case: dict[str, Any]) -> list[Element] | None:
    expected = case.get("expected")
    if case["kind"] in ("bracketed", "digital_link"):
        return _as_elements(expected)
    if case["kind"] == "scan" and case["input"][:3] in GS1_DATA_SYMBOLOGIES:
        return _as_elements(expected)
    if case["kind"] == "scan" and case["input"][:3] in EAN_SYMBOLOGIES:
        digits, _bar, composite = expected.partition("|")
        return [("01", digits.zfill(14)), *(_as_elements(composite) if composite else [])]
    if case["kind"] == "scan":
        return parse_digital_link(expected)
    return None


def _difference(case: dict[str, Any]) -> tuple[str, bool] | None:
    """Why we differ on this case, and whether we refuse it; None where we agree with GS1."""
    return next(((why, refused) for why, (applies, refused) in DIFFERENCES.items() if applies(case)), None)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['source']}:{c['input'][:40]!r}" for c in CASES])
def test_we_agree_with_gs1s_syntax_engine(case: dict[str, Any]) -> None:
    difference = _difference(case)
    if difference is not None and not difference[1]:
        _read(case)  # accepted, though GS1's engine refuses it
        return
    if difference is not None or not case["valid"]:
        with pytest.raises(GS1Error):
            _read(case)
        return
    elements = _read(case)
    if (expected := _expected(case)) is not None:
        assert sorted(elements) == sorted(expected)


def test_every_kind_of_case_is_vendored_and_few_differ() -> None:
    kinds = {case["kind"] for case in CASES}
    assert kinds == {"bracketed", "fnc1", "associations", "linter", "digital_link", "scan"}
    differing = [case for case in CASES if _difference(case)]
    assert len(CASES) >= 450 and len(differing) < len(CASES) // 5
