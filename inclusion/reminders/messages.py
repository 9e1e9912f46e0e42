"""What a reminder says: Japanese SMS text within one segment, from editable wording.

A ward's staff may rewrite each message on the policy page (kept in ``reminder_texts``,
one row per message and kind); otherwise the standard wording in ``wording`` is used.
"""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from flask import current_app, g

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders.models import ReminderText
from inclusion.reminders.wording import MESSAGES, fill
from inclusion.residents.bookings import place_times
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward
from inclusion.web import public_url

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
#: An answer page's token as long as a real one, for previews.
SAMPLE_TOKEN = "x" * 11


def _ward_texts(ward_id: int) -> dict[tuple[str, str], str]:
    """A ward's own wording by (message, kind), read once per app context (a request, or
    a scheduler run)."""
    cache = g.setdefault("ward_texts", {})
    if ward_id not in cache:
        rows = db.session.execute(
            sa.select(ReminderText.name, ReminderText.kind, ReminderText.body).where(
                ReminderText.ward_id == ward_id
            )
        )
        cache[ward_id] = {(name, kind): body for name, kind, body in rows}
    return cache[ward_id]


def forget_ward_texts() -> None:
    g.pop("ward_texts", None)


def words_in_use(ward: Ward, name: str) -> dict[str, str]:
    """The wording of each kind of ``name`` that the ward's messages use now."""
    own = _ward_texts(ward.id)
    standard = MESSAGES[name].standard
    return {kind: own.get((name, kind), words) for kind, words in standard.items()}


def arrival(session: Session, place: int | None) -> datetime:
    """When the person is expected: a consultation's booked ``place``, else the start."""
    return place_times(session, place)[0]


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


def _prepared(
    ward: Ward,
    name: str,
    starts_dt: datetime,
    spoken: bool,
    *,
    kind: str,
    course: str | None = None,
    role: str = "",
    device: str = "",
    survey_token: str = SAMPLE_TOKEN,
    draft: dict[str, str] | None = None,
    buttons: bool = False,
) -> tuple[str, dict[str, str]]:
    """The words of ``name``'s ``kind`` (from ``draft``, wording being tried in the editor,
    when given) and what their places hold, but the session's name and venue: in an SMS,
    or as said on a call. A loan's message is about the day ``starts_dt`` falls on and the
    ``device`` lent; a survey's, its answer page (``survey_token``). A message with
    ``buttons`` (LINE) is answered by them, not by a reply."""
    words = (draft if draft is not None else words_in_use(ward, name))[kind]
    two_way = not spoken and not buttons and current_app.config["REMINDER_SMS_TWO_WAY"]
    part = course.replace("/", "、") if spoken and course else course
    return words, {
        "区名": ward.name_ja,
        "日時": spoken_when(starts_dt)
        if spoken
        else f"{short_day(starts_dt)}{clock.to_local(starts_dt):%H:%M}",
        "区の電話": spoken_number(ward.booking_phone) if spoken else ward.booking_phone,
        "回": (f"の{part}" if spoken else part) if course else "",
        "全日程": "全日程を" if course else "",
        # Only a number (not a sender name) lets residents answer the SMS; on LINE, a
        # button does.
        "返信": "「2」と返信か" if two_way else "「取り消す」ボタンか" if buttons else "",
        "役割": role,
        "リンク": public_url("cover.mine"),
        "返却期限": spoken_day(starts_dt) if spoken else short_day(starts_dt),
        "機種": device,
        "回答ページ": public_url("surveys.answer", token=survey_token)
        if "回答ページ" in MESSAGES[name].places
        else "",
    }


def text(
    ward: Ward,
    name: str,
    starts_dt: datetime,
    title: str,
    venue: str,
    line: bool = False,
    **facts,
) -> str:
    """What message ``name`` says, by SMS or on a call as the message is; ``facts`` are
    ``_prepared``'s: the kind, and the course part, role or draft where there is one. On
    ``line`` an SMS's words are written out in full, to be answered by buttons."""
    message = MESSAGES[name]
    if line:
        return _in_full(ward, name, starts_dt, title, venue, False, buttons=True, **facts)
    write = mail_text if message.is_mail else sms_text if message.is_sms else voice_text
    return write(ward, name, starts_dt, title, venue, **facts)


def mail_text(ward: Ward, name: str, starts_dt: datetime, title: str, venue: str, **facts):
    """A mail, written out in full: its first line is the subject."""
    return _in_full(ward, name, starts_dt, title, venue, False, **facts)


def _in_full(ward, name, starts_dt, title, venue, spoken: bool, **facts) -> str:
    words, values = _prepared(ward, name, starts_dt, spoken, **facts)
    return fill(words, {**values, "名前": title, "会場": venue})


def sms_text(ward: Ward, name: str, starts_dt: datetime, title: str, venue: str, **facts) -> str:
    """The SMS, kept to one segment: the title is shortened, then left out; then the venue is
    cut. Date, time, the ward's number and a course's 第N回 always stay."""
    words, base = _prepared(ward, name, starts_dt, False, **facts)

    def write(shown_title: str, shown_venue: str) -> str:
        return fill(words, {**base, "名前": shown_title, "会場": shown_venue})

    text = write(title, venue)
    if sms_length(text) <= SMS_LIMIT:
        return text
    untitled = write("", venue)
    room = SMS_LIMIT - sms_length(untitled) - len("… ")
    if room >= MIN_TITLE:
        return write(f"{clip(title, room)}…", venue)
    if sms_length(untitled) <= SMS_LIMIT:
        return untitled
    return write("", f"{clip(venue, SMS_LIMIT - sms_length(write('', '')) - len(' …'))}…")


#: Hours as said aloud: 7時 read as しちじ is misheard for いちじ, so say なな.
_SPOKEN_HOURS = {7: "なな"}


def spoken_day(moment: datetime) -> str:
    """12月10日、木曜日: the date as said on a call."""
    local = clock.to_local(moment)
    return f"{local.month}月{local.day}日、{WEEKDAYS[local.weekday()]}曜日"


def spoken_time(local: time) -> str:
    """午前10時半: a time of day as said on a call."""
    half = "午前" if local.hour < 12 else "午後"
    hour = local.hour if local.hour <= 12 else local.hour - 12
    minutes = "" if local.minute == 0 else "半" if local.minute == 30 else f"{local.minute}分"
    return f"{half}{_SPOKEN_HOURS.get(hour, hour)}時{minutes}"


def spoken_when(moment: datetime) -> str:
    """12月10日、木曜日、午前10時半: the date and time as said on a call."""
    return f"{spoken_day(moment)}、{spoken_time(clock.to_local(moment).time())}"


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


def voice_text(ward: Ward, name: str, starts_dt: datetime, title: str, venue: str, **facts):
    """What a reminder call says (the call says it twice)."""
    return _in_full(ward, name, starts_dt, title, venue, True, **facts)
