"""A seat freed on one date of a course may complete the set for someone waiting for it."""

from __future__ import annotations

from inclusion.courses import services
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.extensions import db
from inclusion.residents.signals import booking_cancelled


@booking_cancelled.connect
def _date_freed(booking, actor=None, **_extra) -> None:
    series = services.course_of(booking.session)
    if series is None:
        return
    enrolment = db.session.get(Enrolment, booking.enrolment_id) if booking.enrolment_id else None
    # A whole course being cancelled gives its seats away once, at the end.
    if enrolment is None or enrolment.status != EnrolmentStatus.CANCELLED:
        services.promote_course_waitlist(actor, series)
