import pytest
import sqlalchemy as sa

from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.venues.models import Venue, VenueKind
from tests import factories
from tests.conftest import log_in


def venue_form(**fields):
    form = {
        "name": "恵比寿区民会館",
        "kind": "community_centre",
        "address": "渋谷区恵比寿9-9-2",
        "default_capacity": "40",
        "has_lift": "y",
        "access_notes": "3階の会議室です。",
        "is_active": "y",
    }
    form.update(fields)
    return form


def venue_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Venue))


def test_staff_add_and_edit_a_venue(client, users, shibuya):
    log_in(client, users["ward_staff"])
    assert client.post("/manage/shibuya/venues/new", data=venue_form()).status_code == 302
    venue = db.session.scalar(sa.select(Venue))
    assert (venue.ward_id, venue.kind, venue.default_capacity) == (
        shibuya.id,
        VenueKind.COMMUNITY_CENTRE,
        40,
    )
    assert venue.has_lift and not venue.has_hearing_loop
    response = client.post(
        f"/manage/shibuya/venues/{venue.id}",
        data=venue_form(default_capacity="35", has_hearing_loop="y"),
    )
    assert response.status_code == 302
    assert venue.default_capacity == 35 and venue.has_hearing_loop
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "venue.update"))
    assert entry.details["changed"]["default_capacity"] == ["40", "35"]
    listing = client.get("/manage/shibuya/venues").get_data(as_text=True)
    assert "恵比寿区民会館" in listing and "エレベーター" in listing


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "入力してください"),
        ({"address": " "}, "入力してください"),
        ({"default_capacity": "abc"}, "20 のように数字を入力してください"),
        ({"default_capacity": "0"}, "1から1,000までの数字を入力してください"),
        ({"default_capacity": "99999"}, "1から1,000までの数字を入力してください"),
        ({"kind": "castle"}, "施設の種類"),
        ({"name": "x" * 101}, "会場名"),
    ],
)
def test_venue_form_refuses_bad_input(client, users, fields, message):
    log_in(client, users["ward_staff"])
    response = client.post("/manage/shibuya/venues/new", data=venue_form(**fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert venue_count() == 0


def test_venue_name_is_unique_within_a_ward_only(client, users, shibuya, shinagawa):
    factories.make_venue(shibuya, name="区民会館")
    factories.make_venue(shinagawa, name="中央会館")
    log_in(client, users["ward_staff"])
    response = client.post("/manage/shibuya/venues/new", data=venue_form(name="区民会館"))
    assert response.status_code == 422
    assert "この名前の会場はすでに登録されています" in response.get_data(as_text=True)
    assert (
        client.post("/manage/shibuya/venues/new", data=venue_form(name="中央会館")).status_code
        == 302
    )


def test_staff_see_and_edit_only_their_wards_venues(client, users, shinagawa):
    other = factories.make_venue(shinagawa, name="品川の会館")
    log_in(client, users["ward_staff"])
    assert "品川の会館" not in client.get("/manage/shibuya/venues").get_data(as_text=True)
    assert client.get(f"/manage/shibuya/venues/{other.id}").status_code == 404
    assert client.post(f"/manage/shibuya/venues/{other.id}", data=venue_form()).status_code == 404
    assert client.get(f"/manage/shinagawa/venues/{other.id}").status_code == 403
    assert other.name == "品川の会館"


def test_without_a_venue_adding_a_session_leads_to_adding_one(client, users):
    log_in(client, users["ward_staff"])
    response = client.get("/manage/shibuya/sessions/new")
    assert response.status_code == 302 and response.headers["Location"].endswith("/venues/new")


def test_ward_booking_details(client, users, shibuya):
    log_in(client, users["ward_staff"])
    form = {
        "booking_phone": "0355551130",
        "booking_hours": "平日 9時〜17時",
        "booking_counter": "区役所2階",
    }
    assert client.post("/manage/shibuya/settings", data=form).status_code == 302
    # Kept as people write it: every reminder reads it out.
    assert shibuya.booking_phone == "03-5555-1130"
    assert "03-5555-1130" in client.get("/w/shibuya").get_data(as_text=True)
    response = client.post("/manage/shibuya/settings", data={**form, "booking_phone": "0" * 40})
    assert response.status_code == 422 and shibuya.booking_phone == "03-5555-1130"
    # A number that cannot be called is refused at its field, and nothing changes.
    uncallable = {**form, "booking_phone": "03-0000-1130", "booking_hours": "土日"}
    refused = client.post("/manage/shibuya/settings", data=uncallable)
    assert refused.status_code == 422 and "国内の電話番号を入力" in refused.get_data(as_text=True)
    assert (shibuya.booking_phone, shibuya.booking_hours) == ("03-5555-1130", "平日 9時〜17時")
