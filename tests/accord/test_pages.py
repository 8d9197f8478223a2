"""Shell pages and cross-cutting HTTP behaviour: home, errors in both languages, headers, health, schema."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import SignedIn


async def test_home_explains_how_to_file_a_complaint(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert "How to file a complaint" in page.text and 'href="/register"' in page.text
    assert 'href="/static/accord.css"' in page.text
    css = await client.get("/static/accord.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


async def test_pages_are_html(client: httpx.AsyncClient) -> None:
    for path in ("/", "/login", "/register", "/logout", "/does-not-exist"):
        assert (await client.get(path)).headers["content-type"] == "text/html; charset=utf-8", path


async def test_pages_load_nothing_from_other_sites(client: httpx.AsyncClient) -> None:
    for path in ("/", "/login", "/register", "/does-not-exist"):
        text = (await client.get(path)).text
        assert "http://" not in text.replace("http://testserver", "") and "https://" not in text.replace(
            "https://.", ""
        ), path


async def test_security_headers_on_pages_errors_and_static_files(client: httpx.AsyncClient) -> None:
    for path in ("/", "/nope", "/static/accord.css", "/api/v1/me"):
        headers = (await client.get(path)).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    ("language", "title", "text"),
    [("en", "Page not found", "There is nothing here."), ("zh-CN", "页面不存在", "这里什么也没有。")],
)
async def test_404_page_in_both_languages(client: httpx.AsyncClient, language: str, title: str, text: str) -> None:
    response = await client.get("/no/such/page", headers={"accept-language": language})
    assert response.status_code == 404
    assert title in response.text and text in response.text


async def test_api_404_is_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "There is nothing here. The address may be mistyped, or the page may have moved.",
        "errors": [],
    }


@pytest.mark.parametrize(("language", "text"), [("en", "Not allowed"), ("zh-Hans", "无权访问")])
async def test_403_page_in_both_languages(signed_in: SignedIn, language: str, text: str) -> None:
    browser, _user = await signed_in(language=language)
    response = await browser.get("/admin/users")
    assert response.status_code == 403 and text in response.text


@pytest.mark.parametrize(("language", "text"), [("en", "Something went wrong"), ("zh-Hans", "出错了")])
async def test_500_page_in_both_languages_and_json_for_api(
    signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch, language: str, text: str, caplog: Any
) -> None:
    from accounts import service

    async def broken(*_args: Any) -> Any:
        raise RuntimeError("database exploded")

    browser, _user = await signed_in(language=language)
    monkeypatch.setattr(service, "get_user", broken)
    page = await browser.get("/profile")
    assert page.status_code == 500 and text in page.text
    assert "database exploded" not in page.text  # internals are logged, not shown
    api = await browser.get("/api/v1/me")
    assert api.status_code == 500 and set(api.json()) == {"detail", "errors"}
    assert "database exploded" in caplog.text


async def test_healthz_reports_the_database(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}

    import accord.routes

    async def unreachable() -> bool:
        return False

    monkeypatch.setattr(accord.routes, "ping", unreachable)
    assert (await client.get("/healthz")).status_code == 503


async def test_openapi_schema_documents_the_api(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema")).json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/auth/register", "/api/v1/auth/token", "/api/v1/me", "/api/v1/enterprises"):
        assert path in schema["paths"], path
    assert (await client.get("/schema/openapi.json")).status_code == 200
    register = schema["paths"]["/api/v1/auth/register"]["post"]
    assert "requestBody" in register


async def test_malformed_json_is_a_4xx_with_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"detail", "errors"}


async def test_openapi_documents_the_case_api(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema")).json()["paths"]
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{reference}",
        "/api/v1/cases/{reference}/actions/respond",  # one documented route per action
        "/api/v1/cases/{reference}/messages",
        "/api/v1/cases/{reference}/evidence",
        "/api/v1/cases/{reference}/evidence/{evidence_id}",
        "/api/v1/cases/{reference}/record",
    ):
        assert path in paths, path
