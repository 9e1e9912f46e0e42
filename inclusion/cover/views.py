"""Cover and swaps: the volunteer's page of offers and requests, and the ward's list."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from inclusion import clock
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.cover import queries, services
from inclusion.cover.forms import CoverForm, SwapForm
from inclusion.cover.models import CoverRequest, SwapRequest, SwapStatus
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.i18n import local_datetime
from inclusion.volunteers.models import Shift
from inclusion.wards.models import Ward
from inclusion.wards.views import STAFF_ROLES
from inclusion.web import flash_violation, run_button

bp = Blueprint("cover", __name__)


# -- the volunteer's side ------------------------------------------------------------------


@bp.route("/me/cover")
@require(Role.VOLUNTEER)
def mine():
    """Shifts others ask me to take over, what I asked, and swaps."""
    return render_template(
        "cover/mine.html",
        offers=queries.offers_to(current_user.id),
        requests=queries.requests_by(current_user.id),
        swaps=queries.swaps_of(current_user.id),
        button_form=ButtonForm(),
    )


def _own_shift_or_404(shift_id: int) -> Shift:
    shift = db.get_or_404(Shift, shift_id)
    if shift.user_id != current_user.id:
        abort(404)
    return shift


@bp.route("/me/shifts/<int:shift_id>/cover", methods=["GET", "POST"])
@require(Role.VOLUNTEER)
def ask(shift_id: int):
    """Ask others to take over one of my shifts."""
    shift = _own_shift_or_404(shift_id)
    form = CoverForm()
    if form.validate_on_submit():
        try:
            request = services.request_cover(current_user, shift, form.note.data or "")
        except RuleViolation as violation:
            db.session.rollback()
            flash_violation(violation)
            return redirect(url_for("volunteers.my_shifts"))
        asked = len(request.offers)
        db.session.commit()
        if asked:
            flash(
                _("We are looking for someone to take over “%(title)s”; %(count)d volunteers "
                  "have been asked. It stays your shift until someone takes it.",
                  title=shift.session.title, count=asked),
                "success",
            )  # fmt: skip
        else:
            flash(
                _("No other volunteer can take over “%(title)s” now, so the ward's staff are "
                  "told. It stays your shift until someone takes it; to talk it over, call "
                  "%(phone)s.", title=shift.session.title,
                  phone=shift.session.ward.booking_phone or shift.session.ward.name),
                "error",
            )  # fmt: skip
        return redirect(url_for("cover.mine"))
    return render_template("cover/ask.html", shift=shift, form=form), 422 if form.errors else 200


def _offered_request_or_404(request_id: int) -> CoverRequest:
    request = db.get_or_404(CoverRequest, request_id)
    if not any(offer.user_id == current_user.id for offer in request.offers):
        abort(404)
    return request


@bp.route("/me/cover/<int:request_id>/take", methods=["POST"])
@require(Role.VOLUNTEER)
def take(request_id: int):
    request = _offered_request_or_404(request_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        answer = services.take_cover(current_user, request)
    except RuleViolation as violation:
        db.session.rollback()
        flash_violation(violation)
        return redirect(url_for("cover.mine"))
    db.session.commit()
    flash(answer.message, "success" if answer.took_it else "info")
    return redirect(url_for("volunteers.my_shifts" if answer.took_it else "cover.mine"))


@bp.route("/me/cover/<int:request_id>/decline", methods=["POST"])
@require(Role.VOLUNTEER)
def decline(request_id: int):
    request = _offered_request_or_404(request_id)
    run_button(
        ButtonForm(), lambda: services.decline_cover(current_user, request), lambda a: a.message
    )
    return redirect(url_for("cover.mine"))


@bp.route("/me/cover/<int:request_id>/withdraw", methods=["POST"])
@require(Role.VOLUNTEER)
def withdraw(request_id: int):
    request = db.get_or_404(CoverRequest, request_id)
    if request.requested_by_id != current_user.id:
        abort(404)
    return _withdraw(request, url_for("cover.mine"))


def _withdraw(request: CoverRequest, back: str):
    run_button(
        ButtonForm(),
        lambda: services.withdraw_cover(current_user, request),
        lambda withdrawn: _("Nobody else will be asked; the shift stays with %(name)s.",
                            name=withdrawn.requested_by.display_name),
    )  # fmt: skip
    return redirect(back)


@bp.route("/me/shifts/<int:shift_id>/swap", methods=["GET", "POST"])
@require(Role.VOLUNTEER)
def swap(shift_id: int):
    """Offer one of my shifts in exchange for another volunteer's."""
    shift = _own_shift_or_404(shift_id)
    choices = queries.swap_choices(current_user)
    by_id = {choice.id: choice for choice in choices}
    form = SwapForm([
        SelectChoice(choice.id, f"{local_datetime(choice.session.starts_dt)} "
                                f"{choice.session.title}（{choice.role.label}）"
                                f" — {choice.volunteer.display_name}")
        for choice in choices
    ])  # fmt: skip
    if form.validate_on_submit():
        try:
            services.propose_swap(current_user, shift, by_id[form.wanted.data],
                                  form.note.data or "")  # fmt: skip
        except RuleViolation as violation:
            db.session.rollback()
            flash_violation(violation)
        else:
            db.session.commit()
            flash(_("Your request to swap has been sent."), "success")
            return redirect(url_for("cover.mine"))
    status = 422 if form.errors else 200
    return render_template("cover/swap.html", shift=shift, form=form, choices=choices), status


def _swap_of_mine_or_404(swap_id: int) -> SwapRequest:
    swap = db.get_or_404(SwapRequest, swap_id)
    if current_user.id not in (swap.proposer_id, swap.partner_id):
        abort(404)
    return swap


@bp.route("/me/swaps/<int:swap_id>/<any(agree, decline, withdraw):answer>", methods=["POST"])
@require(Role.VOLUNTEER)
def answer_swap(swap_id: int, answer: str):
    swap = _swap_of_mine_or_404(swap_id)
    if answer == "agree":
        action = partial(services.agree_swap, current_user, swap)
    else:
        status = SwapStatus.DECLINED if answer == "decline" else SwapStatus.WITHDRAWN
        action = partial(services.close_swap, current_user, swap, status)
    run_button(ButtonForm(), action, lambda moved: SWAP_TOLD[moved.status]())
    return redirect(url_for("cover.mine"))


#: What a volunteer or staff member is told when a swap has moved on.
SWAP_TOLD = {
    SwapStatus.DONE: lambda: _("The shifts are swapped: each of you now has the other's."),
    SwapStatus.AGREED: lambda: _("Thank you. The ward's staff approve the swap; until then, "
                                 "each of you keeps your own shift."),
    SwapStatus.DECLINED: lambda: _("You declined the swap."),
    SwapStatus.WITHDRAWN: lambda: _("You withdrew the swap."),
    SwapStatus.REFUSED: lambda: _("The swap was not approved; each keeps their own shift."),
    SwapStatus.LAPSED: lambda: _("One of the shifts changed since the volunteers agreed: "
                                 "the swap can no longer be made."),
}  # fmt: skip


# -- the ward's side -----------------------------------------------------------------------


@bp.route("/manage/<ward>/cover")
@require(*STAFF_ROLES)
def ward_list(ward: Ward):
    """Shifts looking for cover (whom we asked, who declined) and swaps to approve."""
    return render_template(
        "cover/ward_list.html",
        ward=ward,
        requests=queries.ward_requests(ward),
        swaps=queries.ward_swaps(ward),
        now=clock.now(),
        button_form=ButtonForm(),
        approving=services.approving_wards,
    )


@bp.route("/manage/<ward>/cover/<int:request_id>/withdraw", methods=["POST"])
@require(*STAFF_ROLES)
def staff_withdraw(ward: Ward, request_id: int):
    request = db.get_or_404(CoverRequest, request_id)
    if request.ward_id != ward.id:
        abort(404)
    return _withdraw(request, url_for("cover.ward_list", ward=ward.slug))


@bp.route("/manage/<ward>/swaps/<int:swap_id>/<any(approve, refuse):decision>", methods=["POST"])
@require(*STAFF_ROLES)
def decide_swap(ward: Ward, swap_id: int, decision: str):
    swap = db.get_or_404(SwapRequest, swap_id)
    if ward.id not in services.approving_wards(swap):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        if decision == "approve":
            services.approve_swap(current_user, swap)
        else:
            services.close_swap(current_user, swap, SwapStatus.REFUSED)
    except RuleViolation as violation:
        db.session.rollback()
        flash_violation(violation)
    else:
        db.session.commit()
        done = swap.status in (SwapStatus.DONE, SwapStatus.REFUSED)
        flash(SWAP_TOLD[swap.status](), "success" if done else "error")
    return redirect(url_for("cover.ward_list", ward=ward.slug))
