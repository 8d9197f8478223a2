"""Shell pages: home with filing guidance, health check."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response, get

from accord.db import ping
from accord.web import page


@get("/", name="home")
async def home() -> Any:
    return page("home.html")


@get("/healthz", media_type=MediaType.JSON, summary="Liveness and database reachability", tags=["ops"])
async def healthz() -> Response[dict[str, str]]:
    if await ping():
        return Response({"status": "ok", "database": "ok"})
    return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)


routes = [home, healthz]
