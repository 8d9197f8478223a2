"""The mediation desk's pages and API: the queue (claiming happens through the case actions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Router, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from pydantic import BaseModel

from accord.auth import Viewer, signed_in_viewer
from accord.pagination import Page, window
from accord.web import page
from cases.routes import provide_context
from cases.schemas import MoneyOut, money_out
from cases.tables import Category
from cases.workflow import Context
from mediation.service import AMOUNT_BANDS, QueueFilter, queue

DEPENDENCIES = {
    "viewer": Provide(signed_in_viewer),
    "context": Provide(provide_context, sync_to_thread=False),
}


class QueueItemOut(BaseModel):
    reference: str
    state: str
    category: str
    language: str
    product_name: str
    enterprise: str
    amount_paid: MoneyOut | None
    is_appeal: bool
    version: int
    mediator: str | None
    due_at: datetime | None
    working_days_left: int | None
    overdue: bool


def _filter(category: str, language: str, band: str, appeal: str, overdue: bool, mine: bool) -> QueueFilter:
    return QueueFilter(
        category=category or None,
        language=language or None,
        band=band or None,
        appeal={"yes": True, "no": False}.get(appeal),
        overdue=overdue,
        mine=mine,
    )


@get("/queue", summary="The mediation queue (mediators)")
async def api_queue(
    viewer: NamedDependency[Viewer],
    context: NamedDependency[Context],
    category: FromQuery[str] = "",
    language: FromQuery[str] = "",
    band: FromQuery[str] = "",
    appeal: FromQuery[str] = "",
    overdue: FromQuery[bool] = False,
    mine: FromQuery[bool] = False,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[QueueItemOut]:
    wanted = _filter(category, language, band, appeal, overdue, mine)
    rows, next_cursor = await queue(viewer, wanted, window(cursor, limit), context.clock.now(), context.calendar)
    items = [
        QueueItemOut(
            reference=row["reference"],
            state=row["state"],
            category=row["category"],
            language=row["language"],
            product_name=row["product_name"],
            enterprise=row["enterprise_name"],
            amount_paid=money_out(row["amount_paid"], row["currency"]),
            is_appeal=row["is_appeal"],
            version=row["version"],
            mediator=row["mediator_name"],
            due_at=row["next_due_at"],
            working_days_left=row["working_days_left"],
            overdue=row["overdue"],
        )
        for row in rows
    ]
    return Page[QueueItemOut](items=items, next_cursor=next_cursor)


@get("/queue", dependencies=DEPENDENCIES)
async def queue_page(
    viewer: NamedDependency[Viewer],
    context: NamedDependency[Context],
    category: FromQuery[str] = "",
    language: FromQuery[str] = "",
    band: FromQuery[str] = "",
    appeal: FromQuery[str] = "",
    overdue: FromQuery[bool] = False,
    mine: FromQuery[bool] = False,
    cursor: FromQuery[str | None] = None,
) -> Any:
    wanted = _filter(category, language, band, appeal, overdue, mine)
    rows, next_cursor = await queue(viewer, wanted, window(cursor, 50), context.clock.now(), context.calendar)
    return page(
        "mediation/queue.html",
        items=rows,
        wanted=wanted,
        appeal=appeal,
        next_cursor=next_cursor,
        categories=[category.value for category in Category],
        bands=list(AMOUNT_BANDS),
    )


api_router = Router(path="/api/v1", route_handlers=[api_queue], dependencies=DEPENDENCIES, tags=["mediation"])
page_routes = [queue_page]
