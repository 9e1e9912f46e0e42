"""How fast a calendar feed is built and how cheap an unchanged one is.

1. Build: a ward feed of 10,000 events through the app (query, events, serialisation),
   first with no event kept from before (the figure), then again with the events the
   first build kept; next to ``icalendar`` serialising the same 10,000 events already
   built (the aim: the first build at most 1.3 times that).
2. Unchanged: the same feed asked again with its ETag (304), and without it (from the
   cache), next to a bare Flask "hello" route in the same process.

    .venv/bin/python bench/calendar_feeds.py --events 10000 [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inclusion import create_app  # noqa: E402
from inclusion.calendar import feeds  # noqa: E402
from inclusion.extensions import cache, db  # noqa: E402
from inclusion.sessions.models import Session  # noqa: E402
from inclusion.venues.models import Venue, VenueKind  # noqa: E402
from inclusion.wards.services import find_ward  # noqa: E402

RUNS = 5


def fill(count: int) -> None:
    """``count`` sessions of Shibuya spread over the coming months, three a day per venue."""
    ward = find_ward("shibuya")
    venues = [
        Venue(ward=ward, name=f"会館{n}", kind=VenueKind.LIBRARY, address="渋谷区宇田川町1-1",
              default_capacity=12)
        for n in range(10)
    ]  # fmt: skip
    db.session.add_all(venues)
    db.session.flush()
    start = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    rows = []
    for number in range(count):
        venue = venues[number % len(venues)]
        slot = number // len(venues)
        starts = start + timedelta(days=slot // 3, hours=2 * (slot % 3))
        rows.append({"ward_id": ward.id, "venue_id": venue.id, "kind": "class",
                     "title": f"スマホ教室 {number}", "level": "beginner",
                     "description": "はじめての方向けの講座です。", "room": "第1会議室",
                     "starts_dt": starts, "ends_dt": starts + timedelta(hours=1, minutes=30),
                     "capacity": 12, "lead_needed": 1, "assistants_needed": 3,
                     "has_device_loan": True, "status": "scheduled", "cancel_reason": "",
                     "sequence": 0, "created_dt": start, "updated_dt": start})  # fmt: skip
    db.session.execute(sa.insert(Session), rows)
    db.session.commit()


def seconds(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def best(action) -> float:
    """The fastest of a few runs, in seconds."""
    return min(seconds(action) for _ in range(RUNS))


def median_ms(action, runs: int = 200) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    app.add_url_rule("/hello", "hello", lambda: "hello")
    with app.app_context():
        flask_migrate.upgrade()
        fill(args.events)
        ward = find_ward("shibuya")
        feed = feeds.Feed(
            uid=f"ward-shibuya@{feeds.uid_domain()}",
            name="渋谷区 スマホ教室・相談会",
            filter=feeds.FeedFilter(ward_ids=(ward.id,)),
            range=feeds.requested_range(None, None),
        )
        with app.test_request_context():
            now = datetime.now(UTC)
            events = sum(1 for _row in feeds.feed_rows(feed, now))
            first = seconds(lambda: b"".join(feeds.build(feed, feeds.feed_rows(feed, now))))
            again = best(lambda: b"".join(feeds.build(feed, feeds.feed_rows(feed, now))))
            calendar = feeds.new_calendar(feed.uid, feed.name)
            write = feeds.EventWriter()
            for row in feeds.feed_rows(feed, now):
                calendar.add_component(write(row))
            library = best(calendar.to_ical)
        backend = db.engine.dialect.name
    print(f"build: {events:,} events on {backend}: first {first:.2f} s through the app "
          f"({again:.2f} s again, its events kept); icalendar serialising them prebuilt "
          f"{library:.2f} s; ratio {first / library:.2f}")  # fmt: skip

    client = app.test_client()
    first = client.get("/w/shibuya/calendar.ics")
    assert first.status_code == 200, first.status_code
    etag = first.headers["ETag"]
    hello = median_ms(lambda: client.get("/hello"))
    not_modified = median_ms(
        lambda: client.get("/w/shibuya/calendar.ics", headers={"If-None-Match": etag})
    )
    cached = median_ms(lambda: client.get("/w/shibuya/calendar.ics"), runs=50)
    with app.app_context():
        cache.clear()
    print(f"304 with the ETag: {not_modified:.1f} ms; whole feed from the cache: "
          f"{cached:.1f} ms; bare hello {hello:.2f} ms "
          f"(304 is {not_modified / hello:.0f}× hello)")  # fmt: skip


if __name__ == "__main__":
    main()
