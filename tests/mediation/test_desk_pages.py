"""The desk's pages: queue, claiming by form, registrar calendar with its warning banner, reassignment,
decline guidance in the consumer's language, auto-assignment, deadline settings."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accord.settings import SettingsError, load_settings
from accounts.tables import AdminAction, MediatorProfile
from cases.tables import Case
from cases.workflow import CaseTerms, apply, terms_from
from mediation.calendar import ChinaWorkingCalendar, load_overrides
from mediation.service import assign_waiting_cases, choose_mediator
from tests.cases.conftest import Cast, act, file_case, force_state
from tests.conftest import SignedIn, post_form


async def waiting_case(cast: Cast) -> dict[str, Any]:
    case = await file_case(cast)
    await act(cast.merchant, case, "respond", kind="reject", text="No.")
    return (await act(cast.consumer, case, "request_mediation")).json()


async def test_queue_page_lists_and_claims(cast: Cast, signed_in: SignedIn) -> None:
    case = await waiting_case(cast)
    mediator, _user = await signed_in("mediator")
    page = await mediator.get("/queue")
    assert page.status_code == 200 and case["reference"] in page.text and "7 working days left" in page.text
    claimed = await post_form(mediator, f"/cases/{case['reference']}/actions/claim", {"version": case["version"]})
    assert claimed.status_code == 302
    mine = await mediator.get("/queue?mine=true")
    assert case["reference"] in mine.text
    for role in ("consumer", "merchant"):
        other, _user = await signed_in(role)
        assert (await other.get("/queue")).status_code == 403


async def test_registrar_calendar_entries_are_audited_and_marking_the_year_ends_the_banner(
    signed_in: SignedIn, app: Any
) -> None:
    admin, me = await signed_in("admin")
    saved_calendar = app.state.calendar
    app.state.calendar = ChinaWorkingCalendar(ZoneInfo("Asia/Shanghai"), await load_overrides())
    try:
        before = await admin.get("/admin/users")
        assert "has not been entered" in before.text and "2027" in before.text
        bad = await post_form(admin, "/admin/calendar", {"day": "not a date", "working": "false"})
        assert bad.status_code == 422
        added = await post_form(
            admin, "/admin/calendar", {"day": "2027-02-11", "working": "false", "note": "Spring Festival"}
        )
        assert added.status_code == 302
        assert app.state.calendar.overrides[date(2027, 2, 11)] is False
        page = await admin.get("/admin/calendar")
        # one day of the schedule is not the whole schedule: the warning stays until the year is marked
        assert "Spring Festival" in page.text and "has not been entered" in page.text
        assert "Mark 2027 as entered" in page.text
        assert await AdminAction.exists().where(AdminAction.target == "day:2027-02-11", AdminAction.actor == me["id"])
        marked = await post_form(admin, "/admin/calendar/years/2027", {})
        assert marked.status_code == 302 and 2027 in app.state.calendar.entered_years
        page = await admin.get("/admin/calendar")
        assert "has not been entered" not in page.text and "Mark 2027 as not entered" in page.text
        assert await AdminAction.exists().where(AdminAction.target == "year:2027", AdminAction.actor == me["id"])
        chinese = await admin.get("/admin/audit", params={"lang": "zh-Hans"})
        assert "2027 年的官方放假安排标记为已录入" in chinese.text
        unmarked = await post_form(admin, "/admin/calendar/years/2027/remove", {})
        assert unmarked.status_code == 302 and 2027 not in app.state.calendar.entered_years
        assert "has not been entered" in (await admin.get("/admin/users")).text
        assert (await post_form(admin, "/admin/calendar/years/99999", {})).status_code == 404
        removed = await post_form(admin, "/admin/calendar/2027-02-11/remove", {})
        assert removed.status_code == 302 and date(2027, 2, 11) not in app.state.calendar.overrides
    finally:
        app.state.calendar = saved_calendar
    mediator, _user = await signed_in("mediator")
    assert (await mediator.get("/admin/calendar")).status_code == 403
    assert (await post_form(mediator, "/admin/calendar", {"day": "2027-01-01", "working": "false"})).status_code == 403


async def test_registrar_reassigns_from_the_case_page(cast: Cast, signed_in: SignedIn, make_user: Any) -> None:
    case = await waiting_case(cast)
    await act(cast.mediator, case, "claim")
    admin, _me = await signed_in("admin")
    target = await make_user("mediator", display_name="Second Mediator")
    page = await admin.get(f"/cases/{case['reference']}")
    assert "Second Mediator" in page.text and "/actions/reassign" in page.text
    version = (await Case.select(Case.version).where(Case.reference == case["reference"]).first())["version"]
    moved = await post_form(
        admin, f"/cases/{case['reference']}/actions/reassign", {"version": version, "mediator_id": target["id"]}
    )
    assert moved.status_code == 302
    assert (await Case.select(Case.mediator).where(Case.reference == case["reference"]).first())["mediator"] == target[
        "id"
    ]
    assert (await act(cast.mediator, case, "admit")).status_code == 403  # no longer theirs


async def test_declined_consumer_sees_reason_and_guidance_in_chinese(
    cast: Cast, signed_in: SignedIn, context: Any
) -> None:
    consumer, user = await signed_in("consumer", language="zh-Hans")
    from accounts.service import act_as, get_user
    from cases import service
    from tests.cases.conftest import filing

    viewer = act_as(await get_user(user["id"]))
    result = await service.file_case(viewer, filing(cast.enterprise_id), context, date(2026, 11, 25))
    reference = result.case["reference"]
    await force_state(reference, "awaiting_mediator")
    from tests.cases.conftest import Parties  # noqa: F401 - the session cast's mediator acts

    mediator = (await signed_in("mediator"))[1]
    mediator_viewer = act_as(await get_user(mediator["id"]))
    await apply(reference, "claim", mediator_viewer, {}, context)
    await apply(
        reference, "decline", mediator_viewer, {"reason": "materials_missing", "note": "请补充订单截图。"}, context
    )
    page = await consumer.get(f"/cases/{reference}")
    referral = page.text.split('id="referral"', 1)[1].split("</section>", 1)[0]
    assert "<h2>不予受理的原因</h2>" in referral
    assert "<p><strong>缺少必要材料</strong></p>" in referral  # the reason's label, translated
    assert '<div class="text">请补充订单截图。</div>' in referral and "12315" in referral


async def test_auto_assign_prefers_the_least_loaded_matching_mediator(cast: Cast, make_user: Any, context: Any) -> None:
    busy, idle, chinese_only = await make_user("mediator"), await make_user("mediator"), await make_user("mediator")
    # Everyone else in this shared database is taken out of the running.
    await MediatorProfile.update({MediatorProfile.languages: ["fr"]}).where(
        MediatorProfile.user.not_in([busy["id"], idle["id"], chinese_only["id"]])
    )
    for user, languages in ((busy, ["en"]), (idle, ["en", "zh-Hans"]), (chinese_only, ["zh-Hans"])):
        await MediatorProfile.update(
            {MediatorProfile.languages: languages, MediatorProfile.categories: [], MediatorProfile.max_active_cases: 3}
        ).where(MediatorProfile.user == user["id"])
    case = {"language": "en", "category": "defective", "previous_mediator": None, "consumer": -1, "enterprise": -1}
    assert await choose_mediator(case, {busy["id"]: 2}) == idle["id"]
    assert await choose_mediator({**case, "previous_mediator": idle["id"]}, {busy["id"]: 2}) == busy["id"]
    assert await choose_mediator(case, {busy["id"]: 3, idle["id"]: 3}) is None  # everyone is full
    assert await choose_mediator({**case, "language": "zh-Hans"}, {idle["id"]: 1}) == chinese_only["id"]
    await MediatorProfile.update({MediatorProfile.categories: ["counterfeit"]}).where(
        MediatorProfile.user == idle["id"]
    )
    assert await choose_mediator(case, {busy["id"]: 2}) == busy["id"]  # idle no longer takes this category

    # Other tests leave waiting cases behind: give room enough that ours is assigned too.
    await MediatorProfile.update({MediatorProfile.max_active_cases: 10_000}).where(MediatorProfile.user == busy["id"])
    waiting = await waiting_case(cast)
    assigned = await assign_waiting_cases(context, limit=10_000)
    assert waiting["reference"] in assigned
    holder = (await Case.select(Case.mediator).where(Case.reference == waiting["reference"]).first())["mediator"]
    assert holder in {busy["id"], idle["id"]}


def test_deadline_lengths_come_from_settings(tmp_path: Any) -> None:
    settings = load_settings({"ACCORD_DATA_DIR": str(tmp_path), "ACCORD_DEADLINE_MERCHANT_RESPONSE": "5"})
    assert terms_from(settings.deadline_overrides) == CaseTerms(merchant_response=5)
    with pytest.raises(ValueError, match="unknown deadline"):
        terms_from({"coffee_break": 3})
    with pytest.raises(SettingsError, match="ACCORD_DEADLINE_MEDIATION_LIMIT"):
        load_settings({"ACCORD_DATA_DIR": str(tmp_path), "ACCORD_DEADLINE_MEDIATION_LIMIT": "forever"})


async def test_settlement_terms_are_shown_to_both_parties(cast: Cast, clock: Any) -> None:
    from datetime import timedelta

    case = await waiting_case(cast)
    await act(cast.mediator, case, "claim")
    await act(cast.mediator, case, "admit")
    fulfil_by = (clock.now() + timedelta(days=9)).date().isoformat()
    terms = [{"type": "compensation", "amount": {"amount": "66.60", "currency": "CNY"}, "description": "For the delay"}]
    await act(cast.mediator, case, "propose_settlement", terms=terms, fulfil_by=fulfil_by)
    await act(cast.consumer, case, "accept_proposal")
    await act(cast.merchant, case, "accept_proposal")
    for party in (cast.consumer, cast.merchant):
        page = (await party.get(f"/cases/{case['reference']}")).text
        assert "Agreed settlement" in page and "CN¥66.60" in page and "For the delay" in page
