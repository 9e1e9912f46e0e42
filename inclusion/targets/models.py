"""Targets the programme is judged by, and survey figures entered from outside.

Targets are data: per metric, per ward or all wards (no ward), over one fiscal year or
several (volunteers trained over FY2026–2028 is one target).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.wards.models import Ward


class Unit(enum.StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    HOURS = "hours"

    def written(self, value: float | Decimal | None) -> str:
        """A figure as people read it: 1,234 · 12.5 % · 1,234.5 h; — when not known."""
        if value is None:
            return "—"
        if self == Unit.COUNT:
            return f"{float(value):,.0f}"
        if self == Unit.PERCENT:
            return f"{float(value):,.1f} %"
        return str(_l("%(hours)s h", hours=f"{float(value):,.1f}"))


class Metric(enum.StrEnum):
    SESSIONS_HELD = "sessions_held"
    CONSULTATIONS_HELD = "consultations_held"
    VOLUNTEERS_TRAINED = "volunteers_trained"
    ATTENDANCES = "attendances"
    PARTICIPANTS = "participants"
    ONLINE_PROCEDURE_SHARE = "online_procedure_share"
    VOLUNTEER_HOURS = "volunteer_hours"
    SHIFT_FILL_RATE = "shift_fill_rate"
    RESIDENT_NO_SHOW_RATE = "resident_no_show_rate"
    VOLUNTEER_NO_SHOW_RATE = "volunteer_no_show_rate"
    REMINDER_REACH = "reminder_reach"
    COURSE_COMPLETION = "course_completion"
    ONLINE_COMPLETION_RATE = "online_completion_rate"
    DIVIDE_RESOLUTION_RATE = "divide_resolution_rate"
    SATISFACTION = "satisfaction"
    STAFF_LITERACY = "staff_literacy"
    DX_LEADERS = "dx_leaders"

    @property
    def label(self) -> LazyString:
        """Translated when shown, so a form's choices made at import follow the locale."""
        return METRIC_LABELS[self][0]

    @property
    def definition(self) -> LazyString:
        """One sentence: what is counted and what is not."""
        return METRIC_LABELS[self][1]

    @property
    def unit(self) -> Unit:
        return METRIC_UNITS.get(self, Unit.COUNT)

    @property
    def accumulates(self) -> bool:
        """Whether it grows through the year (so it has a pace), rather than being a rate."""
        return self.unit != Unit.PERCENT

    @property
    def is_survey(self) -> bool:
        return self in SURVEY_METRICS

    @property
    def is_sampled(self) -> bool:
        return self in SAMPLED_METRICS

    @property
    def lower_is_better(self) -> bool:
        return self in (Metric.RESIDENT_NO_SHOW_RATE, Metric.VOLUNTEER_NO_SHOW_RATE)


METRIC_UNITS = {
    Metric.ONLINE_PROCEDURE_SHARE: Unit.PERCENT,
    Metric.SHIFT_FILL_RATE: Unit.PERCENT,
    Metric.RESIDENT_NO_SHOW_RATE: Unit.PERCENT,
    Metric.VOLUNTEER_NO_SHOW_RATE: Unit.PERCENT,
    Metric.REMINDER_REACH: Unit.PERCENT,
    Metric.COURSE_COMPLETION: Unit.PERCENT,
    Metric.ONLINE_COMPLETION_RATE: Unit.PERCENT,
    Metric.DIVIDE_RESOLUTION_RATE: Unit.PERCENT,
    Metric.VOLUNTEER_HOURS: Unit.HOURS,
    Metric.STAFF_LITERACY: Unit.PERCENT,
    Metric.SATISFACTION: Unit.PERCENT,
}
SURVEY_METRICS = (Metric.ONLINE_COMPLETION_RATE, Metric.DIVIDE_RESOLUTION_RATE)
#: Metrics counted from residents asked: shown with how many were asked and answered.
SAMPLED_METRICS = (Metric.ONLINE_PROCEDURE_SHARE, Metric.DIVIDE_RESOLUTION_RATE,
                   Metric.SATISFACTION)  # fmt: skip

METRIC_LABELS = {
    Metric.SESSIONS_HELD: (
        _l("Sessions held"),
        _l("Classes, consultations and salons that were held, or are past and not cancelled."),
    ),
    Metric.CONSULTATIONS_HELD: (
        _l("Consultation sessions held"),
        _l(
            "One-to-one consultation sessions held, or past and not cancelled; classes and "
            "salons are not counted."
        ),
    ),  # fmt: skip
    Metric.VOLUNTEERS_TRAINED: (
        _l("Volunteers trained"),
        _l(
            "People whose first training course was completed within the target's years, "
            "each counted once however many courses they took."
        ),
    ),  # fmt: skip
    Metric.ATTENDANCES: (
        _l("Attendances (total)"),
        _l(
            "Residents marked as attended, plus the headcount of salons held; one person "
            "coming twice counts twice."
        ),
    ),  # fmt: skip
    Metric.PARTICIPANTS: (
        _l("Participants (unique people)"),
        _l(
            "Residents who attended at least once, each counted once; salon visitors are not "
            "known by name and are not counted."
        ),
    ),  # fmt: skip
    Metric.ONLINE_PROCEDURE_SHARE: (
        _l("Used an online procedure within 3 months"),
        _l(
            "Of the follow-ups answered yes or no (by the automatic call, the answer page or "
            "staff), the share answered yes; those not yet asked or answered 'not known' are "
            "shown apart."
        ),
    ),  # fmt: skip
    Metric.VOLUNTEER_HOURS: (
        _l("Volunteer hours"),
        _l("Hours of shifts at which the volunteer was marked present."),
    ),
    Metric.SHIFT_FILL_RATE: (
        _l("Shift fill rate"),
        _l("Of the volunteer places that sessions held needed, the share someone took."),
    ),
    Metric.RESIDENT_NO_SHOW_RATE: (
        _l("Resident no-show rate"),
        _l("Of residents whose attendance was recorded, the share who did not come."),
    ),
    Metric.VOLUNTEER_NO_SHOW_RATE: (
        _l("Volunteer no-show rate"),
        _l("Of volunteer shifts whose attendance was recorded, the share not present."),
    ),
    Metric.COURSE_COMPLETION: (
        _l("Course completion (修了率)"),
        _l(
            "Of the residents booked on a course that has ended, the share who attended at "
            "least the set part of its dates (COURSE_COMPLETION_PERCENT, three quarters)."
        ),
    ),  # fmt: skip
    Metric.REMINDER_REACH: (
        _l("Reminder reach"),
        _l(
            "Of reminders sent, the share delivered or answered; failed and unknown ones "
            "count as not reached, cancelled and skipped ones are left out."
        ),
    ),  # fmt: skip
    Metric.ONLINE_COMPLETION_RATE: (
        _l("Online procedure completion (survey)"),
        _l("Entered by staff from the programme's survey, per ward and month."),
    ),
    Metric.DIVIDE_RESOLUTION_RATE: (
        _l("Digital divide resolved (survey)"),
        _l(
            "Of the residents in the yearly survey who answered, the share who can do the "
            "procedures they need online without trouble; with the results of surveys run "
            "outside the app, as entered, weighted by their respondents."
        ),
    ),
    Metric.SATISFACTION: (
        _l("Satisfied with the support"),
        _l(
            "Of the residents who gave a satisfaction score (1 to 5) in the follow-up or the "
            "yearly survey, the share who gave 4 or 5."
        ),
    ),
    Metric.STAFF_LITERACY: (
        _l("Staff who completed digital literacy training"),
        _l(
            "Of the ward's active staff accounts, the share who have attended a digital "
            "literacy training, as it stands at the end of the year (or today)."
        ),
    ),  # fmt: skip
    Metric.DX_LEADERS: (
        _l("DX leaders trained"),
        _l(
            "Ward staff whose first DX leader training was attended within the target's "
            "years, each counted once, in their ward."
        ),
    ),  # fmt: skip
}


class Target(db.Model):
    """A goal for one metric, for a ward or all wards (no ward), over fiscal years."""

    __tablename__ = "targets"
    __table_args__ = (
        sa.CheckConstraint("last_year >= first_year", name="years_in_order"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.Index(
            "uq_targets_all_wards",
            "metric",
            "first_year",
            "last_year",
            unique=True,
            postgresql_where=sa.text("ward_id IS NULL"),
            sqlite_where=sa.text("ward_id IS NULL"),
        ),
        sa.Index(
            "uq_targets_ward",
            "metric",
            "ward_id",
            "first_year",
            "last_year",
            unique=True,
            postgresql_where=sa.text("ward_id IS NOT NULL"),
            sqlite_where=sa.text("ward_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[Metric] = mapped_column(string_enum(Metric, "metric", length=40))
    #: None: all 23 wards together.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward | None] = relationship()
    #: Fiscal years (年度), named by the year they start in; the same for a one-year target.
    first_year: Mapped[int]
    last_year: Mapped[int]
    value: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def covers(self, fiscal_year: int) -> bool:
        return self.first_year <= fiscal_year <= self.last_year

    def __repr__(self) -> str:
        years = f"FY{self.first_year}-{self.last_year}"
        return f"<Target {self.metric.value} ward {self.ward_id} {years}>"


class SurveyFigure(db.Model):
    """A survey result entered by staff: a percentage for a ward and month."""

    __tablename__ = "survey_figures"
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "metric", "month"),
        sa.CheckConstraint("value >= 0 AND value <= 100", name="percent"),
        sa.CheckConstraint("respondents >= 0", name="respondents_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    metric: Mapped[Metric] = mapped_column(string_enum(Metric, "metric", length=40))
    #: The first day of the month the survey is for.
    month: Mapped[date]
    value: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    respondents: Mapped[int] = mapped_column(default=0)
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    entered_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FigureSnapshot(db.Model):
    """One metric counted for all wards over fiscal years, as of ``computed_dt``.

    At national scale the counting reads millions of rows; the dashboard reads this
    instead, counted again by the scheduler every few minutes (and on demand).
    """

    __tablename__ = "figure_snapshots"
    __table_args__ = (sa.UniqueConstraint("metric", "first_year", "last_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[Metric] = mapped_column(string_enum(Metric, "metric", length=40))
    first_year: Mapped[int]
    last_year: Mapped[int]
    #: When the figures were counted: the dashboard's "as of".
    computed_dt: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<FigureSnapshot {self.metric.value} FY{self.first_year}-{self.last_year}>"


class FigureCell(db.Model):
    """One row of a snapshot: a ward's (or all wards') figure for a month and breakdown."""

    __tablename__ = "figure_cells"
    __table_args__ = (sa.Index("ix_figure_cells_snapshot_id_ward_id", "snapshot_id", "ward_id"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    snapshot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("figure_snapshots.id", ondelete="CASCADE")
    )
    #: None: all wards counted at once (a volunteer helping in two wards is one person).
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id", ondelete="CASCADE"))
    #: Local month, ``YYYY-MM``.
    month: Mapped[str] = mapped_column(sa.String(7))
    #: A session kind, an age band, a follow-up answer, or "".
    breakdown: Mapped[str] = mapped_column(sa.String(20))
    numerator: Mapped[float]
    denominator: Mapped[float]
    count: Mapped[float]
