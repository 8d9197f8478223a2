"""The app factory: wires every domain's routes, middleware, templates and the injected clock."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

import accounts.agency_routes
import accounts.routes
import cases.routes
import integrity.routes
import integrity.service
import mediation.routes
import notifications.routes
import notifications.service  # noqa: F401 - subscribes to domain events
from accord import routes as shell_routes
from accord.auth import CSRF_COOKIE, CookieCSRFMiddleware, ViewerMiddleware
from accord.clock import Calendar, Clock, SystemClock, WeekdayCalendar
from accord.db import engine, prepare_database
from accord.files import FileStore
from accord.screening import screen_request
from accord.settings import Settings, get_settings
from accord.templating import create_environment
from accord.web import EXCEPTION_HANDLERS, add_security_headers
from cases.workflow import terms_from
from mediation.runtime import install_calendar, start_background, stop_background
from notifications.conversation import case_socket
from notifications.digest import send_digests
from notifications.live import channels_plugin, notifications_socket
from notifications.mailer import send_due, transport_for
from notifications.reminders import send_reminders
from notifications.sign_out import SocketsEndWithCredential

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
MAX_BODY_BYTES = 12 * 1024 * 1024  # one 10 MB evidence file plus form fields


def provide_clock(state: State) -> Clock:
    return state.clock  # type: ignore[no-any-return]


def provide_settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


async def _open_database() -> None:
    db = engine()
    if db.engine_type == "postgres":
        await db.start_connection_pool()  # type: ignore[attr-defined]
    await prepare_database()


async def _close_database() -> None:
    db = engine()
    if db.engine_type == "postgres":
        await db.close_connection_pool()  # type: ignore[attr-defined]


def _mail_job(settings: Settings) -> Any:
    """Background work: deliver the mail outbox (SMTP, or .eml files when none is configured)."""
    transport = transport_for(settings)

    async def deliver(clock: Clock, calendar: Calendar) -> None:
        await send_due(transport, clock, settings.mail_from)

    return deliver


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, calendar: Calendar | None = None
) -> Litestar:
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        header_name="x-csrftoken",
        exclude=["^/static/", "^/healthz$", "^/schema"],
    )
    templates = create_environment(settings)
    templates.globals["missing_schedule_years"] = mediation.routes.missing_schedule_years
    route_handlers: list[Any] = [
        *shell_routes.routes,
        *accounts.routes.page_routes,
        *accounts.agency_routes.page_routes,
        *cases.routes.page_routes,
        *mediation.routes.page_routes,
        accounts.routes.api_router,
        accounts.agency_routes.api_router,
        cases.routes.api_router,
        mediation.routes.api_router,
        integrity.routes.api_router,
        integrity.routes.page_router,
        *integrity.routes.open_data,
        notifications.routes.api_router,
        notifications_socket,
        case_socket,
        *notifications.routes.page_routes,
        create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
    ]
    return Litestar(
        route_handlers=route_handlers,
        middleware=[
            DefineMiddleware(
                ViewerMiddleware,
                resolver=accounts.routes.viewer_resolver(settings),
                skip_prefixes=("/static/", "/healthz", "/schema"),
            ),
            SocketsEndWithCredential,  # a socket closes (4401) once its viewer's credential has ended
            DefineMiddleware(CookieCSRFMiddleware, config=csrf),
        ],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(templates)),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_security_headers],
        before_request=screen_request,  # what no database can store or find never reaches a handler
        dependencies={
            "clock": Provide(provide_clock, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        state=State(
            {
                "clock": clock or SystemClock(),
                "calendar": calendar or WeekdayCalendar(),  # replaced at startup by the holiday calendar
                "calendar_injected": calendar is not None,
                "settings": settings,
                "file_store": FileStore(settings.data_dir / "evidence"),
                "case_terms": terms_from(settings.deadline_overrides),
                "listed_enterprises": integrity.service.publicly_listed,
                "background_jobs": [integrity.service.expire_due, send_reminders, send_digests, _mail_job(settings)],
                "unread_counter": notifications.service.unread_on_page,
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Accord API",
            version="1",
            description="Cross-border e-commerce dispute resolution. Errors: {detail, errors:[{field, message}]}.",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        on_startup=[_open_database, install_calendar, start_background],
        on_shutdown=[stop_background, _close_database],
        request_max_body_size=MAX_BODY_BYTES,
        plugins=[channels_plugin()],
    )
