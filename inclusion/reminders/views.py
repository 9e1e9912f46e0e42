"""Staff pages: the reminder log of a session, and sending one again by hand."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.access import require
from inclusion.db import writes_on_read
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.reminders import services
from inclusion.reminders.models import Reminder
from inclusion.residents.views import RESIDENT_ROLES
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward
from inclusion.web import flash_violation, get_in_ward_or_404

bp = Blueprint("reminders", __name__)

ANSWER_LABELS = {
    "confirmed": _l("Coming"),
    "cancelled": _l("Cancelled the booking"),
    "opted_out": _l("Asked for no more reminders"),
}


@bp.route("/manage/<ward>/sessions/<int:session_id>/reminders")
@require(*RESIDENT_ROLES)
@writes_on_read
def session_log(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    reminders = services.reminders_of_session(session)
    page = render_template(
        "reminders/log.html",
        ward=ward,
        session=session,
        reminders=reminders,
        resendable={status.value for status in services.RESENDABLE}
        if session.starts_dt > clock.now() and not session.is_cancelled
        else set(),
        reminder_answers=ANSWER_LABELS,
    )
    record_event(current_user, "reminder.log", session, ward, {"shown": len(reminders)})
    db.session.commit()
    return page


@bp.route("/manage/<ward>/reminders/<int:reminder_id>/resend", methods=["POST"])
@require(*RESIDENT_ROLES)
def resend(ward: Ward, reminder_id: int):
    reminder = get_in_ward_or_404(Reminder, reminder_id, ward)
    if ButtonForm().validate_on_submit():
        try:
            services.resend(current_user, reminder)
        except RuleViolation as violation:
            db.session.rollback()
            flash_violation(violation)
        else:
            db.session.commit()
            flash(_("The reminder will be sent again shortly."), "success")
    return redirect(
        url_for("reminders.session_log", ward=ward.slug, session_id=reminder.session_id)
    )
