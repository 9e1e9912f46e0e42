from __future__ import annotations

from flask import Blueprint, render_template

from inclusion.audit.services import list_events
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.wards.models import Ward
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import id_arg

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50


@bp.route("/admin/audit")
@require(Role.ADMIN)
def all_events():
    events = list_events(before_id=id_arg("before"), limit=PAGE_SIZE)
    return render_template("audit/events.html", events=events, ward=None, page_size=PAGE_SIZE)


@bp.route("/manage/<ward>/audit")
@require(*STAFF_ROLES)
def ward_events(ward: Ward):
    events = list_events(ward=ward, before_id=id_arg("before"), limit=PAGE_SIZE)
    return render_template("audit/events.html", events=events, ward=ward, page_size=PAGE_SIZE)
