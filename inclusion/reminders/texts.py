"""The reminder texts a ward may rewrite: what each is for, its kinds, and how it reads
for the ward's next real session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.courses.services import course_part
from inclusion.extensions import db
from inclusion.reminders import messages
from inclusion.reminders.wording import MESSAGES, PLACEHOLDERS
from inclusion.sessions.models import Session, SessionStatus
from inclusion.volunteers.models import ShiftRole
from inclusion.wards.models import Ward

SAMPLE_TITLE = "スマホ入門講座"
SAMPLE_VENUE = "区民会館 第1会議室"
SAMPLE_DEVICE = "らくらくスマートフォン F-52B"

KIND_LABELS = {
    "two_days_before": _l("Before the session"),
    "morning": _l("On the morning"),
    "day_before": _l("The day before"),
    "promoted": _l("A seat freed for them"),
    "offer": _l("A seat offered to those waiting"),
    "cancelled": _l("Session cancelled"),
    "moved": _l("Session moved"),
    "booked": _l("Booked on the phone line"),
    "waitlisted": _l("Put on the waiting list on the phone line"),
    "withdrawn": _l("Cancelled on the phone line"),
    "cover_offer": _l("Asked to take over a shift"),
    "cover_done": _l("Their shift was taken over"),
    "swap_asked": _l("Asked to swap shifts"),
    "loan_due": _l("A loan smartphone's due date is near"),
    "loan_overdue": _l("A loan smartphone's due date has passed"),
    "survey_follow_up": _l("The follow-up survey, three months on"),
    "survey_yearly": _l("The yearly survey"),
}


@dataclass(frozen=True)
class Sample:
    kind: str
    text: str

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def length(self) -> int:
        return messages.sms_length(self.text)

    @property
    def segments(self) -> int:
        return messages.sms_segments(self.text)

    @property
    def too_long(self) -> bool:
        return self.length > messages.SMS_LIMIT


@dataclass(frozen=True)
class SampleSession:
    """What the previews are filled in with: the ward's next session, or a made-up one."""

    starts_dt: datetime
    title: str
    venue: str
    course: str | None
    #: Whether this is the ward's real next session (else a made-up one).
    is_real: bool


def sample_start() -> datetime:
    """Next Thursday at 10:00: when a ward has no session coming."""
    today = clock.today()
    return clock.to_utc(today + timedelta(days=(3 - today.weekday()) % 7 or 7), time(10))


def longest_sample() -> SampleSession:
    """A session whose date, time and course part are as long as they come (28 December,
    第12回/全12回): what an SMS's length is checked against."""
    starts_dt = clock.to_utc(date(clock.today().year, 12, 28), time(10))
    return SampleSession(starts_dt, SAMPLE_TITLE, SAMPLE_VENUE, "第12回/全12回", False)


def sample_session(ward: Ward) -> SampleSession:
    """The ward's next scheduled session, as the previews show it."""
    session = db.session.scalar(
        sa.select(Session)
        .where(
            Session.ward_id == ward.id,
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_dt > clock.now(),
        )
        .order_by(Session.starts_dt, Session.id)
        .limit(1)
    )
    if session is None:
        return SampleSession(sample_start(), SAMPLE_TITLE, SAMPLE_VENUE, None, False)
    return SampleSession(
        session.starts_dt, session.title, session.venue.name, course_part(session), True
    )


def samples(
    ward: Ward, name: str, draft: dict[str, str] | None = None, sample: SampleSession | None = None
) -> list[Sample]:
    """The text as sent for each of its kinds, from ``draft`` when given."""
    sample = sample or sample_session(ward)
    facts = {"course": sample.course, "role": ShiftRole.ASSISTANT.label,
             "device": SAMPLE_DEVICE, "draft": draft}  # fmt: skip
    return [
        Sample(
            kind,
            messages.text(
                ward, name, sample.starts_dt, sample.title, sample.venue, kind=kind, **facts
            ),
        )  # fmt: skip
        for kind in MESSAGES[name].kinds
    ]


def placeholders(name: str) -> list[tuple[str, object]]:
    """The places ``name`` may use, each with what it holds."""
    return [(place, PLACEHOLDERS[place]) for place in MESSAGES[name].places]
