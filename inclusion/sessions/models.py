from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.venues.models import Venue
from inclusion.wards.models import Ward


class SessionKind(enum.StrEnum):
    CLASS = "class"
    CONSULTATION = "consultation"
    SALON = "salon"

    @property
    def label(self) -> str:
        return str(SESSION_KIND_LABELS[self])

    @property
    def public_label(self) -> str:
        """The kind in plain words for residents (やさしい日本語)."""
        return str(PUBLIC_KIND_LABELS[self])

    @property
    def takes_bookings(self) -> bool:
        return self != SessionKind.SALON


SESSION_KIND_LABELS = {
    SessionKind.CLASS: _l("Smartphone class"),
    SessionKind.CONSULTATION: _l("One-to-one consultation"),
    SessionKind.SALON: _l("Drop-in salon"),
}
PUBLIC_KIND_LABELS = {
    SessionKind.CLASS: _l("Smartphone class: we learn together in a small group."),
    SessionKind.CONSULTATION: _l("One-to-one help: ask about your own smartphone."),
    SessionKind.SALON: _l("Smartphone salon: no booking needed. Come when you like."),
}


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"

    @property
    def label(self) -> str:
        return str(SESSION_STATUS_LABELS[self])


SESSION_STATUS_LABELS = {
    SessionStatus.SCHEDULED: _l("Scheduled"),
    SessionStatus.CANCELLED: _l("Cancelled"),
    SessionStatus.HELD: _l("Held"),
}


class Level(enum.StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    Level.BEGINNER: _l("Beginner"),
    Level.INTERMEDIATE: _l("Intermediate"),
    Level.ADVANCED: _l("Advanced"),
}


class Topic(enum.StrEnum):
    """The national curriculum's subjects (デジタル活用支援 講習会教材)."""

    BASICS = "basics"
    PHONE_CAMERA = "phone_camera"
    INTERNET = "internet"
    MAPS = "maps"
    LINE = "line"
    MY_NUMBER_CARD = "my_number_card"
    MYNA_PORTAL = "myna_portal"
    ONLINE_APPLICATION = "online_application"
    E_TAX = "e_tax"
    ONLINE_MEDICAL = "online_medical"
    CASHLESS = "cashless"
    DISASTER_APPS = "disaster_apps"
    FRAUD_SECURITY = "fraud_security"

    @property
    def label(self) -> str:
        return str(TOPIC_LABELS[self])


TOPIC_LABELS = {
    Topic.BASICS: _l("Basic operation"),
    Topic.PHONE_CAMERA: _l("Phone and camera"),
    Topic.INTERNET: _l("Internet"),
    Topic.MAPS: _l("Maps"),
    Topic.LINE: _l("LINE"),
    Topic.MY_NUMBER_CARD: _l("My Number Card"),
    Topic.MYNA_PORTAL: _l("Mynaportal"),
    Topic.ONLINE_APPLICATION: _l("Online applications"),
    Topic.E_TAX: _l("e-Tax"),
    Topic.ONLINE_MEDICAL: _l("Online medical care"),
    Topic.CASHLESS: _l("Cashless payment"),
    Topic.DISASTER_APPS: _l("Disaster apps"),
    Topic.FRAUD_SECURITY: _l("Fraud and security"),
}


class HolidayRule(enum.StrEnum):
    """What a series does with a date that falls on a public holiday (祝日)."""

    SKIP = "skip"
    #: To the next weekday that is not a holiday or closed.
    MOVE = "move"
    HOLD = "hold"

    @property
    def label(self) -> str:
        return str(HOLIDAY_RULE_LABELS[self])


HOLIDAY_RULE_LABELS = {
    HolidayRule.SKIP: _l("Leave the date out"),
    HolidayRule.MOVE: _l("Move it to the next weekday"),
    HolidayRule.HOLD: _l("Hold it on the holiday"),
}


class SessionTopic(db.Model):
    """One curriculum topic of a session."""

    __tablename__ = "session_topics"
    __table_args__ = (sa.Index("ix_session_topics_topic_session_id", "topic", "session_id"),)

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[Topic] = mapped_column(string_enum(Topic, "topic"), primary_key=True)


class Series(db.Model):
    """A weekly or fortnightly run of sessions created in one go."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    ward: Mapped[Ward] = relationship()
    #: Hash of what was asked for: the same series asked twice is found, not made again.
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    first_date: Mapped[date]
    starts_time: Mapped[time]
    ends_time: Mapped[time]
    interval_weeks: Mapped[int]
    weeks: Mapped[int]
    holiday_rule: Mapped[HolidayRule] = mapped_column(
        string_enum(HolidayRule, "holiday_rule", length=8)
    )
    skips_year_end: Mapped[bool]
    #: A course (全4回…): residents book every date together, and wait as a whole.
    is_course: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Series {self.id} {self.title}>"


#: The longest a session lasts: every way of setting its times checks it, and a calendar
#: reads only sessions starting this long before its range (an index range, not every past
#: session of its venues).
MAX_SESSION_HOURS = 8


class Session(db.Model):
    """A class, consultation or salon at a venue at a time."""

    __tablename__ = "sessions"
    __table_args__ = (
        sa.CheckConstraint("ends_dt > starts_dt", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint(
            "lead_needed >= 0 AND assistants_needed >= 0", name="needs_not_negative"
        ),
        sa.Index("ix_sessions_ward_id_starts_dt_id", "ward_id", "starts_dt", "id"),
        sa.Index("ix_sessions_starts_dt_id", "starts_dt", "id"),
        sa.Index("ix_sessions_venue_id_starts_dt", "venue_id", "starts_dt"),
        # An event imported from another system's calendar comes in once per ward.
        sa.Index("uq_sessions_ward_id_import_uid", "ward_id", "import_uid", unique=True),
        # Two live sessions cannot start in the same room at the same moment.
        sa.Index(
            "uq_sessions_venue_room_start",
            "venue_id",
            "room",
            "starts_dt",
            unique=True,
            postgresql_where=sa.text("status != 'cancelled'"),
            sqlite_where=sa.text("status != 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Copied from the venue so lists filter by ward without a join.
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    venue: Mapped[Venue] = relationship()
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    series: Mapped[Series | None] = relationship()
    kind: Mapped[SessionKind] = mapped_column(string_enum(SessionKind, "session_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[Level] = mapped_column(
        string_enum(Level, "session_level"), default=Level.BEGINNER
    )
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Room inside the venue, e.g. 第1会議室; empty when the venue has one room.
    room: Mapped[str] = mapped_column(sa.String(100), default="")
    starts_dt: Mapped[datetime]
    ends_dt: Mapped[datetime]
    #: Seats for a class, slots for a consultation, room size for a salon.
    capacity: Mapped[int]
    #: Length of one consultation slot; null for other kinds.
    slot_minutes: Mapped[int | None]
    lead_needed: Mapped[int] = mapped_column(default=0)
    assistants_needed: Mapped[int] = mapped_column(default=0)
    has_device_loan: Mapped[bool] = mapped_column(default=False)
    #: Staff opened its volunteer places to the 23 wards' pool: volunteers of other wards
    #: who joined the pool may take them.
    pool_open: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[SessionStatus] = mapped_column(
        string_enum(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    cancelled_dt: Mapped[datetime | None]
    #: People who came: attendance for a class, the count for a salon.
    headcount: Mapped[int | None]
    #: iCalendar SEQUENCE: bumped by every change a calendar shows.
    sequence: Mapped[int] = mapped_column(default=0)
    #: The UID (and occurrence) of the event it was imported from, e.g. ``abc@partner.jp``.
    import_uid: Mapped[str | None] = mapped_column(sa.String(300))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by: Mapped[User | None] = relationship()
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    topic_rows: Mapped[list[SessionTopic]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=SessionTopic.topic
    )

    @property
    def topics(self) -> list[Topic]:
        return [row.topic for row in self.topic_rows]

    @topics.setter
    def topics(self, topics: list[Topic]) -> None:
        wanted = set(topics)
        self.topic_rows = [row for row in self.topic_rows if row.topic in wanted] + [
            SessionTopic(topic=topic)
            for topic in sorted(wanted - {row.topic for row in self.topic_rows})
        ]

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<Session {self.id} {self.kind.value} {self.starts_dt:%Y-%m-%d %H:%M}>"
