from datetime import timedelta

import pytest

from inclusion import clock
from inclusion.extensions import db
from inclusion.volunteers import queries
from inclusion.volunteers.models import ShiftRole, ShiftStatus, TrainingLevel
from tests import factories
from tests.conftest import log_in


@pytest.fixture
def venue(shibuya):
    return factories.make_venue(shibuya, name="中央図書館")


@pytest.fixture
def volunteer(shibuya):
    return factories.make_volunteer(shibuya, level=TrainingLevel.LEAD)


def test_volunteer_claims_sees_and_releases_a_shift(client, volunteer, venue):
    session = factories.make_session(
        venue, title="LINE入門", starts_dt=clock.now() + timedelta(days=5)
    )
    log_in(client, volunteer)
    page = client.get("/shifts").get_data(as_text=True)
    assert "LINE入門" in page and "アシスタントとして参加" in page
    response = client.post(f"/shifts/{session.id}/claim", data={"role": "lead"})
    assert response.headers["Location"] == "/me/shifts"
    mine = client.get("/me/shifts").get_data(as_text=True)
    assert "LINE入門" in mine and "参加できなくなった" in mine
    shift = queries.shifts_of(volunteer.id, upcoming=True)[0]
    assert shift.role == ShiftRole.LEAD
    client.post(f"/me/shifts/{shift.id}/release", data={"confirmed": "yes"})
    assert shift.status == ShiftStatus.RELEASED


def test_refused_claim_is_a_message(client, shibuya, venue):
    untrained = factories.make_volunteer(shibuya, level=None)
    session = factories.make_session(venue)
    log_in(client, untrained)
    response = client.post(
        f"/shifts/{session.id}/claim", data={"role": "assistant"}, follow_redirects=True
    )
    assert "研修の記録が必要です" in response.get_data(as_text=True)
    assert client.post(f"/shifts/{session.id}/claim", data={"role": "chief"}).status_code == 400
    assert client.post("/shifts/999999/claim", data={"role": "assistant"}).status_code == 404


def test_full_sessions_and_other_wards_are_not_offered(client, volunteer, shinagawa, venue):
    full = factories.make_session(venue, title="満員の講座", lead_needed=0, assistants_needed=1)
    factories.make_shift(full, factories.make_volunteer(venue.ward))
    factories.make_session(factories.make_venue(shinagawa), title="品川の講座")
    factories.make_session(venue, title="募集中の講座", starts_dt=clock.now() + timedelta(days=4))
    log_in(client, volunteer)
    page = client.get("/shifts").get_data(as_text=True)
    assert "募集中の講座" in page and "満員の講座" not in page and "品川の講座" not in page
    assert "募集中の講座" not in client.get("/shifts?role=lead&topic=maps").get_data(as_text=True)
    mine = factories.make_session(
        venue, title="参加予定の講座", starts_dt=clock.now() + timedelta(days=8)
    )
    factories.make_shift(mine, volunteer)
    assert "参加予定の講座" not in client.get("/shifts").get_data(as_text=True)
    for junk in ("ward=abc", "role=x", "date_from=0000-00-00", "after=1-x"):
        assert client.get(f"/shifts?{junk}").status_code == 200


def test_open_shifts_query_count_does_not_grow(client, volunteer, venue, constant_queries):
    log_in(client, volunteer)
    made = [0]

    def add(count: int) -> None:
        for _ in range(count):
            made[0] += 1
            factories.make_session(
                venue, starts_dt=clock.now() + timedelta(days=2, hours=made[0]), flush=False
            )

    constant_queries(client, "/shifts", add)


def test_volunteer_profile(client, volunteer, shibuya, shinagawa):
    log_in(client, volunteer)
    form = {
        "display_name": "支援 花子",
        "name_kana": "しえん はなこ",
        "wards": [str(shibuya.id), str(shinagawa.id)],
        "mobile": "090-1234-5678",
        "wants_sms": "y",
        "skills": ["iphone", "line"],
        "languages": "日本語、English",
        "availability_notes": "平日の午前",
    }
    assert client.post("/me/profile", data=form).status_code == 302
    profile = volunteer.volunteer_profile
    assert profile.mobile_e164 == "+819012345678" and profile.wants_sms
    assert {w.slug for w in profile.wards} == {"shibuya", "shinagawa"}
    response = client.post("/me/profile", data={**form, "mobile": "03-3463-1873"})
    assert response.status_code == 422 and "携帯電話の番号" in response.get_data(as_text=True)
    response = client.post("/me/profile", data={**form, "mobile": ""})
    assert response.status_code == 422 and "携帯電話番号を入力してください" in response.get_data(
        as_text=True
    )
    assert profile.mobile_e164 == "+819012345678"


def test_staff_manage_roster_and_training(client, users, volunteer, venue):
    session = factories.make_session(venue, lead_needed=1, assistants_needed=2)
    log_in(client, users["ward_staff"])
    assert volunteer.display_name in client.get("/manage/shibuya/volunteers").get_data(
        as_text=True
    )
    detail = client.get(f"/manage/shibuya/volunteers/{volunteer.id}")
    assert detail.status_code == 200 and "デジタル活用支援員養成講座" in detail.get_data(
        as_text=True
    )
    response = client.post(
        f"/manage/shibuya/volunteers/{volunteer.id}/training",
        data={"course": "TOKYOスマホサポーター", "level": "lead", "completed_on": "2030-01-01"},
    )
    assert response.status_code == 422 and "未来の日付" in response.get_data(as_text=True)
    response = client.post(
        f"/manage/shibuya/volunteers/{volunteer.id}/training",
        data={"course": "TOKYOスマホサポーター", "level": "lead", "completed_on": "2026-06-01"},
    )
    assert response.status_code == 302
    client.post(
        f"/manage/shibuya/sessions/{session.id}/shifts",
        data={"volunteer": volunteer.id, "role": "lead"},
    )
    page = client.get(f"/manage/shibuya/sessions/{session.id}").get_data(as_text=True)
    assert "1人中1人" in page and "職員が割り当て" in page
    shift = queries.roster(session)[0]
    response = client.post(f"/manage/shibuya/shifts/{shift.id}/release",
                           data={"confirmed": "yes"}, follow_redirects=True)  # fmt: skip
    assert "支援員が足りなくなりました" in response.get_data(as_text=True)
    listing = client.get("/manage/shibuya/sessions").get_data(as_text=True)
    assert "3人中0人" in listing


def test_staff_record_attendance(client, users, volunteer, venue):
    past = factories.make_session(venue, starts_dt=clock.now() - timedelta(hours=3))
    shift = factories.make_shift(past, volunteer)
    log_in(client, users["ward_staff"])
    client.post(
        f"/manage/shibuya/shifts/{shift.id}/attendance", data={"attended": "yes", "minutes": "abc"}
    )
    assert shift.status == ShiftStatus.CLAIMED
    client.post(
        f"/manage/shibuya/shifts/{shift.id}/attendance", data={"attended": "yes", "minutes": "75"}
    )
    assert shift.status == ShiftStatus.ATTENDED and shift.minutes == 75


def test_ward_isolation_of_volunteers(client, users, shinagawa):
    other = factories.make_volunteer(shinagawa)
    log_in(client, users["ward_staff"])
    assert other.display_name not in client.get("/manage/shibuya/volunteers").get_data(
        as_text=True
    )
    assert client.get(f"/manage/shibuya/volunteers/{other.id}").status_code == 404
    assert client.get(f"/manage/shinagawa/volunteers/{other.id}").status_code == 403
    session = factories.make_session(factories.make_venue(users["ward_staff"].ward))
    client.post(
        f"/manage/shibuya/sessions/{session.id}/shifts",
        data={"volunteer": other.id, "role": "assistant"},
    )
    assert queries.roster(session) == []


def test_volunteers_never_reach_staff_pages(client, volunteer, venue):
    session = factories.make_session(venue)
    log_in(client, volunteer)
    for path in (
        "/manage/shibuya",
        f"/manage/shibuya/sessions/{session.id}",
        "/manage/shibuya/volunteers",
    ):
        assert client.get(path).status_code == 403
    db.session.flush()
