"""Request and response shapes of the traceability API (written by hand: DESIGN §12, OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class PrefixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefix: Annotated[str, Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")]


class PrefixOut(BaseModel):
    id: int
    enterprise_id: int
    prefix: str
    added_at: datetime


class RejectedOut(BaseModel):
    index: int
    message: str


class IngestOut(BaseModel):
    accepted: int  # good events, new or already stored
    stored: int  # new ones
    duplicates: int  # already stored: resubmitting an event is a no-op
    rejected: list[RejectedOut]


class PartyRef(BaseModel):
    id: int
    name: str


class BizTransactionOut(BaseModel):
    type: str
    id: str


class EndOut(BaseModel):
    type: str
    id: str


class ItemEventOut(BaseModel):
    event_id: str | None
    type: str
    action: str
    biz_step: str
    disposition: str | None
    event_time: datetime
    read_point: str | None
    biz_location: str | None
    parent: str | None
    biz_transactions: list[BizTransactionOut]
    sources: list[EndOut]
    destinations: list[EndOut]
    submitted_by: PartyRef


class ItemOut(BaseModel):
    gtin: str
    serial: str
    commissioned_by: PartyRef | None
    commissioned_at: datetime | None
    status: str  # in_stock | shipped | sold | decommissioned | recalled | destroyed | unknown
    events: list[ItemEventOut]
    cases: int  # cases claiming this item
