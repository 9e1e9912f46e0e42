"""Staff link a resident's LINE from the resident's page: a code to give them (read out,
printed, or as a QR code), and removing a link."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion.audit.services import record_view
from inclusion.auth.access import require
from inclusion.db import writes_on_read
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.line import services
from inclusion.line.models import Unlinked
from inclusion.line.queries import active_link
from inclusion.residents.models import Resident
from inclusion.residents.views import RESIDENT_ROLES
from inclusion.wards.models import Ward
from inclusion.web import (
    ConfirmFirst,
    flash_errors,
    flash_violation,
    get_in_ward_or_404,
    qr_code,
    run_button,
)

bp = Blueprint("line_links", __name__)


def _back(ward: Ward, resident: Resident):
    return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))


@bp.route("/manage/<ward>/residents/<int:resident_id>/line/code", methods=["POST"])
@require(*RESIDENT_ROLES)
def code(ward: Ward, resident_id: int):
    """A new code, shown once: to read out, to print, or to scan."""
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    form = ButtonForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return _back(ward, resident)
    try:
        issued = services.issue_code(current_user, resident)
    except RuleViolation as violation:
        db.session.rollback()
        flash_violation(violation)
        return _back(ward, resident)
    record_view("resident.view", resident, ward)
    db.session.commit()
    return render_template(
        "line/code.html",
        ward=ward,
        resident=resident,
        issued=issued,
        qr_code=qr_code(issued.url, _("QR code that opens the ward's LINE account")),
    )


@bp.route("/manage/<ward>/residents/<int:resident_id>/line/unlink", methods=["POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def unlink(ward: Ward, resident_id: int):
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    link = active_link(resident.id)
    if link is None:
        return _back(ward, resident)
    run_button(
        ButtonForm(),
        lambda: services.unlink(current_user, link, Unlinked.STAFF),
        _("The LINE link was removed. Messages go by SMS or phone call again."),
        ask=lambda: ConfirmFirst(
            _("Remove %(name)s's LINE link?", name=resident.name),
            _("Messages to %(name)s go by SMS or phone call from now, including those "
              "already planned. To link LINE again, give them a new code.", name=resident.name),
            _("Yes, remove the link"),
            ward=ward, residents=(resident.id,),
        ),
    )  # fmt: skip
    return _back(ward, resident)
