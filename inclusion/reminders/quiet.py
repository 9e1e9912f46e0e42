"""Quiet hours: when a call or an SMS may reach someone (Asia/Tokyo wall-clock time)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.errors import RuleViolation
from inclusion.reminders.media import Medium
from inclusion.residents.models import ReminderChannel
from inclusion.wards.models import Ward

Window = tuple[time, time]


def checked_window(
    start: time | None, end: time | None, limits: Window, field: str, outside_field: str = ""
) -> tuple[time | None, time | None]:
    """A window someone entered (both times or neither), inside ``limits``; else RuleViolation."""
    if (start is None) != (end is None):
        raise RuleViolation(_l("Enter both times, or neither for the usual hours."), field)
    if start is None or end is None:
        return None, None
    if start >= end:
        raise RuleViolation(_l("The hours must end after they start."), field)
    earliest, latest = limits
    if start < earliest or end > latest:
        raise RuleViolation(
            _l(
                "Only within the programme's hours: %(start)s to %(end)s.",
                start=earliest.strftime("%H:%M"),
                end=latest.strftime("%H:%M"),
            ),
            outside_field or field,
        )
    return start, end


def window_for(
    ward: Ward,
    channel: Medium | ReminderChannel,
    call_hours: tuple[time | None, time | None] | None = None,
) -> Window:
    """When a message may go out: the ward's hours (or the setting), narrowed for calls by
    the resident's own ``call_hours`` (``call_from``, ``call_until``) when set."""
    if channel == Medium.EMAIL:
        return time.min, time.max  # a mail waits in the inbox: it wakes nobody
    # A LINE message, like an SMS, waits on the phone: it keeps the SMS hours.
    if channel in (ReminderChannel.SMS, Medium.LINE):
        start, end = current_app.config["REMINDER_SMS_HOURS"]
        return ward.sms_from or start, ward.sms_until or end
    start, end = current_app.config["REMINDER_CALL_HOURS"]
    start, end = ward.calls_from or start, ward.calls_until or end
    own_from, own_until = call_hours or (None, None)
    if own_from and own_until:
        narrowed = max(start, own_from), min(end, own_until)
        # Empty if the ward's hours changed since the resident's were set: keep the ward's.
        if narrowed[0] < narrowed[1]:
            return narrowed
    return start, end


def next_allowed(moment: datetime, window: Window) -> datetime:
    """``moment`` if it falls inside the window, else the window's next opening (UTC)."""
    local = clock.to_local(moment)
    start, end = window
    if start <= local.time() < end:
        return moment
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return clock.to_utc(day, start)
