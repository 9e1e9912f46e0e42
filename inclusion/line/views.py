"""Staff link a resident's LINE from the resident's page: a code to give them (read out,
printed, or as a QR code), and removing a link."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion.audit.services import record_view
from inclusion.auth.access import require
from inclusion.db import writes_on_read
from inclusion.forms import ButtonForm
from inclusion.line import services
from inclusion.line.accounts import account_for
from inclusion.line.models import Unlinked
from inclusion.line.queries import active_link, open_code
from inclusion.residents.models import Resident
from inclusion.residents.views import RESIDENT_ROLES
from inclusion.wards.models import Ward
from inclusion.web import ConfirmFirst, get_in_ward_or_404, qr_code, run_button

bp = Blueprint("line_links", __name__)


def _back(ward: Ward, resident: Resident):
    return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))


@bp.route("/manage/<ward>/residents/<int:resident_id>/line/code", methods=["POST"])
@require(*RESIDENT_ROLES)
def new_code(ward: Ward, resident_id: int):
    """A new code (an older one stops working), then the page that shows it."""
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    made = run_button(
        ButtonForm(),
        lambda: services.issue_code(current_user, resident),
        _("A new LINE code was made; an older one no longer works."),
    )
    if made is None:
        return _back(ward, resident)
    return redirect(url_for("line_links.code", ward=ward.slug, resident_id=resident.id))


@bp.route("/manage/<ward>/residents/<int:resident_id>/line/code")
@require(*RESIDENT_ROLES)
@writes_on_read
def code(ward: Ward, resident_id: int):
    """The code that works now: to read out, to print, or to scan; shown again on reload."""
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    issued = open_code(resident)
    account = account_for(ward)
    if issued is None or account is None:
        return _back(ward, resident)
    url = account.message_url(issued.code)
    page = render_template(
        "line/code.html",
        ward=ward,
        resident=resident,
        issued=issued,
        account=account,
        url=url,
        qr_code=qr_code(url, _("QR code that opens the ward's LINE account")),
    )
    record_view("resident.view", resident, ward)
    return page


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
