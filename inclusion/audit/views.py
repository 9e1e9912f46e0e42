from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from inclusion.audit.forms import AuditFilterForm
from inclusion.audit.services import EventFilter, list_events, record_names, record_view
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.db import writes_on_read
from inclusion.residents.views import may_see_residents
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import id_arg

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50


def _events_page(ward: Ward | None):
    """The log, filtered from the URL: of one ward, or (administrators) of all of them."""
    form = AuditFilterForm([] if ward else list_wards(), formdata=request.args)
    form.validate()
    filters = EventFilter(
        ward_id=ward.id if ward else form.value("ward"),
        person=form.value("person"),
        action=form.value("action"),
        date_from=form.value("date_from"),
        date_to=form.value("date_to"),
    )
    events = list_events(filters, before_id=id_arg("before"), limit=PAGE_SIZE)
    # Residents by name only for those who may see them (not coordinators), and that look
    # is itself logged.
    names_residents = ward is None or may_see_residents(current_user, ward)
    names = record_names(events, names_residents)
    page = render_template(
        "audit/events.html",
        events=events,
        names=names,
        names_residents=names_residents,
        ward=ward,
        form=form,
        page_size=PAGE_SIZE,
        older={**request.args.to_dict(), "before": events[-1].id} if events else None,
    )
    shown = [event.target_id for event in events if event.target_type == "residents"]
    if names_residents and shown:
        record_view("resident.search", None, ward, shown)
    return page


@bp.route("/admin/audit")
@require(Role.ADMIN)
@writes_on_read
def all_events():
    return _events_page(None)


@bp.route("/manage/<ward>/audit")
@require(*STAFF_ROLES)
@writes_on_read
def ward_events(ward: Ward):
    return _events_page(ward)
