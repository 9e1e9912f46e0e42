"""Reminder policy (per ward, as data) and the outbox: one row per message, never two."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.i18n import STORED_TEXTS
from inclusion.loans.models import Loan
from inclusion.reminders.media import Medium
from inclusion.residents.models import Booking, Resident
from inclusion.sessions.models import Session, SessionStatus
from inclusion.surveys.models import SurveyAsk
from inclusion.volunteers.models import Shift
from inclusion.wards.models import Ward


class Audience(enum.StrEnum):
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"

    @property
    def label(self) -> str:
        return str(AUDIENCE_LABELS[self])


AUDIENCE_LABELS = {Audience.RESIDENT: _l("Residents"), Audience.VOLUNTEER: _l("Volunteers")}


class Recipient(enum.StrEnum):
    RESIDENT = "resident"
    PROXY = "proxy"
    VOLUNTEER = "volunteer"

    @property
    def label(self) -> str:
        return str(RECIPIENT_LABELS[self])


RECIPIENT_LABELS = {
    Recipient.RESIDENT: _l("Resident"),
    Recipient.PROXY: _l("Contact person"),
    Recipient.VOLUNTEER: _l("Volunteer"),
}


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    NO_ANSWER = "no_answer"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def left_untold(self) -> bool:
        """Whether the person may not have been told: the ward should call them."""
        return self in NOT_REACHED


#: What became of a message that may not have reached its person.
NOT_REACHED = frozenset({ReminderStatus.FAILED, ReminderStatus.NO_ANSWER,
                         ReminderStatus.UNKNOWN, ReminderStatus.SKIPPED})  # fmt: skip

STATUS_LABELS = {
    ReminderStatus.PENDING: _l("Waiting to be sent"),
    ReminderStatus.SENDING: _l("Being sent"),
    ReminderStatus.SENT: _l("Sent"),
    ReminderStatus.DELIVERED: _l("Delivered"),
    ReminderStatus.FAILED: _l("Failed"),
    ReminderStatus.NO_ANSWER: _l("No answer"),
    ReminderStatus.UNKNOWN: _l("Unknown whether sent"),
    ReminderStatus.CANCELLED: _l("Not sent: no longer needed"),
    ReminderStatus.SKIPPED: _l("Skipped"),
}


class ReminderStep(db.Model):
    """One step of a ward's policy: e.g. residents, 2 days before, at 10:00."""

    __tablename__ = "reminder_steps"
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "audience", "code"),
        sa.CheckConstraint("days_before BETWEEN 0 AND 14", name="days_before_range"),
        sa.CheckConstraint("at_minute BETWEEN 0 AND 1439", name="at_minute_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    audience: Mapped[Audience] = mapped_column(string_enum(Audience, "reminder_audience"))
    #: Stable name, part of every row's key: ``two_days_before``, ``morning``, ``day_before``.
    code: Mapped[str] = mapped_column(sa.String(30))
    #: Local calendar days before the session's day: 0 is the morning of the session.
    days_before: Mapped[int]
    #: Local time of day, as minutes after midnight (600 = 10:00): simple SQL on every database.
    at_minute: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)

    @property
    def at_time_label(self) -> str:
        return f"{self.at_minute // 60:02d}:{self.at_minute % 60:02d}"

    def __repr__(self) -> str:
        return f"<ReminderStep {self.ward_id} {self.audience.value} {self.code}>"


#: The defaults every ward starts with (seeded by the migration): (audience, code, days, minute).
DEFAULT_STEPS = (
    (Audience.RESIDENT, "two_days_before", 2, 10 * 60),
    (Audience.RESIDENT, "morning", 0, 9 * 60),
    (Audience.VOLUNTEER, "day_before", 1, 18 * 60),
)


#: A volunteer's messages about cover and swaps (rows of ``inclusion.cover``): an offer to
#: take over a shift, word that theirs was taken over, a swap asked of them.
COVER_OFFER, COVER_DONE, SWAP_ASKED = "cover_offer", "cover_done", "swap_asked"
COVER_KINDS = (COVER_OFFER, COVER_DONE, SWAP_ASKED)
#: The wording of each, by how it goes.
COVER_MESSAGES = {
    Medium.SMS: "sms_cover.txt",
    Medium.VOICE: "voice_cover.txt",
    Medium.EMAIL: "mail_cover.txt",
}

#: Why a row did not go, as the dispatcher stores it (the API shows it as is).
NOT_WANTED = "Not sent: no longer wanted when its turn came."
OUTSIDE_HOURS = "Outside the hours people may be called until the session."
TOO_LATE = "Outside the hours people may be called while it was still of use."
SENDER_STOPPED = "The sender stopped while sending; it may or may not have arrived."
ANSWERING_MACHINE = "An answering machine took the call."
STORED_TEXTS.update({
    NOT_WANTED: _l("Not sent: by its turn, the person no longer needed it (stopped, "
                   "cancelled or moved)."),
    OUTSIDE_HOURS: _l("Not sent: no time left within the calling hours before the session."),
    TOO_LATE: _l("Not sent: no time left within the calling hours while it was of use."),
    SENDER_STOPPED: _l("The sending stopped part-way: it may or may not have arrived."),
    ANSWERING_MACHINE: _l("An answering machine took the call."),
})  # fmt: skip


#: A resident's messages about a smartphone lent to them: the due date is near, or passed.
LOAN_DUE, LOAN_OVERDUE = "loan_due", "loan_overdue"


class Reminder(db.Model):
    """One message to one person about one booking, shift, loan or survey: planned, then
    sent once."""

    __tablename__ = "reminders"
    __table_args__ = (
        sa.Index("ix_reminders_status_due_dt", "status", "due_dt"),
        sa.Index("ix_reminders_session_id", "session_id"),
        sa.Index("ix_reminders_booking_id", "booking_id"),
        sa.Index("ix_reminders_shift_id", "shift_id"),
        sa.Index("ix_reminders_resident_id", "resident_id"),
        sa.Index("ix_reminders_loan_id", "loan_id"),
        sa.Index("ix_reminders_survey_ask_id", "survey_ask_id"),
        # One message at a time per number: each batch asks which of its numbers are busy.
        sa.Index("ix_reminders_to_e164_status", "to_e164", "status"),
        # Only rows whose last try failed: /metrics counts them at every scrape.
        sa.Index(
            "ix_reminders_failure_code",
            "failure_code",
            "status",
            postgresql_where=sa.text("failure_code IS NOT NULL"),
            sqlite_where=sa.text("failure_code IS NOT NULL"),
        ),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # Every message is of use until some time: its session's start, or its own.
        sa.CheckConstraint(
            "session_id IS NOT NULL OR deadline_dt IS NOT NULL", name="deadline_known"
        ),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    #: What makes a message unique, e.g. ``b123:morning:resident``: a second plan finds it.
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    #: The session it is about; null for a message about something else (a loan, a survey).
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE")
    )
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("loans.id", ondelete="CASCADE"))
    survey_ask_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_asks.id", ondelete="CASCADE")
    )
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE")
    )
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id", ondelete="CASCADE"))
    resident_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("residents.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: The policy step that planned it; null for notices (promoted, cancelled, moved).
    step_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reminder_steps.id", ondelete="SET NULL")
    )
    recipient: Mapped[Recipient] = mapped_column(string_enum(Recipient, "reminder_recipient"))
    #: The step's code, or the notice's kind.
    kind: Mapped[str] = mapped_column(sa.String(30))
    channel: Mapped[Medium] = mapped_column(string_enum(Medium, "reminder_channel"))
    #: E.164, fixed when planned; a waiting row follows a changed number (``readdress``).
    #: A mail names the user it goes to (``u42``): their address is read when it is sent.
    to_e164: Mapped[str] = mapped_column(sa.String(20))
    #: The text as sent (SMS) or said (voice); written when it is sent.
    body: Mapped[str] = mapped_column(sa.Text, default="")
    due_dt: Mapped[datetime]
    #: A message about no session is sent no later than this (a session's: before it starts).
    deadline_dt: Mapped[datetime | None]
    status: Mapped[ReminderStatus] = mapped_column(
        string_enum(ReminderStatus, "reminder_status"), default=ReminderStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    provider_sid: Mapped[str | None] = mapped_column(sa.String(64))
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Why the last try did not certainly send, in short: Twilio's error number, else
    #: ``http-503``, ``unreachable``, ``timeout``, ``lease-expired``…; cleared once sent.
    failure_code: Mapped[str | None] = mapped_column(sa.String(30))
    #: While ``sending``: when another dispatcher may decide the row's fate.
    lease_until: Mapped[datetime | None]
    sent_dt: Mapped[datetime | None]
    finished_dt: Mapped[datetime | None]
    #: What the person answered: keypad or SMS reply (``confirmed``, ``cancelled``, ``opted_out``).
    reply: Mapped[str | None] = mapped_column(sa.String(20))
    replied_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    ward: Mapped[Ward] = relationship()
    session: Mapped[Session | None] = relationship()
    loan: Mapped[Loan | None] = relationship()
    survey_ask: Mapped[SurveyAsk | None] = relationship()
    booking: Mapped[Booking | None] = relationship()
    resident: Mapped[Resident | None] = relationship()
    shift: Mapped[Shift | None] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def ends_dt(self) -> datetime:
        """When it is of no more use: its session's start or its own deadline, whichever
        comes first."""
        ends = [self.session.starts_dt if self.session else None, self.deadline_dt]
        return min(moment for moment in ends if moment)

    def is_over(self, now: datetime) -> bool:
        """Whether its session was cancelled, or the time it was of use has passed."""
        cancelled = self.session is not None and self.session.status != SessionStatus.SCHEDULED
        return cancelled or self.ends_dt <= now

    def again(self, key: str, **changes) -> Reminder:
        """A new row for the same message (a copy resent, a call tried again), unsent."""
        same = {column: getattr(self, column) for column in COPIED}
        return Reminder(key=key, status=ReminderStatus.PENDING, **{**same, **changes})

    def __repr__(self) -> str:
        return f"<Reminder {self.id} {self.key} {self.status.value}>"


#: What a copy of a message keeps from the original.
COPIED = ("ward_id", "session_id", "loan_id", "survey_ask_id", "booking_id", "shift_id",
          "resident_id", "user_id", "step_id", "recipient", "kind", "channel", "to_e164",
          "due_dt", "deadline_dt")  # fmt: skip


class StaffDigest(db.Model):
    """One morning mail to a ward's staff, e.g. the follow-up calls due; at most one a day.

    The unique row is the claim: of several schedulers, only the one that inserts it sends.
    """

    __tablename__ = "staff_digests"
    __table_args__ = (sa.UniqueConstraint("ward_id", "kind", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    kind: Mapped[str] = mapped_column(sa.String(30))
    #: The local date it is for.
    day: Mapped[date]
    #: How many items it announced, e.g. follow-up calls due.
    item_count: Mapped[int]
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    sent_dt: Mapped[datetime | None]
    #: Why it went to nobody (a refused mail leaves no row: it is tried again).
    error: Mapped[str] = mapped_column(sa.String(500), default="")

    def __repr__(self) -> str:
        return f"<StaffDigest {self.kind} ward {self.ward_id} {self.day}>"


class ReminderText(db.Model):
    """A ward's own wording of one kind of one message, used instead of the standard."""

    __tablename__ = "reminder_texts"
    __table_args__ = (sa.UniqueConstraint("ward_id", "name", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    #: The message, e.g. ``sms_resident.txt`` (its name in URLs).
    name: Mapped[str] = mapped_column(sa.String(40))
    #: The kind of message, e.g. ``morning``: each has its own words.
    kind: Mapped[str] = mapped_column(sa.String(30))
    #: Plain words with places to fill in, such as 「{日時}」 (see ``wording``).
    body: Mapped[str] = mapped_column(sa.Text)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReminderText {self.name} {self.kind} ward {self.ward_id}>"


class ReplyOutcome(enum.StrEnum):
    """What came of a reply: each is told to the person and shown to staff as it was."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    #: Several bookings could be meant: nothing was changed, staff call back.
    AMBIGUOUS = "ambiguous"
    STOPPED = "stopped"
    #: Nothing we sent to that number could be meant.
    NO_BOOKING = "no_booking"
    NOT_UNDERSTOOD = "not_understood"
    #: A yes to a seat offered, after someone else took it (or the offer closed).
    SEAT_GONE = "seat_gone"
    #: A no to a seat offered: nothing changes, they keep waiting.
    SEAT_DECLINED = "seat_declined"
    #: A message left on the phone line: call back.
    MESSAGE = "message"
    #: A booking on the phone line by a caller not on record: call back to confirm.
    PROVISIONAL = "provisional"

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])

    @property
    def needs_staff(self) -> bool:
        """Whether a person must follow up: the reply could not be acted on by itself."""
        return self in (
            ReplyOutcome.AMBIGUOUS,
            ReplyOutcome.NO_BOOKING,
            ReplyOutcome.NOT_UNDERSTOOD,
            ReplyOutcome.MESSAGE,
            ReplyOutcome.PROVISIONAL,
        )


OUTCOME_LABELS = {
    ReplyOutcome.CONFIRMED: _l("Confirmed: coming"),
    ReplyOutcome.CANCELLED: _l("Booking cancelled"),
    ReplyOutcome.ALREADY_CANCELLED: _l("Already cancelled: nothing changed"),
    ReplyOutcome.AMBIGUOUS: _l("Several bookings: nothing changed, please call"),
    ReplyOutcome.STOPPED: _l("Reminders stopped"),
    ReplyOutcome.NO_BOOKING: _l("No booking found: please call"),
    ReplyOutcome.NOT_UNDERSTOOD: _l("Not understood: please call"),
    ReplyOutcome.SEAT_GONE: _l("Seat offered already taken: still waiting"),
    ReplyOutcome.SEAT_DECLINED: _l("Seat offered declined: still waiting"),
    ReplyOutcome.MESSAGE: _l("Message on the phone line: please call back"),
    ReplyOutcome.PROVISIONAL: _l("Booked on the phone line, not on record: call back to confirm"),
}


class Reply(db.Model):
    """An SMS or a key pressed on a reminder call, with what came of it: the ward's inbox.

    A reply that concerns several wards gets a row in each, naming only that ward's people.
    """

    __tablename__ = "replies"
    __table_args__ = (
        sa.Index("ix_replies_ward_id_waiting", "ward_id", "handled_dt", "received_dt"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    received_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Null when no ward could be told from the number: coordinators see it.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward | None] = relationship()
    channel: Mapped[Medium] = mapped_column(string_enum(Medium, "reminder_channel"))
    #: The number it came from; for LINE, the link it came through (``L12``).
    from_e164: Mapped[str] = mapped_column(sa.String(20))
    #: What was sent, as sent (the SMS text, or the key pressed).
    body: Mapped[str] = mapped_column(sa.String(320))
    outcome: Mapped[ReplyOutcome] = mapped_column(string_enum(ReplyOutcome, "reply_outcome"))
    #: The reminder it answered, when that is certain.
    reminder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reminders.id", ondelete="SET NULL")
    )
    #: The residents it concerns in this ward (several on a shared number).
    resident_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    #: This ward's bookings it could have meant, when it was not clear which.
    booking_ids: Mapped[list[int]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    #: What the person was answered ('' when nothing was sent back).
    told: Mapped[str] = mapped_column(sa.String(320), default="", server_default="")
    #: Set when staff followed it up, or at once when nothing is left to do.
    handled_dt: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    handled_by: Mapped[User | None] = relationship()
    reminder: Mapped[Reminder | None] = relationship()

    def __repr__(self) -> str:
        return f"<Reply {self.id} {self.outcome.value}>"
