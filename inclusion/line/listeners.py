"""LINE's part in the other features' events."""

from __future__ import annotations

from inclusion import clock
from inclusion.extensions import db
from inclusion.line import fallback
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Reminder
from inclusion.reminders.signals import reminder_failed


@reminder_failed.connect
def _reminder_failed(reminder_id: int, **_extra) -> None:
    if db.session.get(Reminder, reminder_id).channel == Medium.LINE:
        fallback.refused(reminder_id, clock.now())
