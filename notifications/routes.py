"""The inbox page and API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect
from pydantic import BaseModel, Field

from accord.auth import Viewer, signed_in_viewer
from accord.clock import Clock
from accord.i18n import label
from accord.pagination import Page, window
from accord.web import page
from accounts.schemas import Strict
from notifications import service

DEPENDENCIES = {"viewer": Provide(signed_in_viewer)}


class NotificationOut(BaseModel):
    id: int
    kind: str
    title: str
    link: str
    subject_ref: str
    read: bool
    created_at: datetime


class ReadIn(Strict):
    up_to_id: Annotated[int | None, Field(ge=1)] = None


class ReadOut(BaseModel):
    marked: int
    unread: int


def notification_out(row: dict[str, Any]) -> NotificationOut:
    return NotificationOut(
        id=row["id"],
        kind=row["kind"],
        title=label("notification", row["kind"]),
        link=row["link"],
        subject_ref=row["subject_ref"],
        read=row["read_at"] is not None,
        created_at=row["created_at"],
    )


@get("/notifications", summary="Your inbox, newest first")
async def api_inbox(
    viewer: NamedDependency[Viewer], cursor: FromQuery[str | None] = None, limit: FromQuery[int | None] = None
) -> Page[NotificationOut]:
    rows, next_cursor = await service.inbox(viewer, window(cursor, limit))
    return Page[NotificationOut](items=[notification_out(row) for row in rows], next_cursor=next_cursor)


@post("/notifications/read", status_code=200, summary="Mark notifications read (all, or up to an id)")
async def api_mark_read(
    viewer: NamedDependency[Viewer], data: JSONBody[ReadIn], clock: NamedDependency[Clock]
) -> ReadOut:
    marked = await service.mark_read(viewer, data.up_to_id, clock.now())
    return ReadOut(marked=marked, unread=await service.unread_count(viewer))


@get("/inbox", dependencies=DEPENDENCIES)
async def inbox_page(viewer: NamedDependency[Viewer], cursor: FromQuery[str | None] = None) -> Any:
    rows, next_cursor = await service.inbox(viewer, window(cursor, 50))
    return page(
        "notifications/inbox.html", items=rows, next_cursor=next_cursor, unread=await service.unread_count(viewer)
    )


@post("/inbox/read", dependencies=DEPENDENCIES)
async def inbox_mark_read(
    viewer: NamedDependency[Viewer], data: URLEncodedBody[dict[str, Any]], clock: NamedDependency[Clock]
) -> Any:
    up_to = str(data.get("up_to_id", ""))
    await service.mark_read(viewer, int(up_to) if up_to.isdigit() else None, clock.now())
    return Redirect("/inbox")


api_router = Router(
    path="/api/v1", route_handlers=[api_inbox, api_mark_read], dependencies=DEPENDENCIES, tags=["notifications"]
)
page_routes = [inbox_page, inbox_mark_read]
