from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.reminders.media import Medium
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward


class Skill(enum.StrEnum):
    IPHONE = "iphone"
    ANDROID = "android"
    LINE = "line"
    MY_NUMBER_CARD = "my_number_card"
    ONLINE_APPLICATION = "online_application"
    CASHLESS = "cashless"
    SECURITY = "security"
    TEACHING = "teaching"

    @property
    def label(self) -> str:
        return str(SKILL_LABELS[self])


SKILL_LABELS = {
    Skill.IPHONE: _l("iPhone"),
    Skill.ANDROID: _l("Android"),
    Skill.LINE: _l("LINE"),
    Skill.MY_NUMBER_CARD: _l("My Number Card"),
    Skill.ONLINE_APPLICATION: _l("Online applications"),
    Skill.CASHLESS: _l("Cashless payment"),
    Skill.SECURITY: _l("Fraud and security"),
    Skill.TEACHING: _l("Teaching groups"),
}


class ShiftRole(enum.StrEnum):
    LEAD = "lead"
    ASSISTANT = "assistant"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {ShiftRole.LEAD: _l("Lead"), ShiftRole.ASSISTANT: _l("Assistant")}


class ShiftStatus(enum.StrEnum):
    CLAIMED = "claimed"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    RELEASED = "released"

    @property
    def label(self) -> str:
        return str(SHIFT_STATUS_LABELS[self])


SHIFT_STATUS_LABELS = {
    ShiftStatus.CLAIMED: _l("Signed up"),
    ShiftStatus.ATTENDED: _l("Attended"),
    ShiftStatus.NO_SHOW: _l("Did not come"),
    ShiftStatus.RELEASED: _l("Released"),
}

#: Shift rows that hold a place; released ones are kept only as history.
HOLDING = ("claimed", "attended", "no_show")


class ShiftOrigin(enum.StrEnum):
    """How a volunteer came to hold a place: the figures count cover and swaps by it."""

    CLAIM = "claim"
    ASSIGN = "assign"
    COVER = "cover"
    SWAP = "swap"

    @property
    def label(self) -> str:
        return str(SHIFT_ORIGIN_LABELS[self])


SHIFT_ORIGIN_LABELS = {
    ShiftOrigin.CLAIM: _l("Signed up"),
    ShiftOrigin.ASSIGN: _l("Assigned by staff"),
    ShiftOrigin.COVER: _l("Took it over (cover)"),
    ShiftOrigin.SWAP: _l("Swapped"),
}

volunteer_wards = sa.Table(
    "volunteer_wards",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("ward_id", sa.ForeignKey("wards.id"), primary_key=True, index=True),
)

#: Other wards a volunteer in the pool offers to help in (their own are ``volunteer_wards``).
volunteer_pool_wards = sa.Table(
    "volunteer_pool_wards",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("ward_id", sa.ForeignKey("wards.id"), primary_key=True, index=True),
)


class VolunteerProfile(db.Model):
    """What a volunteer tells the programme about themselves."""

    __tablename__ = "volunteer_profiles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    user: Mapped[User] = relationship(
        backref=sa.orm.backref("volunteer_profile", uselist=False, lazy="joined")
    )
    name_kana: Mapped[str] = mapped_column(sa.String(100), default="")
    #: E.164, e.g. +819012345678; only mobiles, as it receives SMS.
    mobile_e164: Mapped[str | None] = mapped_column(sa.String(20))
    wants_sms: Mapped[bool] = mapped_column(default=False)
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    languages: Mapped[str] = mapped_column(sa.String(200), default="")
    availability_notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: A paused volunteer keeps their record but claims no new shifts.
    is_paused: Mapped[bool] = mapped_column(default=False)
    #: How offers to take over a shift reach them: mail, SMS or a call (keypad 1 = take it).
    offers_by: Mapped[Medium] = mapped_column(
        string_enum(Medium, "offer_medium"), default=Medium.EMAIL, server_default="email"
    )
    #: Helps other wards too (広域人材プール): shifts they open to the pool are theirs to take.
    in_pool: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Any ward whose office is within this many km of one of their own wards' (straight
    #: line), besides those chosen by name; None: only those.
    pool_max_km: Mapped[int | None]
    #: What staff of other wards see of them on a pool shift, besides their name.
    pool_shares_skills: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    pool_shares_contact: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    wards: Mapped[list[Ward]] = relationship(
        secondary=volunteer_wards,
        primaryjoin="VolunteerProfile.user_id == volunteer_wards.c.user_id",
        order_by=Ward.code,
        lazy="selectin",
    )
    pool_wards: Mapped[list[Ward]] = relationship(
        secondary=volunteer_pool_wards,
        primaryjoin="VolunteerProfile.user_id == volunteer_pool_wards.c.user_id",
        order_by=Ward.code,
        # Read only where the pool matters, not with every log-in.
        lazy="select",
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<VolunteerProfile {self.user_id}>"


class TrainingLevel(enum.StrEnum):
    ASSISTANT = "assistant"
    LEAD = "lead"

    @property
    def label(self) -> str:
        return str(TRAINING_LEVEL_LABELS[self])


TRAINING_LEVEL_LABELS = {
    TrainingLevel.ASSISTANT: _l("Assistant level"),
    TrainingLevel.LEAD: _l("Lead level"),
}

#: Courses offered in Tokyo; staff may type another.
KNOWN_COURSES = ("デジタル活用支援員養成講座", "TOKYOスマホサポーター", "デジタル推進委員")


class TrainingRecord(db.Model):
    """A course a volunteer completed, entered by staff."""

    __tablename__ = "training_records"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "course", "completed_on"),
        sa.CheckConstraint(
            "expires_on IS NULL OR expires_on >= completed_on", name="expires_after"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[TrainingLevel] = mapped_column(string_enum(TrainingLevel, "training_level"))
    #: The volunteer counts as trained from this day.
    completed_on: Mapped[date]
    expires_on: Mapped[date | None]
    certificate_ref: Mapped[str] = mapped_column(sa.String(100), default="")
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def is_valid_on(self, day: date) -> bool:
        return self.completed_on <= day and (self.expires_on is None or day <= self.expires_on)

    def __repr__(self) -> str:
        return f"<TrainingRecord {self.id} {self.level.value}>"


class Shift(db.Model):
    """One volunteer place at a session: numbered, so a role never has more than it needs."""

    __tablename__ = "shifts"
    __table_args__ = (
        # The database, not Python, keeps each numbered place to one volunteer...
        sa.Index(
            "uq_shifts_session_role_slot",
            "session_id",
            "role",
            "slot_number",
            unique=True,
            postgresql_where=sa.text("status != 'released'"),
            sqlite_where=sa.text("status != 'released'"),
        ),
        # ...and each volunteer to one place per session.
        sa.Index(
            "uq_shifts_session_volunteer",
            "session_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status != 'released'"),
            sqlite_where=sa.text("status != 'released'"),
        ),
        sa.Index("ix_shifts_user_id_status", "user_id", "status"),
        # Joins from sessions (the figures, the roster) whatever the shift's status.
        sa.Index("ix_shifts_session_id_status", "session_id", "status"),
        # The few taken over, swapped or from the pool: the year's figures count them.
        sa.Index(
            "ix_shifts_cover_or_pool",
            "session_id",
            postgresql_where=sa.text("origin IN ('cover', 'swap') OR from_pool"),
            sqlite_where=sa.text("origin IN ('cover', 'swap') OR from_pool"),
        ),
        sa.CheckConstraint("slot_number >= 1", name="slot_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    session: Mapped[Session] = relationship()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    volunteer: Mapped[User] = relationship(foreign_keys=[user_id])
    role: Mapped[ShiftRole] = mapped_column(string_enum(ShiftRole, "shift_role"))
    slot_number: Mapped[int]
    status: Mapped[ShiftStatus] = mapped_column(
        string_enum(ShiftStatus, "shift_status"), default=ShiftStatus.CLAIMED
    )
    #: Minutes staff entered when they differ from the session's length.
    minutes_override: Mapped[int | None]
    origin: Mapped[ShiftOrigin] = mapped_column(
        string_enum(ShiftOrigin, "shift_origin"),
        default=ShiftOrigin.CLAIM,
        server_default=ShiftOrigin.CLAIM.value,
    )
    #: Taken from the pool: the session is in a ward that is not the volunteer's own.
    from_pool: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Set when staff, not the volunteer, put them on the shift.
    assigned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    claimed_dt: Mapped[datetime] = mapped_column(default=utcnow)
    released_dt: Mapped[datetime | None]
    released_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def minutes(self) -> int:
        """Volunteer minutes this shift counts for: only once attended."""
        if self.status != ShiftStatus.ATTENDED:
            return 0
        if self.minutes_override is not None:
            return self.minutes_override
        return int((self.session.ends_dt - self.session.starts_dt).total_seconds() // 60)

    def __repr__(self) -> str:
        return f"<Shift {self.id} {self.role.value}#{self.slot_number} {self.status.value}>"
