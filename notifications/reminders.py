"""Reminders before a deadline runs out, sent once each (the reminder row's unique deadline id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from accord import events
from accord.clock import Calendar, Clock
from accord.i18n import N_, register_labels
from accord.settings import Settings
from cases.tables import Case, Deadline
from cases.workflow import ASKED, MERCHANTS
from notifications.service import Rule, _case_recipients, tell
from notifications.tables import Reminder


@dataclass(frozen=True)
class ReminderRule:
    kind: str
    recipients: tuple[str, ...]
    working_days_before: int = 0
    hours_before: int = 0


REMINDERS = {
    "merchant_response": ReminderRule("response_due", (MERCHANTS,), working_days_before=2),
    "fulfilment_due": ReminderRule("fulfilment_due_soon", (MERCHANTS,), hours_before=24),
    "information_due": ReminderRule("info_due_soon", (ASKED,), working_days_before=2),
}
register_labels(
    "notification",
    {
        "response_due": N_("Your answer to a complaint is due in 2 working days"),
        "fulfilment_due_soon": N_("The settlement must be carried out by tomorrow"),
        "info_due_soon": N_("Your answer to the mediator's question is due soon"),
    },
)


def _time_to_remind(rule: ReminderRule, now: Any, due: Any, calendar: Calendar) -> bool:
    """Within N working days (or hours) of the deadline."""
    if rule.hours_before:
        return due - now <= timedelta(hours=rule.hours_before)
    return calendar.working_days_between(now, due) <= rule.working_days_before


async def send_reminders(settings: Settings, clock: Clock, calendar: Calendar) -> int:
    now = clock.now()
    horizon = calendar.add_working_days(now, 3) + timedelta(days=1)
    upcoming = await Deadline.select(Deadline.id, Deadline.case, Deadline.name, Deadline.due_at).where(
        Deadline.closed_at.is_null(),
        Deadline.paused_at.is_null(),
        Deadline.name.is_in(list(REMINDERS)),
        Deadline.due_at > now,
        Deadline.due_at <= horizon,
    )
    sent = 0
    for deadline in upcoming:
        rule = REMINDERS[deadline["name"]]
        if not _time_to_remind(rule, now, deadline["due_at"], calendar):
            continue
        sent += await _remind(settings, deadline, rule, now)
    return sent


async def _remind(settings: Settings, deadline: dict[str, Any], rule: ReminderRule, now: Any) -> int:
    async with events.atomic():
        claimed = (
            await Reminder.insert(Reminder(deadline=deadline["id"], sent_at=now))
            .on_conflict(target=Reminder.deadline, action="DO NOTHING")
            .returning(Reminder.id)
        )
        if not claimed:
            return 0  # reminded before, here or in another process
        case = (
            await Case.select(Case.consumer, Case.enterprise, Case.mediator, Case.reference, Case.info_requested_from)
            .where(Case.id == deadline["case"])
            .first()
        )
        recipients = await _case_recipients(
            case, Rule(rule.kind, rule.recipients), {"party": case["info_requested_from"]}
        )
        await tell(settings, recipients, rule.kind, f"/cases/{case['reference']}", case["reference"], now, True)
    return 1
