"""What the mediation desk's forms accept."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from accord.validation import Strict
from mediation.calendar import NOTE_MAX_LENGTH


class CalendarOverrideIn(Strict):
    day: date
    working: bool
    note: Annotated[str, Field(max_length=NOTE_MAX_LENGTH)] = ""
