"""Cached pages are never stale: after each kind of change made by one worker, another
worker that had the page cached shows exactly what a fresh build shows."""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask, request
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from inclusion.auth.models import Role, User
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.extensions import db
from inclusion.residents.models import BookingSource
from inclusion.sessions.models import Session, SessionStatus, Topic
from inclusion.venues.models import Venue
from inclusion.volunteers.models import ShiftRole, ShiftStatus
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import make_test_app, migrate_database, scratch_database

PUBLIC = "/w/shibuya"
STAFF = "/manage/shibuya/sessions"
SHIFTS = "/shifts"
_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="[^"]*"')


@pytest.fixture(scope="module")
def workers(backend: str, tmp_path_factory) -> Iterator[list[Flask]]:
    """Two workers with caches of their own, and a third that never caches (the truth)."""
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        apps = [make_test_app(url), make_test_app(url), make_test_app(url, PAGE_CACHE_SECONDS=0)]
        with apps[0].app_context():
            shibuya = find_ward("shibuya")
            factories.make_user(role=Role.WARD_STAFF, ward=shibuya, email="staff@example.jp")
            factories.make_volunteer(shibuya, email="helper@example.jp")
            factories.make_volunteer(shibuya, email="other@example.jp")
            db.session.commit()
        yield apps
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def in_worker(app: Flask, change: Callable[[], object]) -> object:
    with app.app_context():
        result = change()
        db.session.commit()
        return result


def client_of(app: Flask, email: str | None, cookie: str | None = None) -> FlaskClient:
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("session", cookie)
    elif email is not None:
        answer = client.post("/login", data={"email": email, "password": factories.PASSWORD})
        assert answer.status_code == 302
    return client


def page(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return _TOKEN.sub("", answer.get_data(as_text=True))


def shibuya_venue() -> Venue:
    return factories.make_venue(find_ward("shibuya"))


def _rename_session(ids):
    db.session.get(Session, ids["session"]).title = "名前を変えた教室"


def _cancel_session(ids):
    session = db.session.get(Session, ids["session"])
    session.status, session.cancelled_dt = SessionStatus.CANCELLED, datetime.now(UTC)


def _add_session(ids):
    factories.make_session(db.session.get(Venue, ids["venue"]), title="新しく加えた教室")


def _rename_venue(ids):
    db.session.get(Venue, ids["venue"]).name = f"名前を変えた会館 {ids['venue']}"


def _book(ids):
    session = db.session.get(Session, ids["session"])
    factories.make_booking(session, factories.make_resident(session.ward))


def _change_phone(ids):
    find_ward("shibuya").booking_phone = f"03-3463-{ids['session'] % 10000:04d}"


def _bulk_rename(ids):
    db.session.execute(
        sa.update(Session).where(Session.id == ids["session"]).values(title="一括で変えた教室")
    )


def _retopic(ids):
    db.session.get(Session, ids["session"]).topics = [Topic.LINE, Topic.MAPS]


def _wait_for_course(ids):
    session = db.session.get(Session, ids["session"])
    series = factories.make_series(session.ward, dates=2, capacity=1)
    db.session.commit()
    ids["course"] = series.id
    return series


def _course_waitlist(ids):
    resident = factories.make_resident(find_ward("shibuya"))
    db.session.add(
        Enrolment(
            series_id=ids["course"], resident_id=resident.id, ward_id=resident.ward_id,
            status=EnrolmentStatus.WAITLISTED, source=BookingSource.PHONE,
            queued_dt=datetime.now(UTC),
        )
    )  # fmt: skip


def _claim_shift(ids):
    session = db.session.get(Session, ids["session"])
    helper = db.session.scalar(sa.select(User).where(User.email == "helper@example.jp"))
    factories.make_shift(session, helper, ShiftRole.ASSISTANT, ShiftStatus.CLAIMED, slot_number=1)


CHANGES = {
    "session renamed": (_rename_session, (PUBLIC, STAFF, SHIFTS)),
    "session cancelled": (_cancel_session, (PUBLIC, STAFF, SHIFTS)),
    "session added": (_add_session, (PUBLIC, STAFF, SHIFTS)),
    "venue renamed": (_rename_venue, (PUBLIC, STAFF, SHIFTS)),
    "booking taken": (_book, (STAFF,)),
    "booking phone changed": (_change_phone, (PUBLIC,)),
    "bulk update": (_bulk_rename, (PUBLIC, STAFF, SHIFTS)),
    "topics changed": (_retopic, (STAFF,)),
    "course waiting list joined": (_course_waitlist, (PUBLIC,)),
    "shift claimed": (_claim_shift, (STAFF, SHIFTS)),
}
VISITORS = {PUBLIC: None, STAFF: "staff@example.jp", SHIFTS: "other@example.jp"}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_by_one_worker_shows_at_once_in_another(workers, change):
    writer, reader, truth = workers
    ids = {}

    def setup():
        venue = shibuya_venue()
        session = factories.make_session(venue, capacity=3, title="変わる前の教室")
        ids.update(venue=venue.id, session=session.id)

    in_worker(writer, setup)
    if change == "course waiting list joined":
        in_worker(writer, lambda: _wait_for_course(ids))
    act, paths = CHANGES[change]
    for path in paths:
        visitor = VISITORS[path]
        client = client_of(reader, visitor)
        before = page(client, path)
        assert page(client, path) == before  # now cached in the reader
        in_worker(writer, lambda: act(ids))
        after = page(client, path)
        cookie = client.get_cookie("session")
        fresh = page(client_of(truth, visitor, cookie.value if cookie else None), path)
        assert after == fresh, f"{change}: {path} is stale"
        assert after != before, f"{change}: {path} did not change (the test proves nothing)"
        in_worker(writer, setup)  # a session of its own for the next page


def count_statements(app: Flask) -> list[str]:
    statements: list[str] = []
    with app.app_context():
        sa.event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *args: args[2].startswith("BEGIN") or statements.append(args[2]),
        )
    return statements


def test_a_cached_page_runs_the_same_few_queries_however_long_it_is(workers):
    _writer, reader, _truth = workers
    statements = count_statements(reader)
    counts = {}
    for rows in (1, 30):
        venue = in_worker(reader, lambda: shibuya_venue().id)
        for _ in range(rows):
            in_worker(reader, lambda v=venue: factories.make_session(db.session.get(Venue, v)))
        for path, visitor in VISITORS.items():
            client = client_of(reader, visitor)
            page(client, path)  # gives the new log-in its CSRF secret: not kept
            page(client, path)
            statements.clear()
            page(client, path)
            counts.setdefault(path, []).append(len(statements))
    # The log-in, which brings the staff's ward with its version, and a volunteer's wards.
    assert counts == {PUBLIC: [1, 1], STAFF: [1, 1], SHIFTS: [1, 1]}


def test_each_log_in_gets_its_own_page(workers):
    _writer, reader, truth = workers
    in_worker(reader, lambda: factories.make_user(role=Role.COORDINATOR, email="co@example.jp"))
    pages = {}
    for visitor in ("staff@example.jp", "co@example.jp"):
        client = client_of(reader, visitor)
        pages[visitor] = (page(client, STAFF), page(client, STAFF))
        cookie = client.get_cookie("session").value
        assert pages[visitor][1] == page(client_of(truth, visitor, cookie), STAFF)
    assert pages["staff@example.jp"][1] != pages["co@example.jp"][1]


def test_a_message_shown_once_is_never_kept(workers):
    _writer, reader, _truth = workers
    client = client_of(reader, "staff@example.jp")
    page(client, STAFF)  # cached without the message
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "一度だけのお知らせ")]
    assert "一度だけのお知らせ" in page(client, STAFF)
    assert "一度だけのお知らせ" not in page(client, STAFF)


def test_visitors_asking_at_once_after_a_change_wait_for_one_build(workers):
    writer, reader, _truth = workers
    callers = 6
    in_worker(writer, lambda: factories.make_session(shibuya_venue(), title="同時に見る教室"))
    builds: list[str] = []
    with reader.app_context():
        sa.event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *args: "ORDER BY sessions.starts_dt" in args[2] and builds.append(args[2]),
        )
    barrier = threading.Barrier(callers)
    bodies: list[str] = []

    def ask() -> None:
        client = reader.test_client()
        barrier.wait()
        bodies.append(page(client, PUBLIC))

    threads = [threading.Thread(target=ask) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(bodies) == callers and len(set(bodies)) == 1 and "同時に見る教室" in bodies[0]
    assert len(builds) == 1


def test_a_kept_page_goes_compressed_to_browsers_that_accept_it(workers):
    _writer, reader, _truth = workers
    client = client_of(reader, None)
    plain = page(client, PUBLIC)
    compressed = client.get(PUBLIC, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert gzip.decompress(compressed.get_data()).decode() == plain
    # Half, not less: how many sessions the page lists depends on the tests run before it.
    assert len(compressed.get_data()) < len(plain.encode()) / 2
    assert "Content-Encoding" not in client.get(PUBLIC).headers


def test_a_new_venue_and_a_savepoint_renew_the_version_once_at_the_commit(workers):
    writer, reader, truth = workers
    client = client_of(reader, "staff@example.jp")
    page(client, STAFF)
    before = page(client, STAFF)
    with writer.app_context():
        renewals = []
        sa.event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *args: args[2].startswith("UPDATE wards") and renewals.append(args[2]),
        )
        with db.session.begin_nested():
            # Given its ward, not its ward's id: a new venue is in the filter at once.
            shibuya_venue()
        assert renewals == []  # not at the savepoint: the ward row is the last lock
        db.session.commit()
        assert len(renewals) == 1
    after = page(client, STAFF)
    cookie = client.get_cookie("session").value
    assert after != before and after == page(client_of(truth, None, cookie), STAFF)


def test_a_kept_public_page_is_answered_before_flask_with_the_headers_flask_gave_it(workers):
    writer, reader, _truth = workers
    front = make_test_app(reader.config["SQLALCHEMY_DATABASE_URI"])
    in_flask: list[str] = []
    front.before_request(lambda: in_flask.append(request.full_path))
    client = front.test_client()
    answered = REGISTRY.get_sample_value
    labels = {"method": "GET", "endpoint": "public.ward_page", "status": "200"}
    counted = answered("inclusion_http_requests_total", labels) or 0

    built = client.get(PUBLIC)
    kept = client.get(PUBLIC, headers={"X-Request-ID": "asked-by-the-ward-site"})
    assert in_flask == ["/w/shibuya?"]  # the second never reached Flask
    assert kept.get_data() == built.get_data()
    assert _replayed(kept.headers) == _replayed(built.headers)
    assert "default-src 'self'" in kept.headers["Content-Security-Policy"]
    assert kept.headers["X-Request-ID"] == "asked-by-the-ward-site"
    assert answered("inclusion_http_requests_total", labels) == counted + 2
    head = client.head(PUBLIC)
    assert head.status_code == 200 and head.get_data() == b"" and len(in_flask) == 1

    in_worker(writer, lambda: _change_phone({"session": 4321}))
    changed = client.get(PUBLIC)
    assert len(in_flask) == 2 and "03-3463-4321" in changed.get_data(as_text=True)
    assert client.get(PUBLIC).get_data() == changed.get_data() and len(in_flask) == 2

    client.set_cookie("lang", "en")  # another language: another page, built once
    english = client.get(PUBLIC)
    assert client.get(PUBLIC).get_data() == english.get_data() != changed.get_data()
    assert len(in_flask) == 3
    client.get(PUBLIC + "?week=2")  # what the page does not read is Flask's to answer
    client.get("/w/nowhere")
    assert in_flask[3:] == ["/w/shibuya?week=2", "/w/nowhere?"]

    staff = client_of(front, "staff@example.jp")  # a log-in is never answered here
    page(staff, PUBLIC)
    page(staff, PUBLIC)
    assert in_flask[-2:] == ["/w/shibuya?", "/w/shibuya?"]
    with front.app_context():
        db.engine.dispose()


def _replayed(headers) -> dict[str, str]:
    return {name: value for name, value in headers if name not in ("X-Request-ID", "Date")}


def test_pages_are_kept_and_answered_while_redis_does_not_answer(workers, caplog):
    _writer, _reader, truth = workers
    # Nothing listens on port 1: Redis is down. Each worker goes on with its own copies.
    alone = make_test_app(
        truth.config["SQLALCHEMY_DATABASE_URI"], CACHE_URL="redis://127.0.0.1:1/0"
    )
    client = alone.test_client()
    answers = [client.get(PUBLIC) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[0].get_data() == answers[2].get_data() == truth.test_client().get(PUBLIC).data
    assert "Redis did not answer" in caplog.text
    with alone.app_context():
        db.engine.dispose()
