"""Who is asking: the viewer of a request, role guards, and CSRF for cookie-authenticated requests.

The shell does not know how users are stored: the app factory passes `ViewerMiddleware` a resolver
(from `accounts`) that turns a bearer token or session cookie into a `Viewer`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from accord import i18n
from accord.errors import Forbidden, NotAuthenticated
from accord.i18n import gettext as _

SESSION_COOKIE = "accord_session"
LANGUAGE_COOKIE = "accord_lang"
CSRF_COOKIE = "accord_csrf"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person behind a request, as every service sees them."""

    id: int
    email: str
    display_name: str
    role: str
    language: str
    enterprise_id: int | None
    enterprise_name: str | None
    enterprise_verified: bool
    credential: str  # "session" | "token"
    credential_id: int
    # Merchant agents: "pending" | "approved" | "rejected". The enterprise fields above are set only once
    # the agent is approved, so every check against `enterprise_id` keeps unapproved agents out.
    agent_status: str | None = None
    timezone: str = ""  # the zone they see times in (IANA name); "" for the deployment's (i18n.viewer_zone)
    enterprise_kind: str | None = None  # merchant, platform or brand (accounts.tables.EnterpriseKind)

    @property
    def speaks_for_platform(self) -> bool:
        """An approved agent of a platform enterprise: it answers for the cases naming it (issue 17)."""
        return self.role == "merchant" and self.enterprise_id is not None and self.enterprise_kind == "platform"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def awaits_approval(self) -> bool:
        """A merchant agent whose enterprise has not vouched for them (pending or rejected)."""
        return self.role == "merchant" and self.agent_status != "approved"


@dataclass(frozen=True)
class UnreadBadge:
    """The header's unread badge, from whichever package keeps notices (app.state "unread_badge").

    `counts` is SQL for two columns, `unread` and `here` (how many of them lead to the page opened), as
    scalar subqueries over `viewer.id` (the signed-in user's id) and `{link}` (the page's path): the statement
    that finds the viewer carries them, so the badge costs no statement of its own (issue 14). `count` runs
    them alone (a resolver that found the viewer otherwise); `shown` is the figure the header shows, once the
    notices leading to the page opened are read."""

    counts: str
    count: Callable[[Viewer, str], Awaitable[Mapping[str, int]]]
    shown: Callable[[Viewer, str, datetime, Mapping[str, int]], Awaitable[int]]


# A connection's viewer (None: anonymous) and, asked with the badge's `counts` and the page's link, the counts when
# the statement that found the viewer carried them (None: the badge counts them itself).
ViewerResolver = Callable[
    [ASGIConnection[Any, Any, Any, Any], tuple[str, str] | None],
    Awaitable[tuple[Viewer | None, Mapping[str, int] | None]],
]


def page_link(path: str) -> str:
    """A page's path as a notice's link would hold it: our links are short printable paths; anything else (a
    NUL no database takes) cannot be one."""
    return path if len(path) <= 200 and path.isprintable() else ""


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class ViewerMiddleware:
    """Resolves the viewer, the language and the time zone of every HTTP request and WebSocket."""

    def __init__(self, app: ASGIApp, resolver: ViewerResolver, skip_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.resolver = resolver
        self.skip_prefixes = skip_prefixes  # static files and health checks need no viewer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(self.skip_prefixes):
            scope["user"] = None
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        badge = self._badge(scope)
        link = page_link(scope["path"])
        viewer, counts = await self.resolver(connection, (badge.counts, link) if badge else None)
        scope["user"] = viewer
        language = i18n.choose_language(
            connection.query_params.get("lang"),
            viewer.language if viewer else None,
            connection.cookies.get(LANGUAGE_COOKIE),
            i18n.from_accept_language(connection.headers.get("accept-language")),
        )
        scope.setdefault("state", {})["language"] = language
        if viewer and badge:
            counts = counts if counts is not None else await badge.count(viewer, link)
            scope["state"]["unread"] = await badge.shown(viewer, link, scope["app"].state.clock.now(), counts)
        token = i18n.use_language(language)
        zone = i18n.use_zone(i18n.viewer_zone(viewer, scope["app"].state.settings.timezone))
        try:
            # One turn of the event loop for everyone else before the request runs on: a request that waits for
            # nothing (SQLite reads run inline) went from start to end in one step, and some connections waited
            # for several rounds of others (the case page under wrk's 32 connections: p99 85-105 ms without, 29).
            await asyncio.sleep(0)
            await self.app(scope, receive, send)
        finally:
            i18n.reset_zone(zone)
            i18n.reset_language(token)

    @staticmethod
    def _badge(scope: Scope) -> UnreadBadge | None:
        """Pages show the unread badge (API calls and sockets do not), when a package installed one."""
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["path"].startswith("/api/"):
            badge: UnreadBadge | None = scope["app"].state.get("unread_badge")
            return badge
        return None


class CookieCSRFMiddleware(CSRFMiddleware):
    """Litestar's double-submit CSRF check, skipped for API calls that carry no ambient authority.

    An `/api/` request authenticated by a bearer token, or carrying no session cookie at all, cannot
    be forged by another site; a cookie-authenticated API call is checked like a form.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
            if bearer_token(connection) or SESSION_COOKIE not in connection.cookies:
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def current_viewer(connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    return connection.scope.get("user")


async def optional_viewer(request: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    """Dependency: the viewer or None for anonymous visitors."""
    return current_viewer(request)


async def signed_in_viewer(request: ASGIConnection[Any, Any, Any, Any]) -> Viewer:
    """Dependency: the viewer; anonymous requests get 401 (API) or the login page (HTML)."""
    viewer = current_viewer(request)
    if viewer is None:
        raise NotAuthenticated(_("Please sign in to continue."))
    return viewer


def require_role(*roles: str) -> Callable[..., Awaitable[Viewer]]:
    """Dependency factory: the viewer, who must hold one of `roles` (else 403)."""

    async def viewer_with_role(request: ASGIConnection[Any, Any, Any, Any]) -> Viewer:
        viewer = await signed_in_viewer(request)
        if not viewer.has_role(*roles):
            raise Forbidden(_("Your account may not do this."))
        return viewer

    return viewer_with_role
