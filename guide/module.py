"""Guided filing's part of the process: the guide's pages, the registrars' counts, and the subscriber that marks
a diagnosis followed when a complaint is filed from it (cases emits `filing.guided`; it never imports guide)."""

from __future__ import annotations

from accord.modules import DomainModule, Subscription
from accord.settings import Settings
from guide import routes, service
from guide.content import load_all


def subscribers(settings: Settings) -> list[Subscription]:
    load_all()  # both languages' content, checked at start-up: a broken file stops the process here
    return [Subscription(service.on_filing_guided)]


MODULE = DomainModule(
    name="guide",
    routes=[*routes.page_routes, routes.api_router],
    subscribers=subscribers,
)
