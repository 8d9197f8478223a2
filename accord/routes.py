"""Shell pages: home with filing guidance, health check."""

from __future__ import annotations

from pathlib import Path
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


# Browsers ask for /favicon.ico on every site whatever the page links; the same mark as static/favicon.svg.
FAVICON = (Path(__file__).resolve().parent.parent / "static" / "favicon.ico").read_bytes()


@get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response[bytes]:
    return Response(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


routes = [home, healthz, favicon]
