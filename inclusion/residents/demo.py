"""Demo residents: made-up people and numbers (valid for ``phonenumbers``, never real lines)."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.courses import services as courses
from inclusion.extensions import db
from inclusion.residents import bookings, services
from inclusion.residents.models import (
    Booking,
    BookingSource,
    BookingStatus,
    ConsentMethod,
    ConsentScope,
    ReminderChannel,
    Resident,
)
from inclusion.sessions.models import Session, SessionKind, SessionStatus, Topic
from inclusion.wards.services import find_ward

SMS, VOICE, NONE = ReminderChannel.SMS, ReminderChannel.VOICE, ReminderChannel.NONE

#: (family, given, family kana, given kana, birth year, phones, channel, needs, proxy)
DEMO_RESIDENTS = [
    ("山田", "花子", "ヤマダ", "ハナコ", 1946, ["03-5555-0101"], VOICE, "耳が遠いので、ゆっくり話してください。",
     ("山田 一郎", "長男", "090-1111-0111", True)),
    ("佐藤", "次郎", "サトウ", "ジロウ", 1950, ["090-1111-0102"], SMS, "", None),
    ("鈴木", "和子", "スズキ", "カズコ", 1942, ["03-5555-0103"], VOICE, "車いすを使っています。", None),
    ("高橋", "誠", "タカハシ", "マコト", 1955, ["080-1111-0104", "03-5555-0104"], SMS, "", None),
    ("田中", "幸子", "タナカ", "サチコ", 1939, ["03-5555-0105"], VOICE, "大きな文字の資料をお願いします。",
     ("鈴木 真理", "ケアマネジャー", "03-5555-0199", False)),
    ("伊藤", "正", "イトウ", "タダシ", 1948, ["050-5555-0106"], VOICE, "", None),
    ("渡辺", "恵子", "ワタナベ", "ケイコ", 1952, ["070-1111-0107"], SMS, "", None),
    ("中村", "勇", "ナカムラ", "イサム", 1944, ["03-5555-0108"], VOICE, "", None),
    ("小林", "節子", "コバヤシ", "セツコ", 1947, ["03-5555-0109"], NONE, "", None),
    ("加藤", "明", "カトウ", "アキラ", 1958, ["090-1111-0110"], SMS, "", None),
    ("吉田", "京子", "ヨシダ", "キョウコ", 1941, ["03-5555-0111"], VOICE, "補聴器を使っています。", None),
    ("山本", "茂", "ヤマモト", "シゲル", 1949, ["060-1111-0112"], SMS, "", None),
    ("松本", "洋子", "マツモト", "ヨウコ", 1953, ["03-5555-0113"], VOICE, "", None),
    ("井上", "博", "イノウエ", "ヒロシ", 1945, ["03-5555-0114"], VOICE, "", None),
    ("木村", "久美子", "キムラ", "クミコ", 1951, ["080-1111-0115"], SMS, "", None),
]  # fmt: skip

#: Made-up numbers differ per ward in the last digit block.
WARD_NUMBER_OFFSET = {"shibuya": 0, "shinagawa": 5000}


def _number(text: str, offset: int) -> str:
    head, tail = text.rsplit("-", 1)
    return f"{head}-{int(tail) + offset:04d}"


def _residents(ward, offset: int) -> list[Resident]:
    residents = []
    for (
        family,
        given,
        family_kana,
        given_kana,
        year,
        phones,
        channel,
        needs,
        proxy,
    ) in DEMO_RESIDENTS:
        proxy_name, relation, proxy_phone, proxy_reminded = proxy or ("", "", "", False)
        resident = services.create_resident(
            None,
            ward,
            services.ResidentDraft(
                family_name=family,
                given_name=given,
                family_kana=family_kana,
                given_kana=given_kana,
                birth_year=year,
                phones=[_number(phone, offset) for phone in phones],
                reminder_channel=channel,
                needs=needs,
                proxy_name=proxy_name,
                proxy_relation=relation,
                proxy_phone=_number(proxy_phone, offset) if proxy_phone else "",
                proxy_gets_reminders=proxy_reminded,
            ),
            confirmed_new=True,
        )
        services.record_consent(
            None,
            resident,
            list(ConsentScope),
            ConsentMethod.PHONE,
            clock.today(),
        )
        residents.append(resident)
    return residents


def _past_class(ward, venue_id: int, days_ago: int) -> Session:
    """A class in the past (services refuse past dates, as they should)."""
    start = clock.to_utc(clock.today() - timedelta(days=days_ago), time(10))
    session = Session(
        ward_id=ward.id,
        venue_id=venue_id,
        kind=SessionKind.CLASS,
        title="スマホ教室 地図アプリを使ってみよう",
        starts_dt=start,
        ends_dt=start + timedelta(hours=1, minutes=30),
        capacity=10,
        lead_needed=1,
        assistants_needed=3,
        topics=[Topic.MAPS],
    )
    db.session.add(session)
    db.session.flush()
    return session


def _history(ward, residents: list[Resident]) -> None:
    """A class four months ago: attendance, and follow-up calls now due (the surveys'
    demo answers some)."""
    upcoming = db.session.scalar(
        sa.select(Session).where(Session.ward_id == ward.id).order_by(Session.id).limit(1)
    )
    past = _past_class(ward, upcoming.venue_id, days_ago=120)
    for place, resident in enumerate(residents[:6], start=1):
        db.session.add(
            Booking(
                session_id=past.id,
                resident_id=resident.id,
                ward_id=ward.id,
                status=BookingStatus.ATTENDED if place != 4 else BookingStatus.NO_SHOW,
                place=place,
                source=BookingSource.PHONE,
                attendance_dt=past.starts_dt,
            )
        )
    past.status, past.headcount = SessionStatus.HELD, 5
    db.session.flush()
    for resident in residents[:6]:
        bookings.sync_follow_up(resident.id, ward.id)


def _upcoming(ward, residents: list[Resident]) -> None:
    """Fill the next class (a course: every date) and put two on its waiting list; book some
    consultation slots."""
    scheduled = db.session.scalars(
        sa.select(Session)
        .where(
            Session.ward_id == ward.id,
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_dt > clock.now(),
        )
        .order_by(Session.starts_dt)
    ).all()
    first_class = next((s for s in scheduled if s.kind == SessionKind.CLASS), None)
    consultation = next((s for s in scheduled if s.kind == SessionKind.CONSULTATION), None)
    if first_class is not None:
        course = courses.course_of(first_class)
        for resident in residents[: first_class.capacity + 2]:
            if course is None:
                bookings.book_resident(None, resident, first_class, BookingSource.PHONE)
            else:
                courses.enrol_resident(None, resident, course, BookingSource.PHONE)
    if consultation is not None:
        takers = residents[-3:]
        for place, resident in enumerate(takers, start=1):
            bookings.book_resident(None, resident, consultation, BookingSource.COUNTER, place)


def add_demo_residents() -> int:
    """Add demo residents, bookings and follow-ups to wards that have none; return how many."""
    added = 0
    for slug, offset in WARD_NUMBER_OFFSET.items():
        ward = find_ward(slug)
        has_residents = db.session.scalar(
            sa.select(sa.exists().where(Resident.ward_id == ward.id))
        )
        if has_residents:
            continue
        residents = _residents(ward, offset)
        _history(ward, residents)
        _upcoming(ward, residents)
        added += len(residents)
    return added
