"""Loan smartphones: the ward's stock, lending one from a resident's page, returns."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from inclusion import clock
from inclusion.audit.services import record_view
from inclusion.auth.access import require
from inclusion.db import writes_on_read
from inclusion.i18n import local_date
from inclusion.loans import queries, services
from inclusion.loans.forms import DeviceForm, DueDateForm, LendForm, ReturnForm
from inclusion.loans.models import Device, DeviceState, Loan, ReturnCondition
from inclusion.residents.models import Resident
from inclusion.residents.views import RESIDENT_ROLES
from inclusion.wards.models import Ward
from inclusion.web import form_status, get_in_ward_or_404, run_form

bp = Blueprint("loans", __name__)

#: A new loan's due date unless staff change it.
DEFAULT_LOAN_DAYS = 365


def _draft(form: DeviceForm) -> services.DeviceDraft:
    return services.DeviceDraft(
        model=form.model.data or "",
        serial=form.serial.data or "",
        sim_phone=form.sim_phone.data or "",
        plan=form.plan.data or "",
        notes=form.notes.data or "",
    )


@bp.route("/manage/<ward>/devices")
@require(*RESIDENT_ROLES)
@writes_on_read
def devices(ward: Ward):
    """The ward's devices, by state, with whom each is lent to."""
    state = request.args.get("state")
    chosen = DeviceState(state) if state in {s.value for s in DeviceState} else None
    rows = queries.devices_of(ward, chosen)
    page = render_template(
        "loans/devices.html",
        ward=ward,
        rows=rows,
        chosen=chosen,
        counts=queries.state_counts(ward),
        states=list(DeviceState),
        today=clock.today(),
    )
    record_view("loan.list", None, ward, [loan.resident_id for _device, loan in rows if loan])
    return page


@bp.route("/manage/<ward>/devices/new", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
def new_device(ward: Ward):
    form = DeviceForm()
    saved = run_form(
        form,
        lambda: services.add_device(current_user, ward, _draft(form)),
        lambda device: _("%(model)s is added to the stock.", model=device.model),
    )
    if saved:
        return redirect(url_for("loans.device", ward=ward.slug, device_id=saved.result.id))
    return render_template("loans/device_form.html", ward=ward, form=form), form_status(form)


@bp.route("/manage/<ward>/devices/<int:device_id>", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def device(ward: Ward, device_id: int):
    """A device: its details (changed here) and every loan of it."""
    found = get_in_ward_or_404(Device, device_id, ward)
    form = DeviceForm.of(found)
    form.offer_states(found.state)
    saved = run_form(
        form,
        lambda: services.update_device(
            current_user, found, _draft(form), DeviceState(form.state.data)
        ),  # fmt: skip
        _("Saved."),
    )
    if saved:
        return redirect(url_for("loans.device", ward=ward.slug, device_id=found.id))
    history = queries.loans_of_device(found)
    page = render_template(
        "loans/device.html", ward=ward, device=found, form=form, history=history,
        today=clock.today(),
    )  # fmt: skip
    record_view("loan.list", found, ward, [loan.resident_id for loan in history])
    return page, form_status(form)


@bp.route("/manage/<ward>/residents/<int:resident_id>/lend", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def lend(ward: Ward, resident_id: int):
    """Lend a device in stock to a resident, from their page."""
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    if resident.is_anonymised:
        abort(404)
    stock = queries.devices_in_stock(ward)
    by_id = {device.id: device for device in stock}
    form = LendForm([SelectChoice(d.id, f"{d.model}（{d.serial}）") for d in stock])
    if request.method == "GET":
        today = clock.today()
        form.starts_on.data, form.agreement_signed_on.data = today, today
        form.due_on.data = today + timedelta(days=DEFAULT_LOAN_DAYS)
    saved = run_form(
        form,
        lambda: services.lend_device(
            current_user,
            by_id[form.device.data],
            resident,
            form.starts_on.data,
            form.due_on.data,
            form.agreement_signed_on.data,
        ),  # fmt: skip
        lambda loan: _(
            "%(model)s is lent until %(due)s.",
            model=loan.device.model,
            due=loan.due_on.isoformat(),
        ),  # fmt: skip
    )
    if saved:
        return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))
    page = render_template("loans/lend.html", ward=ward, resident=resident, form=form,
                           stock=stock)  # fmt: skip
    record_view("resident.view", resident, ward)
    return page, form_status(form)


@bp.route("/manage/<ward>/loans")
@require(*RESIDENT_ROLES)
@writes_on_read
def loans(ward: Ward):
    """Devices out now, the overdue first: whom to call."""
    out = queries.loans_out(ward)
    today = clock.today()
    page = render_template(
        "loans/loans.html", ward=ward, loans=out, today=today,
        overdue=[loan for loan in out if loan.is_overdue(today)],
    )  # fmt: skip
    record_view("loan.list", None, ward, [loan.resident_id for loan in out])
    return page


@bp.route("/manage/<ward>/loans/<int:loan_id>", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def loan(ward: Ward, loan_id: int):
    """One loan: its dates (the due date may be moved), the messages about it, and the
    classes the resident has had a seat at since."""
    found = get_in_ward_or_404(Loan, loan_id, ward)
    form = DueDateForm()
    if request.method == "GET":
        form.due_on.data = found.due_on
    saved = run_form(
        form,
        lambda: services.change_due_date(current_user, found, form.due_on.data),
        lambda changed: _("The device is now to be returned by %(day)s.",
                          day=local_date(changed.due_on)),
    )  # fmt: skip
    if saved:
        return redirect(url_for("loans.loan", ward=ward.slug, loan_id=found.id))
    page = render_template(
        "loans/loan.html", ward=ward, loan=found, form=form, today=clock.today(),
        classes=queries.classes_during(found), messages=queries.messages_of(found),
    )  # fmt: skip
    record_view("loan.list", found.device, ward, [found.resident_id])
    return page, form_status(form)


@bp.route("/manage/<ward>/loans/<int:loan_id>/return", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def return_loan(ward: Ward, loan_id: int):
    loan = get_in_ward_or_404(Loan, loan_id, ward)
    form = ReturnForm()
    if request.method == "GET":
        form.returned_on.data = clock.today()
    saved = run_form(
        form,
        lambda: services.return_device(
            current_user,
            loan,
            form.returned_on.data,
            ReturnCondition(form.condition.data),
            form.notes.data or "",
        ),  # fmt: skip
        lambda ended: _("The return is recorded: %(state)s.", state=ended.device.state.label),
    )
    if saved:
        return redirect(url_for("loans.loans", ward=ward.slug))
    page = render_template("loans/return.html", ward=ward, loan=loan, form=form)
    record_view("loan.list", loan.device, ward, [loan.resident_id])
    return page, form_status(form)
