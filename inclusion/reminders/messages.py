"""What a reminder says: Japanese SMS text within one segment, from editable templates.

A ward may override any template with ``templates/reminders/<ward>/<name>``.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from inclusion import clock
from inclusion.wards.models import Ward

#: One UCS-2 segment: a longer Japanese SMS is split, and some phones show it badly.
SMS_LIMIT = 70
WEEKDAYS = "月火水木金土日"


def render(ward: Ward, name: str, **context) -> str:
    template = current_app.jinja_env.select_template(
        [f"reminders/{ward.slug}/{name}", f"reminders/{name}"]
    )
    return template.render(ward=ward, **context).strip()


def short_day(moment: datetime) -> str:
    """12/10(木): the date as an SMS says it."""
    local = clock.to_local(moment)
    return f"{local.month}/{local.day}({WEEKDAYS[local.weekday()]})"


def sms_text(ward: Ward, name: str, starts_dt: datetime, title: str, venue: str, **context) -> str:
    """The SMS, shortened to one segment: first the title goes, then the venue is cut."""
    base = {
        "day": short_day(starts_dt),
        "start": f"{clock.to_local(starts_dt):%H:%M}",
        "ward_phone": ward.booking_phone,
        **context,
    }
    for shown_title, shown_venue in ((f"{title} ", venue), ("", venue)):
        text = render(ward, name, title=shown_title, venue=shown_venue, **base)
        if len(text) <= SMS_LIMIT:
            return text
    text = render(ward, name, title="", venue="", **base)
    room = SMS_LIMIT - len(text)
    return render(ward, name, title="", venue=venue[: max(room, 0)], **base)
