"""Unified Social Credit Code (GB 32100-2015): 18 characters, the last a mod-31 check character.

The first character names the registration authority and the second the type of organisation it
registered; only the pairs in the standard's code table (and those the national code centre assigned
since, `LATER_ORGANISATION_TYPES`) are issued.
"""

from __future__ import annotations

from accord.i18n import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, position, 31) for position in range(17)]

# GB 32100-2015 table 1 (registration authority) and table 2 (organisation type within it). The names
# are the standard's own words, kept as data: they are not shown to users.
REGISTRATION_AUTHORITIES = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}
ORGANISATION_TYPES = {
    "11": "机关",
    "12": "事业单位",
    "13": "中央编办直接管理机构编制的群众团体",
    "19": "其他",
    "21": "外国常驻新闻机构",
    "29": "其他",
    "31": "律师执业机构",
    "32": "公证处",
    "33": "基层法律服务所",
    "34": "司法鉴定机构",
    "35": "仲裁委员会",
    "39": "其他",
    "41": "外国在华文化中心",
    "49": "其他",
    "51": "社会团体",
    "52": "民办非企业单位",
    "53": "基金会",
    "59": "其他",
    "61": "外国旅游部门常驻代表机构",
    "62": "港澳台地区旅游部门常驻内地（大陆）代表机构",
    "69": "其他",
    "71": "宗教活动场所",
    "72": "宗教院校",
    "79": "其他",
    "81": "基层工会",
    "89": "其他",
    "91": "企业",
    "92": "个体工商户",
    "93": "农民专业合作社",
    "A1": "军队事业单位",
    "A9": "其他",
    "N1": "组级集体经济组织",
    "N2": "村级集体经济组织",
    "N3": "乡镇级集体经济组织",
    "N9": "其他",
    "Y1": "其他（不再划分机构类别）",
}
# Assigned by the national code centre after the standard was published, and printed on real
# certificates: a new authority letter (G, J, Q) brings its own types.
LATER_REGISTRATION_AUTHORITIES = {"G": "公安（境外非政府组织）", "J": "住房和城乡建设", "Q": "侨联"}
LATER_ORGANISATION_TYPES = {
    "36": "商事调解组织",
    "54": "村民委员会",
    "55": "居民委员会",
    "82": "非法人工会组织",
    "G1": "境外非政府组织代表机构",
    "G9": "其他",
    "J1": "业主大会",
    "J9": "其他",
    "Q1": "区县级侨联组织",
    "Q2": "乡镇级侨联组织",
    "Q3": "村级侨联组织",
    "Q9": "其他",
}
_AUTHORITIES = REGISTRATION_AUTHORITIES | LATER_REGISTRATION_AUTHORITIES
_TYPES = ORGANISATION_TYPES | LATER_ORGANISATION_TYPES


def normalize_uscc(raw: str) -> str:
    return "".join(raw.split()).upper()


def uscc_check_character(first17: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why `code` (already normalised) is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return _("A Unified Social Credit Code has exactly 18 characters.")
    if bad := sorted({char for char in code if char not in _VALUE}):
        return _("These characters never appear in a Unified Social Credit Code: %(chars)s") % {"chars": " ".join(bad)}
    if code[0] not in _AUTHORITIES:
        return _(
            "A Unified Social Credit Code starts with its registration authority's code (9 for market regulation,"
            " 5 for civil affairs, 1 for public institutions…); no authority has the code %(code)s."
        ) % {"code": code[0]}
    if code[:2] not in _TYPES:
        return _(
            "The first two characters %(code)s are not an organisation type of that registration authority"
            " (91 is an enterprise, 92 a sole trader, 93 a farmers' cooperative…): please check the code."
        ) % {"code": code[:2]}
    if not code[2:8].isdigit():
        return _("Characters 3 to 8 of a Unified Social Credit Code are the region code and must be digits.")
    if uscc_check_character(code[:17]) != code[17]:
        return _("The check character does not match: please check the code for typing mistakes.")
    return None
