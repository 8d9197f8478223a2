"""Traceability's part of the process: its pages and API, the trace check on filing, and the check shown on
the case page and in the case JSON."""

from __future__ import annotations

from accord.modules import DomainModule, Subscription
from accord.settings import Settings
from trace import routes, service
from trace.seed import seed_demo_trace


def subscribers(settings: Settings) -> list[Subscription]:
    return [Subscription(service.on_case_filed)]  # transaction phase: the check commits with the filing


MODULE = DomainModule(
    name="trace",
    routes=[*routes.page_routes, routes.api_router],
    subscribers=subscribers,
    seed=seed_demo_trace,  # a brand with a few hundred items' events, and cases showing each check result
    case_facts={"trace_check": service.check_for_viewer},
    record_tellers={service.RECORD_EVENT: service.tell_check, service.PARTIES_EVENT: service.tell_plain_check},
)
