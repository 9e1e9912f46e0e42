"""Volunteers through the API: their skills, training, shifts and hours with
volunteers:read; a key without it learns no volunteer's name, even on a shift."""

from __future__ import annotations

from inclusion.api.models import ApiScope
from inclusion.extensions import db
from inclusion.volunteers.models import ShiftRole, ShiftStatus
from tests import factories
from tests.api.test_sessions import at, day_ahead


def test_a_ward_s_volunteers_with_training_hours_and_shifts_to_come(
    client, make_key, shibuya, shinagawa, count_queries
):
    venue = factories.make_venue(shibuya)
    held = factories.make_session(venue, starts_dt=at(day_ahead(-3), 10))  # 10:00–11:30
    coming = factories.make_session(venue, starts_dt=at(day_ahead(5), 10))
    helper = factories.make_volunteer(shibuya, display_name="佐藤 ボランティア")
    helper.volunteer_profile.skills = ["iphone", "line"]
    factories.make_shift(held, helper, status=ShiftStatus.ATTENDED)
    factories.make_shift(coming, helper)
    factories.make_volunteer(shibuya, level=None, display_name="鈴木 新人")
    factories.make_volunteer(shinagawa, display_name="品川の人")
    db.session.commit()
    reader = make_key(ApiScope.VOLUNTEERS_READ, ward=shibuya)
    listed = client.get("/api/v1/volunteers", headers=reader)
    assert listed.status_code == 200
    items = {item["display_name"]: item for item in listed.json["items"]}
    assert set(items) == {"佐藤 ボランティア", "鈴木 新人"}
    helper_item = items["佐藤 ボランティア"]
    assert helper_item["skills"] == ["iphone", "line"] and helper_item["wards"] == ["shibuya"]
    assert helper_item["training"][0]["level"] == "assistant"
    assert helper_item["minutes_this_year"] == 90 and helper_item["upcoming_shifts"] == 1
    assert items["鈴木 新人"]["training"] == [] and items["鈴木 新人"]["minutes_this_year"] == 0
    assert "mobile" not in str(listed.json) and "@" not in str(listed.json)
    with count_queries() as few:
        client.get("/api/v1/volunteers", headers=reader)
    for number in range(4):
        more = factories.make_volunteer(shibuya)
        factories.make_shift(held, more, status=ShiftStatus.ATTENDED, slot_number=number + 2)
    db.session.commit()
    with count_queries() as many:
        assert len(client.get("/api/v1/volunteers", headers=reader).json["items"]) == 6
    assert len(many) == len(few), "one query per volunteer"
    with_line = client.get("/api/v1/volunteers", query_string={"skill": "line"}, headers=reader)
    assert [item["display_name"] for item in with_line.json["items"]] == ["佐藤 ボランティア"]
    past = client.get(f"/api/v1/volunteers/{helper.id}/shifts", query_string={"when": "past"},
                      headers=reader)  # fmt: skip
    assert [(item["session"]["id"], item["minutes"]) for item in past.json["items"]] == [
        (held.id, 90)
    ]
    upcoming = client.get(f"/api/v1/volunteers/{helper.id}/shifts", headers=reader).json
    assert [item["session"]["id"] for item in upcoming["items"]] == [coming.id]


def test_a_volunteer_s_name_needs_volunteers_read(client, make_key, shibuya, shinagawa):
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(5), 10))
    helper = factories.make_volunteer(shibuya, display_name="佐藤 ボランティア")
    factories.make_shift(session, helper, role=ShiftRole.ASSISTANT)
    db.session.commit()
    path = f"/api/v1/sessions/{session.id}/shifts"
    without = client.get(path, headers=make_key(ApiScope.SESSIONS_READ)).json
    assert without[0]["volunteer"] == {"id": helper.id}
    with_scope = client.get(path, headers=make_key(ApiScope.SESSIONS_READ,
                                                   ApiScope.VOLUNTEERS_READ)).json  # fmt: skip
    assert with_scope[0]["volunteer"]["display_name"] == "佐藤 ボランティア"
    assert client.get("/api/v1/volunteers", headers=make_key(ApiScope.SESSIONS_READ)
                      ).status_code == 403  # fmt: skip
    other = make_key(ApiScope.VOLUNTEERS_READ, ward=shinagawa)
    assert client.get(f"/api/v1/volunteers/{helper.id}/shifts", headers=other).status_code == 404
    assert client.get("/api/v1/volunteers", query_string={"ward": "shibuya"},
                      headers=other).status_code == 403  # fmt: skip


def test_a_ward_key_learns_a_volunteer_s_hours_in_its_ward_only(
    client, make_key, shibuya, shinagawa
):
    helper = factories.make_volunteer(shibuya, shinagawa)
    here = factories.make_session(factories.make_venue(shibuya), starts_dt=at(day_ahead(-2), 10))
    there = factories.make_session(
        factories.make_venue(shinagawa), starts_dt=at(day_ahead(-3), 10)
    )
    factories.make_shift(here, helper, status=ShiftStatus.ATTENDED)
    factories.make_shift(there, helper, status=ShiftStatus.ATTENDED)
    db.session.commit()
    mine = client.get(
        "/api/v1/volunteers", headers=make_key(ApiScope.VOLUNTEERS_READ, ward=shibuya)
    )
    everyone = client.get("/api/v1/volunteers", query_string={"ward": "shibuya"},
                          headers=make_key(ApiScope.VOLUNTEERS_READ))  # fmt: skip
    assert mine.json["items"][0]["minutes_this_year"] == 90
    assert everyone.json["items"][0]["minutes_this_year"] == 180
