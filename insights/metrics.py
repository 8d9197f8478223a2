"""`GET /metrics` in Prometheus' text format, for operators: HTTP requests and latency by route template, open
sockets, cases by state, the mail outbox's backlog and oldest unsent mail, the sweeper's lag (the oldest
deadline that ran out and has not fired) and open risk alerts. It asks for `Authorization: Bearer
<ACCORD_METRICS_TOKEN>` and answers 404 while that setting is unset.

Several processes: request and socket metrics are counted per process. With `PROMETHEUS_MULTIPROC_DIR` set
(an empty directory, the same for every uvicorn worker on a host, wiped at start) prometheus-client's
multiprocess mode adds them up over the host's processes, whichever answers the scrape; without it, each
process reports its own. The database figures are read at scrape time and are the same from any process.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from piccolo.query.functions.aggregate import Count, Min
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from accord.errors import NotAuthenticated, NotFound
from accord.i18n import gettext as _
from accord.web import JSON_ERRORS
from cases.tables import Case, Deadline
from insights.tables import Alert

PROCESS = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "accord_http_requests", "HTTP requests by route template", ["method", "route", "status"], registry=PROCESS
)
LATENCY = Histogram(
    "accord_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    registry=PROCESS,
)
SOCKETS = Gauge("accord_open_sockets", "Open WebSockets", registry=PROCESS, multiprocess_mode="livesum")


class MetricsMiddleware:
    """Counts each request under its route template (never the raw path: ids would explode the labels)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            SOCKETS.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                SOCKETS.dec()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def keep_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, keep_status)
        finally:
            route = str(scope.get("path_template") or "unmatched")
            REQUESTS.labels(scope["method"], route, str(status[0])).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


Backlog = Callable[[], Awaitable[tuple[int, Any]]]  # mails waiting, and when the oldest was queued


async def database_families(now: float, outbox_backlog: Backlog) -> list[GaugeMetricFamily]:
    """The figures read from the database at scrape time (the outbox's through the notifications module's
    `outbox_backlog` service: insights does not read another domain's tables)."""
    cases = GaugeMetricFamily("accord_cases", "Cases by state", labels=["state"])
    for row in await Case.select(Case.state, Count(Case.id).as_alias("n")).group_by(Case.state):
        cases.add_metric([row["state"]], row["n"])
    unsent, oldest_unsent = await outbox_backlog()
    overdue = (
        await Deadline.select(Min(Deadline.due_at).as_alias("oldest"))
        .where(Deadline.closed_at.is_null(), Deadline.paused_at.is_null(), Deadline.action.is_not_null())
        .first()
    )
    alerts = await Alert.select(Count(Alert.id).as_alias("n")).where(Alert.state == "open").first()

    def age(moment: Any) -> float:
        if moment is None:
            return 0.0
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return max(0.0, now - moment.timestamp())

    return [
        cases,
        GaugeMetricFamily("accord_outbox_backlog", "Mails queued or being sent", value=unsent),
        GaugeMetricFamily(
            "accord_outbox_oldest_unsent_seconds",
            "Age of the oldest unsent mail",
            value=age(oldest_unsent),
        ),
        GaugeMetricFamily(
            "accord_sweeper_lag_seconds",
            "How long the oldest running deadline with a timeout action has been overdue (0: none)",
            value=age(overdue and overdue["oldest"]),
        ),
        GaugeMetricFamily("accord_open_alerts", "Open risk alerts", value=alerts["n"] if alerts else 0),
    ]


class _Families:
    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


@get("/metrics", include_in_schema=False, opt=JSON_ERRORS)
async def metrics(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    token = state.settings.metrics_token
    if not token:
        raise NotFound(_("There is nothing here. The address may be mistyped, or the page may have moved."))
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise NotAuthenticated(_("Please sign in to continue."))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process = CollectorRegistry()
        multiprocess.MultiProcessCollector(process)
    else:
        process = PROCESS
    database = CollectorRegistry()
    database.register(_Families(await database_families(time.time(), state.outbox_backlog)))  # type: ignore[arg-type]
    return Response(generate_latest(process) + generate_latest(database), media_type=CONTENT_TYPE_LATEST)
