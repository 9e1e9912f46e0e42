"""The ward's surveys (where each stands, the yearly sample, the calls left to staff) and
the answer page an SMS links to."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion import clock
from inclusion.audit.services import record_view
from inclusion.auth.access import public, require
from inclusion.db import writes_on_read
from inclusion.extensions import db
from inclusion.residents.queries import count_due_follow_ups
from inclusion.residents.views import RESIDENT_ROLES
from inclusion.surveys import queries, services
from inclusion.surveys.forms import DrawForm, ResidentAnswerForm, StaffAnswerForm
from inclusion.surveys.models import SurveyAsk, SurveyKind, SurveyOutcome, SurveyVia
from inclusion.surveys.questions import QUESTIONS
from inclusion.targets.views import chosen_year
from inclusion.wards.models import Ward
from inclusion.web import form_status, get_in_ward_or_404, run_form

bp = Blueprint("surveys", __name__)


def _surveys_page(ward: Ward, year: int, form: DrawForm) -> str:
    """Both surveys of a fiscal year: how many were asked, answered and how, the yearly
    sample to draw (this year's), and the residents staff are to call."""
    now, this_year = clock.now(), clock.fiscal_year(clock.today())
    calls = queries.calls_to_make(ward, year, now)
    candidates = services.count_candidates(ward, this_year) if year == this_year else 0
    if not form.is_submitted():
        form.size.data = min(form.size.default, candidates) or form.size.default
    summaries = queries.summaries(ward, year, now)
    # Follow-ups staff call are the follow-up list's, whichever year they came due in.
    follow_ups_due = count_due_follow_ups(ward, clock.today())
    summaries[SurveyKind.FOLLOW_UP].to_call = follow_ups_due
    page = render_template(
        "surveys/ward.html",
        ward=ward,
        year=year,
        this_year=this_year,
        summaries=summaries,
        calls=calls,
        call_count=queries.count_calls_to_make(ward, year, now),
        follow_ups_due=follow_ups_due,
        candidates=candidates,
        form=form,
    )
    record_view("survey.list", None, ward, [ask.resident_id for ask in calls])
    return page


@bp.route("/manage/<ward>/surveys")
@require(*RESIDENT_ROLES)
@writes_on_read
def ward_surveys(ward: Ward):
    return _surveys_page(ward, chosen_year(), DrawForm())


@bp.route("/manage/<ward>/surveys/draw", methods=["POST"])
@require(*RESIDENT_ROLES)
def draw(ward: Ward):
    """Draw this fiscal year's sample (more can be drawn later: nobody twice)."""
    form = DrawForm()
    saved = run_form(
        form,
        lambda: services.draw_sample(current_user, ward, form.size.data, form.older_only.data),
        lambda drawn: (
            _("%(count)d residents were drawn for this year's survey.", count=drawn)
            if drawn
            else _("Nobody was left to draw: every resident who agreed is drawn already.")
        ),
    )
    if saved is None:
        return _surveys_page(ward, clock.fiscal_year(clock.today()), form), form_status(form)
    return redirect(url_for("surveys.ward_surveys", ward=ward.slug))


@bp.route("/manage/<ward>/surveys/<int:ask_id>", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def record(ward: Ward, ask_id: int):
    """Record what a resident answered staff (or that they did not)."""
    ask = get_in_ward_or_404(SurveyAsk, ask_id, ward)
    if ask.resident.is_anonymised:
        abort(404)
    if ask.kind == SurveyKind.FOLLOW_UP:
        # The follow-up's own form also asks which procedure they used.
        return redirect(
            url_for("residents.record_follow_up", ward=ward.slug, follow_up_id=ask.follow_up_id)
        )
    form = StaffAnswerForm().for_kind(ask.kind)
    if not form.is_submitted() and ask.outcome is not None:
        form.outcome.data = ask.outcome.value
        form.note.data = ask.note
    saved = run_form(
        form,
        lambda: services.record_by_staff(
            current_user, ask, SurveyOutcome(form.outcome.data), form.answers(ask.kind),
            form.note.data or "",
        ),
        _("Answer saved."),
    )  # fmt: skip
    if saved:
        return redirect(url_for("surveys.ward_surveys", ward=ward.slug, year=ask.fiscal_year))
    page = render_template(
        "surveys/record.html",
        ward=ward,
        ask=ask,
        resident=ask.resident,
        form=form.show(ask),
        questions=QUESTIONS[ask.kind],
    )
    record_view("resident.view", ask.resident, ward)
    return page, form_status(form)


@bp.route("/s/<token>", methods=["GET", "POST"])
@public
def answer(token: str):
    """The page an SMS links to: the survey's questions, big and plain, and nobody's
    details. Answered once, it only thanks."""
    ask = services.ask_by_token(token)
    if ask is None:
        abort(404)
    ward = db.session.get(Ward, ask.ward_id)
    form = ResidentAnswerForm().for_kind(ask.kind)
    done = not services.may_answer_itself(ask, SurveyVia.LINK)
    if not done and form.validate_on_submit():
        services.record_page(ask, form.answers(ask.kind))
        db.session.commit()
        done = True
    page = render_template(
        "surveys/answer.html", ward=ward, ask=ask, form=form, done=done,
        answered=ask.outcome == SurveyOutcome.ANSWERED, questions=QUESTIONS[ask.kind],
    )  # fmt: skip
    return page, form_status(form)
