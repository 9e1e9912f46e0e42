"""How the session list and public page hold up with many sessions.

Prints, for each page, the median time next to a bare Flask "hello" route measured in
the same process (the ratio is the figure), and the number of SQL queries per page.

    .venv/bin/python bench/session_list.py --sessions 100000 [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inclusion import create_app  # noqa: E402
from inclusion.auth.models import Role  # noqa: E402
from inclusion.auth.services import create_user  # noqa: E402
from inclusion.extensions import db  # noqa: E402
from inclusion.sessions.models import Session, SessionTopic, Topic  # noqa: E402
from inclusion.venues.models import Venue, VenueKind  # noqa: E402
from inclusion.wards.models import Ward  # noqa: E402


def fill(count: int) -> None:
    wards = db.session.scalars(sa.select(Ward)).all()
    venues = []
    for ward in wards:
        for number in range(3):
            venue = Venue(ward=ward, name=f"会館{number}", kind=VenueKind.LIBRARY, address="-",
                          default_capacity=30)  # fmt: skip
            db.session.add(venue)
            venues.append(venue)
    db.session.flush()
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=365)
    rows, topics = [], []
    topic_values = list(Topic)
    for number in range(count):
        venue = venues[number % len(venues)]
        starts = start + timedelta(hours=number // len(venues) * 3)
        rows.append({"id": number + 1, "ward_id": venue.ward_id, "venue_id": venue.id,
                     "kind": "class", "title": f"教室 {number}", "level": "beginner",
                     "description": "", "room": "", "starts_dt": starts,
                     "ends_dt": starts + timedelta(hours=1, minutes=30), "capacity": 12,
                     "lead_needed": 1, "assistants_needed": 3, "has_device_loan": False,
                     "status": "scheduled", "cancel_reason": "", "sequence": 0,
                     "created_dt": start, "updated_dt": start})  # fmt: skip
        topics.append({"session_id": number + 1, "topic": random.choice(topic_values).value})
    for chunk in range(0, count, 10_000):
        db.session.execute(sa.insert(Session), rows[chunk : chunk + 10_000])
        db.session.execute(sa.insert(SessionTopic), topics[chunk : chunk + 10_000])
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT setval('sessions_id_seq', (SELECT max(id) FROM sessions))")
        )
        db.session.execute(sa.text("ANALYZE"))
    create_user(None, email="bench@example.jp", password="bench password", display_name="bench",
                role=Role.WARD_STAFF, ward=wards[12])  # fmt: skip
    db.session.commit()


def median_ms(client, path: str, runs: int) -> float:
    client.get(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
        fill(args.sessions)
    bare = Flask("bare")
    bare.add_url_rule("/hello", "hello", lambda: "hello")
    baseline = median_ms(bare.test_client(), "/hello", args.runs)
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.jp", "password": "bench password"})
    engine_url = sa.make_url(url)
    print(f"{args.sessions:,} sessions on {engine_url.get_backend_name()}; "
          f"bare hello {baseline:.2f} ms")  # fmt: skip
    print(f"{'page':<48} {'median ms':>10} {'× hello':>9} {'queries':>8}")
    today = datetime.now(UTC).date()
    pages = [
        "/manage/shibuya/sessions",
        "/manage/shibuya/sessions?topic=line",
        f"/manage/shibuya/sessions?date_from={today - timedelta(days=300)}&status=scheduled",
        f"/manage/shibuya/calendar?view=month&date={today}",
        "/w/shibuya",
    ]
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    for path in pages:
        statements.clear()
        client.get(path)
        queries = len(statements)
        took = median_ms(client, path, args.runs)
        print(f"{path[:48]:<48} {took:>10.2f} {took / baseline:>9.0f} {queries:>8}")


if __name__ == "__main__":
    main()
