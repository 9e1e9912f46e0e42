from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion.audit.services import record_view
from inclusion.auth.access import require
from inclusion.auth.models import Role, User
from inclusion.db import writes_on_read
from inclusion.extensions import db
from inclusion.home.services import ward_day
from inclusion.residents.views import may_see_residents
from inclusion.wards.forms import CoverRulesForm, WardContactForm
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards, update_cover_rules, update_ward_contact
from inclusion.web import form_status, run_form

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
@writes_on_read
def overview(ward: Ward):
    """The ward's home: its day, what needs doing, and where to do it."""
    day = ward_day(ward)
    sees_residents = may_see_residents(current_user, ward)
    people = db.session.execute(
        sa.select(User.role, User.display_name, User.is_active)
        .where(User.ward_id == ward.id, User.role.in_([Role.WARD_STAFF, Role.INTEGRATION]))
        .order_by(User.role, User.display_name)
    ).all()
    page = render_template(
        "home/ward.html",
        ward=ward,
        day=day,
        sees_residents=sees_residents,
        staff=[person for person in people if person.role == Role.WARD_STAFF],
        integrations=[person for person in people if person.role == Role.INTEGRATION],
    )
    shown = [reminder.resident_id for reminder in day.unreached]
    if sees_residents and any(shown):
        record_view("reminder.log", None, ward, shown)
    return page


@bp.route("/manage/<ward>/settings/cover", methods=["POST"])
@require(*STAFF_ROLES)
def cover_rules(ward: Ward):
    form = CoverRulesForm.of(ward)
    saved = run_form(
        form,
        lambda: update_cover_rules(
            current_user, ward, bool(form.swaps_need_approval.data), form.cover_alert_hours.data
        ),
        _(
            "Saved. The alert time applies to the requests still open too; approval, to "
            "swaps not yet agreed."
        ),
    )
    if saved:
        return redirect(url_for("wards.settings", ward=ward.slug))
    return _settings_page(ward, WardContactForm.of(ward, formdata=None), form)


def _settings_page(ward: Ward, form: WardContactForm, cover_form: CoverRulesForm):
    status = max(form_status(form), form_status(cover_form))
    return render_template(
        "wards/settings.html", ward=ward, form=form, cover_form=cover_form
    ), status


@bp.route("/manage/<ward>/settings", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def settings(ward: Ward):
    form = WardContactForm.of(ward)
    saved = run_form(
        form,
        lambda: update_ward_contact(
            current_user,
            ward,
            form.booking_phone.data or "",
            form.booking_hours.data or "",
            form.booking_counter.data or "",
        ),
        _("Saved. The public page shows the new details."),
    )
    if saved:
        return redirect(url_for("wards.overview", ward=ward.slug))
    return _settings_page(ward, form, CoverRulesForm.of(ward, formdata=None))
