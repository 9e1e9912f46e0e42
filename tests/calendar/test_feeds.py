"""Calendar feeds as calendar apps read them: parsed back with icalendar, line by line."""

import gzip
import re
import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa

from inclusion import clock
from inclusion.auth.models import Role
from inclusion.calendar import services
from inclusion.calendar.models import FeedKind
from inclusion.extensions import db
from inclusion.sessions import services as session_services
from inclusion.sessions.models import MAX_SESSION_HOURS, SessionKind, SessionStatus, Topic
from inclusion.volunteers.models import ShiftRole, ShiftStatus
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import BACKENDS, log_in, own_database_app

TOKYO = ZoneInfo("Asia/Tokyo")


def local(days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` from today at a local wall-clock time, as UTC."""
    return clock.to_utc(clock.today() + timedelta(days=days), time(hour, minute))


def parse(response) -> icalendar.Calendar:
    """The feed, checked the way strict clients read it, then parsed."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "text/calendar; charset=utf-8"
    raw = response.get_data()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75, "a line is not folded at 75 octets"
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar.get_missing_tzids() == set()
    uids = [str(event["UID"]) for event in calendar.events]
    assert len(uids) == len(set(uids)), "duplicate UIDs"
    return calendar


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.events}


@pytest.fixture
def venue(shibuya):
    shibuya.booking_phone = "03-3463-1211"
    return factories.make_venue(
        shibuya,
        name="渋谷区立中央図書館",
        address="渋谷区神宮前1-1-1",
        has_lift=True,
        access_notes="1階の入口から",
    )


@pytest.fixture
def lesson(venue):
    session = factories.make_session(
        venue,
        starts_dt=local(5, 10),
        hours=1.5,
        title="LINEをはじめよう",
        room="第1会議室",
        has_device_loan=True,
        topics=(Topic.LINE,),
    )
    db.session.commit()
    return session


def test_the_ward_feed_is_what_calendar_apps_expect(client, lesson, app):
    calendar = parse(client.get("/w/shibuya/calendar.ics"))
    assert str(calendar["X-WR-CALNAME"]) == str(calendar["NAME"]) == "渋谷区 スマホ教室・相談会"
    assert str(calendar["UID"]) == "ward-shibuya@inclusion.invalid"
    raw = client.get("/w/shibuya/calendar.ics").get_data(as_text=True)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw
    assert "X-PUBLISHED-TTL:PT1H\r\n" in raw
    event = by_uid(calendar)[f"session-{lesson.id}@inclusion.invalid"]
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert start == clock.to_local(lesson.starts_dt) and start.hour == 10
    assert start.astimezone(UTC) == lesson.starts_dt.replace(tzinfo=UTC)
    assert event.decoded("DTEND") - start == timedelta(hours=1, minutes=30)
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)
    assert f"DTSTAMP:{lesson.updated_dt:%Y%m%dT%H%M%S}Z" in raw
    assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "渋谷区立中央図書館 第1会議室（渋谷区神宮前1-1-1）"
    description = str(event["DESCRIPTION"])
    assert "貸し出し用" in description and "エレベーターあり、1階の入口から" in description
    assert "03-3463-1211" in description
    assert str(event["URL"]).endswith(f"/w/shibuya/sessions/{lesson.id}")
    assert "VALARM" not in raw  # off by default in public feeds


def test_public_feeds_hold_no_personal_data(client, lesson, shibuya):
    resident = factories.make_resident(shibuya, family_name="個人情報", given_name="花子")
    factories.make_booking(lesson, resident)
    volunteer = factories.make_volunteer(shibuya)
    factories.make_shift(lesson, volunteer)
    db.session.commit()
    for path in ("/w/shibuya/calendar.ics", f"/w/shibuya/sessions/{lesson.id}.ics",
                 f"/w/shibuya/venues/{lesson.venue_id}/calendar.ics"):  # fmt: skip
        raw = client.get(path).get_data(as_text=True)
        assert "BEGIN:VEVENT" in raw
        private_data = ("個人情報", "花子", volunteer.display_name, resident.phones[0].e164[3:],
                        "@example.jp")  # fmt: skip
        for private in private_data:
            assert private not in raw, (path, private)


def test_an_edit_raises_the_sequence_and_the_etag(client, lesson, users):
    first = client.get("/w/shibuya/calendar.ics")
    etag = first.headers["ETag"]
    assert (
        client.get("/w/shibuya/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    )
    since = first.headers["Last-Modified"]
    assert (
        client.get("/w/shibuya/calendar.ics", headers={"If-Modified-Since": since}).status_code
        == 304
    )

    draft = session_services.SessionDraft(
        venue=lesson.venue,
        kind=lesson.kind,
        title="LINEをはじめよう（改）",
        day=clock.to_local(lesson.starts_dt).date(),
        starts_time=time(10),
        ends_time=time(11, 30),
        room=lesson.room,
        has_device_loan=True,
        topics=[Topic.LINE],
    )
    session_services.update_session(users["ward_staff"], lesson, draft)
    db.session.commit()
    changed = client.get("/w/shibuya/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    event = by_uid(parse(changed))[f"session-{lesson.id}@inclusion.invalid"]
    assert event["SEQUENCE"] == 1 and str(event["SUMMARY"]) == "LINEをはじめよう（改）"


def test_a_feed_goes_compressed_to_apps_that_take_it_under_the_same_etag(client, lesson):
    plain = client.get("/w/shibuya/calendar.ics")
    packed = client.get("/w/shibuya/calendar.ics", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    parse(plain)
    # Weak: one calendar, whichever the encoding. Apps keeping the strong tag we used to
    # send still get a 304.
    etag = plain.headers["ETag"]
    assert etag.startswith('W/"') and packed.headers["ETag"] == etag
    for kept in (etag, etag.removeprefix("W/")):
        again = client.get("/w/shibuya/calendar.ics",
                           headers={"If-None-Match": kept, "Accept-Encoding": "gzip"})  # fmt: skip
        assert again.status_code == 304 and not again.get_data()


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"], indirect=True)
def test_streamed_results_are_planned_for_all_their_rows(app):
    """A calendar is streamed and read to its end: PostgreSQL must not plan it for its
    first tenth (a venue's calendar took a fast-start plan, 100 ms instead of 2)."""
    with db.engines[None].engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "1"
        connection.rollback()  # what a pooled connection does: the setting outlives it
        assert connection.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "1"


def test_a_cancelled_session_stays_30_days_as_cancelled(client, lesson, users):
    session_services.cancel_session(users["ward_staff"], lesson, "講師の都合")
    db.session.commit()
    event = by_uid(parse(client.get("/w/shibuya/calendar.ics")))[
        f"session-{lesson.id}@inclusion.invalid"
    ]
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1
    assert str(event["SUMMARY"]).startswith("【中止】")
    assert "講師の都合" in str(event["DESCRIPTION"])
    lesson.cancelled_dt = clock.now() - timedelta(days=31)
    db.session.commit()
    assert parse(client.get("/w/shibuya/calendar.ics")).events == []


def test_a_weekly_series_expands_to_its_occurrences(client, venue):
    for week in range(6):
        factories.make_session(venue, starts_dt=local(7 * week + 1, 14), title="毎週のスマホ相談")
    factories.make_session(venue, starts_dt=local(3, 9), title="別の講座")
    db.session.commit()
    calendar = parse(client.get("/w/shibuya/calendar.ics"))
    first = clock.today() + timedelta(days=7)
    between = recurring_ical_events.of(calendar).between(first, first + timedelta(days=21))
    starts = sorted(event.decoded("DTSTART") for event in between)
    expected = [clock.to_local(local(7 * week + 1, 14)) for week in (1, 2, 3)]
    assert starts == expected


def test_the_range_can_be_chosen_within_limits(client, venue):
    factories.make_session(venue, starts_dt=local(200, 10), title="半年後")
    factories.make_session(venue, starts_dt=local(-40, 10), title="先月より前")
    db.session.commit()
    default = parse(client.get("/w/shibuya/calendar.ics"))
    assert {str(event["SUMMARY"]) for event in default.events} == {"半年後"}
    today = clock.today()
    narrow = client.get(f"/w/shibuya/calendar.ics?from={today - timedelta(days=60)}&to={today}")
    assert {str(event["SUMMARY"]) for event in parse(narrow).events} == {"先月より前"}


def test_a_session_under_way_when_the_range_begins_is_in_it(client, venue):
    """The range is read from an index from the longest a session lasts before its start."""
    first = clock.today() - timedelta(days=10)
    start = clock.to_utc(first, time.min)
    longest = timedelta(hours=MAX_SESSION_HOURS)
    factories.make_session(venue, starts_dt=start - longest + timedelta(minutes=1),
                           hours=MAX_SESSION_HOURS, title="夜通しの相談会")  # fmt: skip
    factories.make_session(venue, starts_dt=start - timedelta(hours=2), hours=2, title="前日")
    db.session.commit()
    feed = client.get(f"/w/shibuya/calendar.ics?from={first}&to={clock.today()}")
    assert {str(event["SUMMARY"]) for event in parse(feed).events} == {"夜通しの相談会"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "2026-04-01 のような日付"),
        ("from=yesterday", "2026-04-01 のような日付"),
        ("from=2027-01-01&to=2026-01-01", "from より後"),
        ("from=2020-01-01&to=2026-12-31", "400日分まで"),
    ],
)
def test_a_bad_range_is_refused_with_the_reason(client, query, message):
    response = client.get(f"/w/shibuya/calendar.ics?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_a_feed_is_one_query_to_check_and_one_to_build(client, venue, count_queries):
    def add(first: int, count: int) -> None:
        for number in range(first, first + count):
            factories.make_session(
                venue, starts_dt=local(2 + number // 8, 9 + number % 8), flush=False
            )
        db.session.commit()

    def queries() -> int:
        with count_queries() as statements:
            assert client.get("/w/shibuya/calendar.ics").status_code == 200
        return len(statements)

    add(0, 10)
    few = queries()
    add(10, 990)
    many = queries()
    assert few == many
    with count_queries() as statements:
        cached = client.get("/w/shibuya/calendar.ics")  # unchanged: served from the cache
    assert cached.status_code == 200 and len(statements) == few - 1
    assert cached.get_data().count(b"BEGIN:VEVENT") == 1000


@pytest.mark.xdist_group("heavy")  # many connections at once: PostgreSQL takes 100
def test_calendar_apps_asking_at_once_for_a_changed_feed_wait_for_one_build(
    backend, tmp_path_factory
):
    callers = 6
    with own_database_app(
        backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": callers + 2}
    ) as app:
        with app.app_context():
            venue = factories.make_venue(find_ward("shibuya"))
            for number in range(400):
                factories.make_session(
                    venue, starts_dt=local(2 + number // 8, 9 + number % 8), flush=False
                )
            db.session.commit()
            builds: list[str] = []

            def count_builds(_conn, _cursor, statement, *_args) -> None:
                if "sessions.title" in statement:  # the rows of a build, not the ETag's
                    builds.append(statement)

            sa.event.listen(db.engine, "before_cursor_execute", count_builds)
        barrier = threading.Barrier(callers)
        bodies: list[bytes] = []

        def ask() -> None:
            client = app.test_client()
            barrier.wait()
            response = client.get("/w/shibuya/calendar.ics")
            assert response.status_code == 200
            bodies.append(response.get_data())

        threads = [threading.Thread(target=ask) for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(bodies) == callers and len(set(bodies)) == 1
    assert bodies[0].count(b"BEGIN:VEVENT") == 400
    assert len(builds) == 1


def test_unknown_wards_and_venues_of_another_ward_are_404(client, shinagawa):
    other = factories.make_venue(shinagawa)
    db.session.commit()
    assert client.get("/w/atlantis/calendar.ics").status_code == 404
    assert client.get(f"/w/shibuya/venues/{other.id}/calendar.ics").status_code == 404
    factories.make_session(other, starts_dt=local(3, 10), title="品川の会場で")
    db.session.commit()
    venue_feed = parse(client.get(f"/w/shinagawa/venues/{other.id}/calendar.ics"))
    assert [str(event["SUMMARY"]) for event in venue_feed.events] == ["品川の会場で"]


def test_one_session_downloads_as_a_file(client, lesson):
    response = client.get(f"/w/shibuya/sessions/{lesson.id}.ics")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="session-{lesson.id}.ics"'
    )
    [event] = parse(response).events
    assert str(event["UID"]) == f"session-{lesson.id}@inclusion.invalid"


@pytest.fixture
def volunteer(shibuya):
    volunteer = factories.make_volunteer(shibuya)
    db.session.commit()
    return volunteer


def test_a_volunteer_feed_holds_their_own_shifts_with_role_and_alarm(client, lesson, volunteer):
    other = factories.make_volunteer(lesson.venue.ward)
    mine = factories.make_shift(lesson, volunteer, role=ShiftRole.LEAD)
    factories.make_shift(lesson, other, slot_number=2)
    released = factories.make_shift(
        factories.make_session(lesson.venue, starts_dt=local(9, 13)),
        volunteer,
        status=ShiftStatus.RELEASED,
    )
    released.released_dt = clock.now()
    raw = services.issue_token(volunteer, FeedKind.VOLUNTEER)
    db.session.commit()
    calendar = parse(client.get(f"/calendar/v/{raw}.ics"))
    [event] = calendar.events
    assert str(event["UID"]) == f"shift-{mine.id}@inclusion.invalid"
    assert str(event["SUMMARY"]) == "LINEをはじめよう（講師）"
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-60)
    assert raw not in str(calendar) and volunteer.email not in str(calendar)
    token = services.live_token(volunteer, FeedKind.VOLUNTEER)
    assert token.last_used_dt is not None and token.token_hash != raw


def test_a_released_shift_leaves_the_feed(client, lesson, volunteer):
    shift = factories.make_shift(lesson, volunteer)
    raw = services.issue_token(volunteer, FeedKind.VOLUNTEER)
    db.session.commit()
    first = client.get(f"/calendar/v/{raw}.ics")
    assert len(parse(first).events) == 1
    shift.status, shift.released_dt = ShiftStatus.RELEASED, clock.now()
    db.session.commit()
    after = client.get(f"/calendar/v/{raw}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and parse(after).events == []


def test_revoked_and_rotated_tokens_answer_404(client, volunteer):
    old = services.issue_token(volunteer, FeedKind.VOLUNTEER)
    db.session.commit()
    assert client.get(f"/calendar/v/{old}.ics").status_code == 200
    new = services.issue_token(volunteer, FeedKind.VOLUNTEER)
    db.session.commit()
    assert client.get(f"/calendar/v/{old}.ics").status_code == 404
    assert client.get(f"/calendar/v/{new}.ics").status_code == 200
    assert services.revoke_token(volunteer, FeedKind.VOLUNTEER)
    db.session.commit()
    assert client.get(f"/calendar/v/{new}.ics").status_code == 404
    for nonsense in ("x", "a" * 65, "../../etc/passwd"):
        assert client.get(f"/calendar/v/{nonsense}.ics").status_code == 404
    assert client.get("/calendar/v/%00.ics").status_code == 400  # refused at the door
    # A volunteer's secret opens no coordinator feed.
    again = services.issue_token(volunteer, FeedKind.VOLUNTEER)
    db.session.commit()
    assert client.get(f"/calendar/c/{again}.ics").status_code == 404


def test_a_deactivated_account_has_no_feed(client, volunteer):
    raw = services.issue_token(volunteer, FeedKind.VOLUNTEER)
    volunteer.is_active = False
    db.session.commit()
    assert client.get(f"/calendar/v/{raw}.ics").status_code == 404


def test_the_coordinator_feed_filters_by_ward_kind_and_topic(client, users, venue, shinagawa):
    factories.make_session(venue, starts_dt=local(4, 10), title="渋谷LINE", topics=(Topic.LINE,))
    factories.make_session(venue, starts_dt=local(4, 13), title="渋谷相談",
                           kind=SessionKind.CONSULTATION)  # fmt: skip
    factories.make_session(factories.make_venue(shinagawa), starts_dt=local(4, 10), title="品川")
    raw = services.issue_token(users["coordinator"], FeedKind.COORDINATOR)
    db.session.commit()

    def titles(query: str = "") -> set[str]:
        calendar = parse(client.get(f"/calendar/c/{raw}.ics{query}"))
        return {str(event["SUMMARY"]) for event in calendar.events}

    assert titles() == {"渋谷LINE", "渋谷相談", "品川"}
    assert titles("?ward=shibuya") == {"渋谷LINE", "渋谷相談"}
    assert titles("?ward=shibuya&ward=shinagawa&kind=consultation") == {"渋谷相談"}
    assert titles("?topic=line") == {"渋谷LINE"}
    bad = client.get(f"/calendar/c/{raw}.ics?kind=party")
    assert bad.status_code == 400 and "kind・topic・venue" in bad.get_data(as_text=True)
    assert client.get(f"/calendar/c/{raw}.ics?ward=atlantis").status_code == 400
    assert titles(f"?venue={venue.id}") == {"渋谷LINE", "渋谷相談"}
    assert client.get(f"/calendar/c/{raw}.ics?venue=999999").status_code == 400
    assert client.get(f"/calendar/c/{raw}.ics?venue=x").status_code == 400
    assert (
        client.get(f"/calendar/c/{raw}.ics?" + "&".join(["kind=class"] * 201)).status_code == 400
    )


def test_a_coordinator_chooses_what_the_calendar_shows_with_controls(client, users, venue,
                                                                     shinagawa):  # fmt: skip
    factories.make_session(venue, starts_dt=local(4, 10), title="渋谷LINE", topics=(Topic.LINE,))
    factories.make_session(venue, starts_dt=local(4, 13), title="渋谷相談",
                           kind=SessionKind.CONSULTATION)  # fmt: skip
    factories.make_session(factories.make_venue(shinagawa), starts_dt=local(4, 10), title="品川")
    db.session.commit()
    log_in(client, users["coordinator"])
    page = client.get("/me/calendar").get_data(as_text=True)
    assert "カレンダーに出すもの" in page and 'name="ward" type="checkbox" value="shibuya"' in page
    assert f'value="{venue.id}"' in page and "?ward=" not in page

    # No address yet: saving the choice makes one, shown once with a copy button and a QR code.
    issued = client.post("/me/calendar/coordinator/choice", data={"ward": ["shibuya"],
                                                                  "kind": ["class"]})  # fmt: skip
    html = issued.get_data(as_text=True)
    assert issued.status_code == 200 and "<svg" in html and "data-copy" in html
    assert "Google" in html and "Outlook" in html and "iPhone" in html
    address = re.search(r'id="feed-address"[^>]* value="([^"]+)"', html)[1]
    path = address.removeprefix("http://localhost")
    assert "?" not in path

    def titles() -> set[str]:
        return {str(event["SUMMARY"]) for event in parse(client.get(path)).events}

    assert titles() == {"渋谷LINE"}
    # Changing the choice keeps the address; the feed follows at once.
    saved = client.post("/me/calendar/coordinator/choice", data={"venue": [str(venue.id)]})
    assert saved.status_code == 302
    assert titles() == {"渋谷LINE", "渋谷相談"}
    page = client.get("/me/calendar").get_data(as_text=True)
    assert (
        'checked id="venue-' in page or f'value="{venue.id}" checked' in page or "checked" in page
    )
    client.post("/me/calendar/coordinator/choice", data={})
    assert titles() == {"渋谷LINE", "渋谷相談", "品川"}
    # A new address keeps the choice; a choice that is not offered changes nothing.
    client.post("/me/calendar/coordinator/choice", data={"kind": ["salon"]})
    raw = services.issue_token(users["coordinator"], FeedKind.COORDINATOR)
    db.session.commit()
    assert services.live_token(users["coordinator"], FeedKind.COORDINATOR).filters == {
        "kind": ["salon"]}  # fmt: skip
    client.post("/me/calendar/coordinator/choice", data={"ward": ["atlantis"]})
    outside = client.post("/me/calendar/coordinator/choice",
                          data={"ward": ["shinagawa"], "venue": [str(venue.id)]})  # fmt: skip
    assert "選んだ区にありません" in client.get(outside.headers["Location"]).get_data(True)
    assert services.live_token(users["coordinator"], FeedKind.COORDINATOR).filters == {
        "kind": ["salon"]}  # fmt: skip
    assert client.get(f"/calendar/c/{raw}.ics").status_code == 200


def test_people_manage_their_feed_address_on_their_page(client, volunteer):
    log_in(client, volunteer)
    page = client.get("/me/calendar").get_data(as_text=True)
    assert "カレンダーのアドレスはまだありません" in page
    issued = client.post("/me/calendar/volunteer/issue").get_data(as_text=True)
    assert "/calendar/v/" in issued and "webcal://" in issued
    address = re.search(r'id="feed-address"[^>]* value="([^"]+)"', issued)[1]
    path = address.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    assert "カレンダーアプリが最後に取得" in client.get("/me/calendar").get_data(as_text=True)
    client.post("/me/calendar/volunteer/revoke", data={"confirmed": "yes"})
    assert client.get(path).status_code == 404
    assert client.post("/me/calendar/coordinator/issue").status_code == 404


def test_staff_have_no_personal_feed(client, users):
    log_in(client, users["ward_staff"])
    assert client.get("/me/calendar").status_code == 403


def test_a_volunteer_downloads_only_their_own_shift(client, lesson, volunteer, shibuya):
    mine = factories.make_shift(lesson, volunteer)
    theirs = factories.make_shift(lesson, factories.make_volunteer(shibuya), slot_number=2)
    db.session.commit()
    log_in(client, volunteer)
    [event] = parse(client.get(f"/me/shifts/{mine.id}.ics")).events
    assert str(event["UID"]) == f"shift-{mine.id}@inclusion.invalid"
    assert client.get(f"/me/shifts/{theirs.id}.ics").status_code == 404


def test_tokens_are_stored_hashed_and_one_per_feed(volunteer):
    from inclusion.calendar.models import CalendarToken

    raws = [services.issue_token(volunteer, FeedKind.VOLUNTEER) for _ in range(3)]
    db.session.commit()
    rows = db.session.scalars(sa.select(CalendarToken)).all()
    assert len(rows) == 3 and sum(row.revoked_dt is None for row in rows) == 1
    assert not {row.token_hash for row in rows} & set(raws)
    with pytest.raises(PermissionError):
        services.issue_token(volunteer, FeedKind.COORDINATOR)


def test_coordinator_role_is_checked_when_the_feed_is_read(client, users):
    coordinator = users["coordinator"]
    raw = services.issue_token(coordinator, FeedKind.COORDINATOR)
    coordinator.role = Role.WARD_STAFF
    coordinator.ward_id = users["ward_staff"].ward_id
    db.session.commit()
    assert client.get(f"/calendar/c/{raw}.ics").status_code == 404


def test_control_characters_never_break_a_feed(client, shibuya, users):
    """A title or venue stored with line breaks and escape codes (an old import, a script):
    every feed still parses, the calendar's name stays one line, nothing is injected."""
    venue = factories.make_venue(shibuya, name="会館\nLOCATION:evil")
    session = factories.make_session(venue, title="悪い\r\nX-INJECT:1\x0b\x1b[31m")
    db.session.commit()
    for path in (f"/w/shibuya/sessions/{session.id}.ics", "/w/shibuya/calendar.ics",
                 f"/w/shibuya/venues/{venue.id}/calendar.ics"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), path
        lines = text.split("\r\n")
        assert not any(line.startswith(("X-INJECT", "LOCATION:evil")) for line in lines)
        calendar = icalendar.Calendar.from_ical(text)
        summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
        assert "悪い\nX-INJECT:1[31m" in summaries
    name = icalendar.Calendar.from_ical(
        client.get(f"/w/shibuya/sessions/{session.id}.ics").get_data()
    )["X-WR-CALNAME"]
    assert str(name) == "悪い X-INJECT:1[31m"


def test_control_characters_are_dropped_as_text_comes_in():
    """The one rule the pages' fields and the API's text share: line breaks stay, escape
    codes and other controls do not."""
    from inclusion.forms import plain_text, strip_whitespace

    assert plain_text("a\r\nb\x1b[31m\x00c\x7f\x85d\te") == "a\nb[31mcd\te"
    assert strip_whitespace("  \x0bタイトル\x07 ") == "タイトル"


@pytest.mark.parametrize("alarm_minutes", [0, 60])
def test_a_feed_is_the_very_bytes_icalendar_writes(app, lesson, volunteer, alarm_minutes):
    """Lines made once per value and joined are what the library writes for the calendar
    whole: folding of long Japanese text, escaping, cancelled events, alarms, shifts."""
    from inclusion.calendar import feeds

    venue = lesson.venue
    venue.access_notes = "入口は北側です。車いすの方は、係員に声をかけてください; 駐車場なし" * 3
    cancelled = factories.make_session(venue, starts_dt=local(6, 13), title="中止の回, です")
    cancelled.status, cancelled.cancelled_dt = SessionStatus.CANCELLED, clock.now()
    cancelled.cancel_reason = "講師の体調不良のため\n（振替は後日お知らせします）"
    for days in range(7, 12):  # sharing a venue, a title, a start time
        factories.make_session(venue, starts_dt=local(days, 10), title="LINEをはじめよう")
    factories.make_shift(lesson, volunteer, role=ShiftRole.LEAD)
    db.session.commit()
    now = clock.now()
    for spec in (feeds.FeedFilter(ward_ids=(venue.ward_id,)),
                 feeds.FeedFilter(volunteer_id=volunteer.id)):  # fmt: skip
        feed = feeds.Feed("test@inclusion.invalid", "渋谷区の教室", spec,
                          feeds.default_range(), alarm_minutes)  # fmt: skip
        with app.test_request_context():
            rows = list(feeds.feed_rows(feed, now))
            calendar = feeds.new_calendar(feed.uid, feed.name)
            write = feeds.EventWriter(alarm_minutes)
            for row in rows:
                calendar.add_component(write(row))
            assert rows and b"".join(feeds.build(feed, rows)) == calendar.to_ical()


def test_a_feed_asked_on_another_host_links_to_that_host(client, lesson):
    """Without PUBLIC_BASE_URL the links follow the host asked; neither the kept feed nor
    its kept events carry one host's links to another."""
    first = client.get("/w/shibuya/calendar.ics", base_url="http://one.example.jp")
    second = client.get("/w/shibuya/calendar.ics", base_url="http://two.example.jp")
    assert b"one.example.jp" in first.get_data()
    assert b"two.example.jp" in second.get_data() and b"one.example.jp" not in second.get_data()
    assert first.headers["ETag"] != second.headers["ETag"]
