"""Residents, their bookings and the reminders those cause, through the API.

Residents' records are personal data: a key reaches those of its ward (or, for every
ward, the ward it names), and every read and change is written to the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l

from inclusion.api import schemas
from inclusion.api.access import ApiProblem, api_key, current_key
from inclusion.api.lookups import (
    check_unchanged,
    course_reachable,
    reachable,
    resident_reachable,
    set_version,
    version_header,
    ward_asked,
)
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.api.sessions_api import session_draft
from inclusion.audit.services import record_event
from inclusion.courses import services as courses
from inclusion.courses.models import Enrolment
from inclusion.db import writes_on_read
from inclusion.extensions import db
from inclusion.phones import parse_phone
from inclusion.residents import bookings
from inclusion.residents import services as resident_services
from inclusion.residents.models import Booking, BookingSource, OptOutSource, Resident
from inclusion.sessions import services as session_services
from inclusion.sessions.models import Series, Session
from inclusion.wards.models import Ward

residents_bp = Blueprint(
    "api_residents", __name__, url_prefix="/api/v1",
    description="Residents (personal data, audit-logged), bookings and reminders.",
)  # fmt: skip


def _ward(named: str | None) -> Ward:
    """The ward a resident belongs to: named, or the key's own; never "every ward"."""
    ward = ward_asked(named)
    if ward is None:
        raise ApiProblem(422, _l("Name the ward: this key is for every ward."), "ward")
    return ward


def _resident_to_book(resident_id: int) -> Resident:
    """The resident a booking names: one the key reaches, else a 422 on the field."""
    resident = db.session.get(Resident, resident_id)
    if resident is None or not current_key().reaches(resident.ward_id):
        raise ApiProblem(422, _l("There is no such resident in this ward."), "resident_id")
    return resident


@residents_bp.route("/residents")
@api_key(ApiScope.RESIDENTS_READ)
@writes_on_read
@residents_bp.arguments(schemas.ResidentSearch, location="query", as_kwargs=True)
@residents_bp.response(200, schemas.Resident(many=True))
def find_residents(phone: str, ward: str | None = None):
    """Residents with this phone number (the caller's, say): in the ward named, else the
    key's own, else — for a key of every ward, such as the joint call centre — in every
    ward. Audit-logged."""
    ward_row = ward_asked(ward)
    number = parse_phone(phone, "phone")
    if number is None:
        raise ApiProblem(422, _l("Give the phone number to look up."), "phone")
    if ward_row is None:
        found = resident_services.residents_with_number(number[0])
    else:
        found = resident_services.search_residents(ward_row, number[0])
    record_event(current_key().user, "resident.search", None, ward_row, {"shown": len(found)})
    db.session.commit()
    return found


@residents_bp.route("/residents/<int:resident_id>")
@api_key(ApiScope.RESIDENTS_READ)
@residents_bp.etag
@residents_bp.response(200, schemas.Resident)
def get_resident(resident_id: int):
    """One resident's record; audit-logged."""
    resident = resident_reachable(resident_id)
    set_version(residents_bp, resident, schemas.Resident)
    return resident


@residents_bp.route("/residents", methods=["POST"])
@api_key(ApiScope.RESIDENTS_WRITE)
@residents_bp.arguments(schemas.ResidentInput)
@residents_bp.response(201, schemas.Resident)
def create_resident(values: dict):
    """Register a resident; 409 with the likely same people unless confirmed_new is true."""
    ward = _ward(values.pop("ward", None))
    confirmed_new = values.pop("confirmed_new")
    draft = resident_services.ResidentDraft(**values)
    try:
        resident = resident_services.create_resident(
            current_key().user, ward, draft, confirmed_new=confirmed_new
        )
    except resident_services.PossibleDuplicate as duplicate:
        raise ApiProblem(
            409,
            _l("Residents with this number or name are on record: is it one of them?"),
            code="possible-duplicate",
            matches=schemas.ResidentMatch(many=True).dump(duplicate.matches),
        ) from None
    db.session.commit()
    return resident, 201, version_header(residents_bp, resident, schemas.Resident)


@residents_bp.route("/residents/<int:resident_id>", methods=["PATCH"])
@api_key(ApiScope.RESIDENTS_WRITE)
@residents_bp.etag
@residents_bp.arguments(schemas.ResidentChange(partial=True))
@residents_bp.response(200, schemas.Resident)
def update_resident(values: dict, resident_id: int):
    """Correct what is given; the audit log names the fields changed, not their contents."""
    resident = check_unchanged(residents_bp, resident_reachable(resident_id), schemas.Resident)
    values.pop("ward", None)
    values.pop("confirmed_new", None)
    draft = replace(resident_services.ResidentDraft.of(resident), **values)
    resident_services.update_resident(current_key().user, resident, draft)
    db.session.commit()
    set_version(residents_bp, resident, schemas.Resident)
    return resident


# -- consent ---------------------------------------------------------------------------------


@residents_bp.route("/residents/<int:resident_id>/consent")
@api_key(ApiScope.RESIDENTS_READ)
@residents_bp.response(200, schemas.ConsentState)
def get_consent(resident_id: int):
    """What a resident agreed to, year by year, and whether each contact gets reminders;
    audit-logged."""
    return resident_services.consent_state(resident_reachable(resident_id))


@residents_bp.route("/residents/<int:resident_id>/consent/reminders", methods=["POST"])
@api_key(ApiScope.RESIDENTS_WRITE)
@residents_bp.arguments(schemas.ReminderChoice)
@residents_bp.response(200, schemas.ConsentState)
def change_reminders(values: dict, resident_id: int):
    """Stop or restart reminders to the resident or their contact person, as the staff
    page does: a stop takes effect at once, and messages waiting to go are dropped."""
    resident = resident_reachable(resident_id)
    resident_services.set_opt_out(
        current_key().user,
        resident,
        not values["gets_reminders"],
        OptOutSource.STAFF,
        values["contact"],
        values["reason"],
    )
    db.session.commit()
    return resident_services.consent_state(resident)


@residents_bp.route("/residents/<int:resident_id>/consents", methods=["POST"])
@api_key(ApiScope.RESIDENTS_WRITE)
@residents_bp.arguments(schemas.ConsentInput)
@residents_bp.response(201, schemas.ConsentState)
def record_consent(values: dict, resident_id: int):
    """Record this fiscal year's consent (keeping their details is always part of it)."""
    resident = resident_reachable(resident_id)
    resident_services.record_consent(current_key().user, resident, values["scopes"],
                                     values["method"], values["given_on"])  # fmt: skip
    db.session.commit()
    return resident_services.consent_state(resident)


# -- bookings --------------------------------------------------------------------------------


@residents_bp.route("/sessions/<int:session_id>/bookings", methods=["POST"])
@api_key(ApiScope.BOOKINGS_WRITE)
@residents_bp.arguments(schemas.BookingInput)
@residents_bp.response(201, schemas.Booking)
def book(values: dict, session_id: int):
    """Book a seat or slot, or a place on the waiting list when full; race-safe."""
    session = reachable(Session, session_id)
    resident = _resident_to_book(values["resident_id"])
    booking = bookings.book_resident(
        current_key().user,
        resident,
        session,
        BookingSource(values["source"]),
        place=values["place"],
    )
    db.session.commit()
    return booking


@residents_bp.route("/bookings/<int:booking_id>")
@api_key(ApiScope.BOOKINGS_READ)
@residents_bp.response(200, schemas.Booking)
def get_booking(booking_id: int):
    """A booking, with its place on the waiting list."""
    return reachable(Booking, booking_id)


@residents_bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@api_key(ApiScope.BOOKINGS_WRITE)
@residents_bp.arguments(schemas.BookingCancellation)
@residents_bp.response(200, schemas.Cancelled)
def cancel_booking(values: dict, booking_id: int):
    """Cancel; a freed place goes to the first on the waiting list at once."""
    booking = reachable(Booking, booking_id)
    promoted = bookings.cancel_booking(current_key().user, booking, values["reason"])
    db.session.commit()
    return {"booking": booking, "promoted": promoted}


@residents_bp.route("/bookings/<int:booking_id>/attendance", methods=["POST"])
@api_key(ApiScope.BOOKINGS_WRITE)
@residents_bp.arguments(schemas.Attendance)
@residents_bp.response(200, schemas.Booking)
def attendance(values: dict, booking_id: int):
    """Mark whether the resident came (once the session has started)."""
    booking = reachable(Booking, booking_id)
    bookings.record_attendance(current_key().user, booking, values["attended"])
    db.session.commit()
    return booking


# -- courses -------------------------------------------------------------------------------


@residents_bp.route("/courses/<int:series_id>")
@api_key(ApiScope.SESSIONS_READ)
@residents_bp.response(200, schemas.Course)
def get_course(series_id: int):
    """A course and every date of it; booking one books them all."""
    return course_of(course_reachable(series_id))


@residents_bp.route("/courses", methods=["POST"])
@api_key(ApiScope.SESSIONS_WRITE)
@residents_bp.arguments(schemas.CourseInput)
@residents_bp.response(201, schemas.Course)
@residents_bp.alt_response(
    200, schema=schemas.Course, description="The same course asked for again"
)
def create_course(values: dict):
    """Add a course and every date of it, each checked as the staff form checks it; the
    same course asked for again (a retried request) answers 200 with the first."""
    repeats = ("interval_weeks", "weeks", "holiday_rule", "skip_year_end")
    options = {name: values.pop(name) for name in repeats}
    series, created = session_services.create_series(
        current_key().user, session_draft(values), is_course=True, **options
    )
    db.session.commit()
    return course_of(series), 201 if created else 200


def course_of(series: Series) -> SimpleNamespace:
    return SimpleNamespace(id=series.id, ward=series.ward, title=series.title,
                           dates=courses.course_dates(series, upcoming=False))  # fmt: skip


@residents_bp.route("/courses/<int:series_id>/enrolments", methods=["POST"])
@api_key(ApiScope.BOOKINGS_WRITE)
@residents_bp.arguments(schemas.EnrolmentInput)
@residents_bp.response(201, schemas.Enrolment)
def enrol(values: dict, series_id: int):
    """Book a resident on every remaining date, or the course's waiting list as a whole when
    a date is full: all or nothing, race-safe."""
    series = course_reachable(series_id)
    resident = _resident_to_book(values["resident_id"])
    enrolment = courses.enrol_resident(
        current_key().user, resident, series, BookingSource(values["source"])
    )
    db.session.commit()
    return enrolment


@residents_bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["POST"])
@api_key(ApiScope.BOOKINGS_WRITE)
@residents_bp.arguments(schemas.BookingCancellation)
@residents_bp.response(200, schemas.Enrolment)
def cancel_enrolment(values: dict, enrolment_id: int):
    """Cancel the whole course: every date still to come, or the place on its waiting list."""
    enrolment = reachable(Enrolment, enrolment_id)
    courses.cancel_enrolment(current_key().user, enrolment, values["reason"])
    db.session.commit()
    return enrolment
