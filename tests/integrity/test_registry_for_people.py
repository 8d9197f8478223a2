"""The registry and enterprises as people use them (issue 12 §11): every verified enterprise is found, with
or without listings; Chinese names; a USCC where the desk asks for an enterprise; a listing's case link."""

from __future__ import annotations

from typing import Any

from accord.clock import FrozenClock
from accounts import service as accounts
from accounts.schemas import EnterpriseIn
from accounts.tables import Enterprise
from integrity.tables import Listing
from tests.cases.conftest import Cast, act
from tests.conftest import ClientFactory, SignedIn, post_form, random_uscc, unique
from tests.integrity.conftest import force_listing_state
from tests.integrity.test_registry import breached_case

ZH = {"accept-language": "zh-CN"}


async def enterprise(clock: FrozenClock, *, verified: bool = True, name_zh: str | None = None) -> dict[str, Any]:
    data = EnterpriseIn(name=f"Westlake Tea {unique('t')}", name_zh=name_zh, uscc=random_uscc())
    return await accounts.create_enterprise(data, clock, verified=verified)


async def test_a_verified_enterprise_without_listings_is_found_and_says_so(
    clock: FrozenClock, new_client: ClientFactory
) -> None:
    clean = await enterprise(clock)
    english, chinese = new_client(), new_client(**ZH)
    for query in (clean["name"].split()[-1], clean["uscc"]):
        found = (await english.get("/api/v1/registry", params={"q": query})).json()
        assert found["items"] == []
        assert found["enterprises"] == [
            {"id": clean["id"], "name": clean["name"], "name_zh": None, "uscc": clean["uscc"], "listed": False}
        ]
        page = await english.get("/registry", params={"q": query})
        assert f'href="/enterprises/{clean["id"]}"' in page.text and "No published violations" in page.text
    assert "无已公布的违法记录" in (await chinese.get("/registry", params={"q": clean["uscc"]})).text
    profile = await english.get(f"/enterprises/{clean['id']}")
    assert "No published violations" in profile.text


async def test_unverified_enterprises_stay_out_of_the_public_search(
    clock: FrozenClock, new_client: ClientFactory
) -> None:
    typed = await enterprise(clock, verified=False)
    anonymous = new_client()
    found = (await anonymous.get("/api/v1/registry", params={"q": typed["name"]})).json()
    assert found["enterprises"] == [] and found["items"] == []
    page = await anonymous.get("/registry", params={"q": typed["name"]})
    assert typed["name"] not in page.text.replace(f'value="{typed["name"]}"', "")


async def test_a_listed_enterprise_is_found_as_listed(
    cast: Cast, clock: FrozenClock, new_client: ClientFactory
) -> None:
    uscc = (await enterprise(clock))["uscc"]  # not the cast's: other tests count its published listings
    created = (
        await cast.admin.post(
            "/api/v1/registry/listings",
            json={"enterprise_uscc": uscc, "violation": "patent", "facts": "Copied design."},
        )
    ).json()
    await force_listing_state(created["id"], "published", published_at=clock.now())
    found = (await new_client().get("/api/v1/registry", params={"q": uscc})).json()
    assert [row["listed"] for row in found["enterprises"]] == [True]
    assert created["id"] in [item["id"] for item in found["items"]]


async def test_chinese_name_is_searchable_and_shown_in_the_reader_language(
    clock: FrozenClock, new_client: ClientFactory, signed_in: SignedIn
) -> None:
    named = await enterprise(clock, name_zh=f"西湖茶业{unique('z')}")
    english, chinese = new_client(), new_client(**ZH)
    found = (await english.get("/api/v1/registry", params={"q": named["name_zh"][:6]})).json()["enterprises"]
    assert [row["id"] for row in found] == [named["id"]] and found[0]["name_zh"] == named["name_zh"]
    in_english = (await english.get(f"/enterprises/{named['id']}")).text
    in_chinese = (await chinese.get(f"/enterprises/{named['id']}")).text
    assert f"<h1>{named['name']} <span class=\"hint\">({named['name_zh']})</span></h1>" in in_english
    assert f"<h1>{named['name_zh']} <span class=\"hint\">({named['name']})</span></h1>" in in_chinese
    assert "<dd>China</dd>" in in_english and "<dd>中国</dd>" in in_chinese  # the country named, not "CN"
    admin, _me = await signed_in("admin")
    listed = await admin.get("/api/v1/enterprises", params={"q": named["name_zh"]})
    assert [row["id"] for row in listed.json()["items"]] == [named["id"]]


async def test_registrars_set_the_chinese_name_and_the_audit_log_tells_it(
    clock: FrozenClock, signed_in: SignedIn
) -> None:
    named = await enterprise(clock)
    admin, me = await signed_in("admin", display_name="Wang Li")
    response = await post_form(
        admin, f"/admin/enterprises/{named['id']}/name-zh", {"name_zh": "  杭州  西湖 ", "q": named["uscc"]}
    )
    assert response.status_code == 302 and response.headers["location"] == f"/admin/enterprises?q={named['uscc']}"
    stored = await Enterprise.select(Enterprise.name_zh).where(Enterprise.id == named["id"]).first()
    assert stored["name_zh"] == "杭州 西湖"
    page = (await admin.get("/admin/enterprises", params={"q": named["uscc"]})).text
    assert 'value="杭州 西湖"' in page
    too_short = await post_form(
        admin, f"/admin/enterprises/{named['id']}/name-zh", {"name_zh": "杭", "q": "matches nothing"}
    )
    assert too_short.status_code == 422 and 'aria-invalid="true"' in too_short.text  # the refused row is shown
    assert f'id="e-zh-{named["id"]}"' in too_short.text
    audit = (await admin.get("/admin/audit")).text
    assert f"Registrar Wang Li set the Chinese name of {named['name']} (USCC {named['uscc']})." in audit
    assert "Chinese name: — → 杭州 西湖" in audit


async def test_merchant_registration_takes_an_optional_chinese_name(new_client: ClientFactory) -> None:
    browser = new_client()
    uscc = random_uscc()
    response = await post_form(
        browser,
        "/register",
        {
            "email": f"{unique('m')}@example.com",
            "password": "correct horse battery staple",
            "display_name": "Zhang Min",
            "role": "merchant",
            "enterprise.name": "Hangzhou Westlake Trading Co., Ltd.",
            "enterprise.name_zh": "杭州西湖贸易有限公司",
            "enterprise.uscc": uscc,
            "enterprise.country": "CN",
            "consent": "yes",
        },
    )
    assert response.status_code in (302, 303), response.text
    stored = await Enterprise.select(Enterprise.name_zh).where(Enterprise.uscc == uscc).first()
    assert stored["name_zh"] == "杭州西湖贸易有限公司"


async def test_the_registrar_desk_takes_a_uscc_or_a_number(
    cast: Cast, clock: FrozenClock, signed_in: SignedIn
) -> None:
    target = await enterprise(clock)
    admin, _me = await signed_in("admin")
    spaced = " ".join([target["uscc"][:9], target["uscc"][9:]])
    by_code = await post_form(admin, "/admin/registry", {"enterprise": spaced, "violation": "patent", "facts": "A."})
    assert by_code.status_code == 302
    listing_id = int(by_code.headers["location"].rsplit("/", 1)[1])
    row = await Listing.select(Listing.enterprise).where(Listing.id == listing_id).first()
    assert row["enterprise"] == target["id"]
    by_number = await post_form(
        admin, "/admin/registry", {"enterprise": str(target["id"]), "violation": "patent", "facts": "B."}
    )
    assert by_number.status_code == 302
    unknown = await post_form(
        admin, "/admin/registry", {"enterprise": random_uscc(), "violation": "patent", "facts": "C."}
    )
    assert unknown.status_code == 422 and "No enterprise with this USCC is registered." in unknown.text
    nothing = await post_form(admin, "/admin/registry", {"enterprise": "", "violation": "patent", "facts": "D."})
    assert nothing.status_code == 422 and "Give the enterprise&#39;s number or its USCC." in nothing.text

    api = await cast.admin.post(
        "/api/v1/registry/listings", json={"enterprise_uscc": target["uscc"], "violation": "patent", "facts": "E."}
    )
    assert api.status_code == 201 and api.json()["enterprise_id"] == target["id"]
    mismatch = await cast.admin.post(
        "/api/v1/registry/listings",
        json={
            "enterprise_id": cast.enterprise_id,
            "enterprise_uscc": target["uscc"],
            "violation": "patent",
            "facts": "F.",
        },
    )
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["field"] == "enterprise_uscc"
    malformed = await cast.admin.post(
        "/api/v1/registry/listings", json={"enterprise_uscc": "12345", "violation": "patent", "facts": "G."}
    )
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "enterprise_uscc"


async def test_a_listing_links_to_its_case_for_those_who_may_see_the_case(
    cast: Cast, clock: FrozenClock, new_client: ClientFactory, signed_in: SignedIn
) -> None:
    case = await breached_case(cast, clock)
    proposed = await act(cast.mediator, case, "propose_listing", violation="counterfeit", facts="Fake goods.")
    assert proposed.status_code == 200
    listing = await Listing.select(Listing.id).where(Listing.case_ref == case["reference"]).first()
    link = f'href="/cases/{case["reference"]}"'
    admin, _me = await signed_in("admin")
    assert link in (await admin.get(f"/registry/{listing['id']}")).text
    mediator_view = await cast.mediator.get(f"/registry/{listing['id']}")
    assert mediator_view.status_code == 200 and link in mediator_view.text
    await force_listing_state(listing["id"], "published", published_at=clock.now())
    await Enterprise.update({Enterprise.verified: True}).where(Enterprise.id == cast.enterprise_id)
    public = await new_client().get(f"/registry/{listing['id']}")  # the listing goes when the test ends
    assert public.status_code == 200 and link not in public.text
    stranger = await cast.other_consumer.get(f"/registry/{listing['id']}")
    assert stranger.status_code == 200 and link not in stranger.text
    party = await cast.consumer.get(f"/registry/{listing['id']}")
    assert link in party.text


async def test_verification_reads_in_words_in_both_languages(clock: FrozenClock, signed_in: SignedIn) -> None:
    checked = await enterprise(clock, verified=False, name_zh=f"杭州西湖{unique('h')}")
    admin, _me = await signed_in("admin", display_name="Wang")
    verified = await post_form(admin, f"/admin/enterprises/{checked['id']}/verify", {"verified": "yes"})
    assert verified.status_code == 302
    english = (await admin.get("/admin/audit")).text
    assert f"Registrar Wang verified {checked['name']} (USCC {checked['uscc']})." in english
    assert "Verification: unverified → verified" in english and '{"verified"' not in english
    chinese = (await admin.get("/admin/audit", params={"lang": "zh-Hans"})).text
    assert f"登记员Wang 认证了 {checked['name_zh']}（统一社会信用代码 {checked['uscc']}）。" in chinese
    assert "认证：由 未认证 改为 已认证" in chinese


async def test_open_data_links_and_favicon(new_client: ClientFactory) -> None:
    anonymous = new_client()
    english = (await anonymous.get("/registry")).text
    assert "Every public event (JSON Lines)</a>" in english and ">export.jsonl<" not in english
    chinese = (await anonymous.get("/registry", params={"lang": "zh-Hans"})).text
    assert "全部公开事件（JSON Lines 格式）</a>" in chinese and "已公布的树根（JSON 格式）</a>" in chinese
    assert 'href="/registry/public-key">The key that signs it (JSON)</a>' in english
    assert "签署树根的公钥（JSON 格式）</a>" in chinese
    assert '<link rel="icon" href="/static/favicon.svg"' in english
    icon = await anonymous.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = await anonymous.get("/static/favicon.svg")
    assert svg.status_code == 200 and "<svg" in svg.text
