"""Sessions through the API: the same rules as the pages, ETags so no change is lost."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.api.models import ApiScope
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionKind, SessionStatus
from tests import factories


def day_ahead(days: int = 5) -> date:
    return clock.today() + timedelta(days=days)


def at(day: date, hour: int) -> object:
    return clock.to_utc(day, time(hour))


@pytest.fixture
def shibuya_sessions(shibuya):
    venue = factories.make_venue(shibuya)
    made = [factories.make_session(venue, starts_dt=at(day_ahead(3 + n), 10)) for n in range(5)]
    db.session.commit()
    return made


def test_a_wards_website_lists_upcoming_sessions_without_a_key(client, shibuya_sessions):
    response = client.get("/api/v1/wards/shibuya/sessions?limit=2")
    assert response.status_code == 200
    first = response.json
    assert [item["id"] for item in first["items"]] == [s.id for s in shibuya_sessions[:2]]
    assert first["items"][0]["starts_at"].endswith("+09:00")
    assert (
        first["items"][0]["seats_left"] == 10
        and "/w/shibuya/sessions/" in first["items"][0]["url"]
    )
    second = client.get(f"/api/v1/wards/shibuya/sessions?limit=2&cursor={first['next_cursor']}")
    assert [item["id"] for item in second.json["items"]] == [s.id for s in shibuya_sessions[2:4]]
    assert client.get("/api/v1/wards/nowhere/sessions").status_code == 404


def test_pages_stay_stable_while_sessions_are_added(client, make_key, shibuya, shibuya_sessions):
    headers = make_key(ApiScope.SESSIONS_READ)
    first = client.get("/api/v1/sessions?ward=shibuya&limit=3", headers=headers).json
    venue = factories.make_venue(shibuya)
    factories.make_session(venue, starts_dt=at(day_ahead(1), 9))  # before the cursor
    factories.make_session(venue, starts_dt=at(day_ahead(30), 9))  # after the last
    db.session.commit()
    rest = client.get(f"/api/v1/sessions?ward=shibuya&limit=50&cursor={first['next_cursor']}",
                      headers=headers).json  # fmt: skip
    seen = [item["id"] for item in first["items"] + rest["items"]]
    assert seen[:5] == [s.id for s in shibuya_sessions] and len(seen) == len(set(seen)) == 6
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=x", "cursor=garbage", "cursor=999999999999999999-1",
              "kind=lecture", "date_from=0001-01-01", "date_to=9999-12-31",
              "date_from=2026-13-01", "venue_id=-1", "status=gone", "unknown=1"],
)  # fmt: skip
def test_bad_filters_are_400_with_the_field(client, make_key, query):
    response = client.get(f"/api/v1/sessions?{query}", headers=make_key(ApiScope.SESSIONS_READ))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["code"] == "bad-input" and problem["message"]["ja"] and problem["message"]["en"]
    named = query.split("=")[0]
    assert problem.get("field") == named or any(e["field"] == named for e in problem["errors"])


def session_body(venue, **fields) -> dict:
    body = {"venue_id": venue.id, "kind": "class", "title": "はじめてのLINE",
            "date": day_ahead(10).isoformat(), "starts_time": "10:00", "ends_time": "11:30",
            "topics": ["line"], "capacity": 12}  # fmt: skip
    body.update(fields)
    return body


def test_staff_systems_create_a_session_by_the_forms_rules(client, make_key, shibuya):
    venue = factories.make_venue(shibuya)
    db.session.commit()
    headers = make_key(ApiScope.SESSIONS_WRITE, ApiScope.SESSIONS_READ)
    created = client.post("/api/v1/sessions", json=session_body(venue), headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["title"] == "はじめてのLINE" and created.json["lead_needed"] == 1
    clash = client.post("/api/v1/sessions", json=session_body(venue), headers=headers)
    assert clash.status_code == 409 and clash.json["field"] == "starts_time"
    past = client.post(
        "/api/v1/sessions",
        headers=headers,
        json=session_body(venue, date=(clock.today() - timedelta(days=1)).isoformat()),
    )
    assert past.status_code == 422 and past.json["code"] == "rule-violation"
    assert past.json["message"]["ja"] != past.json["message"]["en"]
    read_only = client.post("/api/v1/sessions", json=session_body(venue),
                            headers=make_key(ApiScope.SESSIONS_READ))  # fmt: skip
    assert read_only.status_code == 403
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Session))
    assert count == 1  # refused requests stored nothing


@pytest.mark.parametrize(
    "body",
    [{"title": ""}, {"title": "x" * 201}, {"title": "a\u0000b"}, {"capacity": -3},
     {"starts_time": "25:00"},
     {"date": "2026-02-30"}, {"kind": "lecture"}, {"topics": "line"}, {"extra": 1},
     {"venue_id": "🙂"}, {"slot_minutes": 17}],
)  # fmt: skip
def test_a_bad_body_is_400_and_stores_nothing(client, make_key, shibuya, body):
    venue = factories.make_venue(shibuya)
    db.session.commit()
    response = client.post("/api/v1/sessions", json=session_body(venue, **body),
                           headers=make_key(ApiScope.SESSIONS_WRITE))  # fmt: skip
    assert response.status_code == 400, response.json
    assert {error["field"] for error in response.json["errors"]} == {next(iter(body))}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Session)) == 0


def test_a_body_that_is_not_json_is_400(client, make_key):
    response = client.post("/api/v1/sessions", data="{not json", content_type="application/json",
                           headers=make_key(ApiScope.SESSIONS_WRITE))  # fmt: skip
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_two_clients_cannot_overwrite_each_other(client, make_key, shibuya_sessions):
    headers = make_key(ApiScope.SESSIONS_WRITE, ApiScope.SESSIONS_READ)
    path = f"/api/v1/sessions/{shibuya_sessions[0].id}"
    read = client.get(path, headers=headers)
    etag = read.headers["ETag"]
    assert client.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304
    missing = client.patch(path, json={"title": "A"}, headers=headers)
    assert missing.status_code == 428 and missing.json["code"] == "precondition-required"
    first = client.patch(path, json={"title": "A"}, headers={**headers, "If-Match": etag})
    assert first.status_code == 200 and first.json["title"] == "A"
    second = client.patch(path, json={"title": "B"}, headers={**headers, "If-Match": etag})
    assert second.status_code == 412 and second.json["code"] == "precondition-failed"
    db.session.refresh(shibuya_sessions[0])
    assert shibuya_sessions[0].title == "A"


def test_moving_a_session_needs_a_reason(client, make_key, shibuya_sessions):
    headers = make_key(ApiScope.SESSIONS_WRITE, ApiScope.SESSIONS_READ)
    path = f"/api/v1/sessions/{shibuya_sessions[0].id}"
    etag = client.get(path, headers=headers).headers["ETag"]
    refused = client.patch(path, json={"starts_time": "13:00", "ends_time": "14:30"},
                           headers={**headers, "If-Match": etag})  # fmt: skip
    assert refused.status_code == 422 and refused.json["field"] == "reason"
    moved = client.patch(
        path,
        json={"starts_time": "13:00", "ends_time": "14:30", "reason": "会場の都合"},
        headers={**headers, "If-Match": etag},
    )
    assert moved.status_code == 200 and moved.json["starts_at"].startswith(
        f"{day_ahead(3).isoformat()}T13:00"
    )


def test_cancelling_through_the_api(client, make_key, shibuya_sessions):
    headers = make_key(ApiScope.SESSIONS_WRITE, ApiScope.SESSIONS_READ)
    path = f"/api/v1/sessions/{shibuya_sessions[1].id}"
    etag = client.get(path, headers=headers).headers["ETag"]
    no_reason = client.post(f"{path}/cancel", json={}, headers={**headers, "If-Match": etag})
    assert no_reason.status_code == 400
    done = client.post(f"{path}/cancel", json={"reason": "台風のため"},
                       headers={**headers, "If-Match": etag})  # fmt: skip
    assert done.status_code == 200 and done.json["status"] == "cancelled"
    again = client.post(f"{path}/cancel", json={"reason": "台風のため"},
                        headers={**headers, "If-Match": done.headers["ETag"]})  # fmt: skip
    assert again.status_code == 422
    assert db.session.get(Session, shibuya_sessions[1].id).status == SessionStatus.CANCELLED


def test_a_ward_key_sees_its_ward_only(client, make_key, shibuya, shinagawa, shibuya_sessions):
    other = factories.make_session(factories.make_venue(shinagawa), starts_dt=at(day_ahead(4), 10))
    db.session.commit()
    headers = make_key(ApiScope.SESSIONS_READ, ApiScope.SESSIONS_WRITE, ward=shibuya)
    listed = client.get("/api/v1/sessions?limit=200", headers=headers).json["items"]
    assert {item["ward"] for item in listed} == {"shibuya"}
    assert client.get("/api/v1/sessions?ward=shinagawa", headers=headers).status_code == 403
    assert client.get(f"/api/v1/sessions/{other.id}", headers=headers).status_code == 404
    patch = client.patch(f"/api/v1/sessions/{other.id}", json={"title": "x"},
                         headers={**headers, "If-Match": '"x"'})  # fmt: skip
    assert patch.status_code == 404
    venue = factories.make_venue(shinagawa)
    db.session.commit()
    made = client.post("/api/v1/sessions", json=session_body(venue), headers=headers)
    assert made.status_code == 422 and made.json["field"] == "venue_id"


def test_list_queries_do_not_grow_with_rows(client, make_key, shibuya, count_queries):
    headers = make_key(ApiScope.SESSIONS_READ)
    client.get("/api/v1/sessions", headers=headers)  # the key's first use is noted once
    venue = factories.make_venue(shibuya)

    minutes = iter(range(0, 600, 5))

    def queries_with(count: int) -> int:
        for _ in range(count):
            starts = at(day_ahead(2), 9) + timedelta(minutes=next(minutes))
            factories.make_session(venue, starts_dt=starts, kind=SessionKind.SALON)
        db.session.commit()
        with count_queries() as statements:
            assert client.get("/api/v1/sessions?limit=100", headers=headers).status_code == 200
        return len(statements)

    assert queries_with(3) == queries_with(40)
