"""Mediation's own tables: the registrar's overrides of the statutory working-day calendar, and the years
whose official schedule they have entered."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from accounts.tables import User


class CalendarOverride(Table, tablename="calendar_override"):
    """One day whose status the registrar has set by hand, e.g. next year's schedule once announced.

    `working` True marks an adjusted working day (a working Saturday), False a holiday.
    """

    day = Date(unique=True)
    working = Boolean()
    note = Varchar(length=200)
    # Kept when the account goes: the calendar must not change because a registrar left.
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()


class CalendarYear(Table, tablename="calendar_year"):
    """A year whose official holiday schedule the registrar has entered in full (as overrides).

    Until then the year's statutory holidays are worked out by rule and registrars are warned: entering
    one day of the schedule is not entering all of it.
    """

    year = Integer(unique=True)
    entered_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    entered_at = Timestamptz()
