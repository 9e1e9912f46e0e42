"""Residents, bookings, shifts, reminders and figures through the API, by the same rules."""

import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.api.models import ApiScope
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.reminders import planning
from inclusion.residents.models import Booking, BookingStatus, Resident
from inclusion.volunteers.models import Shift, ShiftStatus
from tests import factories
from tests.api.test_sessions import at, day_ahead


@pytest.fixture
def call_centre(make_key):
    """The joint call centre's key: every ward, residents and bookings."""
    return make_key(ApiScope.RESIDENTS_READ, ApiScope.RESIDENTS_WRITE, ApiScope.BOOKINGS_READ,
                    ApiScope.BOOKINGS_WRITE, ApiScope.REMINDERS_READ)  # fmt: skip


def resident_body(**fields) -> dict:
    body = {"ward": "shibuya", "family_name": "山田", "family_kana": "やまだ",
            "given_name": "花子", "given_kana": "はなこ", "birth_year": 1946,
            "phones": ["03-3463-1873"]}  # fmt: skip
    body.update(fields)
    return body


def test_the_call_centre_finds_or_registers_the_caller(client, call_centre, shibuya):
    made = client.post("/api/v1/residents", json=resident_body(), headers=call_centre)
    assert made.status_code == 201, made.json
    record = made.json
    assert record["family_kana"] == "ヤマダ" and record["age_band"] == "75–84"
    assert record["phones"] == [{"e164": "+81334631873", "kind": "landline"}]
    assert record["reminder_channel"] == "voice"  # a landline gets calls
    again = client.post("/api/v1/residents", json=resident_body(given_name="太郎",
                        given_kana="たろう"), headers=call_centre)  # fmt: skip
    assert again.status_code == 409 and again.json["code"] == "possible-duplicate"
    assert [match["id"] for match in again.json["matches"]] == [record["id"]]
    assert "phones" not in again.json["matches"][0]  # just enough to tell them apart
    confirmed = client.post("/api/v1/residents", headers=call_centre,
                            json=resident_body(given_name="太郎", given_kana="たろう",
                                               confirmed_new=True))  # fmt: skip
    assert confirmed.status_code == 201
    found = client.get("/api/v1/residents?ward=shibuya&phone=0334631873", headers=call_centre)
    assert sorted(r["id"] for r in found.json) == sorted([record["id"], confirmed.json["id"]])
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions.count("resident.create") == 2 and "resident.search" in actions


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [({"phones": ["12"]}, 422, "phones"), ({"family_kana": "Yamada"}, 400, None),
     ({"reminder_channel": "sms"}, 422, "reminder_channel"), ({"ward": "atlantis"}, 404, "ward"),
     ({"phones": ["1", "2", "3", "4"]}, 400, None), ({"birth_year": 1800}, 400, None)],
)  # fmt: skip
def test_a_bad_resident_is_refused_and_not_stored(client, call_centre, fields, status, field):
    response = client.post("/api/v1/residents", json=resident_body(**fields), headers=call_centre)
    assert response.status_code == status, response.json
    if field:
        assert response.json["field"] == field
    else:  # refused by the description: each wrong field is named in errors
        assert response.json["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 0


def test_a_key_for_every_ward_must_name_the_ward(client, call_centre):
    response = client.post("/api/v1/residents", json=resident_body(ward=None) | {},
                           headers=call_centre)  # fmt: skip
    assert response.status_code == 400
    body = resident_body()
    del body["ward"]
    response = client.post("/api/v1/residents", json=body, headers=call_centre)
    assert response.status_code == 422 and response.json["field"] == "ward"


def test_residents_of_another_ward_are_out_of_reach(client, make_key, shibuya, shinagawa):
    theirs = factories.make_resident(shinagawa)
    db.session.commit()
    shibuya_key = make_key(ApiScope.RESIDENTS_READ, ApiScope.RESIDENTS_WRITE, ward=shibuya)
    assert client.get(f"/api/v1/residents/{theirs.id}", headers=shibuya_key).status_code == 404
    search = client.get("/api/v1/residents?ward=shinagawa&phone=0355550000", headers=shibuya_key)
    assert search.status_code == 403 and search.json["code"] == "other-ward"
    no_read = make_key(ApiScope.BOOKINGS_WRITE)
    assert client.get(f"/api/v1/residents/{theirs.id}", headers=no_read).status_code == 403


def test_correcting_a_resident_needs_the_etag(client, call_centre, shibuya):
    resident = factories.make_resident(shibuya, kana="ヤマダ")
    db.session.commit()
    path = f"/api/v1/residents/{resident.id}"
    etag = client.get(path, headers=call_centre).headers["ETag"]
    assert client.patch(path, json={"needs": "耳が遠い"}, headers=call_centre).status_code == 428
    done = client.patch(
        path, json={"needs": "耳が遠い"}, headers={**call_centre, "If-Match": etag}
    )
    assert done.status_code == 200 and done.json["needs"] == "耳が遠い"
    stale = client.patch(path, json={"needs": "x"}, headers={**call_centre, "If-Match": etag})
    assert stale.status_code == 412
    change = db.session.scalar(
        sa.select(AuditLog)
        .where(AuditLog.action == "resident.update")
        .order_by(AuditLog.id.desc())
    )
    assert change.details == {"fields": ["needs"]}  # the field's name, never its content
    assert change.actor.display_name.startswith("API: ")


def test_booking_through_the_api_waits_and_promotes_like_the_counter(client, call_centre, shibuya):
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(3), 10),
                                     capacity=1)  # fmt: skip
    first = factories.make_resident(shibuya)
    second = factories.make_resident(shibuya, phones=("+81355551234",))
    db.session.commit()
    path = f"/api/v1/sessions/{session.id}/bookings"
    seated = client.post(path, json={"resident_id": first.id}, headers=call_centre)
    assert seated.status_code == 201 and seated.json["status"] == "booked"
    waiting = client.post(path, json={"resident_id": second.id}, headers=call_centre)
    assert waiting.json["status"] == "waitlisted" and waiting.json["waitlist_position"] == 1
    twice = client.post(path, json={"resident_id": first.id}, headers=call_centre)
    assert twice.status_code == 409
    cancelled = client.post(f"/api/v1/bookings/{seated.json['id']}/cancel",
                            json={"reason": "体調不良"}, headers=call_centre)  # fmt: skip
    assert cancelled.status_code == 200
    assert cancelled.json["promoted"]["id"] == waiting.json["id"]
    assert cancelled.json["promoted"]["status"] == "booked"
    assert (
        client.get(f"/api/v1/bookings/{waiting.json['id']}", headers=call_centre).json["place"]
        == 1
    )
    planning.plan(clock.now())
    db.session.commit()
    reminders = client.get(f"/api/v1/bookings/{waiting.json['id']}/reminders", headers=call_centre)
    assert reminders.status_code == 200 and reminders.json  # the same planning as any booking
    assert {reminder["status"] for reminder in reminders.json} <= {"pending", "sending", "sent"}


def test_attendance_only_once_the_session_has_started(client, call_centre, shibuya):
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(4), 10))
    booking = factories.make_booking(session, factories.make_resident(shibuya))
    db.session.commit()
    early = client.post(f"/api/v1/bookings/{booking.id}/attendance", json={"attended": True},
                        headers=call_centre)  # fmt: skip
    assert early.status_code == 422
    session.starts_dt = clock.now() - timedelta(hours=1)
    session.ends_dt = clock.now() + timedelta(minutes=30)
    db.session.commit()
    done = client.post(f"/api/v1/bookings/{booking.id}/attendance", json={"attended": True},
                       headers=call_centre)  # fmt: skip
    assert done.status_code == 200 and done.json["status"] == "attended"
    assert db.session.get(Booking, booking.id).status == BookingStatus.ATTENDED


def test_shifts_are_claimed_on_behalf_and_released(client, make_key, shibuya, shinagawa):
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(6), 10))
    helper = factories.make_volunteer(shibuya)
    elsewhere = factories.make_volunteer(shinagawa)
    db.session.commit()
    headers = make_key(ApiScope.SESSIONS_READ, ApiScope.SESSIONS_WRITE)
    path = f"/api/v1/sessions/{session.id}/shifts"
    claimed = client.post(path, json={"volunteer_id": helper.id, "role": "assistant"},
                          headers=headers)  # fmt: skip
    assert claimed.status_code == 201 and claimed.json["assigned"] is True
    twice = client.post(path, json={"volunteer_id": helper.id, "role": "assistant"},
                        headers=headers)  # fmt: skip
    assert twice.status_code == 409
    other_ward = client.post(path, json={"volunteer_id": elsewhere.id, "role": "assistant"},
                             headers=headers)  # fmt: skip
    assert other_ward.status_code == 422
    untrained_lead = client.post(path, json={"volunteer_id": helper.id, "role": "lead"},
                                 headers=headers)  # fmt: skip
    assert untrained_lead.status_code in (409, 422)
    listed = client.get(path, headers=headers).json
    assert [(shift["volunteer"]["id"], shift["status"]) for shift in listed] == [
        (helper.id, "claimed")
    ]
    released = client.post(f"/api/v1/shifts/{claimed.json['id']}/release", headers=headers)
    assert released.status_code == 200 and released.json["session_short"] is True
    assert db.session.get(Shift, claimed.json["id"]).status == ShiftStatus.RELEASED


def test_the_figures_as_the_dashboard_counts_them(client, make_key, shibuya, shinagawa):
    headers = make_key(ApiScope.METRICS_READ)
    response = client.get("/api/v1/metrics", headers=headers)
    assert response.status_code == 200
    figures = {figure["metric"]: figure for figure in response.json["figures"]}
    assert response.json["ward"] is None and "consultations_held" in figures
    held = figures["consultations_held"]
    assert held["label"]["ja"] == "開催した個別相談会" and held["label"]["en"]
    assert len(held["by_month"]) == 12 and held["counted_at"].endswith("+09:00")
    ward_key = make_key(ApiScope.METRICS_READ, ward=shibuya)
    assert client.get("/api/v1/metrics", headers=ward_key).json["ward"] == "shibuya"
    assert client.get("/api/v1/metrics?ward=shinagawa", headers=ward_key).status_code == 403
    assert client.get("/api/v1/metrics?year=1999", headers=headers).status_code == 400


def test_a_ward_key_books_and_staffs_its_own_ward_only(client, make_key, shibuya, shinagawa):
    theirs = factories.make_session(
        factories.make_venue(shinagawa), starts_dt=at(day_ahead(4), 10)
    )
    ours = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(4), 13))
    their_resident = factories.make_resident(shinagawa)
    their_booking = factories.make_booking(theirs, their_resident)
    their_shift = factories.make_shift(theirs, factories.make_volunteer(shinagawa))
    db.session.commit()
    headers = make_key(*ApiScope, ward=shibuya)
    assert client.post(f"/api/v1/sessions/{theirs.id}/bookings", json={"resident_id": 1},
                       headers=headers).status_code == 404  # fmt: skip
    other = client.post(f"/api/v1/sessions/{ours.id}/bookings",
                        json={"resident_id": their_resident.id}, headers=headers)  # fmt: skip
    assert other.status_code == 422 and other.json["field"] == "resident_id"
    booking = f"/api/v1/bookings/{their_booking.id}"
    for path in (booking, f"{booking}/reminders", f"/api/v1/sessions/{theirs.id}/shifts"):
        assert client.get(path, headers=headers).status_code == 404, path
    for path in (f"{booking}/cancel", f"/api/v1/shifts/{their_shift.id}/release"):
        assert client.post(path, json={}, headers=headers).status_code == 404, path
    assert db.session.get(Booking, their_booking.id).status == BookingStatus.BOOKED


def test_control_characters_are_refused_by_the_api_as_described(client, call_centre, shibuya):
    """The pages drop them as they come in; the API says so instead, as its description
    does, and stores nothing. Line breaks and tabs are text."""
    body = resident_body(family_name="山\x1b[31m田\x07")
    refused = client.post("/api/v1/residents", json=body, headers=call_centre)
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "family_name"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 0
    made = client.post("/api/v1/residents", json=resident_body(needs="耳が\r\n遠い\t"),
                       headers=call_centre)  # fmt: skip
    assert made.status_code == 201 and db.session.get(Resident, made.json["id"]).needs == (
        "耳が\n遠い"
    )


def test_a_possible_duplicate_names_others_only_to_a_key_that_may_read_them(
    client, make_key, shibuya
):
    """A key that may only register residents learns that the number is on record, and
    which record, but not who; a key that may read sees names, and that look is logged."""
    first = client.post("/api/v1/residents", json=resident_body(), headers=make_key())
    assert first.status_code == 201
    write_only = make_key(ApiScope.RESIDENTS_WRITE)
    refused = client.post("/api/v1/residents", json=resident_body(given_name="太郎"),
                          headers=write_only)  # fmt: skip
    assert refused.status_code == 409 and refused.json["matches"] == [{"id": first.json["id"]}]
    assert "山田" not in refused.get_data(as_text=True)
    views = sa.select(sa.func.count()).where(AuditLog.action == "resident.view")
    before = db.session.scalar(views)
    reader = make_key(ApiScope.RESIDENTS_READ, ApiScope.RESIDENTS_WRITE)
    named = client.post("/api/v1/residents", json=resident_body(given_name="太郎"), headers=reader)
    assert named.status_code == 409 and named.json["matches"][0]["family_name"] == "山田"
    assert db.session.scalar(views) == before + 1


def test_a_key_that_may_only_write_residents_reads_nothing_of_them_back(client, make_key, shibuya):
    """Registering or correcting a resident answers with which record (and its version),
    never the record itself: an empty correction used to echo it whole."""
    write_only = make_key(ApiScope.RESIDENTS_WRITE)
    made = client.post("/api/v1/residents", json=resident_body(needs="耳が遠い"),
                       headers=write_only)  # fmt: skip
    assert made.status_code == 201 and made.json == {"id": made.json["id"], "ward": "shibuya"}
    path = f"/api/v1/residents/{made.json['id']}"
    reader = make_key(ApiScope.RESIDENTS_READ)
    version = client.get(path, headers=reader).headers["ETag"]
    assert made.headers["ETag"] == version  # so the key that made it can correct it
    whole = client.get(path, headers=reader).json
    guessed = hashlib.sha1(json.dumps(whole, sort_keys=True).encode()).hexdigest()
    assert guessed not in version  # keyed with the app's secret: no confirming a guess
    echoed = client.patch(path, json={}, headers={**write_only, "If-Match": version})
    assert echoed.status_code == 200 and echoed.json == made.json
    assert echoed.headers["ETag"] == version  # the whole record's version, as a reader sees it
    assert "山田" not in echoed.get_data(as_text=True)
    with_version = {**write_only, "If-Match": version}
    moved = client.patch(path, json={"needs": "目が悪い"}, headers=with_version)
    assert moved.status_code == 200 and moved.headers["ETag"] != version
    stale = client.patch(path, json={"needs": "x"}, headers=with_version)
    assert stale.status_code == 412
    views = db.session.scalars(
        sa.select(AuditLog.actor_id).where(AuditLog.action == "resident.view")
    ).all()
    assert len(set(views)) == 1 and len(views) == 2  # the reader's two looks, none by the writer


def test_every_resident_a_response_shows_is_logged_with_the_route(client, call_centre, shibuya):
    first = factories.make_resident(shibuya, phones=("+81334631873",))
    second = factories.make_resident(shibuya, phones=("+81334631873",))
    db.session.commit()
    found = client.get("/api/v1/residents?ward=shibuya&phone=0334631873", headers=call_centre)
    assert found.status_code == 200 and len(found.json) == 2
    views = db.session.execute(
        sa.select(AuditLog.target_id, AuditLog.details).where(AuditLog.action == "resident.view")
    ).all()
    assert sorted(target for target, _ in views) == sorted([first.id, second.id])
    assert {details["via"] for _, details in views} == {"GET /api/v1/residents"}
    refused = client.get(f"/api/v1/residents/{first.id}", headers={**call_centre,
                         "If-None-Match": found.headers.get("ETag", "x")})  # fmt: skip
    assert refused.status_code == 200
    again = client.get(
        f"/api/v1/residents/{first.id}",
        headers={**call_centre, "If-None-Match": refused.headers["ETag"]},
    )
    assert again.status_code == 304  # nothing shown, nothing logged
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "resident.view"))
        == 3
    )


def test_a_joint_call_centre_finds_a_caller_in_any_ward_by_number(
    client, call_centre, shibuya, shinagawa
):
    mine = factories.make_resident(shibuya, phones=("+81334631873",))
    theirs = factories.make_resident(shinagawa, phones=("+81334631873",))
    factories.make_resident(shinagawa, phones=("+81355550000",))
    db.session.commit()
    found = client.get("/api/v1/residents?phone=03-3463-1873", headers=call_centre)
    assert found.status_code == 200
    assert sorted(resident["id"] for resident in found.json) == sorted([mine.id, theirs.id])
    assert {resident["ward"] for resident in found.json} == {"shibuya", "shinagawa"}
