from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion import clock
from inclusion.auth.access import require
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.reminders.services import count_waiting_replies, wards_missing_phone
from inclusion.residents.queries import count_due_follow_ups
from inclusion.wards.forms import WardContactForm
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards, update_ward_contact
from inclusion.web import form_status

bp = Blueprint("wards", __name__)

STAFF_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.WARD_STAFF)


@bp.route("/wards")
@require(Role.ADMIN, Role.COORDINATOR)
def index():
    staff_counts = dict(
        db.session.execute(
            sa.select(User.ward_id, sa.func.count())
            .where(User.role == Role.WARD_STAFF, User.is_active)
            .group_by(User.ward_id)
        ).all()
    )
    return render_template("wards/index.html", wards=list_wards(), staff_counts=staff_counts)


@bp.route("/manage/<ward>")
@require(*STAFF_ROLES)
def overview(ward: Ward):
    staff = db.session.scalars(
        sa.select(User).where(User.ward_id == ward.id).order_by(User.display_name)
    ).all()
    # A count, not names: coordinators see this page too.
    due_calls = count_due_follow_ups(ward, clock.today())
    return render_template(
        "wards/overview.html",
        ward=ward,
        staff=staff,
        due_calls=due_calls,
        waiting_replies=count_waiting_replies(ward),
        missing_phone=bool(wards_missing_phone(ward)),
    )


@bp.route("/manage/<ward>/settings", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def settings(ward: Ward):
    form = WardContactForm.of(ward)
    if form.validate_on_submit():
        update_ward_contact(
            current_user,
            ward,
            form.booking_phone.data or "",
            form.booking_hours.data or "",
            form.booking_counter.data or "",
        )
        db.session.commit()
        flash(_("Saved. The public page shows the new details."), "success")
        return redirect(url_for("wards.overview", ward=ward.slug))
    return render_template("wards/settings.html", ward=ward, form=form), form_status(form)
