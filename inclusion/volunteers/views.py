from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from inclusion import clock
from inclusion.audit.services import record_view
from inclusion.auth.access import require
from inclusion.auth.models import Role, User
from inclusion.caching import pages
from inclusion.cover import queries as cover_queries
from inclusion.csvfile import decode, read_rows
from inclusion.db import writes_on_read
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import ButtonForm, plausible_date
from inclusion.i18n import local_datetime
from inclusion.phones import display_phone
from inclusion.residents.queries import LeadListEntry, family_names_by_session
from inclusion.sessions.models import Session, Topic
from inclusion.sessions.queries import Cursor
from inclusion.venues.services import list_venues
from inclusion.volunteers import pool as volunteer_pool
from inclusion.volunteers import queries, roster, services
from inclusion.volunteers.forms import (
    AssignForm,
    AttendanceForm,
    ImportForm,
    ProfileForm,
    ShiftFilterForm,
    TrainingForm,
)
from inclusion.volunteers.models import KNOWN_COURSES, SKILL_LABELS, Shift, ShiftRole, ShiftStatus
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import (
    ConfirmFirst,
    attachment,
    confirm_first,
    flash_errors,
    flash_violation,
    form_status,
    get_in_ward_or_404,
    run_button,
    show_violation,
)

bp = Blueprint("volunteers", __name__)


# -- the volunteer's own pages --------------------------------------------------------------


@bp.route("/shifts")
@require(Role.VOLUNTEER)
def open_shifts():
    profile = services.shown_profile(current_user)
    in_pool = volunteer_pool.pool_ward_ids(profile)
    pool_wards = [ward for ward in list_wards() if ward.id in in_pool] if in_pool else []
    helped = [*profile.wards, *pool_wards]
    # Without wards of their own, any ward's change (a first profile) is theirs to see.
    wards = helped or list_wards()
    return pages.serve(wards, lambda: _render_open_shifts(profile, helped, in_pool))


def _render_open_shifts(profile, wards, in_pool: set[int]):
    venues = [venue for ward in wards for venue in list_venues(ward, active_only=True)]
    form = ShiftFilterForm(wards, venues, formdata=request.args)
    form.validate()
    filters = queries.ShiftFilter(
        ward_ids=[ward.id for ward in profile.wards],
        pool_ward_ids=sorted(in_pool),
        volunteer_id=current_user.id,
        ward_id=form.value("ward"),
        venue_id=form.value("venue"),
        role=ShiftRole(form.value("role")) if form.value("role") else None,
        topic=Topic(form.value("topic")) if form.value("topic") else None,
        date_from=form.value("date_from"),
        date_to=form.value("date_to"),
    )
    after = Cursor.parse(request.args.get("after"))
    rows, next_cursor = queries.open_shifts(filters, after)
    next_args = {**request.args.to_dict(), "after": str(next_cursor)} if next_cursor else None
    return render_template(
        "volunteers/open_shifts.html",
        rows=rows,
        form=form,
        profile=profile,
        next_args=next_args,
        button_form=ButtonForm(),
    )


@bp.route("/shifts/<int:session_id>/claim", methods=["POST"])
@require(Role.VOLUNTEER)
def claim(session_id: int):
    session = db.get_or_404(Session, session_id)
    form = ButtonForm()
    role = request.form.get("role", "")
    if form.validate_on_submit() and role in {r.value for r in ShiftRole}:
        try:
            services.claim_shift(current_user, session, ShiftRole(role))
        except RuleViolation as violation:
            db.session.rollback()
            flash_violation(violation)
            return redirect(url_for("volunteers.open_shifts"))
        db.session.commit()
        flash(_("You are signed up for “%(title)s”.", title=session.title), "success")
        return redirect(url_for("volunteers.my_shifts"))
    abort(400)


@bp.route("/me/shifts")
@require(Role.VOLUNTEER)
@writes_on_read
def my_shifts():
    upcoming = queries.shifts_of(current_user.id, upcoming=True)
    past = queries.shifts_of(current_user.id, upcoming=False)
    names = _lead_lists(upcoming)
    shift_ids = [shift.id for shift in upcoming]
    page = render_template(
        "volunteers/my_shifts.html",
        upcoming=upcoming,
        past=past,
        names=names,
        covering=cover_queries.open_requests_of_shifts(shift_ids),
        swapping=cover_queries.pending_swaps_of_shifts(shift_ids),
        total_minutes=sum(shift.minutes for shift in past),
        cutoff=services.release_cutoff,
        now=clock.now(),
        button_form=ButtonForm(),
    )
    for session_id, listed in names.items():
        if listed:
            session = db.session.get(Session, session_id)
            record_view("resident.lead_list", session, session.ward,
                        [entry.resident_id for entry in listed])  # fmt: skip
    return page


def _lead_lists(upcoming: list[Shift]) -> dict[int, list[LeadListEntry]]:
    """Today's sessions the volunteer leads: who is booked (family names only), if allowed."""
    if not current_app.config["LEAD_SEES_RESIDENT_NAMES"]:
        return {}
    today = [
        shift.session_id
        for shift in upcoming
        if shift.role == ShiftRole.LEAD
        and shift.status == ShiftStatus.CLAIMED
        and not shift.session.is_cancelled
        and clock.to_local(shift.session.starts_dt).date() == clock.today()
    ]
    return family_names_by_session(today)


@bp.route("/me/shifts/<int:shift_id>/release", methods=["POST"])
@require(Role.VOLUNTEER)
def release(shift_id: int):
    shift = db.get_or_404(Shift, shift_id)
    if shift.user_id != current_user.id:
        abort(404)
    if ButtonForm().validate_on_submit():
        confirm_first(lambda: ConfirmFirst(
            _("Stop helping at “%(title)s”?", title=shift.session.title),
            _("You will no longer be on “%(title)s” on %(when)s; the ward's staff see that "
              "the session needs someone else.", title=shift.session.title,
              when=local_datetime(shift.session.starts_dt)),
            _("Yes, stop helping"),
        ))  # fmt: skip
        try:
            services.release_shift(current_user, shift)
        except RuleViolation as violation:
            flash_violation(violation)
        else:
            db.session.commit()
            flash(
                _("You are no longer signed up for “%(title)s”.", title=shift.session.title),
                "success",
            )
    return redirect(url_for("volunteers.my_shifts"))


@bp.route("/me/shifts.csv")
@require(Role.VOLUNTEER)
def my_hours_csv():
    shifts = queries.attended_shifts(
        None,
        current_user.id,
        plausible_date(request.args.get("from", "")),
        plausible_date(request.args.get("to", "")),
    )
    return attachment(roster.hours_csv(shifts), "volunteer-hours.csv")


@bp.route("/me/profile", methods=["GET", "POST"])
@require(Role.VOLUNTEER)
def profile():
    volunteer = current_user._get_current_object()
    form = ProfileForm.of(volunteer, list_wards())
    form.show_distances(services.shown_profile(volunteer))
    if form.validate_on_submit():
        try:
            services.update_profile(volunteer, volunteer, form.profile_data())
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("volunteers.profile"))
    return render_template("volunteers/profile.html", form=form), form_status(form)


# -- staff pages ------------------------------------------------------------------------------


def _volunteer_in_ward_or_404(ward: Ward, user_id: int) -> User:
    volunteer = db.get_or_404(User, user_id)
    profile = volunteer.volunteer_profile
    if volunteer.role != Role.VOLUNTEER or profile is None or ward not in profile.wards:
        abort(404)
    return volunteer


@bp.route("/manage/<ward>/volunteers")
@require(*STAFF_ROLES)
def ward_volunteers(ward: Ward):
    volunteers = services.volunteers_of_ward(ward)
    trained = services.trained_levels([volunteer.id for volunteer in volunteers], clock.today())
    return render_template(
        "volunteers/ward_list.html", ward=ward, volunteers=volunteers, trained=trained
    )


def _detail_page(ward: Ward, volunteer: User, form: TrainingForm):
    return render_template(
        "volunteers/detail.html",
        ward=ward,
        volunteer=volunteer,
        profile=volunteer.volunteer_profile,
        mobile=display_phone(volunteer.volunteer_profile.mobile_e164),
        records=services.training_records(volunteer),
        upcoming=queries.shifts_of(volunteer.id, upcoming=True),
        past=queries.shifts_of(volunteer.id, upcoming=False),
        form=form,
        known_courses=KNOWN_COURSES,
        skill_labels=SKILL_LABELS,
        today=clock.today(),
    ), form_status(form)


@bp.route("/manage/<ward>/volunteers/<int:user_id>")
@require(*STAFF_ROLES)
def volunteer_detail(ward: Ward, user_id: int):
    return _detail_page(ward, _volunteer_in_ward_or_404(ward, user_id), TrainingForm())


@bp.route("/manage/<ward>/volunteers/<int:user_id>/training", methods=["POST"])
@require(*STAFF_ROLES)
def add_training(ward: Ward, user_id: int):
    volunteer = _volunteer_in_ward_or_404(ward, user_id)
    form = TrainingForm()
    if form.validate_on_submit():
        try:
            services.add_training(
                current_user,
                volunteer,
                course=form.course.data,
                level=services.TrainingLevel(form.level.data),
                completed_on=form.completed_on.data,
                expires_on=form.expires_on.data,
                certificate_ref=form.certificate_ref.data or "",
            )
        except RuleViolation as violation:
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Training record added."), "success")
            return redirect(
                url_for("volunteers.volunteer_detail", ward=ward.slug, user_id=user_id)
            )
    return _detail_page(ward, volunteer, form)


@bp.route("/manage/<ward>/sessions/<int:session_id>/shifts", methods=["POST"])
@require(*STAFF_ROLES)
def assign(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    form = AssignForm(services.volunteers_of_ward(ward))
    if form.validate_on_submit():
        volunteer = form.volunteers[form.volunteer.data]
        try:
            services.claim_shift(volunteer, session, ShiftRole(form.role.data), actor=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            flash_violation(violation)
        else:
            db.session.commit()
            flash(_("%(name)s is assigned.", name=volunteer.display_name), "success")
    else:
        flash(_("Choose a volunteer and a role."), "error")
    return redirect(url_for("sessions.detail", ward=ward.slug, session_id=session.id))


def _shift_in_ward_or_404(ward: Ward, shift_id: int) -> Shift:
    shift = db.get_or_404(Shift, shift_id)
    if shift.session.ward_id != ward.id:
        abort(404)
    return shift


@bp.route("/manage/<ward>/shifts/<int:shift_id>/release", methods=["POST"])
@require(*STAFF_ROLES)
def unassign(ward: Ward, shift_id: int):
    shift = _shift_in_ward_or_404(ward, shift_id)
    if ButtonForm().validate_on_submit():
        confirm_first(lambda: ConfirmFirst(
            _("Take %(name)s off this session?", name=shift.volunteer.display_name),
            _("%(name)s will no longer be on “%(title)s” on %(when)s; their calendar and "
              "reminders change with it.", name=shift.volunteer.display_name,
              title=shift.session.title, when=local_datetime(shift.session.starts_dt)),
            _("Yes, take them off"),
        ))  # fmt: skip
        try:
            short = services.release_shift(current_user, shift)
        except RuleViolation as violation:
            flash_violation(violation)
        else:
            db.session.commit()
            flash(
                _("%(name)s is no longer on this session.", name=shift.volunteer.display_name),
                "success",
            )
            if short:
                flash(_("This session is now short of volunteers."), "error")
    return redirect(url_for("sessions.detail", ward=ward.slug, session_id=shift.session_id))


@bp.route("/manage/<ward>/shifts/<int:shift_id>/attendance", methods=["POST"])
@require(*STAFF_ROLES)
def attendance(ward: Ward, shift_id: int):
    shift = _shift_in_ward_or_404(ward, shift_id)
    form = AttendanceForm.of(shift)
    if form.validate_on_submit():
        try:
            services.record_attendance(
                current_user, shift, form.attended.data == "yes", form.minutes.data
            )
        except RuleViolation as violation:
            flash_violation(violation)
        else:
            db.session.commit()
            flash(_("Attendance recorded."), "success")
    else:
        flash_errors(form)
    return redirect(url_for("sessions.detail", ward=ward.slug, session_id=shift.session_id))


@bp.route("/manage/<ward>/volunteers/hours.csv")
@require(*STAFF_ROLES)
def ward_hours_csv(ward: Ward):
    shifts = queries.attended_shifts(
        ward.id,
        None,
        plausible_date(request.args.get("from", "")),
        plausible_date(request.args.get("to", "")),
    )
    return attachment(roster.hours_csv(shifts), f"volunteer-hours-{ward.slug}.csv")


@bp.route("/manage/<ward>/volunteers/import", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def import_roster(ward: Ward):
    form = ImportForm()
    result = None
    imported = False
    if form.validate_on_submit():
        try:
            text = decode(form.roster.data.read())
            result = roster.check_roster(read_rows(text, roster.REQUIRED), ward)
        except (RuleViolation, UnicodeDecodeError) as error:
            form.roster.errors.append(
                str(error)
                if isinstance(error, RuleViolation)
                else _("The file is not a CSV text file.")
            )
        else:
            if result.bad and not form.skip_bad.data:
                db.session.rollback()
            else:
                refused_before = len(result.bad)
                roster.import_roster(current_user, result)
                flash(
                    _("%(created)d volunteers added, %(updated)d updated.",
                      created=result.created, updated=result.updated),
                    "success",
                )  # fmt: skip
                if len(result.bad) > refused_before:
                    flash(_("Some rows could not be written; they are listed below."), "error")
                imported = True
    return render_template(
        "volunteers/import.html", ward=ward, form=form, result=result, columns=roster.COLUMNS
    ), (422 if form.errors or (result and result.bad and not imported) else 200)


# -- the pool ----------------------------------------------------------------------------------


@bp.route("/manage/<ward>/sessions/<int:session_id>/pool", methods=["POST"])
@require(*STAFF_ROLES)
def pool(ward: Ward, session_id: int):
    """Open a session's places to volunteers of other wards in the pool, or close them."""
    session = get_in_ward_or_404(Session, session_id, ward)
    is_open = request.form.get("open") == "1"
    run_button(
        ButtonForm(),
        lambda: volunteer_pool.open_to_pool(current_user, session, is_open),
        _("Volunteers of other wards in the pool can now take these places.")
        if is_open
        else _("Only this ward's volunteers can take these places now."),
    )
    return redirect(url_for("sessions.detail", ward=ward.slug, session_id=session.id))


@bp.route("/manage/<ward>/pool/<int:user_id>")
@require(*STAFF_ROLES)
@writes_on_read
def pool_card(ward: Ward, user_id: int):
    """What a volunteer of another ward agreed to share with this one's staff: their name,
    and their skills and contact if they chose; nothing else of their record."""
    volunteer = db.get_or_404(User, user_id)
    profile = volunteer.volunteer_profile
    shifts = queries.pool_shifts_in(ward.id, user_id)
    if profile is None or not (shifts or queries.offered_in(ward.id, user_id)):
        abort(404)
    page = render_template(
        "volunteers/pool_card.html",
        ward=ward,
        volunteer=volunteer,
        profile=profile,
        mobile=display_phone(profile.mobile_e164) if profile.pool_shares_contact else None,
        shifts=shifts,
        skill_labels=SKILL_LABELS,
    )
    record_view("volunteer.pool_card", volunteer, ward)
    return page


@bp.route("/manage/<ward>/volunteers/elsewhere")
@require(*STAFF_ROLES)
def elsewhere(ward: Ward):
    """Where this ward's volunteers help in other wards, and their hours there."""
    shifts = queries.shifts_elsewhere(ward.id)
    return render_template(
        "volunteers/elsewhere.html",
        ward=ward,
        shifts=shifts,
        total_minutes=sum(shift.minutes for shift in shifts),
    )
