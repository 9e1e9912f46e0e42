"""The targets dashboard: every metric of a fiscal year against its target, with its pace."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion import clock
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.calls.figures import call_figures, calls_by_day
from inclusion.calls.models import CallTopic
from inclusion.cover.figures import cover_figures
from inclusion.csvfile import csv_text
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.line.figures import PRICES, channel_figures
from inclusion.loans.figures import loan_figures
from inclusion.phoneline.figures import drop_outs, line_calls_by_day, line_figures
from inclusion.targets import report, services
from inclusion.targets.charts import monthly_chart
from inclusion.targets.forms import MONTH_HINT, SurveyForm, TargetForm
from inclusion.targets.metrics import Figures, Scope
from inclusion.targets.models import SAMPLED_METRICS, Metric, Target
from inclusion.targets.report import rows_behind
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import ConfirmFirst, attachment, form_status, run_button, run_form

bp = Blueprint("targets", __name__)

#: Shown ward by ward on the all-wards dashboard.
WARD_TABLE_METRICS = (
    Metric.SESSIONS_HELD,
    Metric.CONSULTATIONS_HELD,
    Metric.ATTENDANCES,
    Metric.PARTICIPANTS,
    Metric.VOLUNTEERS_TRAINED,
    Metric.ONLINE_PROCEDURE_SHARE,
    Metric.STAFF_LITERACY,
)


def chosen_year() -> int:
    """``?year=2026`` if it is a year targets can have, else this fiscal year."""
    this_year = clock.fiscal_year(clock.today())
    raw = request.args.get("year", "")
    if raw.isascii() and raw.isdigit() and services.FIRST_YEAR <= int(raw) <= services.LAST_YEAR:
        return int(raw)
    return this_year


def _monthly(figures: Figures, year: int, ward: Ward | None):
    monthly = services.by_month(figures, year, ward)
    return tuple(f"{int(month[5:])}月" for month in monthly), tuple(monthly.values())


def _drill_down(metric: Metric, row, ward: Ward | None) -> tuple[str, str] | None:
    """Where the rows behind a number are listed, and the link's words."""
    url = rows_behind(metric, row, ward)
    if url is None:
        return None
    if metric == Metric.STAFF_LITERACY:
        return url, _("The staff behind this number")
    if metric.is_sampled:
        return url, _("The survey's residents and answers")
    return url, _("The sessions behind this number")


def _render(year: int, ward: Ward | None):
    rows = services.dashboard(year, ward)
    scope = Scope(year, ward_ids=(ward.id,) if ward else ())
    panels = []
    for row in rows:
        labels, values = _monthly(row.figures, year, ward)
        chart = monthly_chart(labels, values) if row.metric.accumulates else None
        panels.append(
            {
                "row": row,
                "labels": labels,
                "monthly": values,
                "chart": chart,
                "drill_down": _drill_down(row.metric, row, ward),
            }
        )
    wards = list_wards() if ward is None else []
    by_metric = {row.metric: row for row in rows}
    return render_template(
        "targets/dashboard.html",
        counted_dt=services.counted_at(rows),
        refresh_minutes=current_app.config["TARGETS_REFRESH_MINUTES"],
        year=year,
        year_label=services.fiscal_year_label(year),
        years=range(services.FIRST_YEAR, clock.fiscal_year(clock.today()) + 2),
        ward=ward,
        panels=panels,
        wards=wards,
        ward_table=[by_metric[metric] for metric in WARD_TABLE_METRICS],
        survey_table=[by_metric[metric] for metric in SAMPLED_METRICS],
        cover=cover_figures(scope),
        loans=loan_figures(scope),
        channels=channel_figures(scope),
        prices={medium: current_app.config[name] for medium, name in PRICES.items()},
        calls=call_figures(scope),
        calls_by_day=calls_by_day(scope),
        phone_line=line_figures(scope),
        phone_line_by_day=line_calls_by_day(scope),
        drop_outs=drop_outs(scope),
        call_topics=list(CallTopic),
    )


@bp.route("/targets")
@require(Role.ADMIN, Role.COORDINATOR)
def all_wards():
    """All 23 wards together, and ward by ward."""
    return _render(chosen_year(), None)


@bp.route("/manage/<ward>/targets")
@require(*STAFF_ROLES)
def ward_dashboard(ward: Ward):
    """One ward's figures against its share of the targets (ward staff see, not edit)."""
    return _render(chosen_year(), ward)


def _recount(year: int, dashboard_url: str):
    run_button(
        ButtonForm(),
        lambda: services.recount_year(year),
        lambda stored: (
            _("The figures are counted again.")
            if stored
            else _("The figures were counted less than a minute ago.")
        ),
    )
    return redirect(dashboard_url)


@bp.route("/targets/recount", methods=["POST"])
@require(Role.ADMIN, Role.COORDINATOR)
def recount():
    """Count a year's figures again now, rather than at the next scheduled count."""
    year = chosen_year()
    return _recount(year, url_for("targets.all_wards", year=year))


@bp.route("/manage/<ward>/targets/recount", methods=["POST"])
@require(*STAFF_ROLES)
def ward_recount(ward: Ward):
    year = chosen_year()
    return _recount(year, url_for("targets.ward_dashboard", ward=ward.slug, year=year))


def _summary(year: int, ward: Ward | None):
    rows = services.dashboard(year, ward)
    return render_template(
        "targets/summary.html",
        year_label=services.fiscal_year_label(year),
        ward=ward,
        rows=rows,
        counted_dt=services.counted_at(rows) or clock.now(),
    )


@bp.route("/targets/print")
@require(Role.ADMIN, Role.COORDINATOR)
def all_wards_summary():
    """One page to print for a report: every metric against its target."""
    return _summary(chosen_year(), None)


@bp.route("/manage/<ward>/targets/print")
@require(*STAFF_ROLES)
def ward_summary(ward: Ward):
    return _summary(chosen_year(), ward)


def _csv(year: int, ward: Ward | None):
    wards = [ward] if ward else list_wards()
    table = services.monthly_table(year, ward, wards)
    name = f"targets-{ward.slug if ward else 'all-wards'}-{year}.csv"
    return attachment(csv_text(table), name)


@bp.route("/targets.csv")
@require(Role.ADMIN, Role.COORDINATOR)
def all_wards_csv():
    """Every metric by ward and month (and all wards together), for a spreadsheet."""
    return _csv(chosen_year(), None)


@bp.route("/manage/<ward>/targets.csv")
@require(*STAFF_ROLES)
def ward_csv(ward: Ward):
    return _csv(chosen_year(), ward)


def _report_page(year: int, ward: Ward | None):
    return render_template("targets/report.html", report=report.fiscal_report(year, ward),
                           ward=ward)  # fmt: skip


def _report_file(year: int, ward: Ward | None):
    name = f"report-{ward.slug if ward else 'all-wards'}-{year}.xlsx"
    return attachment(report.workbook(report.fiscal_report(year, ward)), name, XLSX)


#: The spreadsheet's media type.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/targets/report")
@require(Role.ADMIN, Role.COORDINATOR)
def all_wards_report():
    """The fiscal year's report, all wards and each ward, to print."""
    return _report_page(chosen_year(), None)


@bp.route("/targets/report.xlsx")
@require(Role.ADMIN, Role.COORDINATOR)
def all_wards_report_file():
    """The same as a spreadsheet: a sheet for all wards, then one per ward."""
    return _report_file(chosen_year(), None)


@bp.route("/manage/<ward>/targets/report")
@require(*STAFF_ROLES)
def ward_report(ward: Ward):
    return _report_page(chosen_year(), ward)


@bp.route("/manage/<ward>/targets/report.xlsx")
@require(*STAFF_ROLES)
def ward_report_file(ward: Ward):
    return _report_file(chosen_year(), ward)


@bp.route("/targets/settings", methods=["GET", "POST"])
@require(Role.ADMIN, Role.COORDINATOR)
def settings():
    """Coordinators set targets for all wards and share them out among the wards."""
    year = chosen_year()
    form = TargetForm(list_wards(), data={"first_year": year, "last_year": year})
    if run_form(
        form,
        lambda: services.set_target(
            current_user,
            Metric(form.metric.data),
            form.wards.get(form.ward.data),
            form.first_year.data,
            form.last_year.data,
            form.value.data,
        ),
        _("The target is set."),
    ):
        return redirect(url_for("targets.settings", year=year))
    targets = services.list_targets(year)
    shared = {}
    for target in targets:
        if target.ward_id is not None:
            key = (target.metric, target.first_year, target.last_year)
            shared[key] = shared.get(key, 0) + target.value
    return render_template(
        "targets/settings.html",
        year=year,
        year_label=services.fiscal_year_label(year),
        form=form,
        targets=targets,
        shared=shared,
        buttons=ButtonForm(),
    ), form_status(form)


@bp.route("/targets/<int:target_id>/split", methods=["POST"])
@require(Role.ADMIN, Role.COORDINATOR)
def split(target_id: int):
    target = db.get_or_404(Target, target_id)
    run_button(
        ButtonForm(),
        lambda: services.split_target(current_user, target),
        lambda count: _("Shared out among %(count)d wards.", count=count),
    )
    return redirect(url_for("targets.settings", year=target.first_year))


@bp.route("/targets/<int:target_id>/delete", methods=["POST"])
@require(Role.ADMIN, Role.COORDINATOR)
def delete(target_id: int):
    target = db.get_or_404(Target, target_id)
    year = target.first_year
    run_button(
        ButtonForm(),
        lambda: services.delete_target(current_user, target),
        _("The target is removed."),
        ask=lambda: ConfirmFirst(
            _("Remove the target for “%(metric)s”?", metric=target.metric.label),
            _("The target of %(value)s for %(years)s goes; the figures themselves stay.",
              value=target.metric.unit.written(target.value),
              years=services.fiscal_year_label(target.first_year)),
            _("Yes, remove the target"),
        ),
    )  # fmt: skip
    return redirect(url_for("targets.settings", year=year))


def _month(text: str) -> date:
    """The form's ``2026-07`` as a date; which months may be entered is the service's rule."""
    try:
        return date(int(text[:4]), int(text[5:7]), 1)
    except ValueError:
        raise RuleViolation(MONTH_HINT, "month") from None


@bp.route("/manage/<ward>/targets/survey", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def survey(ward: Ward):
    """Staff enter the survey figures that come from outside, per month."""
    year = chosen_year()
    form = SurveyForm()
    if run_form(
        form,
        lambda: services.enter_survey(
            current_user,
            ward,
            Metric(form.metric.data),
            _month(form.month.data),
            form.value.data,
            form.respondents.data,
        ),
        _("Saved."),
    ):
        return redirect(url_for("targets.survey", ward=ward.slug, year=year))
    return render_template(
        "targets/survey.html",
        ward=ward,
        year=year,
        year_label=services.fiscal_year_label(year),
        form=form,
        figures=services.survey_figures(ward, year),
    ), form_status(form)
