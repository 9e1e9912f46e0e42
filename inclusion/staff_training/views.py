"""Staff training pages: the trainings to come (enrol, give up a place), adding one, a
training's list and attendance, and each ward's progress with who still must complete the
mandatory course."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from inclusion import clock
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.staff_training import queries, services
from inclusion.staff_training.forms import EVERY_WARD, AddStaffForm, TrainingForm
from inclusion.staff_training.models import StaffCourse, StaffEnrolment, StaffTraining
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import ConfirmFirst, form_status, run_button, run_form

bp = Blueprint("staff_training", __name__)


def _training_or_404(training_id: int) -> StaffTraining:
    """A training the user may see: every ward's, or their own ward's."""
    training = db.session.get(StaffTraining, training_id)
    if training is None:
        abort(404)
    if (
        training.ward_id is not None
        and not current_user.role.sees_all_wards
        and (training.ward_id != current_user.ward_id)
    ):
        abort(404)
    return training


@bp.route("/staff-training")
@require(*STAFF_ROLES)
def index():
    """Trainings to come, with one's own places."""
    trainings = queries.upcoming(current_user)
    held = queries.recently_held(current_user)
    return render_template(
        "staff_training/index.html", trainings=trainings, held=held, form=ButtonForm(),
        now=clock.now(),
        taken=queries.places_taken([training.id for training in [*trainings, *held]]),
        mine=queries.places_of(current_user),
    )  # fmt: skip


@bp.route("/staff-training/new", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def new():
    form = TrainingForm()
    wards = list_wards()
    if current_user.role.sees_all_wards:
        form.ward.choices = [SelectChoice(EVERY_WARD, _("Every ward (the 23 wards' office)"))] + [
            SelectChoice(ward.id, ward.name) for ward in wards
        ]
    else:
        form.ward.choices = [SelectChoice(current_user.ward_id, current_user.ward.name)]
    chosen = {ward.id: ward for ward in wards}.get(form.ward.data)

    def create():
        if chosen is None and form.ward.data != EVERY_WARD:
            raise RuleViolation(_("Choose a ward, or every ward."), "ward")
        return services.create_training(
            current_user,
            services.TrainingDraft(
                StaffCourse(form.course.data),
                form.title.data or "",
                chosen,
                form.place.data or "",
                form.day.data,
                form.starts.data,
                form.ends.data,
                form.capacity.data,
            ),
        )

    saved = run_form(
        form,
        create,
        lambda training: _("“%(title)s” is added.", title=training.title),
    )  # fmt: skip
    if saved:
        return redirect(url_for("staff_training.detail", training_id=saved.result.id))
    return render_template("staff_training/new.html", form=form), form_status(form)


@bp.route("/staff-training/<int:training_id>")
@require(*STAFF_ROLES)
def detail(training_id: int):
    training = _training_or_404(training_id)
    organiser = services.may_organise(current_user, training.ward)
    return render_template(
        "staff_training/detail.html", training=training, organiser=organiser, form=ButtonForm(),
        add_form=AddStaffForm(),
        enrolments=queries.enrolments_of(training) if organiser else [],
        taken=queries.places_taken([training.id]).get(training.id, 0),
        mine=queries.places_of(current_user).get(training.id), now=clock.now(),
    )  # fmt: skip


def _back(training: StaffTraining):
    """Back to the list the button was pressed on, or to the training's page."""
    if request.form.get("next") == "list":
        return redirect(url_for("staff_training.index"))
    return redirect(url_for("staff_training.detail", training_id=training.id))


@bp.route("/staff-training/<int:training_id>/enrol", methods=["POST"])
@require(Role.WARD_STAFF)
def enrol(training_id: int):
    training = _training_or_404(training_id)
    run_button(ButtonForm(), lambda: services.enrol(current_user, training),
               _("You have a place at “%(title)s”.", title=training.title))  # fmt: skip
    return _back(training)


@bp.route("/staff-training/<int:training_id>/leave", methods=["POST"])
@require(Role.WARD_STAFF)
def leave(training_id: int):
    training = _training_or_404(training_id)
    place = queries.places_of(current_user).get(training.id)
    if place is None:
        abort(404)
    run_button(ButtonForm(), lambda: services.leave(current_user, place),
               _("Your place at “%(title)s” is given up.", title=training.title))  # fmt: skip
    return _back(training)


@bp.route("/staff-training/<int:training_id>/cancel", methods=["POST"])
@require(*STAFF_ROLES)
def cancel(training_id: int):
    training = _training_or_404(training_id)
    run_button(
        ButtonForm(),
        lambda: services.cancel_training(current_user, training),
        _("The training is cancelled; its places are given up."),
        ask=lambda: ConfirmFirst(
            _("Cancel “%(title)s”?", title=training.title),
            _("Every place at it is given up; tell those enrolled. This cannot be undone."),
            _("Yes, cancel the training"),
        ),
    )
    return _back(training)


@bp.route("/staff-training/<int:training_id>/places/<int:place_id>", methods=["POST"])
@require(*STAFF_ROLES)
def attendance(training_id: int, place_id: int):
    training = _training_or_404(training_id)
    enrolment = db.session.get(StaffEnrolment, place_id)
    if enrolment is None or enrolment.training_id != training.id:
        abort(404)
    answer = request.form.get("attended")

    def record():
        if answer not in ("yes", "no"):
            raise RuleViolation(_("Choose attended or did not attend."))
        return services.record_attendance(current_user, enrolment, answer == "yes")

    run_button(ButtonForm(), record, _("Attendance is recorded."))
    return _back(training)


@bp.route("/staff-training/<int:training_id>/add", methods=["POST"])
@require(*STAFF_ROLES)
def add_staff(training_id: int):
    """An organiser gives a staff member a place, by their e-mail address."""
    training = _training_or_404(training_id)
    form = AddStaffForm()
    run_button(form, lambda: services.enrol_staff(current_user, training, form.email.data or ""),
               lambda place: _("%(name)s has a place.", name=place.user.display_name))  # fmt: skip
    return _back(training)


@bp.route("/manage/<ward>/staff-training")
@require(*STAFF_ROLES)
def ward_progress(ward: Ward):
    """The ward's staff and the courses they completed; who still must take the mandatory
    one comes first."""
    staff = queries.ward_progress(ward)
    return render_template(
        "staff_training/ward.html", ward=ward, staff=staff, counts=queries.ward_counts(ward),
        not_yet=[person for person in staff if not person.literacy],
    )  # fmt: skip
