"""What an integrator can do from a fresh database: keys and a webhook endpoint from the
command line, then the API alone — venues, the ward's phone, sessions and a course,
residents booked and cancelled, lists read with read-only keys, consent changed, reminder
outcomes read — and a signed webhook received for every event."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from standardwebhooks import Webhook

from inclusion import clock
from inclusion.api.models import ApiScope
from inclusion.extensions import db
from inclusion.reminders import replies
from inclusion.residents.models import Booking, ReminderChannel
from inclusion.sessions import services as session_services
from inclusion.webhooks import delivery
from inclusion.webhooks.jobs import queue_unfilled_shifts
from inclusion.webhooks.models import SUBSCRIBABLE
from tests import factories
from tests.webhooks.receiver import Receiver

CALL_CENTRE = ["sessions:read", "sessions:write", "venues:write", "bookings:write",
               "residents:read", "residents:write"]  # fmt: skip


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_LOOPBACK": True}


def cli(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def key(app, name: str, *scopes: str, ward: str | None = None) -> dict[str, str]:
    reach = ["--ward", ward] if ward else ["--all-wards"]
    options = [option for scope in scopes for option in ("--scope", scope)]
    return {"Authorization": "Bearer " + cli(app, "api-keys", "create", "--name", name, *reach,
                                             *options)}  # fmt: skip


def test_a_call_centre_runs_a_ward_through_the_api_and_hears_of_every_change(app, client):
    with Receiver() as receiver:
        call_centre = key(app, "23区共同コールセンター", *CALL_CENTRE)
        admin = key(app, "区の設定", "wards:write", ward="shibuya")
        lists = key(app, "集計表", "bookings:read", "reminders:read", ward="shibuya")
        events = [option for event in SUBSCRIBABLE for option in ("--event", event.value)]
        secret = cli(app, "webhooks", "add", receiver.url, "--ward", "shibuya", *events,
                     "--scope", "residents:read")  # fmt: skip

        version = client.get("/api/v1/wards/shibuya").headers["ETag"]
        phone = client.patch("/api/v1/wards/shibuya", json={"booking_phone": "03-5555-1130"},
                             headers={**admin, "If-Match": version})  # fmt: skip
        assert phone.status_code == 200, phone.json
        venue = client.post("/api/v1/wards/shibuya/venues", headers=call_centre, json={
            "name": "中央図書館", "kind": "library", "address": "渋谷区神宮前1-1-1",
            "default_capacity": 12, "has_lift": True})  # fmt: skip
        assert venue.status_code == 201, venue.json
        tomorrow = (clock.today() + timedelta(days=1)).isoformat()
        session = client.post("/api/v1/sessions", headers=call_centre, json={
            "venue_id": venue.json["id"], "kind": "class", "title": "LINE入門", "date": tomorrow,
            "starts_time": "10:00", "ends_time": "11:30", "capacity": 1})  # fmt: skip
        assert session.status_code == 201, session.json
        course = client.post("/api/v1/courses", headers=call_centre, json={
            "venue_id": venue.json["id"], "kind": "class", "title": "スマホ講座",
            "date": (clock.today() + timedelta(days=8)).isoformat(), "starts_time": "14:00",
            "ends_time": "15:30", "weeks": 4})  # fmt: skip
        assert course.status_code == 201 and len(course.json["dates"]) >= 3, course.json
        first_date = f"/api/v1/sessions/{course.json['dates'][0]['session_id']}"
        assert client.get(first_date, headers=call_centre).json["course_id"] == course.json["id"]
        assert session.json["course_id"] is None

        residents = []
        for family, kana, number in (("山田", "やまだ", "090-5555-0001"),
                                     ("佐藤", "さとう", "03-5555-0002")):  # fmt: skip
            made = client.post("/api/v1/residents", headers=call_centre, json={
                "ward": "shibuya", "family_name": family, "family_kana": kana,
                "phones": [number]})  # fmt: skip
            assert made.status_code == 201, made.json
            residents.append(made.json["id"])
        path = f"/api/v1/sessions/{session.json['id']}/bookings"
        seated = client.post(path, json={"resident_id": residents[0]}, headers=call_centre)
        waiting = client.post(path, json={"resident_id": residents[1]}, headers=call_centre)
        assert waiting.json["status"] == "waitlisted"
        queue = client.get(path, query_string={"status": "waitlisted"}, headers=lists)
        assert [item["id"] for item in queue.json["items"]] == [waiting.json["id"]]
        cancelled = client.post(f"/api/v1/bookings/{seated.json['id']}/cancel",
                                json={"reason": "体調不良"}, headers=call_centre)  # fmt: skip
        assert cancelled.json["promoted"]["id"] == waiting.json["id"]
        mine = client.get(f"/api/v1/residents/{residents[1]}/bookings", headers=lists)
        assert mine.json["items"][0]["status"] == "booked"
        enrolments = f"/api/v1/courses/{course.json['id']}/enrolments"
        enrolled = client.post(enrolments, json={"resident_id": residents[0]},
                               headers=call_centre)  # fmt: skip
        assert enrolled.status_code == 201, enrolled.json
        stopped = client.post(f"/api/v1/residents/{residents[0]}/consent/reminders",
                              json={"gets_reminders": False, "reason": "電話で停止の希望"},
                              headers=call_centre)  # fmt: skip
        assert stopped.json["contacts"][0]["gets_reminders"] is False

        # What the phone network does: a reminder not delivered, a reply not understood.
        promoted = db.session.get(Booking, waiting.json["id"])
        reminder = factories.make_reminder(promoted, channel=ReminderChannel.SMS,
                                           to_e164="+819055550001")  # fmt: skip
        replies.record_status(reminder, "undelivered", error_code="30003")
        replies.answer_sms("+819055550001", "わかりません")
        db.session.commit()
        outcomes = client.get(f"/api/v1/sessions/{session.json['id']}/reminders", headers=lists)
        assert "failed" in {item["status"] for item in outcomes.json["items"]}

        session_path = f"/api/v1/sessions/{session.json['id']}"
        version = client.get(session_path, headers=call_centre).headers["ETag"]
        changed = client.patch(session_path, json={"title": "LINE入門（初めての方）"},
                               headers={**call_centre, "If-Match": version})  # fmt: skip
        assert changed.status_code == 200, changed.json
        assert queue_unfilled_shifts(clock.now()) == 1
        db.session.commit()
        latest = {**call_centre, "If-Match": changed.headers["ETag"]}
        ended = client.post(f"{session_path}/cancel", json={"reason": "会場の都合"},
                            headers=latest)  # fmt: skip
        assert ended.status_code == 200

        delivery.deliver_due(clock.now())
        received = [Webhook(secret).verify(sent.body, sent.headers) for sent in receiver.received]
    assert {payload["type"] for payload in received} == {event.value for event in SUBSCRIBABLE}


def test_a_course_asked_for_on_a_series_s_dates_is_a_clash_not_the_series(
    app, client, make_key, shibuya
):
    venue = factories.make_venue(shibuya)
    db.session.commit()
    writer = make_key(ApiScope.SESSIONS_WRITE)
    body = {"venue_id": venue.id, "kind": "class", "title": "スマホ講座",
            "date": (clock.today() + timedelta(days=8)).isoformat(), "starts_time": "14:00",
            "ends_time": "15:30", "weeks": 3}  # fmt: skip
    draft = session_services.SessionDraft(
        venue=venue, kind=session_services.SessionKind.CLASS, title="スマホ講座",
        day=clock.today() + timedelta(days=8), starts_time=time(14), ends_time=time(15, 30),
    )  # fmt: skip
    session_services.create_series(None, draft, interval_weeks=1, weeks=3,
                                   holiday_rule=session_services.HolidayRule.SKIP,
                                   skip_year_end=True)  # fmt: skip
    db.session.commit()
    clash = client.post("/api/v1/courses", json=body, headers=writer)
    assert clash.status_code == 409 and clash.json["field"] == "is_course"
