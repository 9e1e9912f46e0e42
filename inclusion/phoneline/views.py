"""Staff's side of the phone line: its calls and figures, where callers are put through,
and confirming a caller who booked without being on record."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion import clock
from inclusion.audit.services import record_view
from inclusion.auth.access import require
from inclusion.db import writes_on_read
from inclusion.forms import ButtonForm
from inclusion.phoneline import figures, queries, services
from inclusion.phoneline.forms import PhoneLineForm
from inclusion.residents.models import Resident
from inclusion.residents.views import RESIDENT_ROLES
from inclusion.targets.metrics import Scope
from inclusion.wards.models import Ward
from inclusion.web import form_status, get_in_ward_or_404, public_url, run_button, run_form

bp = Blueprint("phoneline_staff", __name__)


@bp.route("/manage/<ward>/phone-line", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def calls(ward: Ward):
    """The ward's phone line: how to connect it, where callers are put through, its latest
    calls and this year's figures."""
    form = PhoneLineForm.of(ward)
    saved = run_form(
        form,
        lambda: services.update_phone_line(
            current_user, ward, form.forward_phone.data or "", form.desk_opens.data,
            form.desk_closes.data,
        ),
        _("Saved."),
    )  # fmt: skip
    if saved:
        return redirect(url_for("phoneline_staff.calls", ward=ward.slug))
    scope = Scope(clock.fiscal_year(clock.today()), ward_ids=(ward.id,))
    shown = queries.recent_calls(ward)
    page = render_template(
        "phoneline/calls.html",
        ward=ward,
        form=form,
        calls=shown,
        figures=figures.line_figures(scope).of(ward.id),
        by_day=figures.line_calls_by_day(scope),
        drop_outs=figures.drop_outs(scope).get(ward.id, []),
        step_labels=figures.STEP_LABELS,
        incoming_url=public_url("phoneline.incoming", ward=ward.slug),
        status_url=public_url("phoneline.status", ward=ward.slug),
        desk_open=services.desk_open(ward),
    )
    record_view("phone_line.list", None, ward,
                [call.resident_id for call in shown if call.resident_id])  # fmt: skip
    return page, form_status(form)


@bp.route("/manage/<ward>/residents/<int:resident_id>/confirm", methods=["POST"])
@require(*RESIDENT_ROLES)
def confirm(ward: Ward, resident_id: int):
    """A caller who booked on the phone line was called back: their record is confirmed."""
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    run_button(
        ButtonForm(),
        lambda: services.confirm_provisional(current_user, resident),
        _("The record is confirmed."),
    )
    return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))
