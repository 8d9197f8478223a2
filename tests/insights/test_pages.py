"""The public statistics leak nothing personal; the dashboard, its API and its CSV are for the desk."""

from __future__ import annotations

from typing import Any

import httpx

from accounts.tables import Enterprise
from tests.conftest import ClientFactory, SignedIn
from tests.insights.conftest import SECRET_EMAIL, SECRET_NAME, SECRET_ORDER, SECRET_TEXT, History

SPRING = "from=2025-03-01&to=2025-03-31"
SECRETS = (SECRET_NAME, SECRET_EMAIL, SECRET_ORDER, SECRET_TEXT, "AC-2025-")


def assert_nothing_personal(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    for secret in SECRETS:
        assert secret not in response.text, secret


async def test_public_stats_show_figures_and_nothing_personal(history: History, client: httpx.AsyncClient) -> None:
    await Enterprise.update({Enterprise.verified: True}).where(Enterprise.id == history.enterprise_id)
    api = await client.get(f"/api/v1/stats?{SPRING}")
    assert_nothing_personal(api)
    body = api.json()
    assert body["from_date"] == "2025-03-01" and body["filed"] >= 6
    ours = [row for row in body["enterprises"] if row["enterprise_id"] == history.enterprise_id]
    assert ours and ours[0]["filed"] == 6
    assert history.small_enterprise_id not in {row["enterprise_id"] for row in body["enterprises"]}
    for path in (f"/stats?{SPRING}", f"/stats?{SPRING}&lang=zh-Hans"):
        page = await client.get(path)
        assert_nothing_personal(page)
        assert "<svg" in page.text and "<table" in page.text
    assert "统计数据" in page.text


async def test_unverified_enterprises_are_not_named_in_public(history: History, client: httpx.AsyncClient) -> None:
    await Enterprise.update({Enterprise.verified: False}).where(Enterprise.id == history.enterprise_id)
    body = (await client.get(f"/api/v1/stats?{SPRING}")).json()
    assert history.enterprise_id not in {row["enterprise_id"] for row in body["enterprises"]}
    await Enterprise.update({Enterprise.verified: True}).where(Enterprise.id == history.enterprise_id)


async def test_bad_filters_are_422(client: httpx.AsyncClient) -> None:
    for query in ("from=yesterday", "from=2025-04-01&to=2025-03-01", "from=1990-01-01&to=2025-01-01"):
        response = await client.get(f"/api/v1/stats?{query}")
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["field"] in ("from", "to")


async def test_the_dashboard_is_for_registrars_and_mediators(
    history: History, signed_in: SignedIn, api_client: SignedIn
) -> None:
    admin, _ = await signed_in("admin")
    query = f"{SPRING}&enterprise_id={history.enterprise_id}"
    page = await admin.get(f"/insights?{query}")
    assert page.status_code == 200 and "<svg" in page.text
    csv = await admin.get(f"/insights/export.csv?{query}")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert "totals,filed,6" in csv.text
    api, _ = await api_client("mediator")
    body = (await api.get(f"/api/v1/insights?{query}")).json()
    assert body["filed"] == 6 and body["by_state"]["withdrawn"] == 2
    consumer, _ = await api_client("consumer")
    assert (await consumer.get(f"/api/v1/insights?{query}")).status_code == 403
    bad = await api.get("/api/v1/insights?category=nonsense")
    assert bad.status_code == 422


async def test_the_scorecard_is_for_the_enterprise_and_the_desk(
    history: History, new_client: ClientFactory, api_client: SignedIn, signed_in: SignedIn
) -> None:
    from accord.clock import SystemClock
    from accounts.credentials import issue_token

    token = await issue_token(history.merchant.id, "tests", SystemClock())
    own = new_client(authorization=f"Bearer {token}")
    path = f"/api/v1/enterprises/{history.enterprise_id}/scorecard?{SPRING}"
    card = await own.get(path)
    assert card.status_code == 200, card.text
    measures = {m["name"]: m for m in card.json()["measures"]}
    assert card.json()["filed"] == 6
    assert (measures["response_rate"]["value"], measures["response_rate"]["standing"]) == (0.6667, "at_risk")
    assert (measures["fulfilment_rate"]["value"], measures["breach_rate"]["value"]) == (0.5, 0.5)
    assert measures["first_response_median"]["value"] == 2 and measures["first_response_median"]["standing"] == "ok"
    assert measures["response_rate"]["platform_median"] is not None
    for role in ("merchant", "consumer"):
        outsider, _ = await api_client(role)
        assert (await outsider.get(path)).status_code == 404
    registrar, _ = await signed_in("admin")
    page = await registrar.get(f"/enterprises/{history.enterprise_id}/scorecard?{SPRING}&lang=zh-Hans")
    assert page.status_code == 200 and "记分卡" in page.text


async def test_per_enterprise_tables_show_a_page_at_a_time(
    history: History, signed_in: SignedIn, client: httpx.AsyncClient, monkeypatch: Any
) -> None:
    from insights import service

    monkeypatch.setattr(service, "ENTERPRISES_SHOWN", 1)
    admin, _ = await signed_in("admin")
    first = (await admin.get(f"/api/v1/insights?{SPRING}")).json()
    assert [row["enterprise_id"] for row in first["enterprises"]] == [history.enterprise_id]  # most cases first
    assert (first["enterprises_total"], first["enterprises_offset"]) == (2, 0)
    second = (await admin.get(f"/api/v1/insights?{SPRING}&enterprises_offset=1")).json()
    assert [row["enterprise_id"] for row in second["enterprises"]] == [history.small_enterprise_id]
    assert second["enterprises"][0]["filed"] == 4
    page = await admin.get(f"/insights?{SPRING}")
    assert "enterprises_offset=1" in page.text and "More enterprises" in page.text
    exported = (await admin.get(f"/insights/export.csv?{SPRING}")).text  # a download holds them all
    assert f"enterprise:{history.enterprise_id}:" in exported and f"enterprise:{history.small_enterprise_id}:" in exported
    public = (await client.get(f"/api/v1/stats?{SPRING}")).json()  # five cases or more, and verified: one
    assert public["enterprises_total"] == 1 and len(public["enterprises"]) == 1
    bad = await client.get(f"/api/v1/stats?{SPRING}&enterprises_offset=-1")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "enterprises_offset"
