from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.caching import pages
from inclusion.courses import services as courses
from inclusion.cover import queries as cover_queries
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import plausible_date
from inclusion.residents import queries as resident_queries
from inclusion.residents.views import may_see_residents
from inclusion.sessions import queries, services
from inclusion.sessions.forms import (
    CancelForm,
    CourseForm,
    EditSessionForm,
    HeldForm,
    SeriesForm,
    SessionFilterForm,
    SessionForm,
)
from inclusion.sessions.models import Series, Session, SessionKind, SessionStatus, Topic
from inclusion.venues.services import list_venues
from inclusion.volunteers import queries as volunteer_queries
from inclusion.volunteers import services as volunteer_services
from inclusion.volunteers.forms import AssignForm, AttendanceForm
from inclusion.volunteers.models import ShiftRole
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import (
    flash_errors,
    flash_violation,
    form_status,
    get_in_ward_or_404,
    id_arg,
    redirect_back,
    run_button,
    show_violation,
)

bp = Blueprint("sessions", __name__)

PAGE_SIZE = 50


def _session_page(ward: Ward | None):
    """The filtered, paged list, for one ward or (coordinators) all of them; kept while
    the wards it lists are unchanged."""
    wards = list_wards() if ward is None else [ward]
    return pages.serve(wards, lambda: _render_session_page(ward, wards))


def _render_session_page(ward: Ward | None, wards: list[Ward]):
    venues = list_venues(ward) if ward is not None else []
    form = SessionFilterForm(wards if ward is None else [], venues, formdata=request.args)
    form.validate()
    if "date_from" not in request.args:
        form.date_from.data = clock.today()
    filters = queries.SessionFilter(
        ward_id=ward.id if ward is not None else form.value("ward"),
        venue_id=form.value("venue"),
        kind=SessionKind(form.value("kind")) if form.value("kind") else None,
        topic=Topic(form.value("topic")) if form.value("topic") else None,
        status=SessionStatus(form.value("status")) if form.value("status") else None,
        date_from=form.value("date_from"),
        date_to=form.value("date_to"),
        series_id=id_arg("series"),
    )
    after = queries.Cursor.parse(request.args.get("after"))
    sessions, next_cursor = queries.page_of_sessions(filters, after, PAGE_SIZE)
    session_ids = [session.id for session in sessions]
    filled = volunteer_queries.fill_counts(session_ids)
    next_args = {**request.args.to_dict(), "after": str(next_cursor)} if next_cursor else None
    return render_template(
        "sessions/list.html",
        ward=ward,
        form=form,
        sessions=sessions,
        filled=filled,
        booked=resident_queries.booking_counts(session_ids),
        next_args=next_args,
        first_args={k: v for k, v in request.args.items() if k != "after"} if after else None,
    )


@bp.route("/sessions")
@require(Role.ADMIN, Role.COORDINATOR)
def all_wards():
    return _session_page(None)


@bp.route("/manage/<ward>/sessions")
@require(*STAFF_ROLES)
def index(ward: Ward):
    return _session_page(ward)


def _venues_or_message(ward: Ward):
    venues = list_venues(ward, active_only=True)
    if not venues:
        flash(_("Add a venue first: every session takes place at one."), "info")
    return venues


@bp.route("/manage/<ward>/sessions/new", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def create(ward: Ward):
    venues = _venues_or_message(ward)
    if not venues:
        return redirect(url_for("venues.create", ward=ward.slug))
    form = SessionForm(venues)
    if form.validate_on_submit():
        try:
            session = services.create_session(current_user, form.draft())
        except RuleViolation as violation:
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Session “%(title)s” added.", title=session.title), "success")
            return redirect(url_for("sessions.detail", ward=ward.slug, session_id=session.id))
    return render_template("sessions/form.html", ward=ward, form=form, mode="create"), form_status(
        form
    )


def _plan(form: SeriesForm) -> services.SeriesPlan:
    return services.plan_series(
        form.day.data,
        form.interval_weeks.data,
        form.weeks.data,
        form.holiday_rule.data,
        form.skip_year_end.data,
        form.starts_time.data,
    )


@bp.route("/manage/<ward>/series/new", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def create_series(ward: Ward):
    venues = _venues_or_message(ward)
    if not venues:
        return redirect(url_for("venues.create", ward=ward.slug))
    form = SeriesForm(venues)
    if request.method == "GET":
        form.day.data = clock.today() + timedelta(days=7)
    plan = _plan(form) if request.method == "GET" or form.plan_valid() else None
    if form.validate_on_submit() and not form.preview.data:
        try:
            series, created = services.create_series(
                current_user,
                form.draft(),
                interval_weeks=form.interval_weeks.data,
                weeks=form.weeks.data,
                holiday_rule=form.holiday_rule.data,
                skip_year_end=form.skip_year_end.data,
                is_course=form.is_course.data,
            )
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            if created:
                flash(_("Series “%(title)s” added.", title=series.title), "success")
            else:
                flash(_("This series was already added; nothing was added twice."), "info")
            return redirect(
                url_for(
                    "sessions.index",
                    ward=ward.slug,
                    series=series.id,
                    date_from=series.first_date.isoformat(),
                )
            )
    return render_template(
        "sessions/form.html", ward=ward, form=form, mode="series", plan=plan
    ), form_status(form)


@bp.route("/manage/<ward>/series/plan")
@require(*STAFF_ROLES)
def series_plan(ward: Ward):
    """The dates a series would have, for the form to show beside its fields as they change."""
    form = SeriesForm([], formdata=request.args, meta={"csrf": False})
    plan = _plan(form) if form.plan_valid() else None
    wrong = [f"{form[name].label.text}: {error}" for name in form.PLAN_FIELDS
             for error in form[name].errors]  # fmt: skip
    return render_template("sessions/_plan.html", plan=plan, wrong=wrong)


def _history(session: Session) -> list[AuditLog]:
    return list(
        db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.target_type == Session.__tablename__, AuditLog.target_id == session.id)
            .order_by(AuditLog.id.desc())
            .limit(50)
        )
    )


@bp.route("/manage/<ward>/sessions/<int:session_id>")
@require(*STAFF_ROLES)
def detail(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    roster = volunteer_queries.roster(session)
    on_roster = {shift.user_id for shift in roster}
    seated, waiting = resident_queries.booking_counts([session.id]).get(session.id, (0, 0))
    return render_template(
        "sessions/detail.html",
        ward=ward,
        session=session,
        seated=seated,
        waiting=waiting,
        sees_residents=may_see_residents(current_user, ward),
        history=_history(session),
        held_form=HeldForm.of(session),
        course_form=(
            CourseForm.of(session.series)
            if session.series and session.kind == SessionKind.CLASS
            else None
        ),
        course_part=courses.course_part(session),
        has_started=session.starts_dt <= clock.now(),
        roster=roster,
        assign_form=AssignForm(
            [v for v in volunteer_services.volunteers_of_ward(ward) if v.id not in on_roster]
        ),
        attendance_forms={shift.id: AttendanceForm.of(shift) for shift in roster},
        covering=cover_queries.open_requests_of_shifts([shift.id for shift in roster]),
        ShiftRole=ShiftRole,
    )


@bp.route("/manage/<ward>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def edit(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    venues = list_venues(ward)
    form = EditSessionForm.of(session, venues)
    if form.validate_on_submit():
        try:
            services.update_session(
                current_user,
                session,
                form.draft(),
                reason=form.reason.data or "",
                scope=form.scope.data,
            )
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("sessions.detail", ward=ward.slug, session_id=session.id))
    return render_template(
        "sessions/form.html", ward=ward, form=form, mode="edit", session=session
    ), form_status(form)


@bp.route("/manage/<ward>/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def cancel(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancelled = services.cancel_session(
                current_user, session, form.reason.data, scope=form.scope.data
            )
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("%(count)d session(s) cancelled.", count=len(cancelled)), "success")
            return redirect(url_for("sessions.detail", ward=ward.slug, session_id=session.id))
    seated, waiting = resident_queries.booking_counts([session.id]).get(session.id, (0, 0))
    return render_template(
        "sessions/cancel.html",
        ward=ward,
        session=session,
        form=form,
        seated=seated,
        waiting=waiting,
    ), form_status(form)


@bp.route("/manage/<ward>/series/<int:series_id>/course", methods=["POST"])
@require(*STAFF_ROLES)
def mark_course(ward: Ward, series_id: int):
    series = get_in_ward_or_404(Series, series_id, ward)
    form = CourseForm.of(series)
    run_button(
        form,
        lambda: courses.mark_course(current_user, series, form.is_course.data),
        lambda changed: _("Saved.") if changed else _("Nothing was changed."),
    )
    return redirect_back(url_for("sessions.index", ward=ward.slug, series=series.id))


@bp.route("/manage/<ward>/sessions/<int:session_id>/held", methods=["POST"])
@require(*STAFF_ROLES)
def mark_held(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    form = HeldForm.of(session)
    if form.validate_on_submit():
        try:
            services.mark_held(current_user, session, form.headcount.data)
        except RuleViolation as violation:
            flash_violation(violation)
        else:
            db.session.commit()
            flash(_("Recorded as held."), "success")
    else:
        flash_errors(form)
    return redirect(url_for("sessions.detail", ward=ward.slug, session_id=session.id))


@bp.route("/manage/<ward>/calendar")
@require(*STAFF_ROLES)
def calendar(ward: Ward):
    """A month (Sunday to Saturday, as Japanese calendars run) or, for a tablet, a week."""
    view = "week" if request.args.get("view") == "week" else "month"
    anchor = plausible_date(request.args.get("date", "")) or clock.today()
    if view == "week":
        first = anchor - timedelta(days=(anchor.weekday() + 1) % 7)
        weeks = [[first + timedelta(days=offset) for offset in range(7)]]
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        first = anchor.replace(day=1)
        weeks = month_calendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
        previous = (first - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    days = [day for week in weeks for day in week]
    by_day: dict[date, list[Session]] = {day: [] for day in days}
    for session in queries.sessions_between(ward.id, days[0], days[-1]):
        by_day[clock.to_local(session.starts_dt).date()].append(session)
    return render_template(
        "sessions/calendar.html",
        ward=ward,
        view=view,
        anchor=first,
        asked=anchor,
        weeks=weeks,
        by_day=by_day,
        closed=services.closed_days(days[0], days[-1]),
        previous=previous,
        following=following,
        today=clock.today(),
    )
