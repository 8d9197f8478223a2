"""Translations: complete catalogs, language negotiation, locale formatting, the switcher."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from accord import i18n
from accounts.tables import User
from tests.conftest import SignedIn, post_form

ROOT = Path(__file__).resolve().parents[2]


def extracted_message_ids() -> set[str]:
    method_map = [
        (f"{package}/**.py", "python")
        for package in ("accord", "accounts", "cases", "mediation", "notifications", "integrity", "insights", "trace", "guide")
    ] + [("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]  # .txt: mails' plain text
    options = {pattern: {"extensions": "jinja2.ext.i18n"} for pattern in ("templates/**.html", "templates/**.txt")}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=keywords
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]")


def test_every_ui_string_has_a_chinese_translation() -> None:
    with (ROOT / "locales/zh_Hans/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    # Plural entries are keyed by their singular and must translate every form.
    translated = {
        (message.id[0] if isinstance(message.id, tuple) else message.id): (
            " ".join(message.string) if all(message.string) else ""
        )
        if isinstance(message.string, tuple)
        else message.string
        for message in catalog
        if message.id
    }
    used = extracted_message_ids()
    assert len(used) > 100
    missing = sorted(message for message in used if not translated.get(message))
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
    # Real Chinese, not copies of the English: every translation with letters carries CJK text.
    # Placeholders are not words: "%(remedy)s (%(details)s)" only needs Chinese punctuation.
    untranslated = [
        m
        for m in used
        if any(c.isalpha() for c in PLACEHOLDER.sub("", m)) and not any("\u4e00" <= c <= "\u9fff" for c in translated[m])
    ]
    assert untranslated == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,zh-TW;q=0.5", "zh-Hans"),
        ("de-DE, en;q=0.2, zh;q=0.7", "zh-Hans"),
        ("zh;q=0, en", "en"),
        ("", None),
        ("xx", None),
    ],
)
def test_accept_language_negotiation(header: str, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


def test_dates_and_money_are_formatted_per_locale() -> None:
    moment = datetime(2026, 3, 5, 6, 30, tzinfo=UTC)
    shanghai = ZoneInfo("Asia/Shanghai")
    token = i18n.use_language("en")
    try:
        assert i18n.format_money(19900, "CNY") == "CN¥199.00"
        assert i18n.format_money(1250, "USD") == "$12.50"
        assert i18n.format_money(500, "JPY") == "¥500"
        assert i18n.format_date(date(2026, 3, 5)) == "Mar 5, 2026"
        assert "2:30" in i18n.format_datetime(moment, shanghai)
    finally:
        i18n.reset_language(token)
    token = i18n.use_language("zh-Hans")
    try:
        assert i18n.format_money(19900, "CNY") == "¥199.00"
        assert i18n.format_money(1250, "USD") == "US$12.50"
        assert i18n.format_date(date(2026, 3, 5)) == "2026年3月5日"
        assert i18n.gettext("Sign in") == "登录"
    finally:
        i18n.reset_language(token)


async def test_accept_language_picks_the_page_language(client: httpx.AsyncClient) -> None:
    chinese = await client.get("/login", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-Hans">' in chinese.text and "登录" in chinese.text
    english = await client.get("/login", headers={"accept-language": "en-US"})
    assert '<html lang="en">' in english.text and "Sign in" in english.text


async def test_cookie_beats_header_and_user_setting_beats_cookie(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    client.cookies.set("accord_lang", "zh-Hans")
    assert "登录" in (await client.get("/login", headers={"accept-language": "en"})).text
    browser, user = await signed_in(language="en")
    browser.cookies.set("accord_lang", "zh-Hans")
    page = await browser.get("/profile", headers={"accept-language": "zh-CN"})
    assert '<html lang="en">' in page.text  # the user's own setting wins
    assert '<html lang="zh-Hans">' in (await browser.get("/profile?lang=zh-Hans")).text  # explicit ?lang= wins


async def test_switcher_sets_cookie_and_the_users_language(signed_in: SignedIn) -> None:
    browser, user = await signed_in(language="en")
    response = await post_form(browser, "/language", {"language": "zh-Hans", "next": "/profile"})
    assert response.status_code == 302 and response.headers["location"] == "/profile"
    assert browser.cookies["accord_lang"] == "zh-Hans"
    assert (await User.select(User.language).where(User.id == user["id"]).first())["language"] == "zh-Hans"
    assert "个人资料" in (await browser.get("/profile")).text
    bad = await post_form(browser, "/language", {"language": "fr", "next": "/"})
    assert bad.status_code == 422


async def test_anonymous_switcher_and_offsite_next(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/language", {"language": "zh-Hans", "next": "https://evil.example/"})
    assert response.headers["location"] == "/"
    assert "解决跨境购物中遇到的问题" in (await client.get("/")).text
