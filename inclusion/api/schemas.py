"""What the API reads and writes, as marshmallow schemas (the OpenAPI description's too)."""

from __future__ import annotations

import operator

import marshmallow as ma
from marshmallow import fields, validate

from inclusion import clock
from inclusion.api.disclosure import disclose
from inclusion.api.models import ApiScope
from inclusion.api.problems import both_languages
from inclusion.calls.models import CallOutcome, CallTopic
from inclusion.courses.models import EnrolmentStatus
from inclusion.courses.services import course_waitlist_position, enrolment_booking_ids
from inclusion.forms import EARLIEST_DAY, LATEST_DAY, unix_lines
from inclusion.loans.models import DeviceState, ReturnCondition
from inclusion.loans.queries import LOAN_STATES
from inclusion.phones import PhoneKind, without_numbers
from inclusion.reminders.media import Medium
from inclusion.reminders.models import ReminderStatus, ReplyOutcome
from inclusion.residents.bookings import waitlist_position
from inclusion.residents.models import (
    BookingSource,
    BookingStatus,
    ConsentMethod,
    ConsentScope,
    Contact,
    OptOutSource,
    ReminderChannel,
)
from inclusion.residents.services import age_band
from inclusion.sessions.models import HolidayRule, Level, SessionKind, SessionStatus, Topic
from inclusion.sessions.services import SLOT_MINUTES
from inclusion.staff_training.models import StaffCourse
from inclusion.venues.models import VenueKind
from inclusion.volunteers.models import ShiftOrigin, ShiftRole, ShiftStatus, Skill, TrainingLevel

#: Keyset pages: at most this many rows, 50 unless asked.
MAX_PAGE = 200


#: HH:MM, as the description says, so generated and hand-written clients agree.
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def clock_time(**options) -> fields.Time:
    """A local time of day, ``10:30``."""
    metadata = {"pattern": CLOCK_PATTERN, "example": "10:30", **options.pop("metadata", {})}
    return fields.Time(format="%H:%M", metadata=metadata, **options)


#: The years the pages take too (2000–2100), written so a client's validator knows.
DATE_PATTERN = r"^(20[0-9][0-9]|2100)-[0-9]{2}-[0-9]{2}$"


def _plausible(day) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ma.ValidationError("Enter a date from 2000 to 2100.")


def local_date(**options) -> fields.Date:
    """A local date, ``2026-12-10``, between 2000 and 2100."""
    metadata = {"pattern": DATE_PATTERN, "example": "2026-12-10", **options.pop("metadata", {})}
    return fields.Date(validate=_plausible, metadata=metadata, **options)


def local_iso(moment) -> str | None:
    """A UTC datetime as local ISO 8601 with its offset, e.g. 2026-12-10T10:00:00+09:00."""
    return clock.to_local(moment).isoformat() if moment is not None else None


#: No control characters but line breaks and tabs: nobody types them, PostgreSQL cannot
#: store U+0000, and the others break calendars, CSV files and logs. Described, so clients
#: know; the pages drop them as they come in (``plain_text``).
NO_CONTROLS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


def moment(attribute: str, **options) -> fields.Function:
    """An instant the record holds (``starts_dt``, ``figures.counted_dt``), written in
    local time with its offset."""
    read = operator.attrgetter(attribute)
    metadata = {"type": "string", "format": "date-time", "example": "2026-12-10T10:00:00+09:00",
                **options.pop("metadata", {})}  # fmt: skip
    return fields.Function(lambda record: local_iso(read(record)), metadata=metadata, **options)


def ward_slug(**options) -> fields.Function:
    """The record's ward by its romanised name, e.g. shibuya."""
    metadata = {"type": "string", "example": "shibuya", **options.pop("metadata", {})}
    return fields.Function(
        lambda record: record.ward.slug if record.ward else None, metadata=metadata, **options
    )


def typed(kind: str, getter, **options) -> fields.Function:
    """A value worked out from the record, with its JSON type written in the description."""
    metadata = {"type": kind, **options.pop("metadata", {})}
    return fields.Function(getter, metadata=metadata, **options)


class Text(fields.String):
    """A string as people type it, without control characters; line breaks stored as LF, as
    the pages store them, so the same text is the same whichever way it came."""

    def __init__(self, **kwargs) -> None:
        given = kwargs.pop("validate", None)
        given = [] if given is None else given if isinstance(given, list) else [given]
        super().__init__(validate=[*given, validate.Regexp(NO_CONTROLS)], **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return unix_lines(super()._deserialize(value, attr, data, **kwargs))


class Strict(ma.Schema):
    """What clients send: unknown fields are refused, so a misspelt one is not ignored."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class Out(ma.Schema):
    """What the API answers; clients should ignore fields they do not know (new ones come)."""

    class Meta:
        ordered = True


class PersonalData(Out):
    """A person's record: whole for a key with ``READ_SCOPE`` (each resident shown is
    audit-logged), else only the fields in ``NOT_PERSONAL``; see ``api.disclosure``."""

    READ_SCOPE = ApiScope.RESIDENTS_READ
    NOT_PERSONAL: tuple[str, ...] = ("id",)

    def residents_in(self, record) -> dict[int, int]:
        """The residents (id: ward id) a record shown whole tells about, for the audit."""
        if self.READ_SCOPE != ApiScope.RESIDENTS_READ:
            return {}
        return {record.id: record.ward_id}

    @ma.post_dump(pass_original=True)
    def _within_scope(self, data: dict, record, **kwargs) -> dict:
        return disclose(data, self.NOT_PERSONAL, self.READ_SCOPE, self.residents_in(record))


def personal_schemas(schema: ma.Schema, seen: frozenset[type] = frozenset()) -> list[ma.Schema]:
    """The schemas of residents' records that ``schema`` writes out, however nested."""
    if type(schema) in seen:
        return []
    if isinstance(schema, PersonalData):
        return [schema]
    found = []
    for field in schema.fields.values():
        inner = field.inner if isinstance(field, ma.fields.List) else field
        if isinstance(inner, ma.fields.Nested):
            found += personal_schemas(inner.schema, seen | {type(schema)})
    return found


def personal_fields(schema: ma.Schema | None) -> dict[str, dict[str, list[str]]] | None:
    """Which fields of a person a response in ``schema`` carries, per read scope: ``with``
    it and ``without`` it; None when it carries no one's record."""
    found = personal_schemas(schema) if schema is not None else []
    if not found:
        return None
    return {
        scope.value: {
            "with": sorted({name for one in found if one.READ_SCOPE == scope
                            for name in one.fields}),
            "without": sorted({name for one in found if one.READ_SCOPE == scope
                               for name in one.NOT_PERSONAL}),
        }
        for scope in dict.fromkeys(one.READ_SCOPE for one in found)
    }  # fmt: skip


class Localised(Out):
    ja = fields.Str(required=True)
    en = fields.Str(required=True)


class FieldProblem(Out):
    field = fields.Str(required=True)
    location = fields.Str(data_key="in", required=True)
    message = fields.Nested(Localised, required=True)


class Problem(Out):
    """application/problem+json (RFC 9457), with the message in Japanese and English."""

    type = fields.Str(required=True)
    code = fields.Str(required=True, metadata={"description": "Machine-readable, stable."})
    title = fields.Str(required=True)
    status = fields.Int(required=True)
    detail = fields.Str(required=True)
    message = fields.Nested(Localised, required=True)
    field = fields.Str(allow_none=True, required=True)
    instance = fields.Str(required=True)
    errors = fields.List(fields.Nested(FieldProblem))
    matches = fields.List(
        fields.Nested("ResidentMatch"),
        metadata={"description": "With 409 duplicate-resident: the records that may be the same."},
    )


class Ward(Out):
    code = fields.Str(metadata={"description": "Local government code, e.g. 131130."})
    slug = fields.Str(metadata={"description": "Romanised name, e.g. shibuya."})
    name_ja = fields.Str()
    name_en = fields.Str()
    booking_phone = fields.Str(metadata={"description": "Where residents call to book."})
    booking_hours = fields.Str(metadata={"description": "When that phone is answered."})
    booking_counter = fields.Str(metadata={"description": "Where residents book in person."})


class WardChange(Strict):
    """How residents book with a ward (only what changes)."""

    booking_phone = Text(
        validate=validate.Length(max=30),
        metadata={"description": "A Japanese number that can be called, e.g. 03-1234-5678.",
                  "example": "03-3463-1211"},
    )  # fmt: skip
    booking_hours = Text(validate=validate.Length(max=100),
                         metadata={"example": "平日 9:00〜17:00"})  # fmt: skip
    booking_counter = Text(validate=validate.Length(max=200),
                           metadata={"example": "区役所 2階 デジタル推進課"})  # fmt: skip


class Venue(Out):
    id = fields.Int()
    ward = ward_slug()
    name = fields.Str()
    kind = fields.Enum(VenueKind, by_value=True)
    address = fields.Str()
    has_step_free_access = fields.Bool()
    has_lift = fields.Bool()
    has_hearing_loop = fields.Bool()
    access_notes = fields.Str()
    default_capacity = fields.Int()
    is_active = fields.Bool(metadata={"description": "False once archived."})


class VenueInput(Strict):
    """A venue as staff enter it, with what a resident needs to know to get in."""

    name = Text(required=True, validate=validate.Length(1, 100),
                metadata={"example": "渋谷区立中央図書館"})  # fmt: skip
    kind = fields.Enum(VenueKind, by_value=True, required=True)
    address = Text(required=True, validate=validate.Length(1, 200),
                   metadata={"example": "東京都渋谷区神宮前1-1-1"})  # fmt: skip
    default_capacity = fields.Int(required=True, validate=validate.Range(1, 1000))
    has_step_free_access = fields.Bool(load_default=False)
    has_lift = fields.Bool(load_default=False)
    has_hearing_loop = fields.Bool(load_default=False)
    access_notes = Text(load_default="", validate=validate.Length(max=2000))


class VenueChange(VenueInput):
    """Only what changes (loaded as partial)."""

    is_active = fields.Bool(metadata={"description": "true brings an archived venue back."})


class VenueRef(Out):
    id = fields.Int()
    name = fields.Str()
    address = fields.Str()


def course_of_session(session) -> int | None:
    return session.series_id if session.series is not None and session.series.is_course else None


class SessionRef(Out):
    """What a list of bookings or shifts says of each session: enough to read out on the phone."""

    id = fields.Int()
    kind = fields.Enum(SessionKind, by_value=True)
    title = fields.Str()
    starts_at = moment("starts_dt")
    ends_at = moment("ends_dt")
    status = fields.Enum(SessionStatus, by_value=True)
    venue = fields.Nested(VenueRef)
    course_id = typed("integer", course_of_session, allow_none=True)


class SessionBase(Out):
    id = fields.Int()
    ward = ward_slug()
    venue = fields.Nested(VenueRef)
    kind = fields.Enum(SessionKind, by_value=True)
    title = fields.Str()
    level = fields.Enum(Level, by_value=True)
    description = fields.Str()
    room = fields.Str()
    topics = fields.List(fields.Enum(Topic, by_value=True))
    starts_at = moment("starts_dt")
    ends_at = moment("ends_dt")
    has_device_loan = fields.Bool()
    course_id = typed(
        "integer",
        course_of_session, allow_none=True,
        metadata={"description": "The course this date belongs to: book it as a whole, "
                  "POST /courses/{course_id}/enrolments."},
    )  # fmt: skip


class Session(SessionBase):
    capacity = fields.Int()
    slot_minutes = fields.Int(allow_none=True)
    lead_needed = fields.Int()
    assistants_needed = fields.Int()
    status = fields.Enum(SessionStatus, by_value=True)
    cancel_reason = fields.Str()
    sequence = fields.Int(metadata={"description": "Bumped by every change a calendar shows."})
    booked = fields.Int(metadata={"description": "Seats or slots taken."})
    waiting = fields.Int(metadata={"description": "On the waiting list."})


class PublicSession(SessionBase):
    """What a ward's website shows: no volunteer or booking details beyond seats left."""

    seats_left = fields.Int(allow_none=True, metadata={"description": "None for salons."})
    url = fields.Str(metadata={"description": "The session's public page."})


class Page(Out):
    next_cursor = fields.Str(
        allow_none=True, metadata={"description": "Pass as ?cursor= for the next page."}
    )


class SessionPage(Page):
    items = fields.List(fields.Nested(Session))


class PublicSessionPage(Page):
    items = fields.List(fields.Nested(PublicSession))


class PageArgs(Strict):
    cursor = fields.Str(
        validate=validate.Regexp(r"^[0-9]{1,16}-[0-9]{1,18}$"),
        metadata={"description": "The next_cursor of the page before."},
    )
    limit = fields.Int(load_default=50, validate=validate.Range(1, MAX_PAGE))


class UpcomingArgs(PageArgs):
    when = fields.Str(
        load_default="upcoming", validate=validate.OneOf(["upcoming", "past"]),
        metadata={"description": "upcoming: soonest first; past: most recent first."},
    )  # fmt: skip


class PublicSessionArgs(PageArgs):
    kind = fields.Enum(SessionKind, by_value=True)
    topic = fields.Enum(Topic, by_value=True)


class SessionArgs(PublicSessionArgs):
    ward = Text(validate=validate.Length(max=40))
    venue_id = fields.Int(validate=validate.Range(1, 2**31 - 1))
    status = fields.Enum(SessionStatus, by_value=True)
    date_from = local_date(metadata={"description": "Local date, YYYY-MM-DD."})
    date_to = local_date()


class SessionInput(Strict):
    """A session as staff would enter it, in local time (Asia/Tokyo)."""

    venue_id = fields.Int(required=True, validate=validate.Range(1, 2**31 - 1))
    kind = fields.Enum(SessionKind, by_value=True, required=True)
    title = Text(required=True, validate=validate.Length(1, 200),
                 metadata={"example": "スマホ教室 LINE入門"})  # fmt: skip
    date = local_date(required=True)
    starts_time = clock_time(required=True, metadata={"example": "10:00"})
    ends_time = clock_time(required=True, metadata={"example": "11:30"})
    topics = fields.List(fields.Enum(Topic, by_value=True), load_default=list)
    level = fields.Enum(Level, by_value=True, load_default=Level.BEGINNER)
    description = Text(load_default="", validate=validate.Length(max=4000))
    room = Text(load_default="", validate=validate.Length(max=100))
    capacity = fields.Int(allow_none=True, load_default=None, validate=validate.Range(1, 1000))
    slot_minutes = fields.Int(
        allow_none=True, load_default=None, validate=validate.OneOf(SLOT_MINUTES)
    )
    lead_needed = fields.Int(allow_none=True, load_default=None, validate=validate.Range(0, 5))
    assistants_needed = fields.Int(
        allow_none=True, load_default=None, validate=validate.Range(0, 50)
    )
    has_device_loan = fields.Bool(load_default=False)


class SessionChange(SessionInput):
    """Only what changes (loaded as partial); moving a session needs a reason."""

    reason = Text(validate=validate.Length(max=500))


class Cancellation(Strict):
    reason = Text(required=True, validate=validate.Length(1, 500),
                  metadata={"example": "会場の設備点検のため"})  # fmt: skip


class Volunteer(PersonalData):
    """A volunteer as a shift names them: their name needs volunteers:read."""

    READ_SCOPE = ApiScope.VOLUNTEERS_READ

    id = fields.Int()
    display_name = fields.Str()


class Training(Out):
    course = fields.Str()
    level = fields.Enum(TrainingLevel, by_value=True)
    completed_on = fields.Date()
    expires_on = fields.Date(allow_none=True)


class VolunteerRecord(PersonalData):
    """A volunteer as a coordinator plans with them: skills, training and hours; never
    their phone number or e-mail address."""

    READ_SCOPE = ApiScope.VOLUNTEERS_READ

    id = fields.Int()
    display_name = fields.Str()
    name_kana = typed("string", lambda user: user.volunteer_profile.name_kana)
    wards = typed("array", lambda user: [ward.slug for ward in user.volunteer_profile.wards],
                  metadata={"items": {"type": "string"}, "example": ["shibuya"]})  # fmt: skip
    skills = typed(
        "array",
        lambda user: list(user.volunteer_profile.skills),
        metadata={
            "description": "Of: " + ", ".join(skill.value for skill in Skill),
            "items": {"type": "string"},
            "example": ["iphone", "line"],
        },  # fmt: skip
    )
    languages = typed("string", lambda user: user.volunteer_profile.languages)
    paused = typed(
        "boolean",
        lambda user: user.volunteer_profile.is_paused,
        metadata={"description": "Takes no new shifts for now."},
    )
    training = fields.List(
        fields.Nested(Training),
        attribute="facts.training",
        metadata={"description": "Courses completed, newest first."},
    )
    minutes_this_year = typed(
        "integer",
        lambda user: user.facts.minutes_this_year,
        metadata={"description": "Minutes at sessions attended in this fiscal year (年度)."},
    )
    upcoming_shifts = typed("integer", lambda user: user.facts.upcoming_shifts)


class VolunteerPage(Page):
    items = fields.List(fields.Nested(VolunteerRecord))


class VolunteerArgs(PageArgs):
    ward = Text(validate=validate.Length(max=40))
    skill = fields.Enum(Skill, by_value=True)


class Shift(Out):
    id = fields.Int()
    session_id = fields.Int()
    volunteer = fields.Nested(Volunteer)
    role = fields.Enum(ShiftRole, by_value=True)
    slot_number = fields.Int()
    status = fields.Enum(ShiftStatus, by_value=True)
    assigned = typed(
        "boolean",
        lambda shift: shift.assigned_by_id is not None,
        metadata={"description": "Put on the shift by staff or an integration."},
    )
    origin = fields.Enum(
        ShiftOrigin,
        by_value=True,
        metadata={"description": "How the volunteer came to hold it: claimed it, assigned, "
                                 "took it over from another (cover), or swapped."},
    )  # fmt: skip
    from_pool = fields.Bool(
        metadata={"description": "Taken by a volunteer of another ward through the pool."}
    )


class VolunteerShift(Shift):
    session = fields.Nested(SessionRef)
    minutes = fields.Int(metadata={"description": "Counted once attended; 0 before."})


class VolunteerShiftPage(Page):
    items = fields.List(fields.Nested(VolunteerShift))


class ShiftClaim(Strict):
    """Give a volunteer a place: on their behalf, or as staff assigning them."""

    volunteer_id = fields.Int(required=True, validate=validate.Range(1, 2**31 - 1))
    role = fields.Enum(ShiftRole, by_value=True, required=True)


class Released(Out):
    shift = fields.Nested(Shift)
    session_short = fields.Bool(
        metadata={"description": "Whether the session now lacks volunteers of this role."}
    )


class Phone(Out):
    e164 = fields.Str(metadata={"description": "E.164, e.g. +81334631873."})
    kind = fields.Enum(PhoneKind, by_value=True)


class ResidentMatch(PersonalData):
    """Enough to tell two records apart on the phone, without the rest of the record."""

    id = fields.Int()
    family_name = fields.Str()
    given_name = fields.Str()
    family_kana = fields.Str()
    given_kana = fields.Str()
    age_band = typed("string", lambda resident: age_band(resident.birth_year),
                     metadata={"example": "75–84"})  # fmt: skip


class Resident(ResidentMatch):
    NOT_PERSONAL = ("id", "ward")

    ward = ward_slug()
    phones = fields.List(fields.Nested(Phone))
    reminder_channel = fields.Enum(ReminderChannel, by_value=True)
    call_from = clock_time(allow_none=True)
    call_until = clock_time(allow_none=True)
    needs = fields.Str()
    proxy_name = fields.Str()
    proxy_relation = fields.Str()
    proxy_phone = fields.Str(attribute="proxy_phone_e164", allow_none=True)
    proxy_gets_reminders = fields.Bool()
    opted_out = fields.Bool(attribute="is_opted_out")


class ContactConsent(Out):
    contact = fields.Enum(
        Contact, by_value=True, metadata={"description": "resident, or proxy (their contact)"}
    )
    gets_reminders = fields.Bool(
        metadata={"description": "False once they asked for no more messages: none is sent."}
    )
    stopped_at = moment("stopped_dt", allow_none=True)
    stopped_by = fields.Enum(
        OptOutSource, by_value=True, allow_none=True,
        metadata={"description": "staff (or an integration), sms (replied STOP) or voice."},
    )  # fmt: skip


class ConsentRecord(Out):
    fiscal_year = fields.Int(metadata={"description": "年度 it was given in."})
    scopes = fields.List(
        fields.Str(metadata={"enum": [scope.value for scope in ConsentScope]}),
        metadata={"description": "record (keep their details), reminders, follow_up (a call "
                  "three months later)."},
    )  # fmt: skip
    method = fields.Enum(ConsentMethod, by_value=True)
    given_on = fields.Date()


class ConsentState(PersonalData):
    """What a resident agreed to, year by year, and whether each contact gets reminders."""

    NOT_PERSONAL = ("resident_id",)

    resident_id = fields.Int()
    contacts = fields.List(fields.Nested(ContactConsent))
    renewal_due = fields.Bool(
        metadata={"description": "No consent recorded in this fiscal year: ask again."}
    )
    records = fields.List(fields.Nested(ConsentRecord), metadata={"description": "Newest first."})

    def residents_in(self, record) -> dict[int, int]:
        return {record.resident_id: record.ward_id}


class ReminderChoice(Strict):
    """Start or stop reminders to one contact: honoured at once, waiting messages dropped."""

    contact = fields.Enum(Contact, by_value=True, load_default=Contact.RESIDENT)
    gets_reminders = fields.Bool(required=True)
    reason = Text(
        required=True, validate=validate.Length(1, 200),
        metadata={"description": "Why, as the resident said it; kept in the audit log.",
                  "example": "本人から電話で停止の希望"},
    )  # fmt: skip


class ConsentInput(Strict):
    """This year's consent, as the resident gave it."""

    scopes = fields.List(fields.Enum(ConsentScope, by_value=True), required=True,
                         validate=validate.Length(1, len(ConsentScope)))  # fmt: skip
    method = fields.Enum(ConsentMethod, by_value=True, required=True)
    given_on = local_date(required=True)


class ResidentSearch(Strict):
    phone = Text(required=True, validate=validate.Length(1, 30))
    ward = Text(
        validate=validate.Length(max=40),
        metadata={"description": "Left out by a key of every ward: every ward is searched."},
    )


#: A reading in kana: hiragana, katakana (full or half width), ー・ and spaces, with more
#: than spaces in it; stored as full-width katakana.
KANA = validate.Regexp(r"^([ぁ-ゖァ-ヺー・ｦ-ﾟ 　]*[ぁ-ゖァ-ヺー・ｦ-ﾟ][ぁ-ゖァ-ヺー・ｦ-ﾟ 　]*)?$")


class ResidentInput(Strict):
    """A resident as staff type what they say (書かない窓口); kana in hiragana or katakana."""

    ward = Text(
        validate=validate.Length(max=40),
        metadata={"description": "Needed when the key is for every ward."},
    )
    family_name = Text(required=True, validate=validate.Length(1, 50),
                       metadata={"example": "山田"})  # fmt: skip
    # The kana pattern admits no control character, so these need not be Text.
    family_kana = fields.Str(required=True, validate=[validate.Length(1, 50), KANA],
                             metadata={"example": "やまだ"})  # fmt: skip
    given_name = Text(load_default="", validate=validate.Length(max=50),
                      metadata={"example": "花子"})  # fmt: skip
    given_kana = fields.Str(load_default="", validate=[validate.Length(max=50), KANA],
                            metadata={"example": "はなこ"})  # fmt: skip
    birth_year = fields.Int(
        allow_none=True, load_default=None, validate=validate.Range(1900, 2100)
    )
    phones = fields.List(
        Text(validate=validate.Length(max=30)),
        load_default=list,
        validate=validate.Length(max=3),
        metadata={"example": ["03-3463-1873"]},
    )
    reminder_channel = fields.Enum(
        ReminderChannel, by_value=True, allow_none=True, load_default=None,
        metadata={"description": "Null: by the first number (SMS to a mobile, else a call)."},
    )  # fmt: skip
    call_from = clock_time(allow_none=True, load_default=None)
    call_until = clock_time(allow_none=True, load_default=None)
    needs = Text(load_default="", validate=validate.Length(max=2000))
    proxy_name = Text(load_default="", validate=validate.Length(max=100))
    proxy_relation = Text(load_default="", validate=validate.Length(max=50))
    proxy_phone = Text(load_default="", validate=validate.Length(max=30))
    proxy_gets_reminders = fields.Bool(load_default=False)
    confirmed_new = fields.Bool(
        load_default=False,
        metadata={"description": "True after checking that none of the 409's matches is them."},
    )


class ResidentChange(ResidentInput):
    """Only what changes (loaded as partial)."""


class Booking(Out):
    id = fields.Int()
    session_id = fields.Int()
    resident_id = fields.Int()
    status = fields.Enum(BookingStatus, by_value=True)
    place = fields.Int(allow_none=True, metadata={"description": "Seat or slot number."})
    waitlist_position = typed(
        "integer",
        waitlist_position,
        allow_none=True,
        metadata={"description": "1 is next in line."},
    )
    source = fields.Enum(BookingSource, by_value=True)
    course_enrolment_id = fields.Int(
        attribute="enrolment_id", allow_none=True,
        metadata={"description": "The course booking this date belongs to, if any."},
    )  # fmt: skip
    created_at = moment("created_dt")
    cancelled_at = moment("cancelled_dt", allow_none=True)


class ResidentBooking(Booking):
    session = fields.Nested(SessionRef)


class ResidentBookingArgs(UpcomingArgs):
    status = fields.Enum(BookingStatus, by_value=True, metadata={"description": "Only these."})


class BookingPage(Page):
    items = fields.List(fields.Nested(Booking))


class ResidentBookingPage(Page):
    items = fields.List(fields.Nested(ResidentBooking))


class SessionBookingArgs(PageArgs):
    status = fields.Enum(
        BookingStatus, by_value=True,
        metadata={"description": "Only these, e.g. waitlisted for the waiting list in order."},
    )  # fmt: skip


#: How a booking came, as staff and integrations name it: only the phone line books as itself.
GIVEN_SOURCES = [source.value for source in BookingSource if source != BookingSource.PHONE_LINE]


class BookingInput(Strict):
    resident_id = fields.Int(required=True, validate=validate.Range(1, 2**31 - 1))
    place = fields.Int(
        allow_none=True, load_default=None, validate=validate.Range(1, 1000),
        metadata={"description": "A consultation slot; the first free one if left out."},
    )  # fmt: skip
    source = fields.String(load_default=BookingSource.PHONE.value,
                           validate=validate.OneOf(GIVEN_SOURCES))  # fmt: skip


class BookingCancellation(Strict):
    reason = Text(load_default="", validate=validate.Length(max=200),
                  metadata={"example": "体調不良のため"})  # fmt: skip


class Cancelled(Out):
    booking = fields.Nested(Booking)
    promoted = fields.Nested(
        Booking, allow_none=True, metadata={"description": "Who got the freed place, if anyone."}
    )


class Attendance(Strict):
    attended = fields.Bool(required=True)


class Reminder(Out):
    id = fields.Int()
    session_id = fields.Int(
        allow_none=True, metadata={"description": "null for a message about a loan smartphone"}
    )
    loan_id = fields.Int(allow_none=True)
    booking_id = fields.Int(allow_none=True)
    resident_id = fields.Int(allow_none=True)
    recipient = fields.Str(
        metadata={"description": "resident, proxy (their contact person) or volunteer"}
    )
    kind = fields.Str()
    channel = fields.Enum(Medium, by_value=True)
    due_at = moment("due_dt")
    status = fields.Enum(ReminderStatus, by_value=True)
    sent_at = moment("sent_dt", allow_none=True)
    reply = fields.Str(allow_none=True, metadata={"description": "1 confirmed, 2 cancelled, …"})
    error = typed(
        "string",
        lambda reminder: without_numbers(reminder.last_error),
        metadata={"description": "Why it failed, in words; never a phone number."},
    )
    error_code = fields.Str(
        attribute="failure_code",
        allow_none=True,
        metadata={
            "description": "Twilio's error number, LINE's status (line-400), or http-503, "
            "unreachable, timeout…"
        },
    )


class ReminderPage(Page):
    items = fields.List(fields.Nested(Reminder))


class Reply(PersonalData):
    """An SMS or a key pressed on a reminder call, and what came of it. What the person
    sent and was told back may name people: those need residents:read."""

    NOT_PERSONAL = ("id", "ward", "channel", "received_at", "outcome", "needs_follow_up",
                    "reminder_id", "resident_ids", "booking_ids", "handled_at")  # fmt: skip

    id = fields.Int()
    ward = ward_slug(allow_none=True)
    channel = fields.Enum(Medium, by_value=True)
    received_at = moment("received_dt")
    outcome = fields.Enum(ReplyOutcome, by_value=True)
    needs_follow_up = typed(
        "boolean",
        lambda reply: reply.handled_dt is None,
        metadata={"description": "Nobody has followed it up yet."},
    )
    reminder_id = fields.Int(allow_none=True)
    resident_ids = fields.List(fields.Int())
    booking_ids = fields.List(
        fields.Int(), metadata={"description": "The bookings it could have meant, if unclear."}
    )
    handled_at = moment("handled_dt", allow_none=True)
    body = fields.Str(metadata={"description": "What was sent: the SMS, or the key pressed."})
    told = fields.Str(metadata={"description": "What the person was answered."})

    def residents_in(self, record) -> dict[int, int]:
        return {resident_id: record.ward_id for resident_id in record.resident_ids}


class ReplyPage(Page):
    items = fields.List(fields.Nested(Reply))


class ReplyArgs(PageArgs):
    ward = Text(validate=validate.Length(max=40))
    waiting = fields.Bool(
        load_default=True,
        metadata={"description": "true: only those waiting for follow-up, oldest first."},
    )


class MetricPace(Out):
    expected = fields.Float(metadata={"description": "Where an even spread is by today."})
    projected = fields.Float(metadata={"description": "Where the current rate ends the period."})
    on_track = fields.Bool()
    behind_by = fields.Int()


class MetricTarget(Out):
    value = fields.Float()
    first_year = fields.Int()
    last_year = fields.Int()


class MetricFigure(Out):
    metric = typed("string", lambda row: row.metric.value)
    label = typed("object", lambda row: both_languages(row.metric.label))
    definition = typed("object", lambda row: both_languages(row.metric.definition))
    unit = typed("string", lambda row: row.metric.unit.value)
    value = fields.Float(allow_none=True)
    first_year = typed("integer", lambda row: row.scope.years[0])
    last_year = typed("integer", lambda row: row.scope.years[1])
    target = fields.Nested(MetricTarget, allow_none=True)
    pace = fields.Nested(MetricPace, allow_none=True)
    on_track = fields.Bool(allow_none=True)
    by_month = fields.Dict(keys=fields.Str(), values=fields.Float(allow_none=True))
    counted_at = moment("figures.counted_dt", allow_none=True)
    residents_asked = fields.Int(
        allow_none=True, metadata={"description": "A survey's figure: its sample; else null."}
    )
    response_rate = fields.Float(
        allow_none=True, metadata={"description": "A survey's figure: percent who answered."}
    )


class Metrics(Out):
    fiscal_year = fields.Int()
    ward = fields.Str(allow_none=True, metadata={"description": "Null: all wards together."})
    figures = fields.List(fields.Nested(MetricFigure))


class MetricsArgs(Strict):
    year = fields.Int(validate=validate.Range(2020, 2040), metadata={"description": "年度"})
    ward = Text(validate=validate.Length(max=40))


class CourseDate(Out):
    session_id = fields.Int(attribute="id")
    starts_at = moment("starts_dt")
    ends_at = moment("ends_dt")
    status = fields.Enum(SessionStatus, by_value=True)


class Course(Out):
    """A series booked as one: every date together, waiting as a whole."""

    id = fields.Int()
    ward = ward_slug()
    title = fields.Str()
    dates = fields.List(
        fields.Nested(CourseDate), metadata={"description": "Every date that takes place."}
    )


class CourseInput(SessionInput):
    """A course: a class repeated weekly or every other week, booked as a whole. The
    date is its first; the same rules as the staff form check every date."""

    interval_weeks = fields.Int(load_default=1, validate=validate.OneOf([1, 2]))
    weeks = fields.Int(
        required=True, validate=validate.Range(1, 52),
        metadata={"description": "Over how many weeks, e.g. 8.", "example": 8},
    )  # fmt: skip
    holiday_rule = fields.Enum(
        HolidayRule, by_value=True, load_default=HolidayRule.SKIP,
        metadata={"description": "A date on a public holiday: skip it, move it to the next "
                  "open weekday, or hold it anyway."},
    )  # fmt: skip
    skip_year_end = fields.Bool(
        load_default=True, metadata={"description": "Leave out 29 December to 3 January."}
    )


class EnrolmentInput(Strict):
    resident_id = fields.Int(required=True, validate=validate.Range(1, 2**31 - 1))
    source = fields.String(load_default=BookingSource.PHONE.value,
                           validate=validate.OneOf(GIVEN_SOURCES))  # fmt: skip


class Enrolment(Out):
    id = fields.Int()
    course_id = fields.Int(attribute="series_id")
    resident_id = fields.Int()
    status = fields.Enum(EnrolmentStatus, by_value=True)
    waitlist_position = typed(
        "integer",
        course_waitlist_position, allow_none=True,
        metadata={"description": "1 is next in line for the whole course."},
    )  # fmt: skip
    booking_ids = typed(
        "array",
        enrolment_booking_ids,
        metadata={
            "description": "The bookings of the dates it holds.",
            "items": {"type": "integer"},
        },  # fmt: skip
    )


# -- the rest of the programme: loan smartphones, the call centre, staff training, surveys --


class Device(Out):
    """A loan smartphone of a ward's stock; its SIM's number is never given."""

    id = fields.Int()
    ward = ward_slug()
    model = fields.Str()
    serial = fields.Str(metadata={"description": "Serial number or IMEI."})
    plan = fields.Str(metadata={"description": "The SIM's plan."})
    state = fields.Enum(DeviceState, by_value=True)


class DevicePage(Page):
    items = fields.List(fields.Nested(Device))


class DeviceArgs(PageArgs):
    ward = Text(validate=validate.Length(max=40))
    state = fields.Enum(DeviceState, by_value=True)


class Loan(Out):
    """A device lent to a resident, named by id only (residents:read reads the record)."""

    id = fields.Int()
    ward = ward_slug()
    device = fields.Nested(Device)
    resident_id = fields.Int()
    starts_on = fields.Date()
    due_on = fields.Date()
    agreement_signed_on = fields.Date()
    returned_on = fields.Date(allow_none=True)
    condition = fields.Enum(ReturnCondition, by_value=True, allow_none=True)
    overdue = typed("boolean", lambda loan: loan.is_overdue(clock.today()))


class LoanPage(Page):
    items = fields.List(fields.Nested(Loan))


class LoanArgs(PageArgs):
    ward = Text(validate=validate.Length(max=40))
    state = fields.Str(
        load_default="out", validate=validate.OneOf(LOAN_STATES),
        metadata={"description": "out (default), overdue, returned or all."},
    )  # fmt: skip


class Call(Out):
    """A call to the joint call centre: what it was about and what came of it. The
    caller's number and the operator's note are never given."""

    id = fields.Int()
    ward = ward_slug()
    received_at = moment("received_dt")
    topic = fields.Enum(CallTopic, by_value=True)
    outcome = fields.Enum(CallOutcome, by_value=True)
    resolved = fields.Bool(attribute="is_resolved")
    resident_id = fields.Int(allow_none=True, metadata={"description": "Null: not named."})
    booking_id = fields.Int(allow_none=True)
    enrolment_id = fields.Int(allow_none=True)
    waiting = typed(
        "boolean", lambda call: call.is_waiting,
        metadata={"description": "Passed to the ward, not yet taken care of."},
    )  # fmt: skip
    handled_at = moment("handled_dt", allow_none=True)


class CallPage(Page):
    items = fields.List(fields.Nested(Call))


class CallArgs(PageArgs):
    ward = Text(validate=validate.Length(max=40))
    waiting = fields.Bool(
        load_default=False,
        metadata={"description": "true: only calls passed to a ward and still waiting."},
    )


class StaffTraining(Out):
    """A training date for ward staff (no names of who takes it)."""

    id = fields.Int()
    course = fields.Enum(StaffCourse, by_value=True)
    title = fields.Str()
    ward = ward_slug(allow_none=True, metadata={"description": "Null: for every ward's staff."})
    place = fields.Str()
    starts_at = moment("starts_dt")
    ends_at = moment("ends_dt")
    capacity = fields.Int()
    places_taken = fields.Int()
    cancelled = typed("boolean", lambda training: training.cancelled_dt is not None)


class StaffTrainingPage(Page):
    items = fields.List(fields.Nested(StaffTraining))


class StaffTrainingArgs(UpcomingArgs):
    ward = Text(validate=validate.Length(max=40))


class SurveySummary(Out):
    """Where one survey stands in a ward and fiscal year."""

    survey = typed("string", lambda summary: summary.kind.value,
                   metadata={"description": "follow_up (3 months on) or yearly."})  # fmt: skip
    asked = fields.Int(metadata={"description": "Residents asked: the sample."})
    answered = fields.Int()
    response_rate = fields.Float(allow_none=True, metadata={"description": "Percent."})
    waiting = fields.Int(metadata={"description": "Waiting for the automatic call or link."})
    to_call = fields.Int(metadata={"description": "Left for staff to call."})
    stopped = fields.Int(metadata={"description": "Not to be asked: stopped calls or consent."})
    no_answer = fields.Int()
    declined = fields.Int()
    answered_by = typed(
        "object", lambda summary: {via.value: count for via, count in summary.by_via.items()},
        metadata={"description": "How the answers came: call, link or staff."},
    )  # fmt: skip


class WardSurveys(Out):
    ward = fields.Str()
    surveys = fields.List(fields.Nested(SurveySummary))


class Surveys(Out):
    fiscal_year = fields.Int()
    wards = fields.List(fields.Nested(WardSurveys))
