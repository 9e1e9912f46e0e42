"""Test data: each factory adds a row, flushes it and returns it."""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from inclusion import clock
from inclusion.auth.models import Role, User
from inclusion.calls.models import Call, CallOutcome, CallTopic
from inclusion.cover.models import CoverRequest, CoverStatus, SwapRequest, SwapStatus
from inclusion.extensions import db
from inclusion.loans.models import Device, DeviceState, Loan
from inclusion.phones import PhoneKind
from inclusion.residents.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Consent,
    ConsentMethod,
    FollowUp,
    ReminderChannel,
    Resident,
    ResidentPhone,
)
from inclusion.sessions.models import HolidayRule, Session, SessionKind, Topic
from inclusion.staff_training.models import StaffCourse, StaffEnrolment, StaffTraining
from inclusion.surveys.models import SurveyAsk, SurveyKind
from inclusion.venues.models import Venue, VenueKind
from inclusion.volunteers.models import (
    Shift,
    ShiftRole,
    ShiftStatus,
    TrainingLevel,
    TrainingRecord,
    VolunteerProfile,
)
from inclusion.wards.models import Ward

PASSWORD = "correct horse battery"
#: A cheap scrypt (the tests' apps hash with it too): the real cost is slow on purpose.
PASSWORD_METHOD = "scrypt:1024:8:1"
_numbers = itertools.count(1)


@functools.cache
def password_hash(password: str) -> str:
    """A cheap scrypt hash: the app's own cost is slow on purpose, tests log in often."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def make_user(
    role: Role = Role.WARD_STAFF,
    ward: Ward | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    is_active: bool = True,
    display_name: str | None = None,
) -> User:
    number = next(_numbers)
    user = User(
        email=email or f"{role.value}{number}@example.jp",
        display_name=display_name or f"テスト {role.value} {number}",
        role=role,
        ward=ward,
        is_active=is_active,
        password_hash=password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_venue(ward: Ward, name: str | None = None, capacity: int = 30, **fields) -> Venue:
    venue = Venue(
        ward=ward,
        name=name or f"テスト会館 {next(_numbers)}",
        kind=fields.pop("kind", VenueKind.COMMUNITY_CENTRE),
        address=fields.pop("address", "東京都渋谷区テスト1-2-3"),
        default_capacity=capacity,
        **fields,
    )
    db.session.add(venue)
    db.session.flush()
    return venue


def make_session(
    venue: Venue,
    starts_dt: datetime | None = None,
    hours: float = 1.5,
    kind: SessionKind = SessionKind.CLASS,
    topics: tuple[Topic, ...] = (),
    flush: bool = True,
    **fields,
) -> Session:
    """A session a few days ahead unless told when; rows only, no service rules."""
    if starts_dt is None:
        # Three days ahead in the daytime, a few minutes apart: never across local midnight,
        # whenever the tests run.
        starts_dt = clock.to_utc(clock.today() + timedelta(days=3), time(10)) + timedelta(
            minutes=next(_numbers) % 480
        )
    session = Session(
        ward_id=venue.ward_id,
        venue=venue,
        kind=kind,
        title=fields.pop("title", f"スマホ教室 {next(_numbers)}"),
        starts_dt=starts_dt,
        ends_dt=starts_dt + timedelta(hours=hours),
        capacity=fields.pop("capacity", 10),
        lead_needed=fields.pop("lead_needed", 1),
        assistants_needed=fields.pop("assistants_needed", 3),
        **fields,
    )
    session.topics = list(topics)
    db.session.add(session)
    if flush:
        db.session.flush()
    return session


def make_volunteer(
    *wards: Ward,
    level: TrainingLevel | None = TrainingLevel.ASSISTANT,
    completed_on: date | None = None,
    expires_on: date | None = None,
    **fields,
) -> User:
    """A volunteer helping in ``wards``, trained at ``level`` (None: untrained)."""
    volunteer = make_user(role=Role.VOLUNTEER, **fields)
    profile = VolunteerProfile(user=volunteer, skills=[], wards=list(wards))
    db.session.add(profile)
    if level is not None:
        db.session.add(
            TrainingRecord(
                user_id=volunteer.id,
                course="デジタル活用支援員養成講座",
                level=level,
                completed_on=completed_on or date(2026, 4, 1),
                expires_on=expires_on,
            )
        )
    db.session.flush()
    return volunteer


def make_shift(
    session: Session,
    volunteer: User,
    role: ShiftRole = ShiftRole.ASSISTANT,
    status: ShiftStatus = ShiftStatus.CLAIMED,
    slot_number: int = 1,
) -> Shift:
    shift = Shift(
        session_id=session.id,
        user_id=volunteer.id,
        role=role,
        status=status,
        slot_number=slot_number,
    )
    db.session.add(shift)
    db.session.flush()
    return shift


def make_resident(
    ward: Ward,
    kana: str | None = None,
    phones: tuple[str, ...] = ("+81355550000",),
    channel: ReminderChannel = ReminderChannel.VOICE,
    **fields,
) -> Resident:
    """A resident with landline numbers unless told otherwise; rows only, no service rules."""
    number = next(_numbers)
    family_kana = kana or f"テスト{number}"
    resident = Resident(
        ward_id=ward.id,
        family_name=fields.pop("family_name", f"試験{number}"),
        given_name=fields.pop("given_name", "花子"),
        family_kana=family_kana,
        given_kana="ハナコ",
        kana_key=family_kana + "ハナコ",
        reminder_channel=channel,
        phones=[
            ResidentPhone(
                e164=e164,
                kind=PhoneKind.MOBILE
                if e164.startswith(("+819", "+818", "+817"))
                else PhoneKind.LANDLINE,
                position=position,
            )
            for position, e164 in enumerate(phones)
        ],
        **fields,
    )
    db.session.add(resident)
    db.session.flush()
    return resident


def make_booking(
    session: Session,
    resident: Resident,
    status: BookingStatus = BookingStatus.BOOKED,
    place: int | None = 1,
) -> Booking:
    booking = Booking(
        session_id=session.id,
        resident_id=resident.id,
        ward_id=session.ward_id,
        status=status,
        place=None if status == BookingStatus.WAITLISTED else place,
        source=BookingSource.PHONE,
        queued_dt=datetime.now(UTC) if status == BookingStatus.WAITLISTED else None,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def make_follow_up(resident: Resident, first_attended_on: date = date(2026, 5, 1)) -> FollowUp:
    """A follow-up of ``resident``, who agreed to it when they came (unless a consent of
    theirs is recorded already: that one stands)."""
    if db.session.scalar(sa.select(Consent.id).where(Consent.resident_id == resident.id)) is None:
        make_consent(resident, ("follow_up", "record", "reminders"), given_on=first_attended_on)
    follow_up = FollowUp(
        resident_id=resident.id,
        ward_id=resident.ward_id,
        first_attended_on=first_attended_on,
        due_on=first_attended_on + timedelta(days=92),
    )
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def make_reminder(booking: Booking, status=None, **fields):
    """An outbox row for a booking's resident; rows only, no planning rules."""
    from inclusion.reminders.models import Recipient, Reminder, ReminderStatus

    values = {
        "key": f"b{booking.id}:test:{next(_numbers)}",
        "ward_id": booking.ward_id,
        "session_id": booking.session_id,
        "booking_id": booking.id,
        "resident_id": booking.resident_id,
        "recipient": Recipient.RESIDENT,
        "kind": "two_days_before",
        "channel": ReminderChannel.VOICE,
        "to_e164": "+81355550000",
        "due_dt": datetime.now(UTC),
        "status": status or ReminderStatus.SENT,
    }
    reminder = Reminder(**{**values, **fields})
    db.session.add(reminder)
    db.session.flush()
    return reminder


def make_calendar_import(ward: Ward):
    """An uploaded .ics of one event in ten days, waiting for its preview."""
    from inclusion.calendar.models import CalendarImport

    day = clock.today() + timedelta(days=10)
    content = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//JA\r\nBEGIN:VEVENT\r\n"
        f"UID:import-{next(_numbers)}@example.jp\r\nSUMMARY:取り込む講座\r\n"
        f"DTSTART;TZID=Asia/Tokyo:{day:%Y%m%d}T100000\r\n"
        f"DTEND;TZID=Asia/Tokyo:{day:%Y%m%d}T113000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    upload = CalendarImport(
        ward_id=ward.id, venue_id=make_venue(ward).id, filename="test.ics", content=content
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def make_target(metric=None, value: int = 1000, year: int | None = None):
    """An all-wards target, by default for a year of its own (one per metric and years)."""
    from inclusion.targets.models import Metric, Target

    year = year or 3000 + next(_numbers)
    target = Target(
        metric=metric or Metric.CONSULTATIONS_HELD, first_year=year, last_year=year, value=value
    )
    db.session.add(target)
    db.session.flush()
    return target


def make_api_key(scopes=None, ward=None):
    """A live API key for all wards (every scope unless told), made by the service."""
    from inclusion.api.models import ApiScope
    from inclusion.api.services import create_key

    key, _secret = create_key(
        None, f"integration {next(_numbers)}", scopes or list(ApiScope), ward
    )
    return key


def make_reply(ward: Ward | None, outcome=None, **fields):
    """A reply in a ward's inbox (``None``: no ward could be told), waiting for a call back."""
    from inclusion.reminders.models import Reply, ReplyOutcome

    reply = Reply(
        ward_id=ward.id if ward else None,
        channel=fields.pop("channel", ReminderChannel.SMS),
        from_e164=fields.pop("from_e164", "+819055550000"),
        body=fields.pop("body", "2"),
        outcome=outcome or ReplyOutcome.AMBIGUOUS,
        resident_ids=fields.pop("resident_ids", []),
        **fields,
    )
    db.session.add(reply)
    db.session.flush()
    return reply


def make_series(ward: Ward, dates: int = 4, is_course: bool = True, capacity: int = 10):
    """A weekly series of ``dates`` classes from next week, a course unless told; rows only."""
    from inclusion.sessions.models import Series

    first = clock.today() + timedelta(days=7)
    series = Series(
        ward_id=ward.id, fingerprint=f"test-{next(_numbers)}", title="スマホ講座",
        first_date=first, starts_time=time(10), ends_time=time(12), interval_weeks=1,
        weeks=dates, holiday_rule=HolidayRule.HOLD, skips_year_end=False, is_course=is_course,
    )  # fmt: skip
    db.session.add(series)
    venue = make_venue(ward)
    for week in range(dates):
        make_session(
            venue, starts_dt=clock.to_utc(first + timedelta(weeks=week), time(10)), hours=2,
            capacity=capacity, series=series, title="スマホ講座",
        )  # fmt: skip
    db.session.flush()
    return series


def make_enrolment(ward: Ward):
    """A resident booked on every date of a new course, by the service."""
    from inclusion.courses.services import enrol_resident

    return enrol_resident(None, make_resident(ward, kana="コウザ"), make_series(ward),
                          BookingSource.PHONE)  # fmt: skip


def make_webhook_delivery(ward: Ward):
    """A delivered ``ping`` to an endpoint of the ward; rows only."""
    from inclusion.webhooks.models import (
        DeliveryStatus,
        WebhookDelivery,
        WebhookEndpoint,
        WebhookEvent,
    )

    endpoint = WebhookEndpoint(
        ward_id=ward.id,
        url="https://example.jp/hooks",
        events=["booking.created"],
        scopes=[],
        secret="whsec_dGVzdA==",
    )
    sent = WebhookDelivery(
        endpoint=endpoint,
        message_id=f"msg_test{next(_numbers)}",
        event=WebhookEvent.PING,
        body="{}",
        status=DeliveryStatus.DELIVERED,
    )
    db.session.add(sent)
    db.session.flush()
    return sent


def make_cover_request(ward: Ward) -> CoverRequest:
    """A volunteer's open request for cover of their shift in ``ward``, offered to none."""
    volunteer = make_volunteer(ward)
    shift = make_shift(make_session(make_venue(ward)), volunteer)
    request = CoverRequest(shift_id=shift.id, session_id=shift.session_id, ward_id=ward.id,
                           requested_by_id=volunteer.id, status=CoverStatus.OPEN)  # fmt: skip
    db.session.add(request)
    db.session.flush()
    return request


def make_swap(ward: Ward) -> SwapRequest:
    """Two volunteers of ``ward``, one asking the other to exchange shifts."""
    venue = make_venue(ward)
    offered = make_shift(make_session(venue), make_volunteer(ward))
    wanted = make_shift(make_session(venue), make_volunteer(ward))
    swap = SwapRequest(offered_shift_id=offered.id, wanted_shift_id=wanted.id,
                       proposer_id=offered.user_id, partner_id=wanted.user_id,
                       status=SwapStatus.PROPOSED)  # fmt: skip
    db.session.add(swap)
    db.session.flush()
    return swap


def make_device(ward: Ward, **fields) -> Device:
    device = Device(ward_id=ward.id, model=fields.pop("model", "らくらくスマートフォン F-52B"),
                    serial=fields.pop("serial", f"SN{next(_numbers):08d}"), **fields)  # fmt: skip
    db.session.add(device)
    db.session.flush()
    return device


def make_loan(ward: Ward, resident: Resident | None = None, **fields) -> Loan:
    """A device of ``ward`` lent (rows only) to a resident of it since yesterday."""
    device = make_device(ward, state=DeviceState.LENT)
    today = clock.today()
    loan = Loan(ward_id=ward.id, device_id=device.id,
                resident_id=(resident or make_resident(ward)).id,
                starts_on=fields.pop("starts_on", today - timedelta(days=1)),
                due_on=fields.pop("due_on", today + timedelta(days=180)),
                agreement_signed_on=fields.pop("agreement_signed_on", today - timedelta(days=1)),
                **fields)  # fmt: skip
    db.session.add(loan)
    db.session.flush()
    return loan


def make_call(ward: Ward, resident: Resident | None = None, **fields) -> Call:
    """A call passed to ``ward`` by the call centre (rows only)."""
    call = Call(ward_id=ward.id, resident_id=resident.id if resident else None,
                topic=fields.pop("topic", CallTopic.PHONE_USE),
                outcome=fields.pop("outcome", CallOutcome.PASSED),
                is_resolved=fields.pop("is_resolved", False),
                note=fields.pop("note", "折り返しの電話をお願いします"), **fields)  # fmt: skip
    db.session.add(call)
    db.session.flush()
    return call


def make_staff_training(ward: Ward | None, **fields) -> StaffTraining:
    """A literacy training for ``ward``'s staff (None: every ward's) next week; rows only."""
    starts = clock.to_utc(clock.today() + timedelta(days=7), time(14))
    training = StaffTraining(course=fields.pop("course", StaffCourse.LITERACY),
                             title=fields.pop("title", "デジタルリテラシー研修"),
                             ward_id=ward.id if ward else None, place="研修室",
                             starts_dt=starts, ends_dt=starts + timedelta(hours=2),
                             capacity=fields.pop("capacity", 30), **fields)  # fmt: skip
    db.session.add(training)
    db.session.flush()
    return training


def make_staff_enrolment(ward: Ward) -> StaffEnrolment:
    """A place of a new staff member of ``ward`` at a training of that ward."""
    enrolment = StaffEnrolment(training_id=make_staff_training(ward).id,
                               user_id=make_user(ward=ward).id)  # fmt: skip
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def make_consent(resident: Resident, scopes: tuple[str, ...] = ("record", "reminders"),
                 given_on: date | None = None) -> Consent:  # fmt: skip
    """A consent of ``resident`` to ``scopes``, given today unless told."""
    given_on = given_on or clock.today()
    consent = Consent(resident_id=resident.id, fiscal_year=clock.fiscal_year(given_on),
                      scopes=sorted(scopes), method=ConsentMethod.COUNTER,
                      given_on=given_on)  # fmt: skip
    db.session.add(consent)
    db.session.flush()
    return consent


def make_survey_ask(ward: Ward, resident: Resident | None = None, **fields) -> SurveyAsk:
    """A resident of ``ward`` drawn today for this year's survey; rows only."""
    resident = resident or make_resident(ward)
    ask = SurveyAsk(kind=fields.pop("kind", SurveyKind.YEARLY), ward_id=ward.id,
                    resident_id=resident.id, fiscal_year=clock.fiscal_year(clock.today()),
                    asked_on=fields.pop("asked_on", clock.today()),
                    link_token=fields.pop("link_token", f"t{next(_numbers):010d}"),
                    **fields)  # fmt: skip
    db.session.add(ask)
    db.session.flush()
    return ask
