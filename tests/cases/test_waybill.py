"""Waybills (issue 16 §5): the carrier and its number formats; unknown carriers are "other"."""

from __future__ import annotations

import pytest

from cases.waybill import WaybillError, check_waybill, s10_check_digit
from tests.cases.conftest import Cast, file_case, filing_body


@pytest.mark.parametrize(
    ("carrier", "number", "expected"),
    [
        ("sf", "SF1402883301276", ("sf", "SF1402883301276")),
        ("sf", "sf 1402 8833 01276", ("sf", "SF1402883301276")),
        ("jd", "JDV018827734412", ("jd", "JDV018827734412")),
        ("ems", "EA123456785CN", ("ems", "EA123456785CN")),
        ("ems", "1123456789012", ("ems", "1123456789012")),
        ("yto", "YT7512345678901", ("yto", "YT7512345678901")),
        ("zto", "731234567890", ("zto", "731234567890")),
        ("sto", "773123456789012", ("sto", "773123456789012")),
        ("yunda", "4312345678901", ("yunda", "4312345678901")),
        ("dhl", "1234567890", ("dhl", "1234567890")),
        ("fedex", "123456789012", ("fedex", "123456789012")),
        ("ups", "1Z999AA10123456784", ("ups", "1Z999AA10123456784")),
        ("other", "ABC-12345", ("other", "ABC12345")),
        (None, "SF1402883301276", ("sf", "SF1402883301276")),
        (None, "1Z999AA10123456784", ("ups", "1Z999AA10123456784")),
        (None, "some local courier 42", ("other", "some local courier 42")),  # kept as typed
    ],
)
def test_numbers_fit_their_carrier(carrier: str | None, number: str, expected: tuple[str, str]) -> None:
    assert check_waybill(carrier, number) == expected


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("sf", "JDV018827734412"),
        ("ems", "EA123456789CN"),  # the S10 check digit of 12345678 is 5
        ("ups", "1Z12"),
        ("dhl", "12345"),
        ("other", "#!"),
        ("jd", "京东123"),
    ],
)
def test_a_number_another_carrier_writes_is_refused(carrier: str, number: str) -> None:
    with pytest.raises(WaybillError):
        check_waybill(carrier, number)


def test_the_upu_s10_check_digit() -> None:
    assert s10_check_digit("47312482") == "9"  # UPU S10 example: RR 47312482 9 GB
    assert check_waybill("ems", "RR473124829GB") == ("ems", "RR473124829GB")


async def test_filing_keeps_the_carrier_and_refuses_a_number_it_does_not_write(cast: Cast) -> None:
    case = await file_case(cast, waybill="sf1402883301276", waybill_carrier="sf")
    assert (case["waybill"], case["waybill_carrier"]) == ("SF1402883301276", "sf")
    guessed = await file_case(cast, waybill="JDV018827734412")
    assert guessed["waybill_carrier"] == "jd"
    refused = await cast.consumer.post(
        "/api/v1/cases", json=filing_body(cast.enterprise_id, waybill="123", waybill_carrier="ups")
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "waybill" and "UPS" in refused.json()["errors"][0]["message"]
    unknown = await cast.consumer.post(
        "/api/v1/cases", json=filing_body(cast.enterprise_id, waybill="X1", waybill_carrier="pigeon")
    )
    assert unknown.status_code == 422
    page = await cast.consumer.get(f"/cases/{case['reference']}")
    assert "SF Express" in page.text and "SF1402883301276" in page.text
