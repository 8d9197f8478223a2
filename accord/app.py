"""The app factory: wires every domain module's routes, subscribers, jobs, middleware and template globals
(accord.modules), with the settings, clock and calendar it is given."""

from __future__ import annotations

import asyncio
import contextlib
import gc
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

from accord import live
from accord import routes as shell_routes
from accord.auth import CSRF_COOKIE, CookieCSRFMiddleware
from accord.clock import Calendar, Clock, SystemClock, WeekdayCalendar
from accord.db import SERVER_CONNECTIONS, close_database, open_database
from accord.files import FileStore
from accord.modules import (
    DomainModule,
    background_round,
    every,
    installed,
    jobs_of,
    load_calendar,
    services,
    wire,
)
from accord.screening import screen_request
from accord.settings import Settings, get_settings
from accord.templating import create_environment
from accord.web import (
    EXCEPTION_HANDLERS,
    ClosedModelsSchemaPlugin,
    add_security_headers,
    answer_options_with_every_method,
    document_responses,
)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
MAX_BODY_BYTES = 12 * 1024 * 1024  # one 10 MB evidence file plus form fields


def provide_clock(state: State) -> Clock:
    return state.clock  # type: ignore[no-any-return]


def provide_settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


def _background(modules: list[DomainModule], calendar_injected: bool) -> tuple[Any, Any, Any]:
    """Startup and shutdown hooks: the working-day calendar (unless one was injected), and each process's
    loop running every module's jobs every ACCORD_SWEEP_SECONDS (0: none; `accord sweep` from cron)."""

    async def install_calendar(app: Litestar) -> None:
        if not calendar_injected:
            app.state.calendar = await load_calendar(modules, app.state.settings)

    def start(app: Litestar) -> None:
        settings: Settings = app.state.settings
        if settings.sweep_seconds <= 0:
            return
        jobs = jobs_of(modules)
        app.state.background = asyncio.create_task(
            every(settings.sweep_seconds, lambda: background_round(jobs, settings, app.state))
        )

    async def stop(app: Litestar) -> None:
        task = app.state.get("background")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return install_calendar, start, stop


async def open_server_database(app: Litestar) -> None:
    """A start-up hook (Litestar hands it the app): the database with a server's pool."""
    await open_database(SERVER_CONNECTIONS)


FULL_COLLECTION_AFTER = 100  # collections of the middle generation (CPython's default: 10)


def settle_heap(app: Litestar) -> None:
    """Start-up's objects (routes, templates, schemas, the working-day calendar, code tables) live as long as
    the process: move them out of the garbage collector's way, so that a full collection walks only what
    requests made since (without it, ~180,000 more objects each time).

    And make full collections rarer. A full one stops the event loop for as long as it walks every object
    the process made since start-up: 1,000 open sockets are ~280,000 objects, 130-260 ms on our machines.
    CPython starts one after every 10 collections of its middle generation once the old one has grown by a
    quarter; 1,000 sockets opening together made ~40 such collections, so 4-5 full ones, the last seconds
    later in the middle of live delivery (bench/ws_fanout.py: p99 110-340 ms in half the runs, against a
    p50 of 2 ms; the pauses, timed with gc.callbacks in the server, fell where the tail did). Steady traffic
    made one middle collection in 30 s. After 100 instead of 10, the burst made no full one; cyclic garbage
    that outlived two young collections waits longer to be freed (the bench's RSS 187 MiB against 197)."""
    gc.set_threshold(*gc.get_threshold()[:2], FULL_COLLECTION_AFTER)
    gc.collect()
    gc.freeze()


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
    modules = installed()
    wire(modules, settings)
    templates = create_environment(settings)
    for module in modules:
        templates.globals.update(module.template_globals)
    route_handlers: list[Any] = [
        *shell_routes.routes,
        *(route for module in modules for route in module.routes),
        create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
    ]
    install_calendar, start_background, stop_background = _background(modules, calendar is not None)
    app = Litestar(
        route_handlers=route_handlers,
        middleware=[
            *(middleware for module in modules for middleware in module.middleware(settings)),
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
                "calendar": calendar or WeekdayCalendar(),  # replaced at startup by the working-day calendar
                "settings": settings,
                "file_store": FileStore(settings.data_dir / "evidence"),
                **services(modules, settings),
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Accord API",
            version="1",
            description="Cross-border e-commerce dispute resolution. Errors: {detail, errors:[{field, message}]}.",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        on_startup=[open_server_database, install_calendar, start_background, settle_heap],
        on_shutdown=[stop_background, close_database],
        request_max_body_size=MAX_BODY_BYTES,
        plugins=[live.channels_plugin(settings), ClosedModelsSchemaPlugin()],
    )
    document_responses(app)
    answer_options_with_every_method(app)
    return app
