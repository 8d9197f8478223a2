"""GS1 GTINs and trace codes: the three notations, the check digit, expiry dates and every refusal."""

from __future__ import annotations

from datetime import date

import pytest

import cases.gs1
from cases.gs1 import GS, GS1Error, TraceCode, gs1_check_digit, gs1_full_year, normalize_gtin, parse_trace_code

TODAY = date(2025, 6, 1)
GTIN = "09521234543213"


# --- GTIN -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6291041500213", "06291041500213"),  # GTIN-13
        ("09521234543213", "09521234543213"),  # GTIN-14
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        (" 6291041 500213 ", "06291041500213"),
        ("6-291041-500213", "06291041500213"),
    ],
)
def test_valid_gtins_are_padded_to_14_digits(raw: str, expected: str) -> None:
    assert normalize_gtin(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("6291041500214", "check digit does not match"),
        ("1234567", "not 7"),
        ("123456789", "not 9"),
        ("1234567890", "not 10"),
        ("12345678901", "not 11"),
        ("123456789012345", "not 15"),
        ("62910415002A3", "digits only"),
        ("62910415002A3", ": A"),
        ("6291041500213.", ": ."),
        ("٦٢٩١٠٤١٥٠٠٢١٣", "digits only"),  # Arabic-Indic digits pass str.isdigit() but are no GTIN
        ("", "Enter a GTIN"),
        (" - ", "Enter a GTIN"),
    ],
)
def test_invalid_gtins_say_why(raw: str, reason: str) -> None:
    with pytest.raises(GS1Error, match=reason):
        normalize_gtin(raw)


def test_gs1_error_is_a_value_error() -> None:
    assert issubclass(GS1Error, ValueError)


@pytest.mark.parametrize("gtin", ["6291041500213", "09521234543213", "96385074", "036000291452"])
def test_check_digit_is_the_last_digit(gtin: str) -> None:
    assert gs1_check_digit(gtin[:-1]) == gtin[-1]


def test_messages_are_translated_when_raised_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cases.gs1, "_", lambda message: f"«{message}»")
    with pytest.raises(GS1Error, match="^«The check digit does not match"):
        normalize_gtin("6291041500214")


# --- Trace codes: the three notations -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "batch", "expiry", "serial"),
    [
        # (a) element strings with parentheses, AIs in any order
        (f"(01){GTIN}(10)ABC123(21)XYZ", "ABC123", None, "XYZ"),
        (f"(21)XYZ(17)261231(01){GTIN}", None, date(2026, 12, 31), "XYZ"),
        (f"(01){GTIN}(17)261231", None, date(2026, 12, 31), None),
        (f"(01){GTIN}", None, None, None),
        (f"(01){GTIN}(10)!\"%&'*+,-./:;<=>?_", "!\"%&'*+,-./:;<=>?_", None, None),
        # (b) GS1 Digital Link URIs on any host
        (f"https://id.gs1.org/01/{GTIN}/10/ABC123/21/XYZ?17=261231", "ABC123", date(2026, 12, 31), "XYZ"),
        (f"https://example.com/01/{GTIN}/21/XYZ", None, None, "XYZ"),
        (f"http://example.com/01/{GTIN}", None, None, None),
        (f"https://example.com/01/{GTIN}/10/AB%2FC%21D/21/X%2BY", "AB/C!D", None, "X+Y"),
        (f"https://example.com/01/{GTIN}?linkType=gs1:pip&utm_source=qr&17=261231", None, date(2026, 12, 31), None),
        (f"https://brand.example/products/01/{GTIN}/21/XYZ", None, None, "XYZ"),  # path prefix
        (f"https://brand.example/2024/01/01/{GTIN}/21/XYZ", None, None, "XYZ"),  # the rightmost /01/ is the key
        (f"https://example.com/01/{GTIN}/21/XYZ?17=261231&10x=1", None, date(2026, 12, 31), "XYZ"),
        (f"HTTPS://ID.GS1.ORG/01/{GTIN}/10/01", "01", None, None),
        # (c) what a scanner types, GS standing in for FNC1
        (f"01{GTIN}10ABC123{GS}21XYZ", "ABC123", None, "XYZ"),
        (f"01{GTIN}17261231", None, date(2026, 12, 31), None),
        (f"01{GTIN}17261231{GS}10ABC123", "ABC123", date(2026, 12, 31), None),
        (f"21XYZ{GS}01{GTIN}", None, None, "XYZ"),
        (f"]d201{GTIN}21XYZ", None, None, "XYZ"),  # symbology identifier prefix
        (f"]C101{GTIN}10ABC123{GS}", "ABC123", None, None),
        (f"]Q301{GTIN}17261231", None, date(2026, 12, 31), None),
        (f"]e001{GTIN}21XYZ", None, None, "XYZ"),
        (f"]J101{GTIN}21XYZ", None, None, "XYZ"),
        (f"]Q1https://example.com/01/{GTIN}/21/XYZ", None, None, "XYZ"),  # a Digital Link in a QR code
        (f"]d1https://example.com/01/{GTIN}/10/ABC123", "ABC123", None, None),
        ("]E09521234543213", None, None, None),  # a plain EAN-13 scan
        (f"(01){GTIN}(10)AB\\(C)", "AB(C)", None, None),  # a bracket inside a value is escaped
        (f"(01){GTIN}\n", None, None, None),  # the scanner's Enter
    ],
)
def test_trace_code_notations(raw: str, batch: str | None, expiry: date | None, serial: str | None) -> None:
    code = parse_trace_code(raw, today=TODAY)
    assert code == TraceCode(gtin=GTIN, batch=batch, expiry=expiry, serial=serial, raw=raw.strip("\r\n"))


def test_plain_ean_and_upc_scans_are_gtins() -> None:
    assert parse_trace_code("]E46291041500213"[:3] + "96385074", today=TODAY).gtin == "00000096385074"  # EAN-8
    assert parse_trace_code("]E0036000291452"[:3] + "0036000291452", today=TODAY).gtin == "00036000291452"


@pytest.mark.parametrize(
    ("raw", "others"),
    [
        (f"(01){GTIN}(3103)000195", (("3103", "000195"),)),
        (f"https://example.com/01/{GTIN}?3103=000195", (("3103", "000195"),)),
        (f"https://example.com/01/{GTIN}?3103=000195&3922=0299&17=201225", (("3103", "000195"), ("3922", "0299"))),
        (f"01{GTIN}3103000195{GS}11250101", (("3103", "000195"), ("11", "250101"))),
        (f"(01){GTIN}(10)A(10)A", ()),  # repeated with the same value: one AI
        (f"(01){GTIN}(99)ANY-INTERNAL(91)X", (("99", "ANY-INTERNAL"), ("91", "X"))),
        (f"https://example.com/01/{GTIN}/22/ABC", (("22", "ABC"),)),  # (22) CPV qualifies the GTIN in the path
    ],
)
def test_every_gs1_ai_is_known(raw: str, others: tuple[tuple[str, str], ...]) -> None:
    assert parse_trace_code(raw, today=TODAY).others == others


def test_digital_link_pads_a_short_gtin() -> None:
    assert parse_trace_code("https://example.com/01/6291041500213", today=TODAY).gtin == "06291041500213"


def test_raw_is_the_input_without_its_line_break_and_spaces_are_never_trimmed() -> None:
    assert parse_trace_code(f"(01){GTIN}(21)XYZ\r\n", today=TODAY).raw == f"(01){GTIN}(21)XYZ"
    with pytest.raises(GS1Error, match=r"after \(21\) contains characters GS1 does not allow: U\+0020"):
        parse_trace_code(f"(01){GTIN}(21)XYZ ", today=TODAY)
    with pytest.raises(GS1Error, match="starts with U\\+0020, which GS1 data never holds"):
        parse_trace_code(f" (01){GTIN}", today=TODAY)


def test_trace_code_is_frozen() -> None:
    code = parse_trace_code(f"(01){GTIN}", today=TODAY)
    with pytest.raises(AttributeError):
        code.serial = "X"  # type: ignore[misc]


def test_today_defaults_to_the_real_date() -> None:
    assert parse_trace_code(f"(01){GTIN}(17){date.today():%y%m%d}").expiry == date.today()


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (f"(21)XYZ(10)ABC123(17)261231(01){GTIN}", f"(01){GTIN}(17)261231(10)ABC123(21)XYZ"),
        (f"https://id.gs1.org/01/{GTIN}/10/ABC123/21/XYZ?17=261231", f"(01){GTIN}(17)261231(10)ABC123(21)XYZ"),
        (f"01{GTIN}21XYZ", f"(01){GTIN}(21)XYZ"),
        (f"(01){GTIN}(10)L1", f"(01){GTIN}(10)L1"),
        (f"(3103)000195(01){GTIN}(10)L\\(1)", f"(01){GTIN}(10)L\\(1)(3103)000195"),  # reads back the same
        (f"(01){GTIN}", f"(01){GTIN}"),
        (f"(01){GTIN}(17)240200", f"(01){GTIN}(17)240229"),  # day 00 comes back as the real last day
    ],
)
def test_element_string_is_canonical(raw: str, canonical: str) -> None:
    assert parse_trace_code(raw, today=TODAY).element_string() == canonical


# --- Expiry dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("261231", date(2026, 12, 31)),
        ("240200", date(2024, 2, 29)),  # DD=00: last day of the month, leap year
        ("250200", date(2025, 2, 28)),
        ("250400", date(2025, 4, 30)),
        ("751231", date(2075, 12, 31)),  # 50 years ahead: still this century
        ("760101", date(1976, 1, 1)),  # 51 years ahead: previous century
        ("000101", date(2000, 1, 1)),
    ],
)
def test_expiry_dates(yymmdd: str, expected: date) -> None:
    assert parse_trace_code(f"(01){GTIN}(17){yymmdd}", today=TODAY).expiry == expected


@pytest.mark.parametrize(
    ("yy", "today", "year"),
    [
        (25, date(2025, 6, 1), 2025),
        (75, date(2025, 6, 1), 2075),  # difference 50 → current century
        (76, date(2025, 6, 1), 1976),  # difference 51 → previous century
        (99, date(2000, 1, 1), 1999),  # difference 99 → previous century
        (0, date(2099, 1, 1), 2100),  # difference -99 → next century
        (49, date(2099, 1, 1), 2149),  # difference -50 → next century
        (50, date(2099, 1, 1), 2050),  # difference -49 → current century
        (30, date(2080, 1, 1), 2130),
    ],
)
def test_century_follows_the_gs1_sliding_window(yy: int, today: date, year: int) -> None:
    assert gs1_full_year(yy, today) == year


# --- Trace codes: refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "Enter a trace code"),
        ("   ", "Enter a trace code"),
        ("hello", "not a GS1 trace code"),
        ("ftp://example.com/01/09521234543213", "not a GS1 trace code"),
        # unknown, repeated and incompatible AIs
        (f"(01){GTIN}(89)ABC", r"GS1 has no application identifier \(89\)"),
        (f"01{GTIN}891234", r"GS1 has no application identifier \(8912\)"),
        (f"https://example.com/01/{GTIN}?89=ABC", r"GS1 has no application identifier \(89\)"),
        (f"(01){GTIN}(10)A(10)B", r"\(10\) appears twice with different values"),
        (f"01{GTIN}21A{GS}21B", r"\(21\) appears twice with different values"),
        (f"https://example.com/01/{GTIN}/10/A?10=A", r"\(10\) appears more than once"),
        (f"https://example.com/01/{GTIN}?17=261231&17=261231", r"\(17\) appears more than once"),
        (f"(01){GTIN}(3103)000195(3102)000019", r"\(3102\) and \(3103\) cannot be used together"),
        (f"(01){GTIN}(21)A(235)B", r"\(21\) and \(235\) cannot be used together"),
        (f"(01){GTIN}(250)SECONDARY", r"\(250\) needs \(01\)\+\(21\), \(03\)\+\(21\), or \(8006\)\+\(21\) as well"),
        (f"(01){GTIN}(3103)1234567", r"after \(3103\) must have 6 characters, not 7"),
        (f"(01){GTIN}(11)251301", r"after \(11\) is not a real date"),
        (f"(01){GTIN}(422)999", r"after \(422\) is not an ISO 3166 country code"),
        # the GTIN
        ("(10)ABC123(21)XYZ", "no GTIN"),
        (f"10ABC123{GS}21XYZ", "no GTIN"),
        ("(01)09521234543214", r"check digit of the value after \(01\) does not match"),
        ("(01)6291041500213", r"after \(01\) must have 14 characters, not 13"),
        ("(01)0952123454321X", r"after \(01\) is made of digits only; remove these characters: X"),
        (f"(01) {GTIN}", r"after \(01\) is made of digits only; remove these characters: U\+0020"),
        ("010952123454", r"after \(01\) must have 14 characters, not 10"),
        ("https://example.com/01/09521234543214", "check digit of the value after"),
        ("https://example.com/01/12345", "must have 14 characters, not 5"),
        ("]E09521234543214", "check digit does not match"),
        ("]E0952123454321", "holds 13 digits"),
        ("]X0123", "symbology identifier ]X0 is not one GS1 data comes in"),
        ("]Q1hello", "holds no GS1 data"),
        # expiry
        (f"(01){GTIN}(17)261331", r"after \(17\) is not a real date"),
        (f"(01){GTIN}(17)260230", "not a real date"),
        (f"(01){GTIN}(17)260032", "not a real date"),
        (f"(01){GTIN}(17)26123", r"after \(17\) must have 6 characters, not 5"),
        (f"(01){GTIN}(17)2612AB", "made of digits only; remove these characters: A B"),
        (f"https://example.com/01/{GTIN}?17=", r"after \(17\) is empty"),
        # batch and serial
        (f"(01){GTIN}(10)" + "A" * 21, r"after \(10\) must have 1–20 characters, not 21"),
        (f"01{GTIN}10{'A' * 21}", r"after \(10\) must have 1–20 characters, not 21"),
        (f"(01){GTIN}(21)" + "A" * 21, r"after \(21\) must have 1–20 characters, not 21"),
        (f"(01){GTIN}(10)(21)XYZ", r"after \(10\) is empty"),
        (f"01{GTIN}21", r"after \(21\) is empty"),
        (f"https://example.com/01/{GTIN}/10/AB%20C", "GS1 does not allow: U\\+0020"),
        (f"https://example.com/01/{GTIN}/10/AB+C?17=261231&3103=00+195", "remove these characters: U\\+0020"),
        (f"(01){GTIN}(21)AB#C", r"after \(21\) contains characters GS1 does not allow: #"),
        (f"(01){GTIN}(21)A~B€", "GS1 does not allow: ~ €"),
        (f"(01){GTIN}(10)ÄB", r"after \(10\) contains characters GS1 does not allow: Ä"),
        # element-string and Digital Link structure
        (f"x(01){GTIN}", "not a GS1 trace code"),
        (f"(0A){GTIN}", r"\(0A\) is not an application identifier"),
        (f"(01{GTIN}", "has no closing parenthesis"),
        ("https://example.com/gtin/09521234543213", "holds no GS1 key such as /01/"),
        (f"https://example.com/01/{GTIN}/", "holds no GS1 key such as /01/"),
        (f"https://example.com/01/{GTIN}/10", "holds no GS1 key such as /01/"),
        (f"https://example.com/01/{GTIN}/10/", r"ends at /10/ without a value"),
        (f"https://example.com/01/{GTIN}/21/XYZ/10/ABC", r"\(10\) cannot follow /01/…/21/… in the path"),
        (f"https://example.com/01/{GTIN}/17/261231", r"\(17\) cannot follow /01/… in the path: put it in the query"),
        (f"https://example.com/01/{GTIN}?10=ABC123", r"\(10\) belongs in the path, /10/…"),
        (f"https://example.com/01/{GTIN}?21=XYZ", r"\(21\) is never a query attribute"),
        (f"HtTpS://example.com/01/{GTIN}", "starts with https:// or http://"),
        (f"https://example.com/01/{GTIN}<", "characters a web address cannot hold: <"),
        (f"https:///01/{GTIN}", "no valid host name"),
    ],
)
def test_invalid_trace_codes_say_why(raw: str, reason: str) -> None:
    with pytest.raises(GS1Error, match=reason):
        parse_trace_code(raw, today=TODAY)
