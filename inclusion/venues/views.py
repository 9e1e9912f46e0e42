from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion.auth.access import require
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.venues import services
from inclusion.venues.forms import VenueForm
from inclusion.venues.models import Venue
from inclusion.wards.models import Ward
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import form_status, get_in_ward_or_404, show_violation

bp = Blueprint("venues", __name__, url_prefix="/manage/<ward>/venues")


@bp.route("")
@require(*STAFF_ROLES)
def index(ward: Ward):
    return render_template("venues/index.html", ward=ward, venues=services.list_venues(ward))


@bp.route("/new", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def create(ward: Ward):
    form = VenueForm()
    if form.validate_on_submit():
        try:
            venue = services.create_venue(current_user, ward, form.venue_data())
        except RuleViolation as violation:
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Venue %(name)s added.", name=venue.name), "success")
            return redirect(url_for("venues.index", ward=ward.slug))
    return render_template("venues/form.html", ward=ward, form=form, venue=None), form_status(form)


@bp.route("/<int:venue_id>", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def edit(ward: Ward, venue_id: int):
    venue = get_in_ward_or_404(Venue, venue_id, ward)
    form = VenueForm.of(venue)
    if form.validate_on_submit():
        try:
            services.update_venue(current_user, venue, form.venue_data())
        except RuleViolation as violation:
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Venue %(name)s saved.", name=venue.name), "success")
            return redirect(url_for("venues.index", ward=ward.slug))
    return render_template("venues/form.html", ward=ward, form=form, venue=venue), form_status(
        form
    )
