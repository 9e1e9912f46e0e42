"""Residents (personal data: their ward's staff only), bookings and follow-ups."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship
from wtforms import SelectChoice

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward


class LabelledEnum(enum.StrEnum):
    """An enum whose members have a translated label in ``_LABELS``.

    Labels are looked up per enum: equal values of two enums (``voice``) are different words.
    """

    @property
    def label(self) -> str:
        return str(_LABELS[type(self)][self])

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """Choices for a form, the labels translated when shown."""
        return [SelectChoice(member.value, label) for member, label in _LABELS[cls].items()]


class ReminderChannel(LabelledEnum):
    SMS = "sms"
    VOICE = "voice"
    NONE = "none"


class ConsentMethod(LabelledEnum):
    PHONE = "phone"
    COUNTER = "counter"
    PAPER = "paper"


class ConsentScope(LabelledEnum):
    RECORD = "record"
    REMINDERS = "reminders"
    FOLLOW_UP = "follow_up"
    SURVEY = "survey"


class OptOutSource(LabelledEnum):
    STAFF = "staff"
    SMS = "sms"
    VOICE = "voice"
    LINE = "line"


class Contact(LabelledEnum):
    """Whom a message about a resident goes to; each has a consent of its own."""

    RESIDENT = "resident"
    PROXY = "proxy"


class BookingStatus(LabelledEnum):
    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class BookingSource(LabelledEnum):
    PHONE = "phone"
    COUNTER = "counter"
    WEB = "web"
    WALK_IN = "walk_in"
    #: Booked by the resident on the ward's phone line, with no staff.
    PHONE_LINE = "phone_line"

    @classmethod
    def staff_given(cls) -> tuple[str, ...]:
        """The sources staff (and integrations) name: walk-ins are recorded at the door, and
        only the phone line books as itself."""
        return (cls.PHONE, cls.COUNTER, cls.WEB)


class FollowUpAnswer(LabelledEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


_LABELS: dict[type, dict] = {
    ReminderChannel: {
        ReminderChannel.SMS: _l("SMS"),
        ReminderChannel.VOICE: _l("Phone call"),
        ReminderChannel.NONE: _l("No reminders"),
    },
    ConsentMethod: {
        ConsentMethod.PHONE: _l("By phone"),
        ConsentMethod.COUNTER: _l("At the counter"),
        ConsentMethod.PAPER: _l("On paper"),
    },
    ConsentScope: {
        ConsentScope.RECORD: _l("Keep their details for the programme"),
        ConsentScope.REMINDERS: _l("Reminders by phone call or SMS"),
        ConsentScope.FOLLOW_UP: _l("A follow-up call three months later"),
        ConsentScope.SURVEY: _l("The yearly survey, by phone or SMS"),
    },
    OptOutSource: {
        OptOutSource.STAFF: _l("Asked the ward office"),
        OptOutSource.SMS: _l("Replied STOP by SMS"),
        OptOutSource.VOICE: _l("Asked on a reminder call"),
        OptOutSource.LINE: _l("Sent 停止 on LINE"),
    },
    Contact: {
        Contact.RESIDENT: _l("The resident"),
        Contact.PROXY: _l("Contact person"),
    },
    BookingStatus: {
        BookingStatus.BOOKED: _l("Booked"),
        BookingStatus.WAITLISTED: _l("Waiting list"),
        BookingStatus.CANCELLED: _l("Booking cancelled"),
        BookingStatus.ATTENDED: _l("Attended"),
        BookingStatus.NO_SHOW: _l("Did not come"),
    },
    BookingSource: {
        BookingSource.PHONE: _l("Phone"),
        BookingSource.COUNTER: _l("Counter"),
        BookingSource.WEB: _l("Web"),
        BookingSource.WALK_IN: _l("Walk-in"),
        BookingSource.PHONE_LINE: _l("Phone line"),
    },
    FollowUpAnswer: {
        FollowUpAnswer.YES: _l("Yes, used an online procedure"),
        FollowUpAnswer.NO: _l("No"),
        FollowUpAnswer.UNKNOWN: _l("Unknown (could not reach or unsure)"),
    },
}

#: Booking rows that hold a seat or slot.
SEATED = ("booked", "attended", "no_show")
#: Booking rows that count for the resident: seated or waiting.
ACTIVE = (*SEATED, "waitlisted")


class Resident(db.Model):
    """A person who books sessions; personal data seen only by their ward's staff."""

    __tablename__ = "residents"
    __table_args__ = (
        sa.Index("ix_residents_ward_id_kana_key", "ward_id", "kana_key"),
        # The joint call centre looks callers up by kana in every ward: a prefix (LIKE) on
        # PostgreSQL uses only an index of pattern order.
        sa.Index(
            "ix_residents_kana_key", "kana_key", postgresql_ops={"kana_key": "varchar_pattern_ops"}
        ),
        sa.CheckConstraint(
            "birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name="birth_year_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    family_name: Mapped[str] = mapped_column(sa.String(50))
    given_name: Mapped[str] = mapped_column(sa.String(50))
    family_kana: Mapped[str] = mapped_column(sa.String(50))
    given_kana: Mapped[str] = mapped_column(sa.String(50))
    #: Both kana without spaces, in katakana: what find-or-create compares.
    kana_key: Mapped[str] = mapped_column(sa.String(100))
    #: The year only: an age band is shown, never a birth date.
    birth_year: Mapped[int | None]
    reminder_channel: Mapped[ReminderChannel] = mapped_column(
        string_enum(ReminderChannel, "reminder_channel"), default=ReminderChannel.VOICE
    )
    #: When calls are welcome; null means the ward's quiet-hours window.
    call_from: Mapped[time | None]
    call_until: Mapped[time | None]
    #: 配慮事項 (large print, hearing aid, wheelchair): sensitive, shown on few pages.
    needs: Mapped[str] = mapped_column(sa.Text, default="")
    proxy_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: e.g. 長女, ケアマネジャー.
    proxy_relation: Mapped[str] = mapped_column(sa.String(50), default="")
    proxy_phone_e164: Mapped[str | None] = mapped_column(sa.String(20))
    #: A mobile proxy gets an SMS copy; any other number, a call.
    proxy_phone_kind: Mapped[PhoneKind | None] = mapped_column(
        string_enum(PhoneKind, "phone_kind")
    )
    proxy_gets_reminders: Mapped[bool] = mapped_column(default=False)
    #: Set when the resident asked for no more calls or texts; kept until staff undo it.
    opted_out_dt: Mapped[datetime | None]
    opted_out_source: Mapped[OptOutSource | None] = mapped_column(
        string_enum(OptOutSource, "opt_out_source")
    )
    #: The same for the contact person: their number gets nothing while set.
    proxy_opted_out_dt: Mapped[datetime | None]
    proxy_opted_out_source: Mapped[OptOutSource | None] = mapped_column(
        string_enum(OptOutSource, "proxy_opt_out_source")
    )
    #: Set when a caller the records did not know booked on the phone line: staff call
    #: back to confirm who they are, then clear it.
    provisional_dt: Mapped[datetime | None]
    #: Set by the retention command: names, numbers and notes are gone, counts remain.
    anonymised_dt: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    phones: Mapped[list[ResidentPhone]] = relationship(
        back_populates="resident",
        cascade="all, delete-orphan",
        order_by="ResidentPhone.position",
        lazy="selectin",
    )

    @property
    def name(self) -> str:
        name = f"{self.family_name} {self.given_name}".strip()
        if not name and self.is_provisional:
            return str(_l("Name not yet known"))
        return name

    @property
    def is_provisional(self) -> bool:
        return self.provisional_dt is not None

    @property
    def kana(self) -> str:
        return f"{self.family_kana} {self.given_kana}".strip()

    @property
    def is_opted_out(self) -> bool:
        return self.opted_out_dt is not None

    def stopped_dt(self, contact: Contact) -> datetime | None:
        """When ``contact`` asked for no more messages, or None while they get them."""
        return self.opted_out_dt if contact == Contact.RESIDENT else self.proxy_opted_out_dt

    def stopped_source(self, contact: Contact) -> OptOutSource | None:
        if contact == Contact.RESIDENT:
            return self.opted_out_source
        return self.proxy_opted_out_source

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_dt is not None

    def __repr__(self) -> str:
        return f"<Resident {self.id}>"


class ResidentPhone(db.Model):
    """One of a resident's numbers, in E.164 with its kind; a couple may share one."""

    __tablename__ = "resident_phones"
    __table_args__ = (sa.UniqueConstraint("resident_id", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="CASCADE"))
    resident: Mapped[Resident] = relationship(back_populates="phones")
    #: e.g. +81334631873.
    e164: Mapped[str] = mapped_column(sa.String(20), index=True)
    kind: Mapped[PhoneKind] = mapped_column(string_enum(PhoneKind, "phone_kind"))
    #: 0 is the number reminders go to.
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<ResidentPhone {self.id} {self.kind.value}>"


class Consent(db.Model):
    """What a resident agreed to, when and how; renewed each fiscal year."""

    __tablename__ = "consents"
    __table_args__ = (
        sa.Index("ix_consents_resident_id_fiscal_year", "resident_id", "fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="CASCADE"))
    #: 年度 the consent was given in, e.g. 2026 for April 2026 – March 2027.
    fiscal_year: Mapped[int]
    #: ConsentScope values.
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    method: Mapped[ConsentMethod] = mapped_column(string_enum(ConsentMethod, "consent_method"))
    given_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_by: Mapped[User | None] = relationship()
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def scope_labels(self) -> list[str]:
        return [ConsentScope(scope).label for scope in self.scopes]

    def __repr__(self) -> str:
        return f"<Consent {self.id} FY{self.fiscal_year}>"


class Booking(db.Model):
    """A resident's seat at a class or slot at a consultation, or their place in the queue."""

    __tablename__ = "bookings"
    __table_args__ = (
        # The database keeps each seat or slot to one booking...
        sa.Index(
            "uq_bookings_session_place",
            "session_id",
            "place",
            unique=True,
            postgresql_where=sa.text("status != 'cancelled'"),
            sqlite_where=sa.text("status != 'cancelled'"),
        ),
        # ...and each resident to one live booking per session.
        sa.Index(
            "uq_bookings_session_resident",
            "session_id",
            "resident_id",
            unique=True,
            postgresql_where=sa.text("status != 'cancelled'"),
            sqlite_where=sa.text("status != 'cancelled'"),
        ),
        sa.Index("ix_bookings_session_id_status_queued_dt", "session_id", "status", "queued_dt"),
        sa.Index("ix_bookings_resident_id_status", "resident_id", "status"),
        sa.CheckConstraint("place IS NULL OR place >= 1", name="place_positive"),
        sa.CheckConstraint(
            "(status = 'waitlisted' AND place IS NULL)"
            " OR (status IN ('booked', 'attended', 'no_show') AND place IS NOT NULL)"
            " OR status = 'cancelled'",
            name="place_matches_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    session: Mapped[Session] = relationship()
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="CASCADE"))
    resident: Mapped[Resident] = relationship()
    #: Copied from the session so ward figures need no join.
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    status: Mapped[BookingStatus] = mapped_column(string_enum(BookingStatus, "booking_status"))
    #: Seat number of a class, slot number of a consultation (1 = the first slot).
    place: Mapped[int | None]
    source: Mapped[BookingSource] = mapped_column(string_enum(BookingSource, "booking_source"))
    #: When the booking joined the waiting list: the queue's order.
    queued_dt: Mapped[datetime | None]
    promoted_dt: Mapped[datetime | None]
    cancelled_dt: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    attendance_dt: Mapped[datetime | None]
    #: The course booking this date's seat belongs to, if the session is part of a course.
    enrolment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_enrolments.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_seated(self) -> bool:
        return self.status.value in SEATED

    @property
    def is_open(self) -> bool:
        """Booked or waiting: a booking that can still be cancelled."""
        return self.status in (BookingStatus.BOOKED, BookingStatus.WAITLISTED)

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status.value} #{self.place}>"


class FollowUp(db.Model):
    """The call three months after a resident's first attended session (the 80 % KPI)."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        sa.Index("ix_follow_ups_ward_id_due_on", "ward_id", "due_on"),
        # The survey planner looks every few minutes for follow-ups come due, any ward.
        sa.Index("ix_follow_ups_open_due_on", "due_on",
                 postgresql_where=sa.text("answer IS NULL"),
                 sqlite_where=sa.text("answer IS NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("residents.id", ondelete="CASCADE"), unique=True
    )
    resident: Mapped[Resident] = relationship()
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    #: Local date of the first session the resident attended.
    first_attended_on: Mapped[date]
    due_on: Mapped[date]
    answer: Mapped[FollowUpAnswer | None] = mapped_column(
        string_enum(FollowUpAnswer, "follow_up_answer")
    )
    #: Which procedure, e.g. マイナポータルで転出届.
    procedure: Mapped[str] = mapped_column(sa.String(200), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    answered_dt: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} due {self.due_on}>"
