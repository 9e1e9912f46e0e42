"""The joint call centre's pages: the call screen (find the caller, log the call, book
them), the log of calls, and each ward's list of calls passed to it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from inclusion.audit.services import record_view
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.calls import queries, services
from inclusion.calls.forms import CallForm
from inclusion.calls.models import Call, CallOutcome, CallTopic
from inclusion.courses.services import what_was_booked
from inclusion.db import writes_on_read
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.i18n import local_datetime
from inclusion.residents.forms import ResidentSearchForm
from inclusion.residents.models import Resident
from inclusion.residents.services import search_residents
from inclusion.residents.views import RESIDENT_ROLES
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards
from inclusion.web import (
    as_id,
    form_status,
    get_in_ward_or_404,
    id_arg,
    run_button,
    run_form,
)

bp = Blueprint("calls", __name__)

#: Who answers the joint line: its operators, and administrators standing in.
CALL_ROLES = (Role.OPERATOR, Role.ADMIN)
#: Callers a search shows at most, and the fewest characters it takes.
FOUND, MIN_SEARCH = 20, 2


def _caller(resident_id: int | None) -> Resident | None:
    resident = db.session.get(Resident, resident_id) if resident_id else None
    return None if resident is None or resident.is_anonymised else resident


def _record_reads(residents: list[Resident], action: str = "call.search") -> None:
    """Each ward's log shows that the call centre saw its residents."""
    by_ward: dict[int, tuple[Ward, list[int]]] = {}
    for resident in residents:
        by_ward.setdefault(resident.ward_id, (resident.ward, []))[1].append(resident.id)
    for ward, ids in by_ward.values():
        record_view(action, None, ward, ids)


def _session_label(session: Session) -> str:
    return f"{local_datetime(session.starts_dt)} {session.title}（{session.venue.name}）"


@bp.route("/calls", methods=["GET", "POST"])
@require(*CALL_ROLES)
@writes_on_read
def screen():
    """Find the caller by number or kana (or take the call unnamed), then log it."""
    search = ResidentSearchForm(request.args)
    text = search.value("q") if search.validate() else None
    # One kana would list half the city: the call centre looks up a caller, not a ward.
    too_short = bool(text) and len(text) < MIN_SEARCH
    found = search_residents(None, text, FOUND) if text and not too_short else None
    form = CallForm()
    caller = _caller(id_arg("resident") if request.method == "GET" else as_id(form.resident.data))
    wards = list_wards()
    form.ward.choices = [SelectChoice(0, _("Choose a ward"))] + [
        SelectChoice(ward.id, ward.name) for ward in wards
    ]
    sessions = queries.bookable_sessions(caller.ward) if caller else []
    form.session.choices = [SelectChoice(0, _("No booking"))] + [
        SelectChoice(session.id, _session_label(session)) for session in sessions
    ]
    if request.method == "GET" and caller is not None:
        form.resident.data = str(caller.id)
    saved = run_form(
        form, lambda: services.log_call(current_user, _draft(form, caller, sessions, wards)), _said
    )
    if saved:
        return redirect(url_for("calls.screen"))
    page = render_template(
        "calls/screen.html", search=search, found=found, too_short=too_short, caller=caller,
        form=form,
        coming=queries.upcoming_bookings(caller) if caller else [],
    )  # fmt: skip
    _record_reads([*(found or []), *([caller] if caller else [])])
    return page, form_status(form)


def _draft(form: CallForm, caller, sessions: list[Session], wards: list[Ward]):
    chosen = {session.id: session for session in sessions}.get(form.session.data)
    ward = {ward.id: ward for ward in wards}.get(form.ward.data)
    return services.CallDraft(
        resident=caller, ward=ward, topic=CallTopic(form.topic.data),
        outcome=CallOutcome(form.outcome.data), is_resolved=form.is_resolved.data,
        note=form.note.data or "", caller_phone=form.caller_phone.data or "", session=chosen,
    )  # fmt: skip


def _said(call: Call) -> str:
    """What the operator is told: the call is logged, and what the booking became."""
    if call.enrolment is not None or call.booking is not None:
        booked, _kind = what_was_booked(call.resident, call.enrolment or call.booking)
        session = call.booking.session if call.booking else None
        if session is not None:
            booked += " " + _("(%(title)s, %(when)s)", title=session.title,
                              when=local_datetime(session.starts_dt))  # fmt: skip
        return _("The call is logged.") + " " + booked
    return _("The call is logged.")


@bp.route("/calls/log")
@require(*CALL_ROLES)
@writes_on_read
def log():
    """The newest calls of every ward."""
    calls = queries.recent_calls()
    page = render_template("calls/log.html", calls=calls)
    _record_reads([call.resident for call in calls if call.resident], "call.list")
    return page


@bp.route("/manage/<ward>/calls")
@require(*RESIDENT_ROLES)
@writes_on_read
def ward_calls(ward: Ward):
    """The calls the call centre passed to the ward: a to-do list, oldest first."""
    waiting = queries.waiting_calls(ward)
    done = queries.handled_lately(ward)
    page = render_template("calls/ward.html", ward=ward, waiting=waiting, done=done,
                           form=ButtonForm())  # fmt: skip
    record_view("call.list", None, ward, [call.resident_id for call in [*waiting, *done]])
    return page


@bp.route("/manage/<ward>/calls/<int:call_id>/done", methods=["POST"])
@require(*RESIDENT_ROLES)
def mark_done(ward: Ward, call_id: int):
    call = get_in_ward_or_404(Call, call_id, ward)
    run_button(ButtonForm(), lambda: services.mark_handled(current_user, call),
               _("Marked as taken care of."))  # fmt: skip
    return redirect(url_for("calls.ward_calls", ward=ward.slug))
