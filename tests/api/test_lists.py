"""Read-only lists for a call centre: a session's bookings and waiting list, a resident's
bookings, reminder outcomes and replies waiting for follow-up — each with the least
permission, paginated, and no more of a person than the key may read."""

from __future__ import annotations

import pytest

from inclusion.api.models import ApiScope
from inclusion.extensions import db
from inclusion.reminders.models import Recipient, ReminderStatus, ReplyOutcome
from inclusion.residents.models import BookingStatus
from tests import factories
from tests.api.test_sessions import at, day_ahead


@pytest.fixture
def full_class(shibuya):
    """A class of two seats: two booked, three waiting, one cancelled."""
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(3), 10),
                                     capacity=2)  # fmt: skip
    residents = [factories.make_resident(shibuya, phones=(f"+8135555000{n}",)) for n in range(6)]
    bookings = [factories.make_booking(session, residents[0], place=1),
                factories.make_booking(session, residents[1], place=2)]  # fmt: skip
    bookings += [factories.make_booking(session, resident, BookingStatus.WAITLISTED)
                 for resident in residents[2:5]]  # fmt: skip
    bookings.append(factories.make_booking(session, residents[5], BookingStatus.CANCELLED))
    db.session.commit()
    return session, residents, bookings


def test_a_session_s_bookings_page_by_page_and_its_waiting_list_in_order(
    client, make_key, full_class, count_queries
):
    session, _residents, bookings = full_class
    reader = make_key(ApiScope.BOOKINGS_READ)
    path = f"/api/v1/sessions/{session.id}/bookings"
    first = client.get(path, query_string={"limit": 4}, headers=reader)
    assert first.status_code == 200 and len(first.json["items"]) == 4
    rest = client.get(path, query_string={"limit": 4, "cursor": first.json["next_cursor"]},
                      headers=reader)  # fmt: skip
    assert rest.json["next_cursor"] is None
    assert [item["id"] for item in first.json["items"] + rest.json["items"]] == [
        booking.id for booking in bookings
    ]
    with count_queries() as counted:
        waiting = client.get(path, query_string={"status": "waitlisted"}, headers=reader)
    assert [item["waitlist_position"] for item in waiting.json["items"]] == [1, 2, 3]
    assert [item["resident_id"] for item in waiting.json["items"]] == [
        booking.resident_id for booking in bookings[2:5]
    ]
    # The key, the session, the page and the positions: not one query per booking.
    assert len([sql for sql in counted if sql.lstrip().upper().startswith("SELECT")]) <= 5, counted
    assert "family_name" not in waiting.get_data(as_text=True)


def test_a_resident_s_bookings_to_come_and_those_over(client, make_key, shibuya):
    resident = factories.make_resident(shibuya)
    venue = factories.make_venue(shibuya, "区民会館")
    later = factories.make_session(venue, starts_dt=at(day_ahead(9), 10), title="LINE入門")
    sooner = factories.make_session(venue, starts_dt=at(day_ahead(2), 10), title="写真の送り方")
    over = factories.make_session(venue, starts_dt=at(day_ahead(-5), 10), title="地図アプリ")
    for session in (later, sooner, over):
        factories.make_booking(session, resident)
    db.session.commit()
    reader = make_key(ApiScope.BOOKINGS_READ)
    path = f"/api/v1/residents/{resident.id}/bookings"
    upcoming = client.get(path, headers=reader).json["items"]
    assert [item["session"]["title"] for item in upcoming] == ["写真の送り方", "LINE入門"]
    assert upcoming[0]["session"]["venue"]["name"] == "区民会館"
    factories.make_booking(factories.make_session(venue, starts_dt=at(day_ahead(4), 10)),
                           resident, BookingStatus.CANCELLED)  # fmt: skip
    db.session.commit()
    booked = client.get(path, query_string={"status": "booked"}, headers=reader).json["items"]
    assert [item["session"]["title"] for item in booked] == ["写真の送り方", "LINE入門"]
    assert len(client.get(path, headers=reader).json["items"]) == 3
    past = client.get(path, query_string={"when": "past"}, headers=reader).json["items"]
    assert [item["session"]["title"] for item in past] == ["地図アプリ"]
    refused = client.get(path, query_string={"when": "soon"}, headers=reader)
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "when"


def test_reading_bookings_needs_bookings_read_and_the_key_s_ward(
    client, make_key, full_class, shinagawa
):
    session, residents, _bookings = full_class
    for path in (f"/api/v1/sessions/{session.id}/bookings",
                 f"/api/v1/residents/{residents[0].id}/bookings"):  # fmt: skip
        writer = client.get(path, headers=make_key(ApiScope.BOOKINGS_WRITE))
        assert writer.status_code == 403 and writer.json["code"] == "missing-scope"
        other_ward = client.get(path, headers=make_key(ApiScope.BOOKINGS_READ, ward=shinagawa))
        assert other_ward.status_code == 404


def test_reminder_outcomes_per_session_and_per_resident(client, make_key, full_class):
    session, residents, bookings = full_class
    sent = factories.make_reminder(bookings[0], ReminderStatus.DELIVERED)
    failed = factories.make_reminder(
        bookings[1], ReminderStatus.FAILED, last_error="番号 +81355550001 に届きません",
        failure_code="30003", recipient=Recipient.PROXY,
    )  # fmt: skip
    db.session.commit()
    reader = make_key(ApiScope.REMINDERS_READ)
    items = client.get(f"/api/v1/sessions/{session.id}/reminders", headers=reader).json["items"]
    assert [(item["id"], item["status"]) for item in items] == [
        (sent.id, "delivered"),
        (failed.id, "failed"),
    ]
    assert items[1]["recipient"] == "proxy" and items[1]["error_code"] == "30003"
    assert "+8135555" not in str(items)
    mine = client.get(f"/api/v1/residents/{residents[1].id}/reminders", headers=reader)
    assert [item["booking_id"] for item in mine.json["items"]] == [bookings[1].id]
    by_booking = client.get(f"/api/v1/bookings/{bookings[0].id}/reminders", headers=reader)
    assert [item["id"] for item in by_booking.json] == [sent.id]
    assert client.get(f"/api/v1/sessions/{session.id}/reminders",
                      headers=make_key(ApiScope.BOOKINGS_READ)).status_code == 403  # fmt: skip


def test_replies_waiting_for_follow_up_show_their_words_only_with_residents_read(
    client, make_key, shibuya, shinagawa
):
    resident = factories.make_resident(shibuya)
    unclear = factories.make_reply(shibuya, body="山田です 明日は", resident_ids=[resident.id],
                                   told="区役所からお電話します")  # fmt: skip
    factories.make_reply(shibuya, ReplyOutcome.CONFIRMED, handled_dt=unclear.received_dt)
    factories.make_reply(shinagawa, body="品川の返信")
    db.session.commit()
    narrow = make_key(ApiScope.REMINDERS_READ, ward=shibuya)
    items = client.get("/api/v1/replies", headers=narrow).json["items"]
    assert [item["id"] for item in items] == [unclear.id]
    assert items[0]["outcome"] == "ambiguous" and items[0]["needs_follow_up"] is True
    assert "body" not in items[0] and "told" not in items[0]
    assert items[0]["resident_ids"] == [resident.id]
    reader = make_key(ApiScope.REMINDERS_READ, ApiScope.RESIDENTS_READ, ward=shibuya)
    shown = client.get("/api/v1/replies", headers=reader).json["items"][0]
    assert shown["body"] == "山田です 明日は" and shown["told"] == "区役所からお電話します"
    everything = client.get("/api/v1/replies", query_string={"waiting": "false"}, headers=narrow)
    assert len(everything.json["items"]) == 2
    assert client.get("/api/v1/replies", query_string={"ward": "shinagawa"},
                      headers=narrow).status_code == 403  # fmt: skip


def test_a_full_course_s_waiting_list_in_order(client, make_key, shibuya, count_queries):
    from inclusion.courses.services import enrol_resident
    from inclusion.residents.models import BookingSource

    course = factories.make_series(shibuya, dates=3, capacity=1)
    enrol_resident(None, factories.make_resident(shibuya), course, BookingSource.PHONE)
    waiting = [enrol_resident(None, factories.make_resident(shibuya, phones=(f"+8190555500{n}",)),
                              course, BookingSource.PHONE) for n in range(10, 13)]  # fmt: skip
    db.session.commit()
    reader = make_key(ApiScope.BOOKINGS_READ)
    client.get(f"/api/v1/courses/{course.id}/waitlist", headers=reader)  # notes the key used
    with count_queries() as counted:
        line = client.get(f"/api/v1/courses/{course.id}/waitlist", headers=reader).json
    assert [(item["id"], item["waitlist_position"]) for item in line] == [
        (enrolment.id, position) for position, enrolment in enumerate(waiting, start=1)
    ]
    assert all(item["booking_ids"] == [] for item in line)
    for n in range(13, 16):
        enrol_resident(None, factories.make_resident(shibuya, phones=(f"+8190555500{n}",)),
                       course, BookingSource.PHONE)  # fmt: skip
    db.session.commit()
    with count_queries() as longer:
        assert len(client.get(f"/api/v1/courses/{course.id}/waitlist", headers=reader).json) == 6
    assert len(longer) == len(counted), "one query per person waiting"
