"""Residents and bookings: only the resident's own ward's staff (and admins) come here.

Every page that shows a resident's personal data records who saw it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from inclusion import clock
from inclusion.audit.services import record_event, record_view
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.courses import services as courses
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.csvfile import csv_text
from inclusion.db import writes_on_read
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.i18n import local_datetime
from inclusion.line.queries import line_state
from inclusion.loans import queries as loan_queries
from inclusion.phones import display_phone
from inclusion.reminders import services as reminder_services
from inclusion.residents import bookings, queries, services
from inclusion.residents.forms import (
    BookingAttendanceForm,
    BookingForm,
    CancelBookingForm,
    CancelCourseForm,
    ConsentForm,
    ExportForm,
    FollowUpForm,
    MergeForm,
    NewResidentForm,
    OptOutForm,
    ResidentForm,
    ResidentSearchForm,
    WalkInForm,
)
from inclusion.residents.models import (
    Booking,
    BookingSource,
    BookingStatus,
    ConsentMethod,
    ConsentScope,
    Contact,
    FollowUp,
    FollowUpAnswer,
    Resident,
)
from inclusion.sessions.models import Session, SessionKind
from inclusion.surveys import queries as survey_queries
from inclusion.surveys import services as survey_services
from inclusion.wards.models import Ward
from inclusion.web import (
    MAX_ID,
    ConfirmFirst,
    attachment,
    form_status,
    get_in_ward_or_404,
    id_arg,
    redirect_back,
    run_button,
    run_form,
    safe_next_url,
    show_violation,
)

bp = Blueprint("residents", __name__)
bp.add_app_template_filter(display_phone, "phone")

#: Who may see residents' names and numbers; coordinators see counts only.
RESIDENT_ROLES = (Role.ADMIN, Role.WARD_STAFF)


def may_see_residents(user, ward: Ward) -> bool:
    return user.role in RESIDENT_ROLES and user.can_access_ward(ward)


def _search(ward: Ward) -> tuple[ResidentSearchForm, list[Resident] | None]:
    form = ResidentSearchForm(formdata=request.args)
    form.validate()
    text = form.value("q")
    return form, services.search_residents(ward, text) if text else None


# -- residents ----------------------------------------------------------------------------


@bp.route("/manage/<ward>/residents")
@require(*RESIDENT_ROLES)
@writes_on_read
def index(ward: Ward):
    form, found = _search(ward)
    residents = found if found is not None else services.search_residents(ward, "")
    page = render_template(
        "residents/index.html",
        ward=ward,
        form=form,
        residents=residents,
        searched=found is not None,
        consent_due=_consent_due(residents),
    )
    record_view("resident.search", None, ward, [resident.id for resident in residents])
    return page


def _consent_due(residents: list[Resident]) -> set[int]:
    years = queries.consent_years([resident.id for resident in residents])
    return {resident.id for resident in residents if services.consent_due(years.get(resident.id))}


def _with_resident(target: str, resident: Resident) -> str:
    joiner = "&" if "?" in target else "?"
    return f"{target}{joiner}{urlencode({'resident': resident.id})}"


@bp.route("/manage/<ward>/residents/new", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
def create(ward: Ward):
    form = NewResidentForm()
    matches: list[Resident] = []
    if form.validate_on_submit():
        try:
            resident = services.create_resident(
                current_user, ward, form.draft(), confirmed_new=form.confirmed_new.data
            )
            services.record_consent(
                current_user,
                resident,
                [ConsentScope(scope) for scope in form.scopes.data],
                ConsentMethod(form.method.data),
                clock.today(),
            )
        except services.PossibleDuplicate as duplicate:
            db.session.rollback()
            matches = duplicate.matches
            record_view("resident.search", None, ward, [match.id for match in matches])
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("%(name)s added.", name=resident.name), "success")
            if target := safe_next_url(request.args.get("next")):
                return redirect(_with_resident(target, resident))
            return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))
    status = 409 if matches else form_status(form)
    target = safe_next_url(request.args.get("next"))
    return render_template(
        "residents/form.html",
        ward=ward,
        form=form,
        mode="create",
        matches=matches,
        use_links={m.id: _with_resident(target, m) for m in matches} if target else {},
    ), status


@bp.route("/manage/<ward>/residents/<int:resident_id>")
@require(*RESIDENT_ROLES)
@writes_on_read
def detail(ward: Ward, resident_id: int):
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    return _detail_page(ward, resident, OptOutForm.of(resident))


def _detail_page(ward: Ward, resident: Resident, opt_out_form: OptOutForm):
    """The resident's page; the reminders choice as stored, or as just refused."""
    consents = services.consents_of(resident)
    history = queries.resident_bookings(resident)
    page = render_template(
        "residents/detail.html",
        ward=ward,
        resident=resident,
        consents=consents,
        consent_due=services.consent_is_due(consents),
        age_band=services.AGE_BAND_LABELS.get(services.age_band(resident.birth_year)),
        resident_bookings=history,
        positions=queries.waitlist_positions(
            [booking for booking in history if booking.status == BookingStatus.WAITLISTED]
        ),
        waiting_courses=courses.waiting_courses(resident),
        follow_up=queries.follow_up_of(resident),
        loans=loan_queries.loans_of_resident(resident),
        today=clock.today(),
        reminders=reminder_services.reminders_of_resident(resident.id),
        opt_out_form=opt_out_form,
        line=line_state(resident),
        stopped_contacts=[contact for contact in Contact if resident.stopped_dt(contact)],
    )
    record_view("resident.view", resident, ward)
    return page, form_status(opt_out_form)


@bp.route("/manage/<ward>/residents/<int:resident_id>/edit", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def edit(ward: Ward, resident_id: int):
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    if resident.is_anonymised:
        abort(404)
    form = ResidentForm.of(resident)
    if form.validate_on_submit():
        try:
            services.update_resident(current_user, resident, form.draft())
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))
    page = render_template(
        "residents/form.html", ward=ward, form=form, mode="edit", resident=resident, matches=[]
    )
    record_view("resident.view", resident, ward)
    return page, form_status(form)


@bp.route("/manage/<ward>/residents/<int:resident_id>/consent", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def consent(ward: Ward, resident_id: int):
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    form = ConsentForm(given_on=clock.today())
    if form.validate_on_submit():
        try:
            services.record_consent(
                current_user,
                resident,
                [ConsentScope(scope) for scope in form.scopes.data],
                ConsentMethod(form.method.data),
                form.given_on.data,
            )
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Consent recorded."), "success")
            return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))
    page = render_template("residents/consent.html", ward=ward, resident=resident, form=form)
    record_view("resident.view", resident, ward)
    return page, form_status(form)


def _stopping(resident: Resident, chosen: dict[Contact, bool]) -> ConfirmFirst | None:
    """What stopping reminders does, when the choice stops someone who gets them now."""
    newly = [contact for contact, stop in chosen.items()
             if stop and not resident.stopped_dt(contact)]  # fmt: skip
    if not newly:
        return None
    who = resident.name if Contact.RESIDENT in newly else resident.proxy_name or _("their contact")
    return ConfirmFirst(
        _("Stop reminders to %(name)s?", name=who),
        _("No more reminders or notices about %(resident)s's bookings go to %(name)s from "
          "now, including those already planned. They can be started again here.",
          resident=resident.name, name=who),
        _("Yes, stop the reminders"),
        ward=resident.ward, residents=(resident.id,),
    )  # fmt: skip


@bp.route("/manage/<ward>/residents/<int:resident_id>/opt-out", methods=["POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def opt_out(ward: Ward, resident_id: int):
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    form = OptOutForm.of(resident)
    if run_form(
        form,
        lambda: services.set_reminder_choices(
            current_user, resident, form.chosen(), form.reason.data or ""
        ),
        lambda changed: _("Saved.") if changed else _("Nothing was changed."),
        # Asked once the form is complete, so a missing reason is said first.
        ask=lambda: (
            _stopping(resident, form.chosen()) if (form.reason.data or "").strip() else None
        ),
    ):
        return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))
    # Refused: the page again, with the staff's choice kept and the reason marked.
    return _detail_page(ward, resident, form)


@bp.route("/manage/<ward>/residents/<int:resident_id>/merge", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def merge(ward: Ward, resident_id: int):
    resident = get_in_ward_or_404(Resident, resident_id, ward)
    if resident.is_anonymised:
        abort(404)
    form = MergeForm()
    if form.validate_on_submit():
        duplicate = db.session.get(Resident, form.duplicate.data)
        try:
            if duplicate is None or duplicate.ward_id != ward.id:
                raise RuleViolation(_("No resident of this ward has that number."), "duplicate")
            services.merge_residents(current_user, resident, duplicate)
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("The records were merged."), "success")
            return redirect(url_for("residents.detail", ward=ward.slug, resident_id=resident.id))
    candidates = services.find_matches(
        ward, [phone.e164 for phone in resident.phones], resident.kana_key, exclude=resident.id
    )
    page = render_template(
        "residents/merge.html",
        ward=ward,
        resident=resident,
        form=form,
        candidates=candidates,
    )
    record_view("resident.search", None, ward, [resident.id, *(match.id for match in candidates)])
    return page, form_status(form)


@bp.route("/manage/<ward>/residents/export", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
def export(ward: Ward):
    form = ExportForm()
    if not form.validate_on_submit():
        return render_template("residents/export.html", ward=ward, form=form), form_status(form)
    header = [
        _("Record number"),
        _("Family name"),
        _("Given name"),
        _("Family name in kana"),
        _("Given name in kana"),
        _("Age band"),
        _("Phone number"),
        _("Reminders by"),
        _("Reminders stopped"),
    ]
    rows = [
        [
            resident.id,
            resident.family_name,
            resident.given_name,
            resident.family_kana,
            resident.given_kana,
            services.age_band(resident.birth_year),
            " / ".join(display_phone(phone.e164) for phone in resident.phones),
            resident.reminder_channel.label,
            _("Yes") if resident.is_opted_out else "",
        ]
        for resident in queries.ward_residents(ward)
    ]
    record_event(
        current_user, "resident.export", None, ward,
        {"reason": form.reason.data, "rows": len(rows)},
    )  # fmt: skip
    db.session.commit()
    filename = f"residents-{ward.slug}-{clock.today().isoformat()}.csv"
    return attachment(csv_text([header, *rows]), filename)


# -- bookings -----------------------------------------------------------------------------


def _slots(session: Session) -> list[SelectChoice] | None:
    if session.kind != SessionKind.CONSULTATION:
        return None
    return [
        SelectChoice(place, bookings.slot_label(session, place))
        for place in bookings.free_places(session)
    ]


@bp.route("/manage/<ward>/sessions/<int:session_id>/book", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def book(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    course = courses.course_of(session)
    dates = courses.course_dates(course) if course else []
    form = BookingForm(None if course else _slots(session))
    if request.method == "GET":
        form.resident.data = id_arg("resident")
    chosen = None
    if form.resident.data is not None and 0 < form.resident.data <= MAX_ID:
        chosen = db.session.get(Resident, form.resident.data)
        if chosen is not None and (chosen.ward_id != ward.id or chosen.is_anonymised):
            chosen = None
    if form.validate_on_submit():
        try:
            if chosen is None:
                raise RuleViolation(_("Choose a resident of this ward."))
            place = None if course else form.chosen_place()
            booked = courses.book_or_enrol(current_user, chosen, session,
                                           BookingSource(form.source.data), place)  # fmt: skip
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(*courses.what_was_booked(chosen, booked))
            return redirect(url_for("residents.roster", ward=ward.slug, session_id=session.id))
    search_form, found = _search(ward)
    counts = queries.booking_counts([session.id]).get(session.id, (0, 0))
    page = render_template(
        "residents/book.html",
        ward=ward,
        session=session,
        form=form,
        chosen=chosen,
        search_form=search_form,
        found=found,
        seated=counts[0],
        waiting=counts[1],
        consent_due=chosen is not None and services.consent_is_due(services.consents_of(chosen)),
        course_dates=dates,
    )
    if found or chosen:
        shown = [resident.id for resident in [*(found or []), *([chosen] if chosen else [])]]
        record_view("resident.search", None, ward, shown)
    return page, form_status(form)


def _booking_in_ward(ward: Ward, booking_id: int) -> Booking:
    return get_in_ward_or_404(Booking, booking_id, ward)


def _cancelling(booking: Booking) -> ConfirmFirst:
    """What cancelling a booking does, in words, for the person about to do it."""
    session, name = booking.session, booking.resident.name
    said = _("%(name)s's booking for “%(title)s” on %(when)s will be cancelled; the reminders "
             "about it stop and no message tells them it was cancelled.", name=name,
             title=session.title, when=local_datetime(session.starts_dt))  # fmt: skip
    nexts = bookings.first_waiting(session) if booking.status == BookingStatus.BOOKED else None
    if nexts is not None and _offered(session):
        waiting = queries.booking_counts([session.id]).get(session.id, (0, 0))[1]
        said += " " + _("The session is near: the place is offered to all %(count)d on the "
                        "waiting list, and the first to say yes takes it.",
                        count=waiting)  # fmt: skip
        nexts = None
    elif nexts is not None:
        said += " " + _("The place goes to the first on the waiting list, %(next)s, who is "
                        "told.", next=nexts.resident.name)  # fmt: skip
    shown = (booking.resident_id, *([nexts.resident_id] if nexts else []))
    return ConfirmFirst(
        _("Cancel %(name)s's booking?", name=name), said, _("Yes, cancel the booking"),
        ward=session.ward, residents=shown,
    )  # fmt: skip


@bp.route("/manage/<ward>/bookings/<int:booking_id>/cancel", methods=["POST"])
@require(*RESIDENT_ROLES)
def cancel_booking(ward: Ward, booking_id: int):
    booking = _booking_in_ward(ward, booking_id)
    form = CancelBookingForm()
    promoted = run_button(
        form,
        lambda: bookings.cancel_booking(current_user, booking, form.reason.data or ""),
        _("The booking was cancelled."),
        ask=lambda: _cancelling(booking),
    )
    if promoted is not None:
        flash(_("%(name)s moved up from the waiting list.", name=promoted.resident.name), "info")
    elif booking.status == BookingStatus.CANCELLED and _offered(booking.session):
        flash(_("The place is offered to those on the waiting list: the first to say yes "
                "takes it."), "info")  # fmt: skip
    return redirect_back(
        url_for("residents.roster", ward=ward.slug, session_id=booking.session_id)
    )


def _offered(session: Session) -> bool:
    """Whether a place freed now goes out as an offer to the waiting list."""
    waiting = queries.booking_counts([session.id]).get(session.id, (0, 0))[1]
    return bool(waiting) and bookings.offers_instead(session, clock.now())


@bp.route("/manage/<ward>/enrolments/<int:enrolment_id>/cancel", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def cancel_enrolment(ward: Ward, enrolment_id: int):
    """Cancel a resident's whole course, or their place on its waiting list, once staff have
    seen which dates it gives up."""
    enrolment = get_in_ward_or_404(Enrolment, enrolment_id, ward)
    form = CancelCourseForm()
    name = enrolment.resident.name
    done = run_form(
        form,
        lambda: courses.cancel_enrolment(current_user, enrolment, form.reason.data or ""),
        _("%(name)s was taken off the course's waiting list.", name=name)
        if enrolment.status == EnrolmentStatus.WAITLISTED
        else _("%(name)s's whole course was cancelled.", name=name),
    )
    if done:
        for promoted in done.result:
            flash(_("%(name)s moved up from the course's waiting list and has every date.",
                    name=promoted.resident.name), "info")  # fmt: skip
        return redirect_back(url_for("residents.detail", ward=ward.slug,
                                     resident_id=enrolment.resident_id))  # fmt: skip
    page = render_template(
        "residents/cancel_course.html",
        ward=ward,
        enrolment=enrolment,
        form=form,
        dates=courses.bookings_to_come(enrolment),
        position=courses.course_waitlist_position(enrolment),
        back=safe_next_url(request.values.get("next")),
    )
    record_view("resident.view", enrolment.resident, ward)
    return page, form_status(form)


@bp.route("/manage/<ward>/bookings/<int:booking_id>/attendance", methods=["POST"])
@require(*RESIDENT_ROLES)
def attendance(ward: Ward, booking_id: int):
    booking = _booking_in_ward(ward, booking_id)
    form = BookingAttendanceForm()
    run_button(
        form,
        lambda: bookings.record_attendance(current_user, booking, form.attended.data == "yes"),
        _("Recorded."),
    )
    # Back to the same row, so a long list is not scrolled from the top after each tap.
    return redirect(url_for("residents.roster", ward=ward.slug, session_id=booking.session_id,
                            _anchor=f"booking-{booking.id}"))  # fmt: skip


@bp.route("/manage/<ward>/sessions/<int:session_id>/roster")
@require(*RESIDENT_ROLES)
@writes_on_read
def roster(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    course = courses.course_of(session)
    course_waiting = courses.course_waitlist(course) if course else []
    rows = queries.session_bookings(session)
    search_form, found = _search(ward)
    page = render_template(
        "residents/roster.html",
        ward=ward,
        session=session,
        rows=rows,
        has_started=session.starts_dt <= clock.now(),
        is_today=clock.to_local(session.starts_dt).date() <= clock.today(),
        search_form=search_form,
        found=found,
        slot_label=bookings.slot_label,
        last_reminders=reminder_services.latest_by_booking(session),
        course_waiting=course_waiting,
    )
    shown = [
        *(row.resident_id for row in rows),
        *(resident.id for resident in found or []),
        *(enrolment.resident_id for enrolment in course_waiting),
    ]
    record_view("resident.roster", session, ward, shown)
    return page


@bp.route("/manage/<ward>/sessions/<int:session_id>/sign-in")
@require(*RESIDENT_ROLES)
@writes_on_read
def sign_in(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    rows = [row for row in queries.session_bookings(session) if row.is_seated]
    page = render_template(
        "residents/sign_in.html",
        ward=ward,
        session=session,
        rows=rows,
        blank_rows=max(3, session.capacity - len(rows)),
        slot_label=bookings.slot_label,
    )
    record_view("resident.sign_in_sheet", session, ward, [row.resident_id for row in rows])
    return page


@bp.route("/manage/<ward>/sessions/<int:session_id>/walk-in", methods=["POST"])
@require(*RESIDENT_ROLES)
def walk_in(ward: Ward, session_id: int):
    session = get_in_ward_or_404(Session, session_id, ward)
    form = WalkInForm()

    def walk_in_resident():
        number = form.resident.data
        resident = db.session.get(Resident, number) if number and 0 < number <= MAX_ID else None
        if resident is None or resident.ward_id != ward.id:
            raise RuleViolation(_("Choose a resident of this ward."))
        return bookings.record_walk_in(current_user, session, resident)

    run_button(
        form,
        walk_in_resident,
        lambda booking: _("%(name)s recorded as a walk-in.", name=booking.resident.name),
    )
    return redirect(url_for("residents.roster", ward=ward.slug, session_id=session.id))


# -- follow-up ----------------------------------------------------------------------------


@bp.route("/manage/<ward>/follow-ups")
@require(*RESIDENT_ROLES)
@writes_on_read
def follow_ups(ward: Ward):
    due = queries.due_follow_ups(ward, clock.today())
    page = render_template(
        "residents/follow_ups.html",
        ward=ward,
        due=due,
        due_count=queries.count_due_follow_ups(ward, clock.today()),
    )
    record_view("resident.follow_up_list", None, ward, [item.resident_id for item in due])
    return page


@bp.route("/manage/<ward>/follow-ups/<int:follow_up_id>", methods=["GET", "POST"])
@require(*RESIDENT_ROLES)
@writes_on_read
def record_follow_up(ward: Ward, follow_up_id: int):
    follow_up = get_in_ward_or_404(FollowUp, follow_up_id, ward)
    if follow_up.resident.is_anonymised:
        abort(404)
    form = FollowUpForm.of((follow_up, survey_queries.ask_of_follow_up(follow_up)))
    if form.validate_on_submit():
        try:
            survey_services.record_follow_up_by_staff(
                current_user,
                follow_up,
                FollowUpAnswer(form.answer.data),
                form.procedure.data or "",
                form.note.data or "",
                int(form.satisfaction.data) if form.satisfaction.data else None,
            )
        except RuleViolation as violation:
            db.session.rollback()
            show_violation(form, violation)
        else:
            db.session.commit()
            flash(_("Answer saved."), "success")
            return redirect(url_for("residents.follow_ups", ward=ward.slug))
    page = render_template(
        "residents/follow_up.html",
        ward=ward,
        follow_up=follow_up,
        resident=follow_up.resident,
        form=form,
    )
    record_view("resident.view", follow_up.resident, ward)
    return page, form_status(form)
