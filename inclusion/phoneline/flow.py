"""The phone line's menu: each answer Twilio asks for is worked out from where the caller
is (carried in the next step's URL, which Twilio signs) and the key they pressed.

A step never trusts what its URL names: a session must be the ward's, a booking the
resident's the call is about (their own number, or their contact person's), and someone
chosen from a shared number one of those the number reaches now. Everything the line says
before it waits for a key can be cut short by pressing one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, time

from babel.dates import format_date, format_datetime, format_time
from flask import current_app, url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from inclusion import clock
from inclusion.courses import services as courses
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.phoneline import script, services
from inclusion.phoneline.models import PhoneLineCall
from inclusion.reminders import messages
from inclusion.residents import bookings
from inclusion.residents.models import Booking, BookingStatus, Resident
from inclusion.sessions.models import Session, SessionKind
from inclusion.web import as_id, twilio_url

#: At most this many people on one number are offered by key; more are put through.
MOST_CALLERS = 8
#: Silences in a row before the call ends.
MOST_SILENCES = 3
#: Seconds a key is waited for; a phone line for older callers waits long.
KEY_TIMEOUT = 8
#: Words in a title that already say what kind of session it is.
KIND_IN_TITLE = {SessionKind.CLASS: "教室", SessionKind.CONSULTATION: "相談"}


@dataclass(frozen=True)
class At:
    """Where a caller is: what the next key answers, and what it is about."""

    #: ``menu``, ``who``, ``class``, ``name``, ``booked``, ``mine``, ``cancel``,
    #: ``cancelled``, ``message``, ``dialled``.
    step: str = "menu"
    #: The session last heard: the next item of a list comes after it.
    session: int = 0
    #: The booking or course enrolment heard, to cancel (one of them).
    booking: int = 0
    enrolment: int = 0
    #: Only the full classes (joining a waiting list).
    full: bool = False
    #: Silences in a row; tries at saying a name or a message.
    silences: int = 0
    tries: int = 0
    #: The residents offered by key from a shared number, in the order read out.
    who: tuple[int, ...] = ()

    def query(self) -> dict[str, str]:
        return {"at": self.step, "s": str(self.session), "b": str(self.booking),
                "e": str(self.enrolment), "f": "1" if self.full else "",
                "q": str(self.silences), "t": str(self.tries),
                "w": ".".join(map(str, self.who))}  # fmt: skip

    @classmethod
    def read(cls, args) -> At:
        def row(name: str) -> int:
            return as_id(args.get(name)) or 0

        def count(name: str) -> int:
            return min(row(name), 100)

        who = tuple(as_id(part) or 0 for part in args.get("w", "").split(".")[:MOST_CALLERS])
        return cls(step=args.get("at", "menu")[:20], session=row("s"), booking=row("b"),
                   enrolment=row("e"), full=args.get("f") == "1", silences=count("q"),
                   tries=count("t"), who=tuple(part for part in who if part))  # fmt: skip


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
        said = self.target.say(
            language="ja-JP" if japanese else "en-US",
            voice=self.voice if japanese else self.english_voice,
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

    def day(self, moment: datetime) -> str:
        if self.language == "en":
            return format_date(clock.to_local(moment), "EEEE d MMMM", locale="en")
        return messages.spoken_day(moment)

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

    def url(self, at: At) -> str:
        """The address of the next step, where the caller's answer to ``at`` goes."""
        return twilio_url(url_for("phoneline.step", ward=self.ward.slug, number=self.number + 1,
                                  **at.query(), _external=True))  # fmt: skip

    def ask(self, at: At, speech: bool = False) -> None:
        """Wait for a key (or words) that answer ``at``: what was said so far, and what is
        said from here on, can be cut short by it."""
        if speech:
            gather = Gather(
                input="speech", action=self.url(at), method="POST", timeout=6,
                speech_timeout="auto", language="en-US" if self.language == "en" else "ja-JP",
                action_on_empty_result=True,
            )  # fmt: skip
        else:
            gather = Gather(num_digits=1, action=self.url(at), method="POST",
                            timeout=KEY_TIMEOUT, action_on_empty_result=True)  # fmt: skip
        gather.verbs, self.response.verbs = self.response.verbs, []
        self.response.append(gather)
        self.target = gather

    def end(self, words: script.Words = script.GOODBYE) -> str:
        self.target = self.response
        self.say(words)
        self.response.hangup()
        return str(self.response)

    def twiml(self) -> str:
        return str(self.response)


def _spoken_name(resident: Resident) -> str:
    """Kana reads right; a name's kanji may not. A record the ward has not confirmed has
    only what a caller said: it is never read back as a name."""
    if resident.is_provisional:
        return ""
    return resident.kana.replace(" ", "") or resident.family_name


def _greet_resident(turn: Turn, resident: Resident) -> None:
    name = _spoken_name(resident)
    if not name:
        return
    if services.is_contact_person(turn.call, resident):
        turn.say(script.FOR_RESIDENT, name=name)
    else:
        turn.say(script.HELLO, name=name)


# -- the steps ------------------------------------------------------------------------------


def greet(call: PhoneLineCall) -> str:
    """The first answer: who we are, whom the call is about if we know, and the menu (or,
    for a number several residents share, whom the call is for)."""
    turn = Turn(call, 0)
    known = services.callers(call)
    if len(known) > MOST_CALLERS:
        turn.say(script.WELCOME, ward=turn.ward.name_ja, ward_en=turn.ward.name_en)
        return put_through(turn)
    if len(known) > 1:
        return who(
            turn, At(step="who", who=tuple(resident.id for resident in known)), welcome=True
        )
    return menu(turn, welcome=True)


def _welcome(turn: Turn) -> None:
    turn.say(script.WELCOME, ward=turn.ward.name_ja, ward_en=turn.ward.name_en)
    turn.say_english(script.FOR_ENGLISH)


def menu(turn: Turn, welcome: bool = False, silences: int = 0) -> str:
    services.walk(turn.call, "menu")
    turn.ask(At(step="menu", silences=silences))
    if welcome:
        _welcome(turn)
        if turn.call.from_e164 is None:
            turn.say(script.WITHHELD_HELLO)
        elif turn.call.resident is not None:
            _greet_resident(turn, turn.call.resident)
    person = script.TO_PERSON if services.desk_open(turn.ward) else script.TO_MESSAGE
    if turn.call.from_e164 is None:
        shown = person if services.desk_open(turn.ward) else script.Words("", "")
        turn.say(script.MENU_WITHHELD, person=shown.of(turn.language))
    else:
        turn.say(script.MENU, person=person.of(turn.language))
    if turn.language != "en" and not welcome:
        turn.say_english(script.FOR_ENGLISH)
    return turn.twiml()


def who(turn: Turn, at: At, welcome: bool = False) -> str:
    """Whom the call is for, when several residents share the number: by key, in the order
    ``at.who`` holds (ids checked again when a key comes)."""
    services.walk(turn.call, "who")
    by_id = {resident.id: resident for resident in services.callers(turn.call)}
    turn.ask(at)
    if welcome:
        _welcome(turn)
    turn.say(script.WHO)
    for key, resident_id in enumerate(at.who, start=1):
        if resident_id in by_id:
            name = _spoken_name(by_id[resident_id]) or script.UNNAMED.of(turn.language)
            turn.say(script.WHO_ONE, name=name, key=key)
    turn.say(script.PRESS)
    return turn.twiml()


def answer(call: PhoneLineCall, number: int, at: At, digits: str, said: str, form) -> str:
    """The answer to step ``number``: the caller pressed ``digits`` (or said ``said``)
    where ``at`` says they were."""
    turn = Turn(call, number)
    if len(call.path) >= services.MAX_STEPS:
        services.walk(call, "too_long")
        return turn.end(script.TOO_LONG)
    if at.step == "dialled":
        return dialled(turn, form.get("DialCallStatus", ""))
    if at.step == "message":
        return message_left(turn, at, said)
    if at.step == "name":
        return named(turn, at, said)
    if not digits:
        if at.silences + 1 >= MOST_SILENCES:
            services.walk(call, "silence")
            return turn.end(script.SILENT_END)
        turn.say(script.SILENCE)
        return again(turn, dataclasses.replace(at, silences=at.silences + 1))
    at = dataclasses.replace(at, silences=0)
    step = STEPS.get(at.step, on_menu)
    return step(turn, at, digits[:1])


def again(turn: Turn, at: At) -> str:
    """Say again what was said at ``at``."""
    if at.step == "who":
        return who(turn, at)
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
    return menu(turn, silences=at.silences)


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
    if key == "8":
        turn.call.language = turn.language = "en"
        return who(turn, at)
    chosen = int(key) if key.isdigit() else 0
    by_id = {resident.id: resident for resident in services.callers(turn.call)}
    if 1 <= chosen <= len(at.who) and at.who[chosen - 1] in by_id:
        resident = by_id[at.who[chosen - 1]]
        services.choose_resident(turn.call, resident)
        _greet_resident(turn, resident)
        return menu(turn)
    if key != "9":
        turn.say(script.NO_SUCH_KEY)
    return who(turn, at)


# -- lists ----------------------------------------------------------------------------------


def _order(session: Session) -> tuple:
    return (session.starts_dt, session.id)


def _pick(items: list, order, anchor: Session | None, next_one: bool):
    """The item heard again (the anchor's own, else the one after it), or the next one;
    the first when nothing was heard yet. Lists change while a caller listens (a class
    fills up, a booking is cancelled): the place is kept by time, not by count."""
    if anchor is None:
        return items[0] if items else None
    mark = _order(anchor)
    for item in items:
        if order(item) > mark or (not next_one and order(item) == mark):
            return item
    return None


def _anchor(turn: Turn, at: At) -> Session | None:
    session = db.session.get(Session, at.session) if at.session else None
    return session if session is not None and session.ward_id == turn.ward.id else None


# -- classes --------------------------------------------------------------------------------


def list_classes(turn: Turn, full: bool) -> str:
    shown, _left = services.bookable_for(turn.call, full)
    if not shown:
        turn.say(script.NO_FULL_CLASSES if full else script.NO_CLASSES)
        return menu(turn)
    turn.say(script.FULL_CLASSES if full else script.CLASSES, count=len(shown))
    return read_class(turn, At(step="class", full=full))


def read_class(turn: Turn, at: At, next_one: bool = False) -> str:
    """Say a class of the list (see ``_pick``), then ask what to do with it."""
    shown, left = services.bookable_for(turn.call, at.full)
    session = _pick(shown, _order, _anchor(turn, at), next_one)
    if session is None:
        turn.say(script.END_OF_LIST)
        return menu(turn)
    services.walk(turn.call, "class")
    turn.ask(dataclasses.replace(at, step="class", session=session.id))
    turn.say(script.NUMBER, number=shown.index(session) + 1)
    kind = "" if KIND_IN_TITLE[session.kind] in session.title else (
        script.KINDS[session.kind.value].of(turn.language))  # fmt: skip
    words = script.ITEM if kind else script.BOOKING
    turn.about(words, session.title, session.venue.name, when=turn.when(session.starts_dt),
               kind=kind)  # fmt: skip
    course = courses.course_of(session)
    if course is not None:
        turn.say(script.COURSE, count=len(courses.course_dates(course)))
    if left[session.id] > 0:
        turn.say(script.SEATS_LEFT, count=left[session.id])
    else:
        turn.say(script.FULL)
    if turn.call.from_e164 is None:
        turn.say(script.LISTEN_KEYS)
    else:
        turn.say(script.CLASS_KEYS if left[session.id] > 0 else script.FULL_KEYS)
    return turn.twiml()


def _on_item(turn: Turn, at: At, key: str, read, choices: dict) -> str:
    """A key on an item of a list: one of its ``choices``, 2 the next item, 0 the menu;
    9 (or any other key) ``read``s it again."""
    if key in choices:
        return choices[key](turn, at)
    if key == "2":
        return read(turn, at, next_one=True)
    if key == "0":
        return menu(turn)
    if key != "9":
        turn.say(script.NO_SUCH_KEY)
    return read(turn, at)


def on_class(turn: Turn, at: At, key: str) -> str:
    return _on_item(turn, at, key, read_class, {"1": start_booking})


def start_booking(turn: Turn, at: At) -> str:
    session = _anchor(turn, at)
    if session is None:
        return read_class(turn, at)
    if turn.call.from_e164 is None:
        turn.say(script.WITHHELD)
        return read_class(turn, at)
    if turn.call.resident is None:
        # Someone the ward does not know: their name first, then the booking.
        return ask_name(turn, at, script.ASK_NAME)
    return book(turn, at, session, turn.call.resident)


def ask_name(turn: Turn, at: At, words: script.Words) -> str:
    services.walk(turn.call, "name")
    turn.ask(dataclasses.replace(at, step="name"), speech=True)
    turn.say(words)
    return turn.twiml()


def named(turn: Turn, at: At, said: str) -> str:
    session = _anchor(turn, at)
    if session is None or turn.call.from_e164 is None:
        return menu(turn)
    if not said and at.tries == 0:
        return ask_name(turn, dataclasses.replace(at, tries=1), script.NOT_HEARD)
    return book(turn, at, session, turn.call.resident, said)


def book(turn: Turn, at: At, session: Session, resident: Resident | None, said: str = "") -> str:
    call = turn.call
    try:
        booked, written = services.book(call, resident, session, said)
    except Conflict:
        turn.say(script.ALREADY)
        return read_class(turn, at, next_one=True)
    except RuleViolation:
        turn.say(script.CANNOT_BOOK)
        return read_class(turn, at, next_one=True)
    services.walk(call, "booked")
    told = read_back(turn, session, booked)
    if services.is_waiting(booked):
        turn.say(script.WAIT_CHECK)
    if written:
        turn.say(script.IN_WRITING)
    if resident is None:
        services.note_provisional(call, call.resident, booked, told)
        if not said:
            turn.say(script.NAME_LATER)
        turn.say(script.CALL_BACK)
    turn.ask(dataclasses.replace(at, step="booked"))
    turn.say(script.AFTER_BOOKED)
    return turn.twiml()


def read_back(turn: Turn, session: Session, booked: Booking | Enrolment) -> str:
    """Say what was booked, twice (the second time to note it down); a course's dates
    too. Return it as said in Japanese, for the inbox."""
    venue, title = session.venue.name, session.title
    dates: list[Session] = []
    if isinstance(booked, Enrolment):
        dates = courses.course_dates(booked.series)
        when_dt = dates[0].starts_dt if dates else session.starts_dt
        values: dict[str, object] = {"count": len(dates)}
        if booked.status == EnrolmentStatus.WAITLISTED:
            words = script.COURSE_WAITLISTED
            values["position"] = courses.course_waitlist_position(booked)
        else:
            words = script.COURSE_BOOKED
    elif booked.status == BookingStatus.WAITLISTED:
        when_dt = session.starts_dt
        words, values = script.WAITLISTED, {"position": bookings.waitlist_position(booked)}
    else:
        when_dt = messages.arrival(session, booked.place)
        words, values = script.BOOKED, {}
    for _ in range(2):
        turn.about(words, title, venue, when=turn.when(when_dt), **values)
        if len(dates) > 1:
            turn.say(script.COURSE_DATES,
                     dates="、".join(turn.day(date.starts_dt) for date in dates))  # fmt: skip
    return words.ja.format(title=title, venue=venue, when=messages.spoken_when(when_dt), **values)


def on_booked(turn: Turn, at: At, key: str) -> str:
    if key == "2":
        return read_class(turn, dataclasses.replace(at, step="class"), next_one=True)
    if key == "0":
        return menu(turn)
    return again(turn, at)


# -- the caller's bookings ------------------------------------------------------------------


def list_bookings(turn: Turn) -> str:
    if turn.call.resident is None:
        turn.say(script.NOT_KNOWN)
        return menu(turn)
    held = services.hear_bookings(turn.call)
    if not held:
        turn.say(script.NO_BOOKINGS)
        return menu(turn)
    turn.say(script.YOUR_BOOKINGS, count=len(held))
    return read_booking(turn, At(step="mine"))


def read_booking(turn: Turn, at: At, next_one: bool = False) -> str:
    held = services.held_by(turn.call)
    one = _pick(held, lambda item: item.order, _anchor(turn, at), next_one)
    if one is None:
        turn.say(script.END_OF_LIST)
        return menu(turn)
    services.walk(turn.call, "mine")
    turn.ask(dataclasses.replace(
        at, step="mine", session=one.session.id, booking=one.booking.id if one.booking else 0,
        enrolment=one.enrolment.id if one.enrolment else 0,
    ))  # fmt: skip
    turn.say(script.NUMBER, number=held.index(one) + 1)
    session = one.session
    when = messages.arrival(session, one.booking.place if one.booking else None)
    turn.about(script.BOOKING, session.title, session.venue.name, when=turn.when(when))
    if one.enrolment is not None:
        turn.say(script.COURSE_HELD, count=len(courses.course_dates(one.enrolment.series)))
    if one.position is not None:
        turn.say(script.IS_WAITING, position=one.position)
    else:
        turn.say(script.IS_BOOKED)
    if one.offered:
        turn.say(script.SEAT_OFFERED)
    turn.say(script.MINE_KEYS)
    return turn.twiml()


def on_mine(turn: Turn, at: At, key: str) -> str:
    return _on_item(turn, at, key, read_booking, {"1": ask_cancel, "3": take_offer})


def _what(turn: Turn, booking: Booking | None, enrolment: Enrolment | None) -> tuple[str, str]:
    """What a cancellation is of, in the call's language and in Japanese, and its title."""
    if enrolment is not None:
        waiting = enrolment.status == EnrolmentStatus.WAITLISTED
        words = script.THE_COURSE_WAIT if waiting else script.THE_COURSE
        title, when = enrolment.series.title, ""
    else:
        waiting = booking.status == BookingStatus.WAITLISTED
        words = script.THE_WAIT if waiting else script.THE_BOOKING
        title = booking.session.title
        when = turn.when(messages.arrival(booking.session, booking.place))
    return words.of(turn.language, title=title, when=when), title


def ask_cancel(turn: Turn, at: At) -> str:
    booking, enrolment = services.chosen(turn.call, at.booking, at.enrolment)
    if booking is None and enrolment is None:
        return read_booking(turn, at)
    services.walk(turn.call, "cancel")
    turn.ask(dataclasses.replace(at, step="cancel"))
    what, title = _what(turn, booking, enrolment)
    turn.about(script.CANCEL_ASK, title if turn.language == "en" else "", what=what)
    turn.say(script.CANCEL_KEYS)
    return turn.twiml()


def on_cancel(turn: Turn, at: At, key: str) -> str:
    if key == "2":
        turn.say(script.KEPT)
        return read_booking(turn, at)
    if key != "1":
        return ask_cancel(turn, at)
    booking, enrolment = services.chosen(turn.call, at.booking, at.enrolment)
    if booking is None and enrolment is None:
        turn.say(script.ALREADY_CANCELLED)
        return read_booking(turn, at, next_one=True)
    what, title = _what(turn, booking, enrolment)
    try:
        written = services.cancel(turn.call, booking, enrolment)
    except RuleViolation:
        turn.say(script.ALREADY_CANCELLED)
        return read_booking(turn, at, next_one=True)
    services.walk(turn.call, "cancelled")
    turn.about(script.CANCELLED, title if turn.language == "en" else "", what=what)
    if written:
        turn.say(script.IN_WRITING)
    turn.ask(dataclasses.replace(at, step="cancelled"))
    turn.say(script.AFTER_CANCELLED)
    return turn.twiml()


def on_cancelled(turn: Turn, at: At, key: str) -> str:
    if key == "2":
        return read_booking(turn, at, next_one=True)
    if key == "0":
        return menu(turn)
    return again(turn, at)


def take_offer(turn: Turn, at: At) -> str:
    booking, _enrolment = services.chosen(turn.call, at.booking, at.enrolment)
    if booking is None or booking.status != BookingStatus.WAITLISTED:
        return read_booking(turn, at)
    taken, written = services.take_offer(turn.call, booking)
    if taken != bookings.OfferAnswer.TAKEN:
        turn.say(script.SEAT_GONE if taken == bookings.OfferAnswer.GONE else script.SEAT_CLOSED)
        return read_booking(turn, at, next_one=True)
    services.walk(turn.call, "booked")
    session = booking.session
    for _ in range(2):
        turn.about(script.SEAT_TAKEN, session.title, session.venue.name,
                   when=turn.when(messages.arrival(session, booking.place)))  # fmt: skip
    if written:
        turn.say(script.IN_WRITING)
    turn.ask(dataclasses.replace(at, step="cancelled"))
    turn.say(script.AFTER_CANCELLED)
    return turn.twiml()


# -- a person -------------------------------------------------------------------------------


def put_through(turn: Turn) -> str:
    """To staff while the desk is open; else (or when nobody answers) a message."""
    ward = turn.ward
    if services.desk_open(ward):
        services.walk(turn.call, "person")
        turn.say(script.PUTTING_THROUGH)
        dial = turn.response.dial(action=turn.url(At(step="dialled")), method="POST", timeout=25)
        dial.number(ward.phone_line_forward_e164)
        return turn.twiml()
    if ward.phone_line_forward_e164:
        turn.say(script.DESK_CLOSED, opens=turn.hour(ward.desk_opens),
                 closes=turn.hour(ward.desk_closes))  # fmt: skip
    return ask_message(turn, At(step="message"), script.ASK_MESSAGE)


def dialled(turn: Turn, status: str) -> str:
    if status == "completed":
        services.handed_over(turn.call)
        turn.response.hangup()
        return turn.twiml()
    turn.say(script.DESK_BUSY)
    return ask_message(turn, At(step="message"), script.ASK_MESSAGE)


def ask_message(turn: Turn, at: At, words: script.Words) -> str:
    if turn.call.from_e164 is None:
        phone = turn.ward.booking_phone
        spoken = messages.spoken_number(phone) if phone and turn.language != "en" else phone
        turn.say(script.NO_CALL_BACK, phone=spoken or turn.ward.name_ja)
        services.walk(turn.call, "withheld")
        return turn.end()
    services.walk(turn.call, "message")
    turn.ask(at, speech=True)
    turn.say(words)
    return turn.twiml()


def message_left(turn: Turn, at: At, said: str) -> str:
    if turn.call.from_e164 is None:
        return turn.end()
    if not said and at.tries == 0:
        return ask_message(turn, dataclasses.replace(at, tries=1), script.NOT_HEARD)
    # Nothing heard twice: the caller asked for a person, so staff call back all the same.
    words = script.MESSAGE_TAKEN if said else script.MESSAGE_UNHEARD
    services.leave_message(turn.call, said, words.ja)
    services.walk(turn.call, "message_left")
    turn.say(words)
    return turn.end()


def apology(ward) -> str:
    """What a caller hears when a step could not be answered."""
    response = VoiceResponse()
    phone = messages.spoken_number(ward.booking_phone) if ward.booking_phone else ward.name_ja
    said = response.say(language="ja-JP", voice=current_app.config["PHONE_LINE_VOICE"])
    said.prosody(
        script.SORRY.ja.format(phone=phone), rate=f"{current_app.config['PHONE_LINE_RATE']}%"
    )
    response.hangup()
    return str(response)


STEPS = {
    "menu": on_menu,
    "who": on_who,
    "class": on_class,
    "booked": on_booked,
    "mine": on_mine,
    "cancel": on_cancel,
    "cancelled": on_cancelled,
}
