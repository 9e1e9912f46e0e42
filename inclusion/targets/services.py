"""Targets: set by coordinators, read by everyone; the dashboard's figures against them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.db import begin_as
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.targets import metrics
from inclusion.targets.metrics import Figures, Scope
from inclusion.targets.models import (
    FigureCell,
    FigureSnapshot,
    Metric,
    SurveyFigure,
    Target,
    Unit,
)
from inclusion.targets.pace import Pace, pace
from inclusion.wards.models import Ward

#: The programme's own targets (支援策③ and ②), seeded by ``demo``: (metric, years, value).
PROGRAMME_TARGETS = (
    (Metric.CONSULTATIONS_HELD, 1, Decimal(1000)),
    (Metric.VOLUNTEERS_TRAINED, 3, Decimal(2000)),
    (Metric.ONLINE_PROCEDURE_SHARE, 1, Decimal(80)),
    (Metric.ONLINE_COMPLETION_RATE, 1, Decimal(90)),
    (Metric.DIVIDE_RESOLUTION_RATE, 1, Decimal(95)),
    (Metric.STAFF_LITERACY, 1, Decimal(100)),
    (Metric.DX_LEADERS, 3, Decimal(500)),
)
log = logging.getLogger(__name__)

#: A snapshot's key: the metric and the fiscal years it was counted over.
SnapshotKey = tuple[Metric, int, int]
#: Attendance of March's sessions is often entered in April: the year just ended is
#: counted again until the end of June.
LATE_ENTRY_MONTHS = (4, 5, 6)
#: "Count again now" does nothing when the figures are younger than this (a double click).
RECOUNT_GAP = timedelta(minutes=1)
#: Fiscal years a target may be set for.
FIRST_YEAR, LAST_YEAR = 2020, 2040
MAX_YEARS = 5


def fiscal_year_label(year: int) -> str:
    """2026年度（令和8年度）"""
    return str(_l("FY%(year)d (Reiwa %(reiwa)d)", year=year, reiwa=year - 2018))


def _for_ward(ward: Ward | None):
    """Targets of one ward, or those for all wards (no ward) when ``ward`` is None."""
    return Target.ward_id == ward.id if ward else Target.ward_id.is_(None)


def _locked_or_new(model, filled: dict, **key):
    """The row with ``key``, locked for update, or a new one (with ``filled``) in a savepoint;
    and whether it is new.

    Two people saving at once meet the unique index: the loser changes the winner's row.
    """
    same = [getattr(model, name) == value for name, value in key.items()]
    row = db.session.scalar(sa.select(model).where(*same).with_for_update())
    if row is not None:
        return row, False
    row = model(**key, **filled)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return db.session.scalar(sa.select(model).where(*same).with_for_update()), False
    return row, True


def _decimal(text: str, message, field: str) -> Decimal:
    """A finite, non-negative number as typed (thousands commas allowed), or the message."""
    try:
        number = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise RuleViolation(message, field) from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e10"):
        raise RuleViolation(message, field)
    return number


def targets_for(year: int, ward: Ward | None) -> dict[Metric, Target]:
    """The targets covering ``year`` for a ward (or for all wards when ``ward`` is None)."""
    rows = db.session.scalars(
        sa.select(Target).where(
            Target.first_year <= year,
            Target.last_year >= year,
            _for_ward(ward),
        )
    )
    return {target.metric: target for target in rows}


def set_target(
    actor: User, metric: Metric, ward: Ward | None, first_year: int, last_year: int, value: str
) -> Target:
    """Set (or change) a target; one per metric, ward and years."""
    if not FIRST_YEAR <= first_year <= last_year <= LAST_YEAR:
        raise RuleViolation(_l("Choose the fiscal years in order, from 2020 to 2040."), "years")
    if last_year - first_year >= MAX_YEARS:
        raise RuleViolation(_l("A target covers at most five fiscal years."), "years")
    amount = _decimal(value, _l("Enter the target as a number, e.g. 1000."), "value")
    if metric.unit == Unit.PERCENT and amount > 100:
        raise RuleViolation(_l("A percentage target is at most 100."), "value")
    target, is_new = _locked_or_new(
        Target,
        {"value": amount},
        metric=metric,
        ward_id=ward.id if ward else None,
        first_year=first_year,
        last_year=last_year,
    )
    if not is_new and target.value == amount:
        return target  # the same target again changes nothing
    target.value, target.updated_by_id = amount, actor.id if actor else None
    db.session.flush()
    record_event(actor, "target.set", target, ward,
                 {"metric": metric.value, "years": [first_year, last_year],
                  "value": str(amount)})  # fmt: skip
    return target


def seed_programme_targets(year: int) -> int:
    """The programme's targets for all wards from ``year``; those already set stay."""
    added = 0
    for metric, years, value in PROGRAMME_TARGETS:
        exists = db.session.scalar(
            sa.select(Target.id).where(
                Target.metric == metric, Target.ward_id.is_(None), Target.first_year == year
            )
        )
        if exists is None:
            db.session.add(Target(metric=metric, first_year=year, last_year=year + years - 1,
                                  value=value, note="デジタル活用支援推進事業の目標"))  # fmt: skip
            added += 1
    db.session.flush()
    return added


@dataclass
class MetricRow:
    metric: Metric
    scope: Scope
    figures: Figures
    value: float | None
    target: Target | None
    pace: Pace | None

    @property
    def on_track(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        if self.pace is not None:
            return self.pace.on_track
        goal = float(self.target.value)
        return self.value <= goal if self.metric.lower_is_better else self.value >= goal


def _years(metric: Metric, targets: dict[Metric, Target], year: int) -> tuple[int, int]:
    """The years a dashboard counts a metric over: its target's, else the year's own."""
    target = targets.get(metric)
    return (target.first_year, target.last_year) if target else (year, year)


def snapshot_keys(year: int) -> set[SnapshotKey]:
    """Every snapshot a dashboard of ``year`` may show: each activity metric over the
    year, and over the years of every target covering it (for all wards or one)."""
    keys = {(metric, year, year) for metric in Metric if not metric.is_survey}
    rows = db.session.execute(
        sa.select(Target.metric, Target.first_year, Target.last_year)
        .distinct()
        .where(Target.first_year <= year, Target.last_year >= year)
    )
    keys.update((metric, first, last) for metric, first, last in rows if not metric.is_survey)
    return keys


def _count(keys: Iterable[SnapshotKey], now: datetime) -> dict[SnapshotKey, Figures]:
    """Count each key for all wards; consultations held are a group of sessions held."""
    counted: dict[SnapshotKey, Figures] = {}
    for key in sorted(keys, key=lambda key: (key[0] != Metric.SESSIONS_HELD, key)):
        metric, first_year, last_year = key
        held = counted.get((Metric.SESSIONS_HELD, first_year, last_year))
        if metric == Metric.CONSULTATIONS_HELD and held is not None:
            counted[key] = metrics.consultations_of(held)
        else:
            counted[key] = metrics.figures(metric, Scope(first_year, last_year), now)
    return counted


def _store(key: SnapshotKey, figures: Figures, now: datetime) -> bool:
    """Replace a snapshot's cells with ``figures``, unless a later count is stored."""
    metric, first_year, last_year = key
    snapshot, _is_new = _locked_or_new(FigureSnapshot, {"computed_dt": now}, metric=metric,
                                       first_year=first_year, last_year=last_year)  # fmt: skip
    if snapshot.computed_dt > now:
        return False
    db.session.execute(sa.delete(FigureCell).where(FigureCell.snapshot_id == snapshot.id))
    cells = [
        {"snapshot_id": snapshot.id, "ward_id": ward_id, "month": month, "breakdown": group,
         "numerator": numerator, "denominator": denominator, "count": count}
        for (ward_id, month, group), (numerator, denominator, count) in figures.cells.items()
    ]  # fmt: skip
    if cells:
        db.session.execute(sa.insert(FigureCell), cells)
    snapshot.computed_dt = now
    db.session.flush()
    return True


def refresh_figures(
    keys: Iterable[SnapshotKey], now: datetime | None = None, older_than: datetime | None = None
) -> int:
    """Count ``keys`` for all wards and store them as of ``now``; commits.

    Only snapshots missing or counted before ``older_than`` are counted again. The
    counting reads without taking SQLite's write lock; the snapshots are then replaced
    in one short transaction, so a dashboard's figures are all of one count. Returns
    how many snapshots were stored.
    """
    now = now or clock.now()
    keys = set(keys)
    db.session.commit()
    with begin_as(writer=False):
        if older_than is not None:
            keys -= {key for key, (_id, counted_dt) in _snapshots(keys).items()
                     if counted_dt >= older_than}  # fmt: skip
        counted = _count(keys, now)
        db.session.commit()
    with begin_as(writer=True):
        stored = sum(_store(key, figures, now) for key, figures in counted.items())
        db.session.commit()
    if stored:
        log.info("figures counted again: %s snapshot(s) as of %s", stored, now.isoformat())
    return stored


def recount_year(year: int, now: datetime | None = None) -> int:
    """Count a fiscal year's figures again now (not twice within a minute)."""
    now = now or clock.now()
    return refresh_figures(snapshot_keys(year), now, older_than=now - RECOUNT_GAP)


def refresh_due(now: datetime | None = None) -> int:
    """Count again this fiscal year's figures (and, until June, last year's) once they
    are older than ``TARGETS_REFRESH_MINUTES``; the scheduler calls this every minute."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    year = clock.fiscal_year(today)
    years = [year, year - 1] if today.month in LATE_ENTRY_MONTHS else [year]
    keys = set().union(*(snapshot_keys(each) for each in years))
    minutes = current_app.config["TARGETS_REFRESH_MINUTES"]
    return refresh_figures(keys, now, older_than=now - timedelta(minutes=minutes))


def _snapshots(keys: set[SnapshotKey]) -> dict[SnapshotKey, tuple[int, datetime]]:
    """The stored snapshots among ``keys``: their ids and when they were counted."""
    key_columns = sa.tuple_(FigureSnapshot.metric, FigureSnapshot.first_year,
                            FigureSnapshot.last_year)  # fmt: skip
    rows = db.session.execute(
        sa.select(*key_columns.clauses, FigureSnapshot.id, FigureSnapshot.computed_dt).where(
            key_columns.in_(sorted(keys))
        )
    )
    return {(metric, first, last): (id_, dt) for metric, first, last, id_, dt in rows}


#: Held while a process reads snapshot cells it has not read yet (see ``stored_figures``).
_READING_CELLS = threading.Lock()


def stored_figures(keys: set[SnapshotKey], ward: Ward | None = None) -> dict[SnapshotKey, Figures]:
    """The stored snapshots among ``keys`` (of a ward's cells only, if given).

    One query says which snapshots are current; the cells are read only of those this
    process has not read at that count yet. Cells never change without a new count
    time, so a dashboard viewed again between two counts reads thousands of rows less.
    One thread of a process reads them while the others asking wait and take what it
    read: the four threads of a worker each reading them held four copies (+24 MiB).
    """
    loaded: dict[tuple[int, int | None], Figures] = current_app.extensions.setdefault(
        "figure_snapshots", {}
    )
    ward_id = ward.id if ward else None

    def kept(snapshot_id: int, computed_dt: datetime) -> Figures | None:
        figures = loaded.get((snapshot_id, ward_id))
        return figures if figures is not None and figures.counted_dt == computed_dt else None

    current = _snapshots(keys)
    found = {key: kept(*snapshot) for key, snapshot in current.items()}
    missing = [key for key, figures in found.items() if figures is None]
    if not missing:
        return found
    with _READING_CELLS:
        reading: dict[int, Figures] = {}
        for key in missing:
            snapshot_id, computed_dt = current[key]
            # Another thread may have read them while this one waited.
            found[key] = kept(snapshot_id, computed_dt)
            if found[key] is None:
                found[key] = reading[snapshot_id] = Figures(key[0], counted_dt=computed_dt)
        if reading:
            _read_cells(reading, ward)
            # Shared only once whole: other threads read them as they are.
            loaded.update({(snapshot_id, ward_id): figures
                           for snapshot_id, figures in reading.items()})  # fmt: skip
    return found


def _read_cells(reading: dict[int, Figures], ward: Ward | None) -> None:
    """Fill each of ``reading``'s figures (by snapshot id) with its stored cells."""
    cells = sa.select(
        FigureCell.snapshot_id,
        FigureCell.ward_id,
        FigureCell.month,
        FigureCell.breakdown,
        FigureCell.numerator,
        FigureCell.denominator,
        FigureCell.count,
    ).where(FigureCell.snapshot_id.in_(reading))
    if ward is not None:
        cells = cells.where(FigureCell.ward_id == ward.id)
    # Plain columns through Core: thousands of rows, no ORM work per row.
    for snapshot_id, cell_ward_id, month, breakdown, *sums in db.session.connection().execute(
        cells
    ):
        reading[snapshot_id].cells[(cell_ward_id, month, breakdown)] = sums


def dashboard(year: int, ward: Ward | None, today: date | None = None) -> list[MetricRow]:
    """Every metric for a fiscal year and a ward (None: all wards), against its target.

    Activity figures come from the stored snapshots (counted now if missing), survey
    figures as entered: a fixed number of queries, whatever the data's size.
    """
    today = today or clock.today()
    targets = targets_for(year, ward)
    keys = {metric: (metric, *_years(metric, targets, year))
            for metric in Metric if not metric.is_survey}  # fmt: skip
    wanted = set(keys.values())
    stored = stored_figures(wanted, ward)
    if stored.keys() != wanted:
        refresh_figures(wanted - stored.keys())
        targets = targets_for(year, ward)  # the commits expired them
        stored = stored_figures(wanted, ward)
    ward_ids = (ward.id,) if ward else ()
    rows = []
    for metric in Metric:
        target = targets.get(metric)
        scope = Scope(*_years(metric, targets, year), ward_ids=ward_ids)
        figures = metrics.survey(metric, scope) if metric.is_survey else stored[keys[metric]]
        value = figures.value(ward.id if ward else None)
        measured = None
        if target is not None and metric.accumulates:
            measured = pace(float(target.value), value or 0.0, scope.first_day, scope.last_day,
                            today)  # fmt: skip
        rows.append(MetricRow(metric, scope, figures, value, target, measured))
    return rows


def counted_at(rows: list[MetricRow]) -> datetime | None:
    """When the oldest of the rows' figures was counted (None: all counted live)."""
    return min((row.figures.counted_dt for row in rows if row.figures.counted_dt), default=None)


def fiscal_months(year: int) -> list[str]:
    """April to March of a fiscal year, as ``YYYY-MM``."""
    return [f"{year + (month < 4)}-{month:02d}" for month in (*range(4, 13), 1, 2, 3)]


def by_month(figures: Figures, year: int, ward: Ward | None) -> dict[str, float | None]:
    """A figure for each month of a fiscal year, April first (``YYYY-MM`` keys)."""
    ward_id = ward.id if ward else None
    return {month: figures.value(ward_id, month=month) for month in fiscal_months(year)}


CSV_HEADER = ("年度", "区", "月", "指標", "値", "単位", "目標")
UNIT_NAMES = {Unit.COUNT: "件・人", Unit.PERCENT: "%", Unit.HOURS: "時間"}


def monthly_table(year: int, ward: Ward | None, wards: list[Ward]) -> list[tuple]:
    """Every metric by ward and month, and for the whole period, with Japanese headers.

    All wards together come first when ``ward`` is None; the figures are the dashboard's.
    """
    rows: list[tuple] = [CSV_HEADER]
    months = fiscal_months(year)
    places = [(ward, ward.name_ja)] if ward else [(None, "全区")]
    places += [] if ward else [(each, each.name_ja) for each in wards]
    with force_locale("ja"):
        for row in dashboard(year, ward):
            label = str(row.metric.label)
            unit = UNIT_NAMES[row.metric.unit]
            places = (
                [(ward, ward.name_ja)]
                if ward
                else [(None, "全区"), *((w, w.name_ja) for w in wards)]
            )
            for place, place_name in places:
                ward_id = place.id if place else None
                target = "" if row.target is None or place != ward else str(row.target.value)
                for month in [*months, None]:
                    value = row.figures.value(ward_id, month=month)
                    rows.append((
                        year,
                        place_name,
                        month or "年度計",
                        label,
                        _cell(value, row.metric.unit),
                        unit,
                        target if month is None else "",
                    ))  # fmt: skip
    return rows


def _cell(value: float | None, unit: Unit) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if unit == Unit.COUNT else f"{value:.2f}"


def list_targets(year: int) -> list[Target]:
    """Every target covering ``year``: all wards first, then ward shares by ward code."""
    return list(
        db.session.scalars(
            sa.select(Target)
            .outerjoin(Ward, Ward.id == Target.ward_id)
            .options(joinedload(Target.ward))
            .where(Target.first_year <= year, Target.last_year >= year)
            .order_by(Target.metric, Target.ward_id.is_not(None), Ward.code)
        )
    )


def split_target(actor: User, target: Target) -> int:
    """Share an all-wards target among the 23 wards evenly; the shares add up to it exactly.

    Whole units go round by the largest remainder (a percentage is copied, not split).
    Returns how many ward targets were set; shares a ward already has are replaced.
    """
    if target.ward_id is not None:
        raise RuleViolation(_l("Only a target for all wards can be shared out."))
    wards = db.session.scalars(sa.select(Ward).order_by(Ward.code)).all()
    if target.metric.unit == Unit.PERCENT:
        shares = [target.value] * len(wards)
    else:
        whole = int(target.value)
        base, extra = divmod(whole, len(wards))
        shares = [Decimal(base + (index < extra)) for index in range(len(wards))]
    for ward, share in zip(wards, shares, strict=True):
        set_target(actor, target.metric, ward, target.first_year, target.last_year, str(share))
    return len(wards)


def delete_target(actor: User, target: Target) -> None:
    years = [target.first_year, target.last_year]
    details = {"metric": target.metric.value, "years": years}
    record_event(actor, "target.delete", target, target.ward, details)
    db.session.delete(target)
    db.session.flush()


def enter_survey(
    actor: User, ward: Ward, metric: Metric, month: date, value: str, respondents: int
) -> SurveyFigure:
    """Record (or correct) a survey percentage for a ward and month."""
    if not metric.is_survey:
        raise RuleViolation(_l("Choose one of the survey figures."), "metric")
    if not FIRST_YEAR <= month.year <= LAST_YEAR + 1:
        raise RuleViolation(_l("Enter the month like 2026-07."), "month")
    percent = _decimal(
        str(value).strip().rstrip("%"), _l("Enter a percentage from 0 to 100."), "value"
    )
    if percent > 100:
        raise RuleViolation(_l("Enter a percentage from 0 to 100."), "value")
    if not 0 <= respondents <= 1_000_000:
        raise RuleViolation(_l("Enter how many people answered, from 0."), "respondents")
    first_of_month = month.replace(day=1)
    figure, is_new = _locked_or_new(
        SurveyFigure,
        {"value": percent, "respondents": respondents},
        ward_id=ward.id,
        metric=metric,
        month=first_of_month,
    )
    if not is_new and (figure.value, figure.respondents) == (percent, respondents):
        return figure  # the same figure again changes nothing
    figure.value, figure.respondents = percent, respondents
    figure.entered_by_id = actor.id
    db.session.flush()
    record_event(actor, "survey.enter", figure, ward,
                 {"metric": metric.value, "month": first_of_month.isoformat(),
                  "value": str(percent), "respondents": respondents})  # fmt: skip
    return figure


def survey_figures(ward: Ward, year: int) -> list[SurveyFigure]:
    return list(
        db.session.scalars(
            sa.select(SurveyFigure)
            .where(
                SurveyFigure.ward_id == ward.id,
                SurveyFigure.month >= date(year, 4, 1),
                SurveyFigure.month <= date(year + 1, 3, 31),
            )
            .order_by(SurveyFigure.month, SurveyFigure.metric)
        )
    )
