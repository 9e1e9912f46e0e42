"""Every error of the API is a problem document; the description and its docs are served."""

import re
import threading

import pytest
import sqlalchemy as sa

from inclusion.api import services
from inclusion.api.models import ApiScope
from inclusion.extensions import db
from inclusion.residents.models import SEATED, Booking
from inclusion.wards.services import find_ward
from tests import factories
from tests.api.test_sessions import at, day_ahead
from tests.conftest import own_database_app


def is_problem(response, status: int, code: str) -> bool:
    body = response.json
    return (
        response.status_code == status
        and response.mimetype == "application/problem+json"
        and body["code"] == code
        and body["type"].endswith(f"#problem-{code}")
        and body["message"]["ja"] != body["message"]["en"]
    )


def test_unknown_routes_and_methods_are_problems(client):
    assert is_problem(client.get("/api/v1/nowhere"), 404, "not-found")
    refused = client.delete("/api/v1/wards")
    assert is_problem(refused, 405, "method-not-allowed") and "GET" in refused.headers["Allow"]
    assert is_problem(client.get("/api/v1/sessions/99999999999999999999"), 404, "not-found")


def test_a_nul_anywhere_is_refused_before_the_database_sees_it(client):
    for path in ("/api/v1/wards/%00/venues", "/w/sh%00ibuya", "/api/v1/wards?x=%00"):
        assert client.get(path).status_code == 400, path


def test_pages_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_a_body_too_large_is_413(client, make_key):
    response = client.post("/api/v1/sessions", data=b"x" * (3 * 1024 * 1024),
                           content_type="application/json",
                           headers=make_key(ApiScope.SESSIONS_WRITE))  # fmt: skip
    assert is_problem(response, 413, "too-large")


def test_a_form_instead_of_json_is_refused_by_field(client, make_key):
    response = client.post("/api/v1/sessions", data={"title": "x"},
                           headers=make_key(ApiScope.SESSIONS_WRITE))  # fmt: skip
    assert is_problem(response, 400, "bad-input")


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"API_RATE_LIMIT": "3 per minute"}

    def test_too_many_requests_is_429_with_retry_after(self, client, make_key):
        headers = make_key(ApiScope.SESSIONS_READ)
        statuses = [client.get("/api/v1/sessions", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/api/v1/sessions", headers=headers)
        assert is_problem(limited, 429, "rate-limited")
        assert int(limited.headers["Retry-After"]) > 0
        other = make_key(ApiScope.SESSIONS_READ)  # each key has its own budget
        assert client.get("/api/v1/sessions", headers=other).status_code == 200


def test_the_description_is_generated_and_documented(client):
    description = client.get("/api/v1/openapi.json").json
    assert description["openapi"].startswith("3.")
    paths = description["paths"]
    for path in (
        "/api/v1/sessions",
        "/api/v1/residents",
        "/api/v1/metrics",
        "/api/v1/sessions/{session_id}/bookings",
        "/api/v1/bookings/{booking_id}/reminders",
        "/api/v1/sessions/{session_id}/shifts",
        "/api/v1/wards/{ward}/sessions",
    ):
        assert path in paths, path  # fmt: skip
    assert paths["/api/v1/sessions"]["get"]["security"] == [{"bearer": ["sessions:read"]}]
    assert "security" not in paths["/api/v1/wards"]["get"]
    error = description["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(error) == ["application/problem+json"]
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    # Read without scripts: no documentation viewer, only the app's own small script.
    assert page.status_code == 200
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/app.js" defer>']
    assert "GET /api/v1/residents" in html and 'id="problem-rate-limited"' in html
    assert 'id="schema-Session"' in html


BOOKERS = 12


@pytest.fixture(scope="module")
def race_app(backend, tmp_path_factory):
    pool = {"pool_size": BOOKERS + 4}
    with own_database_app(backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS=pool) as app:
        with app.app_context():
            ward = find_ward("shibuya")
            venue = factories.make_venue(ward)
            session = factories.make_session(venue, starts_dt=at(day_ahead(5), 10), capacity=3)
            residents = [factories.make_resident(ward).id for _ in range(BOOKERS)]
            _key, secret = services.create_key(None, "race", [ApiScope.BOOKINGS_WRITE], ward)
            db.session.commit()
            app.config["race"] = (session.id, residents, secret)
        yield app


@pytest.mark.xdist_group("heavy")  # many connections at once: PostgreSQL takes 100
def test_twelve_calls_for_three_seats_through_the_api(race_app):
    session_id, residents, secret = race_app.config["race"]
    barrier = threading.Barrier(BOOKERS)
    statuses: list[int] = []

    def book(resident_id: int) -> None:
        client = race_app.test_client()
        barrier.wait(timeout=30)
        response = client.post(f"/api/v1/sessions/{session_id}/bookings",
                               json={"resident_id": resident_id},
                               headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
        statuses.append(response.status_code)

    threads = [threading.Thread(target=book, args=(resident,)) for resident in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [201] * BOOKERS
    with race_app.app_context():
        rows = db.session.execute(
            sa.select(Booking.status, Booking.place).where(Booking.session_id == session_id)
        ).all()
        seated = sorted(place for status, place in rows if status in SEATED)
        assert seated == [1, 2, 3] and len(rows) == BOOKERS  # the rest wait, in order


def keyed_operations(client) -> list[tuple[str, str, str]]:
    """(method, path with sample ids, scope) of every operation that needs a key."""
    found = []
    for path, methods in client.get("/api/v1/openapi.json").json["paths"].items():
        for method, operation in methods.items():
            for rule in operation.get("security", []) if isinstance(operation, dict) else []:
                for scope in rule["bearer"]:
                    found.append((method, re.sub(r"\{[a-z_]+\}", "1", path), scope))
    return found


def test_every_keyed_operation_wants_its_own_scope(client, make_key):
    operations = keyed_operations(client)
    assert len(operations) >= 18
    for method, path, scope in operations:
        anonymous = client.open(path, method=method.upper(), json={})
        assert anonymous.status_code == 401, (method, path)
        others = [each for each in ApiScope if each.value != scope]
        lacking = client.open(path, method=method.upper(), json={}, headers=make_key(*others))
        assert lacking.status_code == 403 and lacking.json["code"] == "missing-scope", (
            method, path, lacking.status_code
        )  # fmt: skip


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000],
    ids=["arrays", "objects"],
)
def test_json_nested_thousands_deep_is_bad_input_not_a_crash(client, make_key, body):
    headers = make_key()
    for path in ("/api/v1/residents", "/api/v1/sessions"):
        response = client.post(path, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 400, response.get_data(as_text=True)[:200]
        assert response.json["errors"][0]["message"]["en"] == "Invalid JSON body."


def test_a_wrong_value_is_explained_in_japanese_with_what_is_allowed(client, make_key):
    headers = make_key()
    answer = client.get("/api/v1/sessions", query_string={"limit": 100000, "kind": "party"},
                        headers=headers)  # fmt: skip
    assert answer.status_code == 400
    said = {error["field"]: error["message"]["ja"] for error in answer.json["errors"]}
    assert said["limit"] == "1 から 200 までの数にしてください。"
    assert said["kind"].startswith("次のどれかにしてください: class")
    control = client.post(
        "/api/v1/bookings/1/cancel", json={"reason": "体調\x07"}, headers=headers
    )
    assert "制御文字" in control.json["errors"][0]["message"]["ja"]
