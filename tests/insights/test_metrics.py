"""/metrics: 404 while ACCORD_METRICS_TOKEN is unset, 401 without the token, Prometheus text with it."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from tests.conftest import ClientFactory


async def test_metrics_are_hidden_until_a_token_is_set(app: Any, new_client: ClientFactory) -> None:
    assert (await new_client().get("/metrics")).status_code == 404
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, metrics_token="scrape-token-123")
    try:
        assert (await new_client().get("/metrics")).status_code == 401
        assert (await new_client(authorization="Bearer wrong").get("/metrics")).status_code == 401
        scraper: httpx.AsyncClient = new_client(authorization="Bearer scrape-token-123")
        await scraper.get("/stats")
        response = await scraper.get("/metrics")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        for name in (
            'accord_http_requests_total{method="GET",route="/stats",status="200"}',
            "accord_http_request_duration_seconds_bucket",
            "accord_open_sockets",
            "# TYPE accord_cases gauge",
            "accord_outbox_backlog",
            "accord_outbox_oldest_unsent_seconds",
            "accord_sweeper_lag_seconds",
            "accord_open_alerts",
        ):
            assert name in text, name
    finally:
        app.state.settings = settings
