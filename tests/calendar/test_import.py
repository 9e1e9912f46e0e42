"""Coordinators import sessions planned elsewhere from an .ics file: preview, then create."""

import io
import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from inclusion import clock
from inclusion.calendar.models import CalendarImport
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionKind
from tests import factories
from tests.conftest import log_in

URL = "/manage/shibuya/calendar/import"


def day(offset: int) -> str:
    return f"{clock.today() + timedelta(days=offset):%Y%m%d}"


def ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//partner//JA\r\n{body}END:VCALENDAR\r\n"
    ).encode()


def event(uid: str, title: str, offset: int, start="100000", end="113000", extra="") -> str:
    lines = [
        f"UID:{uid}",
        f"SUMMARY:{title}",
        f"DTSTART;TZID=Asia/Tokyo:{day(offset)}T{start}",
        f"DTEND;TZID=Asia/Tokyo:{day(offset)}T{end}",
        "DTSTAMP:20261101T000000Z",
    ]
    return "\r\n".join(lines + ([extra] if extra else []))


def partner_file() -> bytes:
    return ics(
        event("a@partner.jp", "スマホ入門", 10, extra="LOCATION:中央図書館 2階"),
        event(
            "b@partner.jp",
            "個別相談会",
            11,
            extra="CATEGORIES:個別相談会\r\nLOCATION:どこかのカフェ",
        ),
        event(
            "c@partner.jp",
            "毎週のLINE教室",
            12,
            start="140000",
            end="153000",
            extra="RRULE:FREQ=WEEKLY;COUNT=3",
        ),  # fmt: skip
        event("d@partner.jp", "中止の回", 13, extra="STATUS:CANCELLED"),
        "UID:e@partner.jp\r\nSUMMARY:終日\r\nDTSTART;VALUE=DATE:" + day(14),
        event("f@partner.jp", "過去の回", -3),
    )


@pytest.fixture
def venues(shibuya):
    library = factories.make_venue(shibuya, name="中央図書館")
    default = factories.make_venue(shibuya, name="区民会館")
    db.session.commit()
    return library, default


@pytest.fixture
def coordinator(client, users):
    log_in(client, users["coordinator"])
    return users["coordinator"]


def upload(client, content: bytes, venue, name="partner.ics"):
    file = FileStorage(io.BytesIO(content), filename=name, content_type="text/calendar")
    data = {"calendar_file": file, "venue": str(venue.id)}
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    body, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post(
        URL,
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def sessions() -> list[Session]:
    return db.session.scalars(sa.select(Session).order_by(Session.starts_dt)).all()


def test_preview_first_then_create_once(client, coordinator, venues):
    library, default = venues
    response = upload(client, partner_file(), default)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "新規 5件、取り込み済み 0件、問題あり 3件" in page
    assert page.index("過去の回") < page.index("スマホ入門")  # in time order
    assert "中止の回" in page and "ファイルで中止" in page
    assert "終日の予定は講座にできません" in page
    assert "過去" in page
    assert sessions() == []  # the preview created nothing

    created = client.post(preview_url)
    assert created.status_code == 302
    rows = sessions()
    assert [session.title for session in rows] == [
        "スマホ入門", "個別相談会", "毎週のLINE教室", "毎週のLINE教室", "毎週のLINE教室"
    ]  # fmt: skip
    assert rows[0].venue_id == library.id and rows[1].venue_id == default.id
    assert rows[1].kind == SessionKind.CONSULTATION and rows[0].kind == SessionKind.CLASS
    assert clock.to_local(rows[0].starts_dt).hour == 10
    weekly = [session.import_uid for session in rows if session.title == "毎週のLINE教室"]
    assert len(set(weekly)) == 3 and all(uid.startswith("c@partner.jp#") for uid in weekly)
    assert rows[0].import_uid == "a@partner.jp"

    again = client.post(preview_url, follow_redirects=True)
    assert "このファイルはすでに取り込み済みです" in again.get_data(as_text=True)
    assert len(sessions()) == 5

    second = upload(client, partner_file(), default)
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "新規 0件、取り込み済み 5件" in page and "新しく作るものはありません" in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: b"hello, world", "iCalendar（.ics）ファイルではありません"),
        (lambda: "BEGIN:VCALENDAR\r\nSUMMARY:日本語".encode("shift_jis"), "UTF-8"),
        (lambda: b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "読み取れません"),
        (lambda: ics("UID:x\r\nSUMMARY:no start"), "DTSTART"),
        (lambda: ics(event("x", "bad", 3, extra="RRULE:FREQ=SOMETIMES")), "読み取れません"),
        (lambda: ics(), "1年以内の予定がありません"),
        (lambda: ics(*[event(f"n{n}", "多すぎ", 3 + n % 300) for n in range(501)]), "500件まで"),
        # Unbounded repeats are counted one by one up to the cap (expanding this first took
        # minutes and gigabytes), in whatever time form the file uses.
        (lambda: ics(event("s", "毎秒", 3, extra="RRULE:FREQ=SECONDLY")), "500件まで"),
        (lambda: ics(event("m", "毎分", 3, extra="RRULE:FREQ=MINUTELY;INTERVAL=1")), "500件まで"),
        (
            lambda: ics(
                *[
                    f"UID:d{n}\r\nSUMMARY:毎日\r\nDTSTART;VALUE=DATE:{day(3)}\r\nRRULE:FREQ=DAILY"
                    for n in range(2)
                ]
            ),
            "500件まで",
        ),  # fmt: skip
        (
            lambda: ics(
                *[
                    event(f"w{n}", "毎週", 3 + n, extra="RRULE:FREQ=WEEKLY;COUNT=60")
                    for n in range(10)
                ]
            ),
            "500件まで",
        ),  # fmt: skip
        (lambda: b"BEGIN:VCALENDAR\r\n" + b"X" * (1024 * 1024), "1 MBより大きい"),
    ],
)
def test_a_bad_file_is_refused_with_the_reason_and_changes_nothing(
    client, coordinator, venues, content, message
):
    response = upload(client, content(), venues[1])
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in re.sub(r"\s+", " ", text), text[text.find("error-message") :][:300]
    assert db.session.scalars(sa.select(CalendarImport)).all() == []
    assert sessions() == []


def test_our_own_feed_comes_back_as_the_same_sessions(client, coordinator, venues, shinagawa):
    source = factories.make_venue(shinagawa, name="中央図書館")
    starts = clock.to_utc(clock.today() + timedelta(days=6), time(13))
    factories.make_session(
        source, starts_dt=starts, title="品川の相談", kind=SessionKind.CONSULTATION
    )
    db.session.commit()
    feed = client.get("/w/shinagawa/calendar.ics").get_data()
    response = upload(client, feed, venues[1])
    client.post(response.headers["Location"])
    [copied] = [session for session in sessions() if session.ward_id == venues[0].ward_id]
    assert copied.kind == SessionKind.CONSULTATION and copied.venue_id == venues[0].id
    assert copied.import_uid.startswith("session-") and copied.title == "品川の相談"


def test_only_coordinators_and_admins_import(client, users, venues):
    log_in(client, users["ward_staff"])
    assert client.get(URL).status_code == 403
    assert upload(client, partner_file(), venues[1]).status_code == 403
