"""Surveys that measure the outcome: the follow-up three months after a resident's first
session (the 80 % measure) and the yearly sample survey (the 95 % measure).

One row per resident asked, with every answer they gave (or that none came): the
figures are counted from these rows, so each one is traceable to the people behind it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.residents.models import FollowUp, Resident
from inclusion.wards.models import Ward


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return str(LABELS[self])


class SurveyKind(_Labelled):
    #: Three months after the first session attended: used an online procedure since?
    FOLLOW_UP = "follow_up"
    #: Once a fiscal year, a sample of the ward's residents: is the divide closing?
    YEARLY = "yearly"


class SurveyOutcome(_Labelled):
    ANSWERED = "answered"
    #: Not reached: the automatic call and the staff's calls found nobody.
    NO_ANSWER = "no_answer"
    #: Reached, and did not want to answer.
    DECLINED = "declined"


class SurveyVia(_Labelled):
    """How the answers came."""

    CALL = "call"
    LINK = "link"
    STAFF = "staff"


LABELS = {
    SurveyKind.FOLLOW_UP: _l("Follow-up after three months"),
    SurveyKind.YEARLY: _l("Yearly survey"),
    SurveyOutcome.ANSWERED: _l("Answered"),
    SurveyOutcome.NO_ANSWER: _l("No answer"),
    SurveyOutcome.DECLINED: _l("Did not want to answer"),
    SurveyVia.CALL: _l("Automatic call (keypad)"),
    SurveyVia.LINK: _l("Answer page (SMS link)"),
    SurveyVia.STAFF: _l("Staff"),
}


class SurveyAsk(db.Model):
    """One resident asked one survey, and what they answered."""

    __tablename__ = "survey_asks"
    __table_args__ = (
        # Asked each survey once a fiscal year: two planners or two draws add no second row.
        sa.UniqueConstraint("kind", "fiscal_year", "resident_id"),
        sa.Index("ix_survey_asks_ward_id_fiscal_year", "ward_id", "fiscal_year"),
        # The planner looks every few minutes for asks opened lately and not answered.
        sa.Index(
            "ix_survey_asks_open_created_dt",
            "created_dt",
            postgresql_where=sa.text("outcome IS NULL"),
            sqlite_where=sa.text("outcome IS NULL"),
        ),
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SurveyKind] = mapped_column(string_enum(SurveyKind, "survey_kind"))
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="CASCADE"))
    resident: Mapped[Resident] = relationship()
    #: 年度 the answers count for.
    fiscal_year: Mapped[int]
    #: The local day it was asked for: a follow-up's due date, a sample's draw.
    asked_on: Mapped[date]
    #: The follow-up it asks (a follow-up survey only).
    follow_up_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("follow_ups.id", ondelete="CASCADE"), unique=True
    )
    follow_up: Mapped[FollowUp | None] = relationship()
    #: The answer page's address for an SMS (``/s/<token>``); it shows nobody's details.
    link_token: Mapped[str] = mapped_column(sa.String(20), unique=True)
    #: Used an online procedure (since the class; in the year for the yearly survey).
    used_online: Mapped[bool | None]
    #: 1 (not satisfied) to 5 (very satisfied) with the support received.
    satisfaction: Mapped[int | None]
    #: Yearly survey: can do the procedures they need online without trouble.
    resolved: Mapped[bool | None]
    outcome: Mapped[SurveyOutcome | None] = mapped_column(
        string_enum(SurveyOutcome, "survey_outcome")
    )
    via: Mapped[SurveyVia | None] = mapped_column(string_enum(SurveyVia, "survey_via"))
    answered_dt: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    #: Staff's note of what the resident said beyond the keys (cleared by retention).
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who drew the sample (a yearly survey); null when the scheduler opened it.
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SurveyAsk {self.id} {self.kind.value} FY{self.fiscal_year}>"
