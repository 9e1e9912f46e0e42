"""The fiscal year's report: every figure of the programme per ward and for all wards —
the dashboard's metrics, loan smartphones and the call centre — each with its definition
and where its rows are listed; as a printable page and as a spreadsheet (a sheet per ward).

The figures are the dashboard's own (its stored snapshots, the loan and call tables), so a
report's totals equal the dashboard's."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from inclusion import clock
from inclusion.calls.figures import call_figures
from inclusion.csvfile import neutral
from inclusion.extensions import db
from inclusion.i18n import local_datetime
from inclusion.loans.figures import loan_figures
from inclusion.phoneline.figures import drop_outs, line_figures
from inclusion.targets import services
from inclusion.targets.metrics import Scope
from inclusion.targets.models import Metric, Target, Unit
from inclusion.targets.services import UNIT_NAMES
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards
from inclusion.web import public_url

#: Metrics whose number is made of sessions: the session list behind it, and its kind.
SESSION_METRICS = {Metric.SESSIONS_HELD: "", Metric.CONSULTATIONS_HELD: "consultation"}


def rows_behind(
    metric: Metric, row: services.MetricRow, ward: Ward | None, build: Callable = url_for
) -> str | None:
    """The page listing the rows behind a metric's number, where there is one; ``build``
    makes its address (``public_url`` for a file read away from the site)."""
    if metric == Metric.STAFF_LITERACY:
        return build("staff_training.ward_progress", ward=ward.slug) if ward else None
    if metric.is_sampled:
        year = row.scope.years[1]
        return build("surveys.ward_surveys", ward=ward.slug, year=year) if ward else None
    if metric not in SESSION_METRICS:
        return None
    args = {"date_from": row.scope.first_day.isoformat(),
            "date_to": row.scope.last_day.isoformat()}  # fmt: skip
    if SESSION_METRICS[metric]:
        args["kind"] = SESSION_METRICS[metric]
    if ward is None:
        return build("sessions.all_wards", **args)
    return build("sessions.index", ward=ward.slug, **args)


@dataclass(frozen=True)
class Line:
    """One figure of a ward's report."""

    label: str
    value: float | None
    unit: Unit
    target: float | None
    definition: str
    #: The page listing its rows (its whole address), when there is one.
    rows_at: str | None
    #: The fiscal years a target covers, when more than one (2026–2028).
    target_years: str = ""
    #: A survey's figure: residents asked, and the share who answered.
    asked: int | None = None
    response_rate: float | None = None

    @property
    def written(self) -> str:
        return self.unit.written(self.value)


@dataclass(frozen=True)
class Part:
    """The report of one ward, or of all wards (``ward`` None)."""

    ward: Ward | None
    lines: list[Line]

    @property
    def name(self) -> str:
        return self.ward.name if self.ward else _("All wards")


@dataclass(frozen=True)
class FiscalReport:
    year: int
    year_label: str
    counted_dt: datetime
    parts: list[Part]


def fiscal_report(year: int, ward: Ward | None) -> FiscalReport:
    """The year's report of one ward, or of all wards and then each ward."""
    rows = services.dashboard(year, ward)
    scope = Scope(year, ward_ids=(ward.id,) if ward else ())
    loans, calls = loan_figures(scope), call_figures(scope)
    phone_line, dropped = line_figures(scope), drop_outs(scope)
    shown = [ward] if ward else [None, *list_wards()]
    own_targets = _wards_targets(year)
    parts = []
    for each in shown:
        # All wards' figures hold each ward's cells: one count serves every sheet.
        ward_id = each.id if each else None
        lines = []
        for row in rows:
            target, years = _target(row, own_targets, ward_id)
            figures, sampled = row.figures, row.metric.is_sampled
            lines.append(Line(str(row.metric.label), figures.value(ward_id), row.metric.unit,
                              target, str(row.metric.definition),
                              rows_behind(row.metric, row, each, public_url), years,
                              figures.asked(ward_id) if sampled else None,
                              figures.response_rate(ward_id) if sampled else None))  # fmt: skip
        lines += _loan_lines(loans.of(ward_id), each) + _call_lines(calls.of(ward_id), each)
        lines += _phone_line_lines(phone_line.of(ward_id), dropped.get(ward_id, []), each)
        parts.append(Part(each, lines))
    counted = services.counted_at(rows) or clock.now()
    return FiscalReport(year, services.fiscal_year_label(year), counted, parts)


def _wards_targets(year: int) -> dict[tuple[int, Metric], Target]:
    """Each ward's own targets covering the year, in one query."""
    rows = db.session.scalars(
        sa.select(Target).where(Target.first_year <= year, Target.last_year >= year,
                                Target.ward_id.is_not(None))
    )  # fmt: skip
    return {(target.ward_id, target.metric): target for target in rows}


def _target(row: services.MetricRow, own: dict, ward_id: int | None) -> tuple:
    """All wards' target for all wards; a ward's own target (it has none of all wards'):
    its value, and its years when it covers several."""
    target = row.target if ward_id is None else own.get((ward_id, row.metric))
    if target is None:
        return None, ""
    years = (
        f"{target.first_year}–{target.last_year}" if target.last_year > target.first_year else ""
    )
    return float(target.value), years


def _loan_lines(figures, ward: Ward | None) -> list[Line]:
    rows_at = public_url("loans.loans", ward=ward.slug) if ward else None
    said = _("Counted on the loan smartphones' pages of each ward.")
    return [
        Line(_("Residents lent a smartphone"), figures.residents, Unit.COUNT, None, said, rows_at),
        Line(_("Loan smartphones in use"), figures.in_use, Unit.COUNT, None, said, rows_at),
        Line(_("Loan smartphones returned"), figures.returned, Unit.COUNT, None, said, rows_at),
        Line(_("Loan smartphones lost"), figures.lost, Unit.COUNT, None, said, rows_at),
    ]


def _call_lines(figures, ward: Ward | None) -> list[Line]:
    rows_at = (public_url("calls.ward_calls", ward=ward.slug) if ward
               else public_url("calls.log"))  # fmt: skip
    said = _("Calls logged by the joint call centre, by the ward they were about.")
    return [
        Line(_("Calls logged"), figures.calls, Unit.COUNT, None, said, rows_at),
        Line(_("Resolved on the first call"), figures.resolved, Unit.COUNT, None, said, rows_at),
        Line(
            _("Bookings made by the call centre"), figures.booked, Unit.COUNT, None, said, rows_at
        ),  # fmt: skip
    ]


def _phone_line_lines(figures, dropped, ward: Ward | None) -> list[Line]:
    rows_at = public_url("phoneline_staff.calls", ward=ward.slug) if ward else None
    said = _("Calls to the ward's phone line, answered by the app.")
    counts = [
        (_("Phone line calls"), figures.calls),
        (_("Bookings made by callers on the phone line, without staff"), figures.booked),
        (_("Places on waiting lists taken on the phone line"), figures.waitlisted),
        (_("Bookings cancelled on the phone line"), figures.cancelled),
        (_("Phone line calls put through to staff"), figures.handed_over),
        (_("Messages left on the phone line"), figures.messages),
        (_("Phone line calls hung up with nothing done"), figures.dropped),
        (_("Phone line calls on the busiest day"), figures.busiest_day),
    ]
    lines = [Line(label, value, Unit.COUNT, None, said, rows_at) for label, value in counts]
    lines += [
        Line(_("Hung up with nothing done at: %(step)s", step=label), count, Unit.COUNT, None,
             said, rows_at)
        for _step, label, count in dropped
    ]  # fmt: skip
    return lines


#: How a spreadsheet shows each kind of figure: whole counts, percentages and hours to
#: one decimal place.
NUMBER_FORMATS = {Unit.COUNT: "#,##0", Unit.PERCENT: "0.0", Unit.HOURS: "#,##0.0"}

#: A sheet's name may hold 31 characters, none of these.
SHEET_NAME_FORBIDDEN = str.maketrans({char: "_" for char in "[]:*?/\\"})


def workbook(report: FiscalReport) -> bytes:
    """The report as an xlsx file: a sheet per part, each figure a number in its cell."""
    book = Workbook()
    book.remove(book.active)
    headers = [_("Figure"), _("Value"), _("Unit"), _("Target"), _("Target's fiscal years"),
               _("Definition"), _("Where its rows are listed"), _("Residents asked"),
               _("Response rate (%)")]  # fmt: skip
    for part in report.parts:
        sheet = book.create_sheet(part.name.translate(SHEET_NAME_FORBIDDEN)[:31])
        sheet.append([neutral(_("Digital support programme: the fiscal year's report"))])
        sheet.append(
            [
                neutral(f"{part.name} ・ {report.year_label}"),
                neutral(_("as of %(day)s", day=local_datetime(report.counted_dt))),
            ]
        )
        sheet.append([])
        sheet.append([neutral(header) for header in headers])
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        for line in part.lines:
            sheet.append([neutral(line.label), line.value, UNIT_NAMES[line.unit], line.target,
                          line.target_years, neutral(line.definition), neutral(line.rows_at or ""),
                          line.asked, line.response_rate])  # fmt: skip
            for column in (2, 4):
                sheet.cell(sheet.max_row, column).number_format = NUMBER_FORMATS[line.unit]
            sheet.cell(sheet.max_row, 8).number_format = NUMBER_FORMATS[Unit.COUNT]
            sheet.cell(sheet.max_row, 9).number_format = NUMBER_FORMATS[Unit.PERCENT]
        sheet.column_dimensions["A"].width = 36
        sheet.column_dimensions["F"].width = 60
        sheet.column_dimensions["G"].width = 50
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
