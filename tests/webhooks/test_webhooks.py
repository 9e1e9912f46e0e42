"""Outgoing webhooks: each event queued with the change that caused it, signed (Standard
Webhooks, checked here with its reference library), retried with growing waits from the
database queue, replayable, and carrying a person's record only with the read scope."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from inclusion import clock
from inclusion.api.models import ApiScope
from inclusion.audit.models import AuditLog
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.reminders import replies
from inclusion.reminders.signals import reminder_failed
from inclusion.residents.bookings import book_resident, cancel_booking
from inclusion.residents.models import BookingSource, BookingStatus, ReminderChannel
from inclusion.webhooks import delivery, services
from inclusion.webhooks.jobs import queue_unfilled_shifts
from inclusion.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from tests import factories
from tests.api.test_sessions import at, day_ahead
from tests.webhooks.receiver import Receiver


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_LOOPBACK": True}


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def register(users, ward, url, events=tuple(WebhookEvent)[:-1], scopes=()):
    endpoint = services.register_endpoint(users["admin"], ward, url, [e.value for e in events],
                                          list(scopes))  # fmt: skip
    db.session.commit()
    return endpoint


def deliveries(event: WebhookEvent | None = None) -> list[WebhookDelivery]:
    query = sa.select(WebhookDelivery).order_by(WebhookDelivery.id)
    if event is not None:
        query = query.where(WebhookDelivery.event == event)
    return list(db.session.scalars(query))


def verified(endpoint, received) -> dict:
    """The payload, once the reference library has checked its signature."""
    return Webhook(endpoint.secret).verify(received.body, received.headers)


def test_only_https_or_this_machine_when_allowed(app, users, shibuya):
    for url in ("ftp://example.jp/x", "example.jp", "https://user:pw@example.jp/x",
                "http://example.jp/hooks", "https://", "https://example.jp:port/x"):  # fmt: skip
        with pytest.raises(RuleViolation):
            services.register_endpoint(users["admin"], shibuya, url, ["booking.created"], [])
    with pytest.raises(RuleViolation):
        services.register_endpoint(users["admin"], shibuya, "https://example.jp/h", [], [])
    assert register(users, shibuya, "https://example.jp/hooks").url == "https://example.jp/hooks"
    assert register(users, shibuya, "http://127.0.0.1:9/hooks").url.startswith("http://")
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    with pytest.raises(RuleViolation):
        services.register_endpoint(users["admin"], shibuya, "http://127.0.0.1:9/h",
                                   ["booking.created"], [])  # fmt: skip


def test_a_booking_made_through_the_api_is_told_signed_and_without_the_person(
    app, client, users, shibuya, receiver, make_key
):
    endpoint = register(users, shibuya, receiver.url, [WebhookEvent.BOOKING_CREATED])
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(3), 10))
    resident = factories.make_resident(shibuya, family_name="秘密山田")
    db.session.commit()
    made = client.post(f"/api/v1/sessions/{session.id}/bookings",
                       json={"resident_id": resident.id},
                       headers=make_key(ApiScope.BOOKINGS_WRITE))  # fmt: skip
    assert made.status_code == 201
    [queued] = deliveries()
    assert queued.status == DeliveryStatus.PENDING and queued.message_id.startswith("msg_")
    result = delivery.deliver_due(clock.now())
    assert result.delivered == 1
    [sent] = receiver.received
    payload = verified(endpoint, sent)
    assert payload["type"] == "booking.created"
    assert payload["data"]["booking"]["id"] == made.json["id"]
    assert payload["data"]["session"]["id"] == session.id
    assert "resident" not in payload["data"] and "秘密山田" not in sent.body.decode()
    assert sent.headers["webhook-id"] == queued.message_id
    db.session.expire_all()
    assert deliveries()[0].status == DeliveryStatus.DELIVERED
    assert deliveries()[0].last_status_code == 204


def test_a_person_s_record_goes_only_to_an_endpoint_with_residents_read_and_is_logged(
    app, users, shibuya, receiver
):
    endpoint = register(users, shibuya, receiver.url, [WebhookEvent.BOOKING_CREATED],
                        [ApiScope.RESIDENTS_READ])  # fmt: skip
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(3), 10))
    resident = factories.make_resident(shibuya, family_name="秘密山田")
    book_resident(users["ward_staff"], resident, session, BookingSource.PHONE)
    db.session.commit()
    delivery.deliver_due(clock.now())
    payload = verified(endpoint, receiver.received[0])
    assert payload["data"]["resident"]["family_name"] == "秘密山田"
    logged = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "resident.view"))
    assert [(entry.target_id, entry.details["via"]) for entry in logged] == [
        (resident.id, f"webhook {endpoint.id} booking.created")
    ]


def test_every_event_is_queued_in_the_change_s_own_transaction(app, users, shibuya, shinagawa,
                                                               receiver):  # fmt: skip
    register(users, shibuya, receiver.url)
    register(users, shinagawa, receiver.url)  # another ward's: hears nothing of Shibuya
    venue = factories.make_venue(shibuya)
    session = factories.make_session(venue, starts_dt=at(day_ahead(1), 10), capacity=1)
    session.lead_needed = 1
    first, second = factories.make_resident(shibuya), factories.make_resident(
        shibuya, phones=("+819055550001",))  # fmt: skip
    seated = book_resident(users["ward_staff"], first, session, BookingSource.PHONE)
    waiting = book_resident(users["ward_staff"], second, session, BookingSource.PHONE)
    assert waiting.status == BookingStatus.WAITLISTED
    cancel_booking(users["ward_staff"], seated, "体調")
    db.session.commit()
    assert queue_unfilled_shifts(clock.now()) == 1
    assert queue_unfilled_shifts(clock.now()) == 0  # the same session is told once
    reminder = factories.make_reminder(waiting)
    replies.record_status(reminder, "failed", error_code="30003")
    db.session.commit()
    events = [row.event for row in deliveries()]
    assert events.count(WebhookEvent.BOOKING_CREATED) == 2
    assert {WebhookEvent.BOOKING_CANCELLED, WebhookEvent.BOOKING_PROMOTED,
            WebhookEvent.SHIFT_UNFILLED, WebhookEvent.REMINDER_FAILED} <= set(events)  # fmt: skip
    assert {row.endpoint.ward_id for row in deliveries()} == {shibuya.id}
    cancelled = json.loads(deliveries(WebhookEvent.BOOKING_CANCELLED)[0].body)["data"]
    assert cancelled["promoted"]["id"] == waiting.id
    assert "reason" not in cancelled  # a reason may be about health: only to residents:read


def test_sessions_added_changed_and_cancelled_are_told(app, client, users, shibuya, make_key,
                                                       receiver):  # fmt: skip
    register(users, shibuya, receiver.url, [WebhookEvent.SESSION_CREATED,
                                            WebhookEvent.SESSION_CHANGED,
                                            WebhookEvent.SESSION_CANCELLED])  # fmt: skip
    venue = factories.make_venue(shibuya)
    db.session.commit()
    writer = make_key(ApiScope.SESSIONS_WRITE, ApiScope.SESSIONS_READ)
    body = {"venue_id": venue.id, "kind": "class", "title": "LINE入門",
            "date": day_ahead(10).isoformat(), "starts_time": "10:00",
            "ends_time": "11:30"}  # fmt: skip
    made = client.post("/api/v1/sessions", headers=writer, json=body)
    assert made.status_code == 201, made.json
    path = f"/api/v1/sessions/{made.json['id']}"
    changed = client.patch(path, json={"title": "LINE入門 1"},
                           headers={**writer, "If-Match": made.headers.get("ETag") or
                                    client.get(path, headers=writer).headers["ETag"]})  # fmt: skip
    assert changed.status_code == 200, changed.json
    moved = client.patch(path, json={"starts_time": "13:00", "ends_time": "14:30",
                                     "reason": "部屋の都合"},
                         headers={**writer, "If-Match": changed.headers["ETag"]})  # fmt: skip
    assert moved.status_code == 200, moved.json
    cancelled = client.post(f"{path}/cancel", json={"reason": "会場の都合"},
                            headers={**writer, "If-Match": moved.headers["ETag"]})  # fmt: skip
    assert cancelled.status_code == 200
    bodies = [json.loads(row.body) for row in deliveries()]
    told = ["session.created", "session.changed", "session.changed", "session.cancelled"]
    assert [body["type"] for body in bodies] == told
    assert bodies[1]["data"]["changed"] == ["title"]
    # Named as the API names them, with the moment in Tokyo time.
    assert bodies[2]["data"]["changed"] == ["ends_at", "starts_at"]
    assert bodies[2]["data"]["moved"] is True and bodies[2]["timestamp"].endswith("+09:00")
    assert bodies[3]["data"]["session"]["status"] == "cancelled"


def test_a_reply_is_told_and_its_words_need_residents_read(app, users, shibuya, receiver):
    narrow = register(users, shibuya, receiver.url, [WebhookEvent.REPLY_RECEIVED])
    reader = register(users, shibuya, receiver.url + "?all", [WebhookEvent.REPLY_RECEIVED],
                      [ApiScope.RESIDENTS_READ])  # fmt: skip
    resident = factories.make_resident(shibuya, phones=("+819055551234",))
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(2), 10))
    factories.make_reminder(factories.make_booking(session, resident), to_e164="+819055551234",
                            channel=ReminderChannel.SMS)  # fmt: skip
    replies.answer_sms("+819055551234", "よくわかりません")
    db.session.commit()
    by_endpoint = {row.endpoint_id: json.loads(row.body)["data"]["reply"] for row in deliveries()}
    assert "body" not in by_endpoint[narrow.id] and by_endpoint[narrow.id]["resident_ids"] == [
        resident.id
    ]
    assert by_endpoint[reader.id]["body"] == "よくわかりません"


def test_a_failed_delivery_is_tried_again_later_with_the_same_id_then_given_up(
    app, users, shibuya, receiver
):
    endpoint = register(users, shibuya, receiver.url)
    services.send_test(users["admin"], endpoint)
    db.session.commit()
    receiver.answers = [503] * (len(delivery.RETRY_WAITS) + 1)
    now = clock.now()
    assert delivery.deliver_due(now).retried == 1
    db.session.expire_all()
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.PENDING, 1, 503)
    assert row.next_try_dt == now + timedelta(seconds=30)
    assert "\x00" not in row.last_response and "busy" in row.last_response
    assert delivery.deliver_due(now + timedelta(seconds=10)).retried == 0  # not yet due
    for wait in delivery.RETRY_WAITS:
        now += wait
        delivery.deliver_due(now)
    db.session.expire_all()
    assert deliveries()[0].status == DeliveryStatus.FAILED
    assert len({sent.headers["webhook-id"] for sent in receiver.received}) == 1
    assert len(receiver.received) == len(delivery.RETRY_WAITS) + 1
    services.replay(users["admin"], deliveries()[0])
    db.session.commit()
    assert delivery.deliver_due(now).delivered == 1
    assert (
        receiver.received[-1].headers["webhook-id"] == receiver.received[0].headers["webhook-id"]
    )
    verified(endpoint, receiver.received[-1])


def test_a_dispatcher_that_died_mid_send_leaves_the_delivery_to_be_sent_again(
    app, users, shibuya, receiver
):
    endpoint = register(users, shibuya, receiver.url)
    services.send_test(users["admin"], endpoint)
    db.session.commit()
    now = clock.now()
    assert len(delivery.claim(now, 10)) == 1  # claimed, then the process is gone
    assert delivery.deliver_due(now).delivered == 0
    later = now + delivery.LEASE + timedelta(seconds=1)
    assert delivery.deliver_due(later).delivered == 1
    assert len(receiver.received) == 1


def test_a_receiver_that_is_down_is_retried_not_a_crash(app, users, shibuya):
    register(users, shibuya, "http://127.0.0.1:9/hooks")
    services.send_test(users["admin"], services.list_endpoints()[0])
    db.session.commit()
    assert delivery.deliver_due(clock.now()).retried == 1
    db.session.expire_all()
    assert deliveries()[0].last_status_code is None
    assert deliveries()[0].last_response == "ConnectionError"


def test_a_course_place_taken_from_its_waiting_list_names_every_date(app, users, shibuya,
                                                                     receiver):  # fmt: skip
    from inclusion.courses.services import cancel_enrolment, enrol_resident

    register(users, shibuya, receiver.url, [WebhookEvent.BOOKING_PROMOTED])
    course = factories.make_series(shibuya, dates=3, capacity=1)
    first = enrol_resident(None, factories.make_resident(shibuya), course, BookingSource.PHONE)
    waiting = enrol_resident(None, factories.make_resident(shibuya, phones=("+819055550002",)),
                             course, BookingSource.PHONE)  # fmt: skip
    cancel_enrolment(None, first, "都合")
    db.session.commit()
    [promoted] = deliveries(WebhookEvent.BOOKING_PROMOTED)
    data = json.loads(promoted.body)["data"]
    assert len(data["course_booking_ids"]) == 3
    assert data["booking"]["course_enrolment_id"] == waiting.id
    assert data["session"]["course_id"] == course.id


def test_a_paused_or_moved_endpoint_is_sent_nothing_it_was_not_registered_for(
    app, users, shibuya, receiver
):
    endpoint = register(users, shibuya, receiver.url, scopes=[ApiScope.RESIDENTS_READ])
    services.send_test(users["admin"], endpoint)
    endpoint.is_active = False
    db.session.commit()
    assert delivery.deliver_due(clock.now()).delivered == 0 and receiver.received == []
    services.update_endpoint(users["admin"], endpoint, shibuya, "https://new-vendor.example.jp/",
                             endpoint.events, [], "", True)  # fmt: skip
    db.session.commit()
    [row] = deliveries()
    assert (row.status, row.last_response) == (DeliveryStatus.FAILED,
                                              str(services.ENDPOINT_CHANGED))  # fmt: skip


def test_a_replay_sends_a_person_s_record_only_while_allowed_and_logs_it(
    app, users, shibuya, receiver
):
    endpoint = register(users, shibuya, receiver.url, [WebhookEvent.BOOKING_CREATED],
                        [ApiScope.RESIDENTS_READ])  # fmt: skip
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(3), 10))
    resident = factories.make_resident(shibuya)
    book_resident(users["ward_staff"], resident, session, BookingSource.PHONE)
    db.session.commit()
    delivery.deliver_due(clock.now())
    db.session.expire_all()
    services.replay(users["admin"], deliveries()[0])
    db.session.commit()
    by_admin = (AuditLog.action == "resident.view", AuditLog.actor_id == users["admin"].id)
    replays = db.session.scalars(sa.select(AuditLog).where(*by_admin)).all()
    assert [entry.target_id for entry in replays] == [resident.id]
    delivery.deliver_due(clock.now())
    db.session.expire_all()
    endpoint.scopes = []
    db.session.commit()
    with pytest.raises(RuleViolation):
        services.replay(users["admin"], deliveries()[0])


def test_a_failure_told_twice_is_queued_once(app, users, shibuya, receiver):
    register(users, shibuya, receiver.url, [WebhookEvent.REMINDER_FAILED])
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(2), 10))
    booking = factories.make_booking(session, factories.make_resident(shibuya))
    reminder = factories.make_reminder(booking)
    replies.record_status(reminder, "failed", error_code="30003")
    reminder_failed.send(reminder.id)  # a second callback of the same failure
    db.session.commit()
    assert len(deliveries(WebhookEvent.REMINDER_FAILED)) == 1


def test_an_outcome_is_written_only_for_the_try_that_still_holds_the_row(
    app, users, shibuya, receiver
):
    endpoint = register(users, shibuya, receiver.url)
    services.send_test(users["admin"], endpoint)
    db.session.commit()
    now = clock.now()
    [slow] = delivery.claim(now, 10)  # a dispatcher stuck past its lease...
    later = now + delivery.LEASE + timedelta(seconds=1)
    delivery.expire_leases(later)
    [again] = delivery.claim(later, 10)  # ...and another that took the row over
    delivery.record(again, delivery.Outcome(204, "ok"), later, delivery.DeliveryResult())
    delivery.record(slow, delivery.Outcome(500, "late"), later, delivery.DeliveryResult())
    db.session.commit()
    db.session.expire_all()
    row = deliveries()[0]
    assert (row.status, row.last_status_code) == (DeliveryStatus.DELIVERED, 204)
