"""Staff pages: the reminder log of a session, and sending one again by hand."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from inclusion import clock
from inclusion.audit.services import record_view
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.db import writes_on_read
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.reminders import messages, services, texts
from inclusion.reminders.forms import TEXT_FORMS, QuietHoursForm, StepForm
from inclusion.reminders.models import Reminder, ReminderStep, Reply
from inclusion.reminders.wording import MESSAGES, Message
from inclusion.residents.views import RESIDENT_ROLES
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import ConfirmFirst, form_status, get_in_ward_or_404, run_button, run_form

bp = Blueprint("reminders", __name__)

STEP_LABELS = {
    "two_days_before": _l("Residents: before the session"),
    "morning": _l("Residents: on the morning of the session"),
    "day_before": _l("Volunteers: the day before (SMS)"),
}
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
        resendable=_resendable(session, reminders),
        reminder_answers=ANSWER_LABELS,
    )
    record_view("reminder.log", session, ward, [reminder.resident_id for reminder in reminders])
    return page


def _resendable(session: Session, reminders: list[Reminder]) -> set[int]:
    """The rows staff may send again: settled without certainly arriving, still wanted."""
    if session.starts_dt <= clock.now() or session.is_cancelled:
        return set()
    settled = [r.id for r in reminders if r.status in services.RESENDABLE]
    return set(settled) - services.no_longer_wanted(settled)


@bp.route("/manage/<ward>/reminders/<int:reminder_id>/resend", methods=["POST"])
@require(*RESIDENT_ROLES)
def resend(ward: Ward, reminder_id: int):
    reminder = get_in_ward_or_404(Reminder, reminder_id, ward)
    who = reminder.resident.name if reminder.resident else reminder.user.display_name
    run_button(
        ButtonForm(),
        lambda: services.resend(current_user, reminder),
        _("The reminder will be sent again shortly."),
        ask=lambda: ConfirmFirst(
            _("Send this reminder to %(name)s again?", name=who),
            _("%(name)s gets the same message again by %(channel)s, within the hours people "
              "may be called.", name=who, channel=reminder.channel.label),
            _("Yes, send it again"),
            ward=ward, residents=(reminder.resident_id,) if reminder.resident_id else (),
        ),
    )  # fmt: skip
    if reminder.session_id is None:
        return redirect(
            url_for("residents.detail", ward=ward.slug, resident_id=reminder.resident_id)
        )
    return redirect(
        url_for("reminders.session_log", ward=ward.slug, session_id=reminder.session_id)
    )


@bp.route("/manage/<ward>/replies")
@require(*RESIDENT_ROLES)
@writes_on_read
def replies(ward: Ward):
    """What residents sent back, and what came of it; those waiting for a call back first."""
    return _inbox(ward)


@bp.route("/admin/replies")
@require(Role.ADMIN)
@writes_on_read
def unmatched_replies():
    """Replies from numbers no ward could be told from."""
    return _inbox(None)


def _inbox(ward: Ward | None):
    waiting = request.args.get("show") != "all"
    shown = services.replies_of(ward, waiting)
    page = render_template(
        "reminders/replies.html",
        ward=ward,
        replies=shown,
        waiting=waiting,
        residents=services.residents_named(shown),
        bookings=services.bookings_named(shown),
    )
    record_view(
        "reply.list",
        None,
        ward,
        [resident_id for reply in shown for resident_id in reply.resident_ids],
    )
    return page


@bp.route("/manage/<ward>/replies/<int:reply_id>/handled", methods=["POST"])
@require(*RESIDENT_ROLES)
def handle_reply(ward: Ward, reply_id: int):
    reply = get_in_ward_or_404(Reply, reply_id, ward)
    return _handle(reply, url_for("reminders.replies", ward=ward.slug))


@bp.route("/admin/replies/<int:reply_id>/handled", methods=["POST"])
@require(Role.ADMIN)
def handle_unmatched_reply(reply_id: int):
    reply = db.get_or_404(Reply, reply_id)
    if reply.ward_id is not None:
        abort(404)
    return _handle(reply, url_for("reminders.unmatched_replies"))


def _handle(reply: Reply, inbox: str):
    done = _("Marked as followed up.")
    run_button(ButtonForm(), lambda: services.mark_handled(current_user, reply), done)
    return redirect(inbox)


@bp.route("/manage/<ward>/reminders", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def policy(ward: Ward):
    """The ward's reminder policy: when each reminder goes, and the hours people may be called."""
    hours = QuietHoursForm.of(ward)
    if run_form(
        hours,
        lambda: services.update_quiet_hours(
            current_user,
            ward,
            (hours.calls_from.data, hours.calls_until.data),
            (hours.sms_from.data, hours.sms_until.data),
        ),
        _("Saved."),
    ):
        return redirect(url_for("reminders.policy", ward=ward.slug))
    return _policy_page(ward, hours), form_status(hours)


def _policy_page(
    ward: Ward, hours: QuietHoursForm, failed: StepForm | None = None, failed_id=None
):
    steps = services.steps_of(ward)
    forms = {
        step.id: failed if step.id == failed_id else StepForm.of(step, formdata=None)
        for step in steps
    }
    defaults = {
        "calls": current_app.config["REMINDER_CALL_HOURS"],
        "sms": current_app.config["REMINDER_SMS_HOURS"],
    }
    return render_template(
        "reminders/policy.html",
        ward=ward,
        hours=hours,
        steps=steps,
        forms=forms,
        defaults=defaults,
        step_labels=STEP_LABELS,
        editable=MESSAGES,
        own_texts=services.ward_texts(ward),
    )


@bp.route("/manage/<ward>/reminders/steps/<int:step_id>", methods=["POST"])
@require(*STAFF_ROLES)
def update_step(ward: Ward, step_id: int):
    step = get_in_ward_or_404(ReminderStep, step_id, ward)
    form = StepForm.of(step)
    if run_form(
        form,
        lambda: services.update_step(
            current_user, step, form.days_before.data, form.at_time.data, form.is_active.data
        ),
        _("Saved."),
    ):
        return redirect(url_for("reminders.policy", ward=ward.slug))
    return _policy_page(ward, QuietHoursForm.of(ward, formdata=None), form, step.id), 422


def _editable_or_404(name: str) -> Message:
    spec = MESSAGES.get(name)
    if spec is None:
        abort(404)
    return spec


@bp.route("/manage/<ward>/reminders/texts/<name>", methods=["GET", "POST"])
@require(*STAFF_ROLES)
def edit_text(ward: Ward, name: str):
    """Rewrite one message for the ward: plain words per kind, tried before saving."""
    message = _editable_or_404(name)
    form = TEXT_FORMS[name].of(messages.words_in_use(ward, name))
    if not form.preview.data and run_form(
        form,
        lambda: services.update_text(current_user, ward, name, form.draft()),
        lambda changed: (
            _("Saved. The next messages use this text.")
            if changed
            else _("Nothing changed: these are the words in use.")
        ),
    ):
        return redirect(url_for("reminders.edit_text", ward=ward.slug, name=name))
    sample = texts.sample_session(ward)
    return render_template(
        "reminders/text_form.html",
        ward=ward,
        name=name,
        spec=message,
        own=services.ward_texts(ward).get(name),
        form=form,
        placeholders=texts.placeholders(name),
        **_previews(ward, name, form.draft() if form.is_submitted() else None, sample),
    ), form_status(form)


def _previews(ward: Ward, name: str, draft: dict[str, str] | None, sample) -> dict:
    """The messages as they would be sent, or why the draft cannot be: for the page and
    for the part of it that follows the fields."""
    shown = {"sample": sample, "sms_limit": messages.SMS_LIMIT, "samples": [], "problem": None}
    try:
        if draft:
            shown["samples"] = services.check_text(ward, name, draft, sample)
        else:
            shown["samples"] = texts.samples(ward, name, sample=sample)
    except RuleViolation as violation:
        kind = texts.KIND_LABELS.get(violation.field)
        shown["problem"] = f"{kind}: {violation}" if kind else str(violation)
    return shown


@bp.route("/manage/<ward>/reminders/texts/<name>/preview", methods=["POST"])
@require(*STAFF_ROLES)
def preview_text(ward: Ward, name: str):
    """How draft wording reads for the ward's next session, as the editor's fields change
    (sent as a form: Japanese words are too long for an address)."""
    message = _editable_or_404(name)
    form = TEXT_FORMS[name]()
    return render_template(
        "reminders/_samples.html",
        spec=message,
        **_previews(ward, name, form.draft(), texts.sample_session(ward)),
    )


@bp.route("/manage/<ward>/reminders/texts/<name>/reset", methods=["POST"])
@require(*STAFF_ROLES)
def reset_text(ward: Ward, name: str):
    _editable_or_404(name)
    run_button(
        ButtonForm(),
        lambda: services.reset_text(current_user, ward, name),
        _("The standard text is used again."),
        ask=lambda: ConfirmFirst(
            _("Go back to the standard text?"),
            _(
                "This ward's own wording of this message is deleted; messages from now on use "
                "the standard text."
            ),
            _("Yes, use the standard text"),
        ),
    )
    return redirect(url_for("reminders.edit_text", ward=ward.slug, name=name))
