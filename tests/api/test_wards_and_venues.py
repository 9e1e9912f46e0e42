"""Setting a ward up through the API: its booking phone by an administrator's key, its
venues by a key that may keep them; read by anyone."""

from __future__ import annotations

from inclusion.api.models import ApiScope
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.venues.models import Venue
from tests import factories

LIBRARY = {"name": "渋谷区立中央図書館", "kind": "library",
           "address": "東京都渋谷区神宮前1-1-1", "default_capacity": 16, "has_lift": True,
           "access_notes": "正面入口にスロープ"}  # fmt: skip


def test_an_admin_key_sets_the_ward_s_phone_and_everyone_reads_it(client, make_key, shibuya):
    admin = make_key(ApiScope.WARDS_WRITE, ward=shibuya)
    path = "/api/v1/wards/shibuya"
    version = client.get(path).headers["ETag"]
    changed = client.patch(path, json={"booking_phone": "0334631211", "booking_hours": "平日"},
                           headers={**admin, "If-Match": version})  # fmt: skip
    assert changed.status_code == 200, changed.json
    assert changed.json["booking_phone"] == "03-3463-1211"
    listed = {ward["slug"]: ward for ward in client.get("/api/v1/wards").json}
    assert listed["shibuya"]["booking_hours"] == "平日"
    entry = db.session.query(AuditLog).filter_by(action="ward.update_contact").one()
    assert entry.actor.display_name.startswith("API:")
    stale = client.patch(
        path, json={"booking_hours": "土日"}, headers={**admin, "If-Match": version}
    )
    assert stale.status_code == 412
    fresh = client.get(path).headers["ETag"]
    wrong = client.patch(
        path, json={"booking_phone": "12345"}, headers={**admin, "If-Match": fresh}
    )
    assert wrong.status_code == 422 and wrong.json["field"] == "booking_phone"
    assert client.get(path).json["booking_phone"] == "03-3463-1211"


def test_only_an_admin_key_of_the_ward_changes_it(client, make_key, shibuya, shinagawa):
    version = client.get("/api/v1/wards/shibuya").headers["ETag"]
    body = {"booking_phone": "03-5555-0199"}
    for headers, status in [(make_key(ApiScope.VENUES_WRITE, ApiScope.SESSIONS_WRITE), 403),
                            (make_key(ApiScope.WARDS_WRITE, ward=shinagawa), 403),
                            ({}, 401)]:  # fmt: skip
        refused = client.patch("/api/v1/wards/shibuya", json=body,
                               headers={**headers, "If-Match": version})  # fmt: skip
        assert refused.status_code == status
    assert db.session.get(type(shibuya), shibuya.id).booking_phone != "03-5555-0199"


def test_a_venue_is_added_changed_and_archived(client, make_key, shibuya):
    keeper = make_key(ApiScope.VENUES_WRITE, ward=shibuya)
    made = client.post("/api/v1/wards/shibuya/venues", json=LIBRARY, headers=keeper)
    assert made.status_code == 201, made.json
    venue_id = made.json["id"]
    assert made.json["has_lift"] is True and made.json["is_active"] is True
    again = client.post("/api/v1/wards/shibuya/venues", json=LIBRARY, headers=keeper)
    assert again.status_code == 422 and again.json["field"] == "name"
    path = f"/api/v1/venues/{venue_id}"
    changed = client.patch(path, json={"default_capacity": 20, "has_hearing_loop": True},
                           headers={**keeper, "If-Match": made.headers["ETag"]})  # fmt: skip
    assert changed.status_code == 200 and changed.json["default_capacity"] == 20
    archived = client.post(f"{path}/archive",
                           headers={**keeper, "If-Match": changed.headers["ETag"]})  # fmt: skip
    assert archived.status_code == 200 and archived.json["is_active"] is False
    listed = client.get("/api/v1/wards/shibuya/venues").json
    assert venue_id not in [venue["id"] for venue in listed]
    assert db.session.get(Venue, venue_id).is_active is False
    actions = [entry.action for entry in db.session.query(AuditLog).order_by(AuditLog.id)]
    assert actions.count("venue.update") == 2 and "venue.create" in actions


def test_venues_of_another_ward_or_without_the_scope_are_refused(
    client, make_key, shibuya, shinagawa
):
    venue = factories.make_venue(shibuya)
    db.session.commit()
    other = make_key(ApiScope.VENUES_WRITE, ward=shinagawa)
    assert client.post("/api/v1/wards/shibuya/venues", json=LIBRARY,
                       headers=other).status_code == 403  # fmt: skip
    version = client.get(f"/api/v1/venues/{venue.id}").headers["ETag"]
    assert client.patch(f"/api/v1/venues/{venue.id}", json={"default_capacity": 5},
                        headers={**other, "If-Match": version}).status_code == 404  # fmt: skip
    reader = make_key(ApiScope.SESSIONS_READ, ApiScope.SESSIONS_WRITE)
    assert client.post("/api/v1/wards/shibuya/venues", json=LIBRARY,
                       headers=reader).status_code == 403  # fmt: skip
    missing = client.post("/api/v1/wards/shibuya/venues", json={"name": "x"},
                          headers=make_key(ApiScope.VENUES_WRITE))  # fmt: skip
    assert missing.status_code == 400
    assert {error["field"] for error in missing.json["errors"]} >= {"kind", "address"}


def test_a_phone_kept_from_before_does_not_block_other_changes(client, make_key, shibuya):
    shibuya.booking_phone = "03-0000-1130"  # saved before numbers were checked
    db.session.commit()
    admin = make_key(ApiScope.WARDS_WRITE, ward=shibuya)
    version = client.get("/api/v1/wards/shibuya").headers["ETag"]
    changed = client.patch("/api/v1/wards/shibuya", json={"booking_hours": "平日 9時〜"},
                           headers={**admin, "If-Match": version})  # fmt: skip
    assert changed.status_code == 200, changed.json
    assert changed.json["booking_phone"] == "03-0000-1130"
