"""What a reminder says: Japanese SMS text within one segment, from editable templates.

A ward's staff may rewrite a text on the policy page (kept in ``reminder_texts`` and
rendered in Jinja's sandbox); an operator may also place a file in
``templates/reminders/<ward>/<name>``. The ward's own text comes first, then that file,
then the standard one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, g
from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders.models import Reminder, ReminderText
from inclusion.residents.bookings import place_times
from inclusion.wards.models import Ward

#: One UCS-2 segment: a longer Japanese SMS is split, and some phones show it badly.
SMS_LIMIT = 70
#: Longer Japanese texts go in parts of 67 characters each, every part billed.
SMS_PART = 67


def sms_length(text: str) -> int:
    """Characters as an SMS counts them: UCS-2 units, so an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many SMS a Japanese (UCS-2) text is sent as, each billed."""
    length = sms_length(text)
    return 1 if length <= SMS_LIMIT else -(-length // SMS_PART)


WEEKDAYS = "月火水木金土日"


#: Staff-written texts: no access to Python internals, and a misspelt name is an error.
SANDBOX = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def _ward_texts(ward_id: int) -> dict[str, Template]:
    """A ward's own texts, read once per app context (a request, or a scheduler run)."""
    cache = g.setdefault("ward_texts", {})
    if ward_id not in cache:
        rows = db.session.execute(
            sa.select(ReminderText.name, ReminderText.body).where(ReminderText.ward_id == ward_id)
        )
        cache[ward_id] = {name: SANDBOX.from_string(body) for name, body in rows}
    return cache[ward_id]


def forget_ward_texts() -> None:
    g.pop("ward_texts", None)


def file_template(ward: Ward, name: str) -> Template:
    return current_app.jinja_env.select_template(
        [f"reminders/{ward.slug}/{name}", f"reminders/{name}"]
    )


def standard_text(ward: Ward, name: str) -> str:
    """The wording that ships with the app for ``name``, as staff edit it."""
    return Path(file_template(ward, name).filename).read_text(encoding="utf-8")


@dataclass(frozen=True)
class WardFacts:
    """What a text may say of its ward: a plain value, not the model and its relations."""

    name_ja: str
    booking_phone: str


def render(ward: Ward, name: str, template: Template | None = None, **context) -> str:
    """Render ``name`` for the ward, or ``template`` when given (a draft being checked)."""
    chosen = template or _ward_texts(ward.id).get(name) or file_template(ward, name)
    facts = WardFacts(name_ja=ward.name_ja, booking_phone=ward.booking_phone)
    return chosen.render(ward=facts, **context).strip()


def arrival(reminder: Reminder) -> datetime:
    """When the person is expected: a consultation's booked slot, else the session's start."""
    place = reminder.booking.place if reminder.booking else None
    return place_times(reminder.session, place)[0]


def short_day(moment: datetime) -> str:
    """12/10(木): the date as an SMS says it."""
    local = clock.to_local(moment)
    return f"{local.month}/{local.day}({WEEKDAYS[local.weekday()]})"


#: Fewer characters of a title than this say nothing about which class it is.
MIN_TITLE = 4


def clip(text: str, room: int) -> str:
    """The longest start of ``text`` within ``room`` SMS characters."""
    while text and sms_length(text) > room:
        text = text[:-1]
    return text


def sms_text(ward: Ward, name: str, starts_dt: datetime, title: str, venue: str, **context) -> str:
    """The SMS, kept to one segment: the title is shortened, then left out; then the venue is
    cut. Date, time, the ward's number and a course's 第N回 always stay."""
    base = {
        "day": short_day(starts_dt),
        "start": f"{clock.to_local(starts_dt):%H:%M}",
        "ward_phone": ward.booking_phone,
        # Whether residents can answer this SMS (a number sends it, not a sender ID).
        "two_way": current_app.config["REMINDER_SMS_TWO_WAY"],
        "course": None,
        **context,
    }

    def write(shown_title: str, shown_venue: str) -> str:
        return render(ward, name, title=shown_title, venue=shown_venue, **base)

    text = write(f"{title} ", venue)
    if sms_length(text) <= SMS_LIMIT:
        return text
    untitled = write("", venue)
    room = SMS_LIMIT - sms_length(untitled) - len("… ")
    if room >= MIN_TITLE:
        return write(f"{clip(title, room)}… ", venue)
    if sms_length(untitled) <= SMS_LIMIT:
        return untitled
    return write("", clip(venue, SMS_LIMIT - sms_length(write("", ""))))


#: Hours as said aloud: 7時 read as しちじ is misheard for いちじ, so say なな.
_SPOKEN_HOURS = {7: "なな"}


def spoken_when(moment: datetime) -> str:
    """12月10日、木曜日、午前10時半: the date and time as said on a call."""
    local = clock.to_local(moment)
    half = "午前" if local.hour < 12 else "午後"
    hour = local.hour if local.hour <= 12 else local.hour - 12
    minutes = "" if local.minute == 0 else "半" if local.minute == 30 else f"{local.minute}分"
    weekday = WEEKDAYS[local.weekday()]
    return (
        f"{local.month}月{local.day}日、{weekday}曜日、"
        f"{half}{_SPOKEN_HOURS.get(hour, hour)}時{minutes}"
    )


_DIGITS = dict(
    zip(
        "0123456789",
        ["ゼロ", "イチ", "ニ", "サン", "ヨン", "ゴ", "ロク", "ナナ", "ハチ", "キュウ"],
        strict=True,
    )
)


def spoken_number(phone: str) -> str:
    """03-3463-1873 → ゼロ サン、サン ヨン ロク サン、…: digit by digit, a pause per group."""
    groups = [group for group in phone.replace("‐", "-").split("-") if group]
    return "、".join(" ".join(_DIGITS.get(char, char) for char in group) for group in groups)


def voice_text(ward: Ward, name: str, starts_dt: datetime, title: str, venue: str, **context):
    """What a reminder call says (the call says it twice)."""
    return render(
        ward,
        name,
        when_spoken=spoken_when(starts_dt),
        title=title,
        venue=venue,
        ward_phone_spoken=spoken_number(ward.booking_phone),
        **{"course": None, **context},
    )
