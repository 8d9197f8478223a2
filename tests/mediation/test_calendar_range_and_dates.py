"""The registrar's calendar lists the days of a period (from/to) and why each counts; the queue tells
deadlines as date, time and zone in the reader's language, never in the US short form."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from accord.i18n import format_datetime, format_moment, speaking
from cases.tables import Case
from tests.cases.conftest import Cast
from tests.conftest import SignedIn, post_form
from tests.mediation.test_desk_pages import waiting_case

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_calendar_lists_the_days_of_a_period_in_both_languages(signed_in: SignedIn) -> None:
    admin, _me = await signed_in("admin")
    entered = date(2099, 1, 5)
    entry = {"day": entered.isoformat(), "working": "false", "note": "Test rest day"}
    saved = await post_form(admin, "/admin/calendar", entry)
    assert saved.status_code == 302
    try:
        period = {"from": "2099-01-01", "to": "2099-01-07"}
        page = (await admin.get("/admin/calendar", params=period)).text
        assert "Monday, January 5, 2099" in page and "an entry below: Test rest day" in page
        assert "Saturday, January 3, 2099" in page
        # 2099 is beyond the published schedules: its statutory holidays are worked out by rule
        assert "New Year's Day, by rule" in page
        assert page.count("Monday to Friday and the statutory holidays, by rule") == 5  # all but these two
        assert page.count('<tr class="holiday">') == 4  # New Year's Day, Saturday, Sunday and the entered day
        assert 'value="2099-01-01"' in page and 'value="2099-01-07"' in page
        chinese = (await admin.get("/admin/calendar", params={**period, "lang": "zh-Hans"})).text
        assert "2099年1月5日星期一" in chinese and "下方登记：Test rest day" in chinese
        assert "元旦（按法定规则推算）" in chinese
        assert "周一至周五及法定节假日（按法定规则推算）" in chinese
    finally:
        await post_form(admin, f"/admin/calendar/{entered.isoformat()}/remove", {})


async def test_calendar_period_refusals_name_their_field(signed_in: SignedIn) -> None:
    admin, _me = await signed_in("admin")
    cases = [
        ({"from": "2099-01-07", "to": "2099-01-01"}, "to", "The last date cannot be before the first."),
        ({"from": "2099-01-01"}, "to", "Give both the first and the last date."),
        ({"from": "1 Jan", "to": "2099-01-01"}, "from", "Enter a date like 2026-12-31."),
        ({"from": "2099-01-01", "to": "2100-01-02"}, "to", "List at most 366 days at a time."),
    ]
    for params, field, message in cases:
        response = await admin.get("/admin/calendar", params=params)
        assert response.status_code == 422, params
        assert f'<p class="error" id="e-{field}">{message}</p>' in response.text
    chinese = await admin.get("/admin/calendar", params={"from": "2099-01-07", "to": "2099-01-01", "lang": "zh-Hans"})
    assert chinese.status_code == 422 and "结束日期不能早于开始日期。" in chinese.text
    assert (await admin.get("/admin/calendar")).status_code == 200  # no period asked: the entries alone


async def test_queue_deadlines_read_as_date_time_and_zone(cast: Cast, signed_in: SignedIn) -> None:
    case = await waiting_case(cast)
    due = (await Case.select(Case.next_due_at).where(Case.reference == case["reference"]).first())["next_due_at"]
    mediator, _user = await signed_in("mediator")
    for language in ("en", "zh-Hans"):
        page = (await mediator.get("/queue", params={"lang": language})).text
        with speaking(language):
            assert format_moment(due, SHANGHAI) in page
            assert format_datetime(due, SHANGHAI, "short") not in page  # "12/4/26, 9:00 AM" in English
