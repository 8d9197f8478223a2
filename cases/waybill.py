"""Waybill (tracking) numbers and the carriers that issue them.

Pure. Each carrier's number formats are data: the patterns its customers see on their waybills (domestic
express companies' own formats; the UPU S10 format with its check digit for EMS / China Post; DHL, FedEx and
UPS tracking numbers). A consumer may name the carrier, and then the number must fit it; or leave it out, and
a number that only one carrier writes names that carrier. Carriers we do not know are "other": any number.
"""

from __future__ import annotations

import re
from enum import StrEnum

from accord.i18n import N_, label, register_labels
from accord.i18n import gettext as _


class Carrier(StrEnum):
    sf = "sf"
    jd = "jd"
    ems = "ems"
    yto = "yto"
    zto = "zto"
    sto = "sto"
    yunda = "yunda"
    dhl = "dhl"
    fedex = "fedex"
    ups = "ups"
    other = "other"


register_labels(
    "carrier",
    {
        Carrier.sf: N_("SF Express"),
        Carrier.jd: N_("JD Logistics"),
        Carrier.ems: N_("EMS / China Post"),
        Carrier.yto: N_("YTO Express"),
        Carrier.zto: N_("ZTO Express"),
        Carrier.sto: N_("STO Express"),
        Carrier.yunda: N_("Yunda Express"),
        Carrier.dhl: N_("DHL"),
        Carrier.fedex: N_("FedEx"),
        Carrier.ups: N_("UPS"),
        Carrier.other: N_("Another carrier"),
    },
)

# carrier → (its number formats, an example for the message), most distinctive first.
FORMATS: dict[Carrier, tuple[tuple[re.Pattern[str], ...], str]] = {
    Carrier.sf: ((re.compile(r"SF\d{12,13}"), re.compile(r"\d{12}")), "SF1402883301276"),
    Carrier.jd: ((re.compile(r"JD[A-Z]{0,2}\d{11,13}"),), "JDV018827734412"),
    Carrier.ems: ((re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}"), re.compile(r"[1159]\d{12}")), "EA123456785CN"),
    Carrier.yto: ((re.compile(r"YT\d{13,15}"), re.compile(r"[DGV]\d{9,12}")), "YT7512345678901"),
    Carrier.zto: (
        (re.compile(r"(?:7[0-9]|5[0-9]|6[0-9]|3[0-9]|2[0-9]|1[0-9])\d{10}"), re.compile(r"7\d{13}")),
        "731234567890",
    ),
    Carrier.sto: ((re.compile(r"(?:[2-9]68|888|588)\d{9}"), re.compile(r"77\d{13}")), "773123456789012"),
    Carrier.yunda: ((re.compile(r"(?:1[0-9]|3[0-9]|4[0-9]|5[0-9])\d{11}"), re.compile(r"4\d{14}")), "4312345678901"),
    Carrier.dhl: ((re.compile(r"\d{10}"), re.compile(r"JJD\d{18,20}"), re.compile(r"JD\d{18}")), "1234567890"),
    Carrier.fedex: (
        (re.compile(r"\d{12}"), re.compile(r"\d{15}"), re.compile(r"\d{20}"), re.compile(r"\d{22}")),
        "123456789012",
    ),
    Carrier.ups: ((re.compile(r"1Z[0-9A-Z]{16}"),), "1Z999AA10123456784"),
}
# Prefixes only one carrier writes: enough to name the carrier when the consumer did not.
_TELLING = (
    (re.compile(r"SF\d{12,13}"), Carrier.sf),
    (re.compile(r"JD[A-Z]{0,2}\d{11,13}"), Carrier.jd),
    (re.compile(r"YT\d{13,15}"), Carrier.yto),
    (re.compile(r"1Z[0-9A-Z]{16}"), Carrier.ups),
    (re.compile(r"JJD\d{18,20}"), Carrier.dhl),
    (re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}"), Carrier.ems),
)
_OTHER = re.compile(r"[A-Z0-9][A-Z0-9-]{3,39}")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


class WaybillError(ValueError):
    """A waybill number that does not fit its carrier; the message is translated."""


def s10_check_digit(serial: str) -> str:
    """The UPU S10 check digit over the 8 serial digits (weights 8 6 4 2 3 5 9 7, mod 11; 10 → 0, 11 → 5)."""
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {10: "0", 11: "5"}.get(remainder, str(remainder))


def _fits(carrier: Carrier, number: str) -> bool:
    patterns, _example = FORMATS[carrier]
    if not any(pattern.fullmatch(number) for pattern in patterns):
        return False
    if carrier is Carrier.ems and number[:2].isalpha():
        return s10_check_digit(number[2:10]) == number[10]
    return True


def normalize(number: str) -> str:
    return "".join(number.split()).replace("-", "").upper()


def check_waybill(carrier: str | None, number: str) -> tuple[str, str]:
    """(carrier, number as stored) for a waybill the consumer typed; raises WaybillError when a named carrier
    does not write numbers like it."""
    plain = normalize(number)
    if not carrier:  # kept as typed (any text was accepted before carriers were asked), its carrier guessed
        named = next((c for pattern, c in _TELLING if pattern.fullmatch(plain) and _fits(c, plain)), None)
        return (named or Carrier.other).value, number
    if not plain.isascii() or not plain.isalnum():
        raise WaybillError(_("A waybill number is made of letters and digits."))
    chosen = Carrier(carrier)
    if chosen is Carrier.other:
        if not _OTHER.fullmatch(plain):
            raise WaybillError(_("A waybill number has 4 to 40 letters and digits."))
        return chosen.value, plain
    if not _fits(chosen, plain):
        raise WaybillError(
            _("This is not a %(carrier)s waybill number; theirs look like %(example)s.")
            % {"carrier": label("carrier", chosen.value), "example": FORMATS[chosen][1]}
        )
    return chosen.value, plain
