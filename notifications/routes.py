"""The inbox page and API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect
from pydantic import BaseModel, Field

from accord.auth import Viewer, require_role, signed_in_viewer
from accord.clock import Clock
from accord.errors import NotFound
from accord.i18n import gettext as _
from accord.i18n import label
from accord.pagination import Page, window
from accord.screening import database_int
from accord.settings import Settings
from accord.validation import Strict
from accord.web import page
from notifications import digest, mailer, service

DEPENDENCIES = {"viewer": Provide(signed_in_viewer)}


class NotificationOut(BaseModel):
    id: int
    kind: str
    title: str
    link: str
    subject_ref: str
    read: bool
    created_at: datetime
    summary: str = ""  # what happened, in words: "Li Wei (consumer) withdrew the complaint"
    words: str = ""  # what they wrote with it (a reason, a question…), when the recipient may read it


class ReadIn(Strict):
    up_to_id: Annotated[int | None, Field(ge=1)] = None


class ReadOut(BaseModel):
    marked: int
    unread: int


def notification_out(row: dict[str, Any], settings: Settings) -> NotificationOut:
    line = service.notice_line(row.get("details"), settings)
    return NotificationOut(
        id=row["id"],
        kind=row["kind"],
        title=label("notification", row["kind"]),
        link=row["link"],
        subject_ref=row["subject_ref"],
        read=row["read_at"] is not None,
        created_at=row["created_at"],
        summary=line.lead.striptags() if line else "",
        words=line.words if line else "",
    )


@get("/notifications", summary="Your inbox, newest first")
async def api_inbox(
    viewer: NamedDependency[Viewer],
    settings: NamedDependency[Settings],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[NotificationOut]:
    rows, next_cursor = await service.inbox(viewer, window(cursor, limit))
    return Page[NotificationOut](items=[notification_out(row, settings) for row in rows], next_cursor=next_cursor)


@post("/notifications/read", status_code=200, summary="Mark notifications read (all, or up to an id)")
async def api_mark_read(
    viewer: NamedDependency[Viewer], data: JSONBody[ReadIn], clock: NamedDependency[Clock]
) -> ReadOut:
    marked = await service.mark_read(viewer, data.up_to_id, clock.now())
    return ReadOut(marked=marked, unread=await service.unread_count(viewer))


@get("/inbox", dependencies=DEPENDENCIES)
async def inbox_page(
    viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], cursor: FromQuery[str | None] = None
) -> Any:
    rows, next_cursor = await service.inbox(viewer, window(cursor, 50))
    for row in rows:
        row["line"] = service.notice_line(row["details"], settings)
    return page(
        "notifications/inbox.html", items=rows, next_cursor=next_cursor, unread=await service.unread_count(viewer)
    )


@post("/inbox/read", dependencies=DEPENDENCIES)
async def inbox_mark_read(
    viewer: NamedDependency[Viewer], data: URLEncodedBody[dict[str, Any]], clock: NamedDependency[Clock]
) -> Any:
    await service.mark_read(viewer, database_int(str(data.get("up_to_id", ""))), clock.now())
    return Redirect("/inbox")


api_router = Router(
    path="/api/v1", route_handlers=[api_inbox, api_mark_read], dependencies=DEPENDENCIES, tags=["notifications"]
)
page_routes = [inbox_page, inbox_mark_read]


# --- mail preferences and one-click unsubscribe --------------------------------------------------


@get("/inbox/settings", dependencies=DEPENDENCIES)
async def mail_settings_page(viewer: NamedDependency[Viewer], saved: FromQuery[bool] = False) -> Any:
    offered = service.mail_kinds_for(viewer.role, viewer.speaks_for_platform)
    return page(
        "notifications/settings.html",
        choices=await service.mail_choices(viewer.id, offered),
        digest=await digest.wants_digest(viewer.id),
        saved=saved,
    )


@post("/inbox/settings", dependencies=DEPENDENCIES)
async def save_mail_settings(
    viewer: NamedDependency[Viewer], data: URLEncodedBody[dict[str, Any]], clock: NamedDependency[Clock]
) -> Any:
    offered = service.mail_kinds_for(viewer.role, viewer.speaks_for_platform)
    wanted = {kind for kind in offered if data.get(kind) == "yes"}
    await service.set_mail_choices(viewer.id, wanted, clock.now(), offered)
    await digest.set_digest(viewer.id, data.get("digest") == "yes", clock.now())
    return Redirect("/inbox/settings?saved=1")


@get("/unsubscribe")
async def unsubscribe_page(
    u: FromQuery[int], k: FromQuery[str], t: FromQuery[str], settings: NamedDependency[Settings]
) -> Any:
    if not service.token_valid(settings, u, k, t):
        raise NotFound(_("This unsubscribe link is not valid."))
    return page("notifications/unsubscribe.html", user_id=u, kind=k, token=t, done=False)


@post("/unsubscribe")
async def unsubscribe(
    data: URLEncodedBody[dict[str, Any]], clock: NamedDependency[Clock], settings: NamedDependency[Settings]
) -> Any:
    user_id, kind, token = database_int(str(data.get("u", ""))), str(data.get("k", "")), str(data.get("t", ""))
    if user_id is None or not service.token_valid(settings, user_id, kind, token):
        raise NotFound(_("This unsubscribe link is not valid."))
    await service.unsubscribe(user_id, kind, clock.now())
    return page("notifications/unsubscribe.html", user_id=user_id, kind=kind, token=token, done=True)


# --- registrar: the outbox -----------------------------------------------------------------------

_admin = {"viewer": Provide(require_role("admin"))}


@get("/admin/outbox", dependencies=_admin)
async def outbox_page(
    viewer: NamedDependency[Viewer], settings: NamedDependency[Settings], status: FromQuery[str] = ""
) -> Any:
    await service.write_mails(settings)  # the notices' mails not written yet are in the outbox the page shows
    return page("notifications/outbox.html", mails=await service.outbox(status or None), shown=status)


@post("/admin/outbox/{mail_id:int}/retry", dependencies=_admin)
async def retry_mail(viewer: NamedDependency[Viewer], mail_id: FromPath[int], clock: NamedDependency[Clock]) -> Any:
    if not await mailer.retry(mail_id, clock):
        raise NotFound(_("There is no failed mail with this number."))
    return Redirect("/admin/outbox?status=queued")


page_routes += [mail_settings_page, save_mail_settings, unsubscribe_page, unsubscribe, outbox_page, retry_mail]
