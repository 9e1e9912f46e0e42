"""The phone line's menu: each answer Twilio asks for is worked out from where the caller
is (carried in the next step's URL, which Twilio signs) and the key they pressed.

A step never trusts what its URL names: a session must be the ward's and bookable, a
booking the caller's (their own, or of a resident whose contact person they are).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, time

from babel.dates import format_datetime, format_time
from flask import current_app, url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.calls.queries import bookable_sessions, upcoming_bookings
from inclusion.courses import services as courses
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.phoneline import script, services
from inclusion.phoneline.models import PhoneLineCall
from inclusion.reminders import messages
from inclusion.residents import bookings
from inclusion.residents.models import Booking, BookingStatus, Resident
from inclusion.sessions.models import Session
from inclusion.web import as_id, twilio_url

#: How far ahead the line reads classes.
DAYS_AHEAD = 14
#: At most this many people on one number are offered by key; more are put through.
MOST_CALLERS = 8
#: Silences in a row before the call ends.
MOST_SILENCES = 3
#: Seconds a key is waited for; a phone line for older callers waits long.
KEY_TIMEOUT = 8


@dataclass(frozen=True)
class At:
    """Where a caller is: what the next key answers, and what it is about."""

    #: ``menu``, ``who``, ``class``, ``name``, ``booked``, ``mine``, ``cancel``,
    #: ``cancelled``, ``message``, ``dialled``.
    step: str = "menu"
    #: The item of a list the caller heard (from 0).
    item: int = 0
    #: The session heard, to book.
    session: int = 0
    #: The booking or course enrolment heard, to cancel (one of them).
    booking: int = 0
    enrolment: int = 0
    #: Only the full classes (joining a waiting list).
    full: bool = False
    #: Silences in a row.
    silences: int = 0

    def query(self) -> dict[str, str]:
        return {"at": self.step, "i": str(self.item), "s": str(self.session),
                "b": str(self.booking), "e": str(self.enrolment), "f": "1" if self.full else "",
                "q": str(self.silences)}  # fmt: skip

    @classmethod
    def read(cls, args) -> At:
        def number(name: str) -> int:
            return min(as_id(args.get(name)) or 0, 10_000)

        return cls(step=args.get("at", "menu")[:20], item=number("i"), session=number("s"),
                   booking=number("b"), enrolment=number("e"), full=args.get("f") == "1",
                   silences=number("q"))  # fmt: skip


class Turn:
    """One answer to Twilio: what is said, then what the next key will answer."""

    def __init__(self, call: PhoneLineCall, number: int) -> None:
        self.call = call
        self.ward = call.ward
        self.number = number
        self.language = call.language
        self.response = VoiceResponse()
        self.target = self.response
        config = current_app.config
        self.voice = config["PHONE_LINE_VOICE"]
        self.english_voice = config["PHONE_LINE_ENGLISH_VOICE"]
        self.rate = f"{config['PHONE_LINE_RATE']}%"

    # -- speaking -------------------------------------------------------------------------

    def _say(self, text: str, japanese: bool) -> None:
        if not text:
            return
        english = not japanese
        said = self.target.say(
            language="en-US" if english else "ja-JP",
            voice=self.english_voice if english else self.voice,
        )
        said.prosody(text, rate=self.rate)

    def say(self, words: script.Words, **values: object) -> None:
        self._say(words.of(self.language, **values), japanese=self.language != "en")

    def say_japanese(self, text: str) -> None:
        """Names, titles and venues: written in Japanese, so said by the Japanese voice."""
        self._say(text, japanese=True)

    def say_english(self, text: str) -> None:
        self._say(text, japanese=False)

    def when(self, moment: datetime) -> str:
        if self.language == "en":
            return format_datetime(clock.to_local(moment), "EEEE d MMMM, h:mm a", locale="en")
        return messages.spoken_when(moment)

    def hour(self, moment: time) -> str:
        if self.language == "en":
            return format_time(moment, "h:mm a", locale="en")
        return messages.spoken_time(moment)

    def about(self, words: script.Words, title: str, venue: str = "", **values: object) -> None:
        """A sentence naming a class: in English the title and venue follow in Japanese."""
        self.say(words, title=title, venue=venue, **values)
        if self.language == "en":
            self.say_japanese("、".join(part for part in (title, venue) if part))

    # -- asking ---------------------------------------------------------------------------

    def ask(self, at: At, speech: bool = False) -> None:
        """What is said from here on waits for a key (or words) that answer ``at``."""
        action = twilio_url(
            url_for("phoneline.step", ward=self.ward.slug, number=self.number + 1, **at.query(),
                    _external=True)
        )  # fmt: skip
        if speech:
            self.target = Gather(
                input="speech", action=action, method="POST", timeout=6, speech_timeout="auto",
                language="en-US" if self.language == "en" else "ja-JP",
                action_on_empty_result=True,
            )  # fmt: skip
        else:
            self.target = Gather(num_digits=1, action=action, method="POST", timeout=KEY_TIMEOUT,
                                 action_on_empty_result=True)  # fmt: skip
        self.response.append(self.target)

    def end(self, words: script.Words = script.GOODBYE) -> str:
        self.target = self.response
        self.say(words)
        self.response.hangup()
        return str(self.response)

    def twiml(self) -> str:
        return str(self.response)


# -- the steps ------------------------------------------------------------------------------


def greet(call: PhoneLineCall) -> str:
    """The first answer: who we are, the caller's name if we know it, and the menu (or, for
    a number several residents share, whom the call is for)."""
    turn = Turn(call, 0)
    turn.say(script.WELCOME, ward=turn.ward.name_ja, ward_en=turn.ward.name_en)
    known = services.callers(call)
    if len(known) > MOST_CALLERS:
        return put_through(turn)
    if len(known) > 1:
        return who(turn, known)
    if known:
        turn.say(script.HELLO, name=_spoken_name(known[0]))
    return menu(turn)


def _spoken_name(resident: Resident) -> str:
    """Kana reads right; a name's kanji may not."""
    return resident.kana.replace(" ", "") or resident.family_name or resident.name


def menu(turn: Turn, at: At | None = None) -> str:
    services.walk(turn.call, "menu")
    turn.ask(dataclasses.replace(at or At(), step="menu", item=0))
    person = script.TO_PERSON if services.desk_open(turn.ward) else script.TO_MESSAGE
    turn.say(script.MENU, person=person.of(turn.language))
    if turn.language != "en":
        turn.say_english(script.FOR_ENGLISH)
    return turn.twiml()


def who(turn: Turn, known: list[Resident], at: At | None = None) -> str:
    services.walk(turn.call, "who")
    turn.ask(dataclasses.replace(at or At(), step="who"))
    turn.say(script.WHO)
    for key, resident in enumerate(known, start=1):
        turn.say(script.WHO_ONE, name=_spoken_name(resident), key=key)
    turn.say(script.PRESS)
    return turn.twiml()


def answer(call: PhoneLineCall, number: int, at: At, digits: str, said: str, form) -> str:
    """The answer to step ``number``: the caller pressed ``digits`` (or said ``said``)
    where ``at`` says they were."""
    turn = Turn(call, number)
    if len(call.path) >= services.MAX_STEPS:
        return turn.end(script.TOO_LONG)
    if at.step == "dialled":
        return dialled(turn, form.get("DialCallStatus", ""))
    if at.step == "message":
        return message_left(turn, said)
    if at.step == "name":
        return named(turn, at, said)
    if not digits:
        if at.silences + 1 >= MOST_SILENCES:
            return turn.end()
        turn.say(script.SILENCE)
        return again(turn, dataclasses.replace(at, silences=at.silences + 1))
    at = dataclasses.replace(at, silences=0)
    step = STEPS.get(at.step, on_menu)
    return step(turn, at, digits[:1])


def again(turn: Turn, at: At) -> str:
    """Say again what was said at ``at``."""
    if at.step == "who":
        return who(turn, services.callers(turn.call), at)
    if at.step == "class":
        return read_class(turn, at)
    if at.step == "mine":
        return read_booking(turn, at)
    if at.step == "cancel":
        return ask_cancel(turn, at)
    if at.step in ("booked", "cancelled"):
        turn.ask(at)
        turn.say(script.AFTER_BOOKED if at.step == "booked" else script.AFTER_CANCELLED)
        return turn.twiml()
    return menu(turn, at)


def on_menu(turn: Turn, at: At, key: str) -> str:
    if key == "1":
        return list_classes(turn, full=False)
    if key == "2":
        return list_bookings(turn)
    if key == "3":
        return list_classes(turn, full=True)
    if key == "0":
        return put_through(turn)
    if key == "8":
        turn.call.language = turn.language = "en"
        return menu(turn)
    if key != "9":
        turn.say(script.NO_SUCH_KEY)
    return menu(turn)


def on_who(turn: Turn, at: At, key: str) -> str:
    known = services.callers(turn.call)
    chosen = int(key) if key.isdigit() else 0
    if 1 <= chosen <= len(known):
        services.choose_resident(turn.call, known[chosen - 1])
        turn.say(script.HELLO, name=_spoken_name(known[chosen - 1]))
        return menu(turn)
    if key != "9":
        turn.say(script.NO_SUCH_KEY)
    return who(turn, known, at)


# -- classes --------------------------------------------------------------------------------


def _classes(ward, full: bool) -> tuple[list[Session], dict[int, int]]:
    """The ward's bookable sessions of the coming two weeks, a course once (by its next
    date); ``full``: only those full now. With the places left of each."""
    sessions = bookable_sessions(ward, days=DAYS_AHEAD)
    left = courses.places_left(sessions)
    shown, courses_seen = [], set()
    for session in sessions:
        course = courses.course_of(session)
        if course is not None:
            if course.id in courses_seen:
                continue
            courses_seen.add(course.id)
        if full == (left[session.id] <= 0):
            shown.append(session)
    return shown, left


def list_classes(turn: Turn, full: bool) -> str:
    shown, _left = _classes(turn.ward, full)
    if not shown:
        turn.say(script.NO_FULL_CLASSES if full else script.NO_CLASSES)
        return menu(turn)
    turn.say(script.FULL_CLASSES if full else script.CLASSES, count=len(shown))
    return read_class(turn, At(step="class", item=0, full=full))


def read_class(turn: Turn, at: At) -> str:
    """Say the class at ``at.item`` of the list, then ask what to do with it."""
    shown, left = _classes(turn.ward, at.full)
    if at.item >= len(shown):
        turn.say(script.END_OF_LIST)
        return menu(turn)
    session = shown[at.item]
    services.walk(turn.call, "class")
    turn.ask(dataclasses.replace(at, step="class", session=session.id))
    turn.say(script.NUMBER, number=at.item + 1)
    kind = script.KINDS[session.kind.value].of(turn.language)
    turn.about(script.ITEM, session.title, session.venue.name,
               when=turn.when(session.starts_dt), kind=kind)  # fmt: skip
    course = courses.course_of(session)
    if course is not None:
        turn.say(script.COURSE, count=len(courses.course_dates(course)))
    if left[session.id] > 0:
        turn.say(script.SEATS_LEFT, count=left[session.id])
    else:
        turn.say(script.FULL)
    turn.say(script.CLASS_KEYS)
    return turn.twiml()


def _on_item(turn: Turn, at: At, key: str, read, choices: dict) -> str:
    """A key on an item of a list: one of its ``choices``, 2 the next item, 0 the menu;
    9 (or any other key) ``read``s it again."""
    if key in choices:
        return choices[key](turn, at)
    if key == "2":
        return read(turn, dataclasses.replace(at, item=at.item + 1))
    if key == "0":
        return menu(turn)
    if key != "9":
        turn.say(script.NO_SUCH_KEY)
    return read(turn, at)


def on_class(turn: Turn, at: At, key: str) -> str:
    return _on_item(turn, at, key, read_class, {"1": start_booking})


def _session(turn: Turn, at: At) -> Session | None:
    session = db.session.get(Session, at.session) if at.session else None
    return session if session is not None and session.ward_id == turn.ward.id else None


def start_booking(turn: Turn, at: At) -> str:
    session = _session(turn, at)
    if session is None:
        return read_class(turn, at)
    resident = turn.call.resident
    if resident is None:
        if turn.call.from_e164 is None:
            turn.say(script.WITHHELD)
            return menu(turn)
        # Someone the ward does not know: their name first, then the booking.
        services.walk(turn.call, "name")
        turn.ask(dataclasses.replace(at, step="name"), speech=True)
        turn.say(script.ASK_NAME)
        return turn.twiml()
    return book(turn, at, session, resident)


def named(turn: Turn, at: At, said: str) -> str:
    session = _session(turn, at)
    if session is None or turn.call.from_e164 is None:
        return menu(turn)
    return book(turn, at, session, turn.call.resident, said)


def book(turn: Turn, at: At, session: Session, resident: Resident | None, said: str = "") -> str:
    call = turn.call
    try:
        with db.session.begin_nested():
            booked, written = services.book(call, resident, session, said)
    except Conflict:
        turn.say(script.ALREADY)
        return read_class(turn, at)
    except RuleViolation:
        turn.say(script.CANNOT_BOOK)
        return read_class(turn, at)
    services.walk(call, "booked")
    told = read_back(turn, session, booked)
    if written:
        turn.say(script.IN_WRITING)
    if resident is None:
        services.note_provisional(call, call.resident, booked, told)
        turn.say(script.CALL_BACK)
    turn.ask(dataclasses.replace(at, step="booked"))
    turn.say(script.AFTER_BOOKED)
    return turn.twiml()


def read_back(turn: Turn, session: Session, booked: Booking | Enrolment) -> str:
    """Say what was booked, twice (the second time, slowly enough to note it down); return
    it as said in Japanese, for the inbox."""
    venue, title = session.venue.name, session.title
    if isinstance(booked, Enrolment):
        count = len(courses.course_dates(booked.series))
        first = courses.bookings_to_come(booked)
        when_dt = first[0].session.starts_dt if first else session.starts_dt
        if booked.status == EnrolmentStatus.WAITLISTED:
            words, values = (
                script.COURSE_WAITLISTED,
                {"count": count, "position": courses.course_waitlist_position(booked)},
            )
        else:
            words, values = script.COURSE_BOOKED, {"count": count}
    elif booked.status == BookingStatus.WAITLISTED:
        when_dt = session.starts_dt
        words, values = script.WAITLISTED, {"position": bookings.waitlist_position(booked)}
    else:
        when_dt = messages.arrival(session, booked.place)
        words, values = script.BOOKED, {}
    for _ in range(2):
        turn.about(words, title, venue, when=turn.when(when_dt), **values)
    return words.ja.format(title=title, venue=venue, when=messages.spoken_when(when_dt), **values)


def on_booked(turn: Turn, at: At, key: str) -> str:
    if key == "2":
        return read_class(turn, dataclasses.replace(at, step="class", item=at.item + 1))
    if key == "0":
        return menu(turn)
    return again(turn, at)


# -- the caller's bookings ------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """One of the caller's bookings as read out: a single session's, or a whole course's."""

    session: Session
    booking: Booking | None
    enrolment: Enrolment | None
    #: Place on the waiting list, when waiting.
    position: int | None
    #: A seat is offered to those waiting, and one is free.
    offered: bool


def _held(resident: Resident) -> list[Held]:
    held, seen = [], set()
    now = clock.now()
    for booking in upcoming_bookings(resident):
        if booking.enrolment_id is not None:
            if booking.enrolment_id in seen:
                continue
            seen.add(booking.enrolment_id)
            enrolment = db.session.get(Enrolment, booking.enrolment_id)
            held.append(Held(booking.session, None, enrolment, None, False))
            continue
        waiting = booking.status == BookingStatus.WAITLISTED
        offered = (waiting and bookings.offers_instead(booking.session, now)
                   and bool(bookings.free_places(booking.session)))  # fmt: skip
        position = bookings.waitlist_position(booking) if waiting else None
        held.append(Held(booking.session, booking, None, position, offered))
    for enrolment, position in courses.waiting_courses(resident):
        dates = courses.course_dates(enrolment.series)
        if dates:
            held.append(Held(dates[0], None, enrolment, position, False))
    return held


def list_bookings(turn: Turn) -> str:
    resident = turn.call.resident
    if resident is None:
        turn.say(script.NOT_KNOWN)
        return menu(turn)
    held = _held(resident)
    record_event(None, "phone_line.bookings_heard", resident, turn.ward,
                 {"call": turn.call.id, "count": len(held)})  # fmt: skip
    if not held:
        turn.say(script.NO_BOOKINGS)
        return menu(turn)
    turn.say(script.YOUR_BOOKINGS, count=len(held))
    return read_booking(turn, At(step="mine", item=0))


def read_booking(turn: Turn, at: At) -> str:
    resident = turn.call.resident
    held = _held(resident) if resident is not None else []
    if at.item >= len(held):
        turn.say(script.END_OF_LIST)
        return menu(turn)
    one = held[at.item]
    services.walk(turn.call, "mine")
    turn.ask(dataclasses.replace(
        at, step="mine", booking=one.booking.id if one.booking else 0,
        enrolment=one.enrolment.id if one.enrolment else 0,
    ))  # fmt: skip
    turn.say(script.NUMBER, number=at.item + 1)
    session = one.session
    when = messages.arrival(session, one.booking.place if one.booking else None)
    turn.about(script.BOOKING, session.title, session.venue.name, when=turn.when(when))
    if one.enrolment is not None:
        turn.say(script.COURSE, count=len(courses.course_dates(one.enrolment.series)))
    if one.position is not None:
        turn.say(script.IS_WAITING, position=one.position)
    else:
        turn.say(script.IS_BOOKED)
    if one.offered:
        turn.say(script.SEAT_OFFERED)
    turn.say(script.MINE_KEYS)
    return turn.twiml()


def _chosen(turn: Turn, at: At) -> tuple[Booking | None, Enrolment | None]:
    """The booking or course the step names, if it is the caller's and still open."""
    resident = turn.call.resident
    if resident is None:
        return None, None
    if at.enrolment:
        enrolment = db.session.get(Enrolment, at.enrolment)
        if (enrolment is not None and enrolment.resident_id == resident.id
                and enrolment.status != EnrolmentStatus.CANCELLED):  # fmt: skip
            return None, enrolment
        return None, None
    booking = db.session.get(Booking, at.booking) if at.booking else None
    if booking is not None and booking.resident_id == resident.id and booking.is_open:
        return booking, None
    return None, None


def on_mine(turn: Turn, at: At, key: str) -> str:
    return _on_item(turn, at, key, read_booking, {"1": ask_cancel, "3": take_offer})


def _what(turn: Turn, booking: Booking | None, enrolment: Enrolment | None) -> tuple[str, str]:
    """What a cancellation is of, in the call's language and in Japanese (for the log)."""
    if enrolment is not None:
        title, when_dt = enrolment.series.title, None
        words = script.THE_WAIT if enrolment.status == EnrolmentStatus.WAITLISTED else (
            script.THE_COURSE)  # fmt: skip
    else:
        title = booking.session.title
        words = (
            script.THE_WAIT if booking.status == BookingStatus.WAITLISTED else script.THE_BOOKING
        )
        when_dt = messages.arrival(booking.session, booking.place)
    when = turn.when(when_dt) if when_dt else ""
    spoken = messages.spoken_when(when_dt) if when_dt else ""
    return words.of(turn.language, title=title, when=when), words.ja.format(
        title=title, when=spoken
    )


def ask_cancel(turn: Turn, at: At) -> str:
    booking, enrolment = _chosen(turn, at)
    if booking is None and enrolment is None:
        return read_booking(turn, at)
    services.walk(turn.call, "cancel")
    turn.ask(dataclasses.replace(at, step="cancel"))
    what, _japanese = _what(turn, booking, enrolment)
    turn.say(script.CANCEL_ASK, what=what)
    return turn.twiml()


def on_cancel(turn: Turn, at: At, key: str) -> str:
    if key == "2":
        turn.say(script.KEPT)
        return read_booking(turn, dataclasses.replace(at, step="mine"))
    if key != "1":
        return ask_cancel(turn, at)
    booking, enrolment = _chosen(turn, at)
    if booking is None and enrolment is None:
        return read_booking(turn, dataclasses.replace(at, step="mine"))
    what, _japanese = _what(turn, booking, enrolment)
    services.cancel(turn.call, booking, enrolment)
    services.walk(turn.call, "cancelled")
    turn.say(script.CANCELLED, what=what)
    turn.ask(dataclasses.replace(at, step="cancelled"))
    turn.say(script.AFTER_CANCELLED)
    return turn.twiml()


def on_cancelled(turn: Turn, at: At, key: str) -> str:
    if key == "2":
        # The cancelled booking left the list: the next one is at the same place.
        return read_booking(turn, dataclasses.replace(at, step="mine"))
    if key == "0":
        return menu(turn)
    return again(turn, at)


def take_offer(turn: Turn, at: At) -> str:
    booking, _enrolment = _chosen(turn, at)
    if booking is None or booking.status != BookingStatus.WAITLISTED:
        return read_booking(turn, at)
    taken, written = services.take_offer(turn.call, booking)
    if taken == bookings.OfferAnswer.TAKEN:
        services.walk(turn.call, "booked")
        session = booking.session
        turn.about(script.SEAT_TAKEN, session.title, session.venue.name,
                   when=turn.when(messages.arrival(session, booking.place)))  # fmt: skip
        if written:
            turn.say(script.IN_WRITING)
    else:
        turn.say(script.SEAT_GONE if taken == bookings.OfferAnswer.GONE else script.SEAT_CLOSED)
    return read_booking(turn, dataclasses.replace(at, item=at.item + 1))


# -- a person -------------------------------------------------------------------------------


def put_through(turn: Turn) -> str:
    """To staff while the desk is open; else (or when nobody answers) a message."""
    ward = turn.ward
    if not services.desk_open(ward):
        turn.say(script.DESK_CLOSED, opens=turn.hour(ward.desk_opens),
                 closes=turn.hour(ward.desk_closes))  # fmt: skip
        return ask_message(turn)
    services.walk(turn.call, "person")
    turn.say(script.PUTTING_THROUGH)
    action = twilio_url(url_for("phoneline.step", ward=ward.slug, number=turn.number + 1,
                                **At(step="dialled").query(), _external=True))  # fmt: skip
    turn.response.dial(action=action, method="POST", timeout=25).number(
        ward.phone_line_forward_e164
    )
    return turn.twiml()


def dialled(turn: Turn, status: str) -> str:
    if status == "completed":
        services.handed_over(turn.call)
        turn.response.hangup()
        return turn.twiml()
    turn.say(script.DESK_BUSY)
    return ask_message(turn)


def ask_message(turn: Turn) -> str:
    if turn.call.from_e164 is None:
        turn.say(script.NO_CALL_BACK, phone=messages.spoken_number(turn.ward.booking_phone))
        return turn.end()
    services.walk(turn.call, "message")
    turn.ask(At(step="message"), speech=True)
    turn.say(script.ASK_MESSAGE)
    return turn.twiml()


def message_left(turn: Turn, said: str) -> str:
    told = script.MESSAGE_TAKEN.ja
    if turn.call.from_e164 is not None:
        services.leave_message(turn.call, said, told)
    services.walk(turn.call, "message_left")
    turn.say(script.MESSAGE_TAKEN)
    return turn.end()


STEPS = {
    "menu": on_menu,
    "who": on_who,
    "class": on_class,
    "booked": on_booked,
    "mine": on_mine,
    "cancel": on_cancel,
    "cancelled": on_cancelled,
}
