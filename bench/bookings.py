"""How residents' pages and booking hold up with many residents and bookings.

Fills sessions as ``session_list.py`` does, then residents with numbers and a full
class of bookings per session, and prints for each page the median time next to a bare
Flask "hello" route in the same process (the ratio is the figure) and its SQL queries.
Every resident page also writes its audit entry, as in production.

    .venv/bin/python bench/bookings.py --sessions 100000 --residents 100000 [--database-url …]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from session_list import fill as fill_sessions  # noqa: E402
from session_list import median_ms  # noqa: E402

from inclusion import create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402
from inclusion.residents.models import Booking, FollowUp, Resident, ResidentPhone  # noqa: E402
from inclusion.sessions.models import Session  # noqa: E402
from inclusion.wards.models import Ward  # noqa: E402

FAMILY = [
    "ヤマダ",
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
    "ヨシダ",
    "ヤマモト",
    "マツモト",
    "イノウエ",
    "キムラ",
    "ハヤシ",
]
GIVEN = ["ハナコ", "タロウ", "カズコ", "マコト", "サチコ", "タダシ", "ケイコ", "イサム"]
CHUNK = 10_000


def fill_residents(count: int) -> None:
    """Residents spread over the wards, each with a landline; a full class per session."""
    wards = db.session.scalars(sa.select(Ward.id).order_by(Ward.id)).all()
    now = datetime.now(UTC)
    residents, phones = [], []
    for number in range(count):
        family, given = FAMILY[number % len(FAMILY)], GIVEN[number // len(FAMILY) % len(GIVEN)]
        residents.append({"id": number + 1, "ward_id": wards[number % len(wards)],
                          "family_name": "区民", "given_name": str(number),
                          "family_kana": family, "given_kana": given,
                          "kana_key": f"{family}{given}{number:06d}",
                          "birth_year": 1940 + number % 40,
                          "reminder_channel": "voice", "needs": "", "proxy_name": "",
                          "proxy_relation": "", "proxy_gets_reminders": False,
                          "created_dt": now, "updated_dt": now})  # fmt: skip
        phones.append({"resident_id": number + 1, "e164": f"+8135555{number:04d}"[:12],
                       "kind": "landline", "position": 0})  # fmt: skip
    for start in range(0, count, CHUNK):
        db.session.execute(sa.insert(Resident), residents[start : start + CHUNK])
        db.session.execute(sa.insert(ResidentPhone), phones[start : start + CHUNK])
    by_ward: dict[int, list[int]] = {}
    for row in residents:
        by_ward.setdefault(row["ward_id"], []).append(row["id"])
    sessions = db.session.execute(
        sa.select(Session.id, Session.ward_id, Session.capacity, Session.starts_dt)
    ).all()
    rows, follow_ups, first_seen = [], [], {}
    for session_id, ward_id, capacity, starts_dt in sessions:
        past = starts_dt < now
        for place, resident_id in enumerate(random.sample(by_ward[ward_id], capacity), start=1):
            rows.append({"session_id": session_id, "resident_id": resident_id,
                         "ward_id": ward_id, "status": "attended" if past else "booked",
                         "place": place, "source": "phone", "cancel_reason": "",
                         "created_dt": now, "updated_dt": now})  # fmt: skip
            if past and resident_id not in first_seen:
                first_seen[resident_id] = (ward_id, starts_dt.date())
        if len(rows) >= CHUNK:
            db.session.execute(sa.insert(Booking), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(Booking), rows)
    for resident_id, (ward_id, first_day) in first_seen.items():
        follow_ups.append({"resident_id": resident_id, "ward_id": ward_id,
                           "first_attended_on": first_day,
                           "due_on": first_day + timedelta(days=91), "procedure": "",
                           "note": ""})  # fmt: skip
    for start in range(0, len(follow_ups), CHUNK):
        db.session.execute(sa.insert(FollowUp), follow_ups[start : start + CHUNK])
    if db.engine.dialect.name == "postgresql":
        for table in ("residents", "resident_phones", "bookings", "follow_ups"):
            db.session.execute(
                sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
            )
        db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def full_class_ahead(ward: Ward) -> int:
    """A class in three days, full, with two waiting: the roster and booking benchmarks' own."""
    venue_id = db.session.scalar(sa.select(Session.venue_id).where(Session.ward_id == ward.id))
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    session = Session(ward_id=ward.id, venue_id=venue_id, kind="class", title="満席の教室",
                      starts_dt=starts, ends_dt=starts + timedelta(hours=2), capacity=12,
                      lead_needed=1, assistants_needed=3)  # fmt: skip
    db.session.add(session)
    db.session.flush()
    people = db.session.scalars(
        sa.select(Resident.id).where(Resident.ward_id == ward.id).order_by(Resident.id).limit(14)
    ).all()
    for place, resident_id in enumerate(people, start=1):
        waiting = place > session.capacity
        db.session.add(Booking(session_id=session.id, resident_id=resident_id, ward_id=ward.id,
                               status="waitlisted" if waiting else "booked",
                               place=None if waiting else place, source="phone",
                               queued_dt=datetime.now(UTC) if waiting else None))  # fmt: skip
    db.session.commit()
    return session.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade()
        fill_sessions(args.sessions)
        fill_residents(args.residents)
        bookings = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
        ward = db.session.scalar(sa.select(Ward).where(Ward.slug == "shibuya"))
        upcoming = full_class_ahead(ward)
        resident = db.session.scalar(
            sa.select(Resident).where(Resident.ward_id == ward.id).order_by(Resident.id).limit(1)
        )
        resident_id, phone = resident.id, resident.phones[0].e164
        free_resident = db.session.scalar(
            sa.select(Resident.id)
            .where(Resident.ward_id == ward.id)
            .where(~sa.exists().where(Booking.resident_id == Resident.id))
            .limit(1)
        )
    filled_in = time.perf_counter() - started
    bare = Flask("bare")
    bare.add_url_rule("/hello", "hello", lambda: "hello")
    baseline = median_ms(bare.test_client(), "/hello", args.runs)
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.jp", "password": "bench password"})
    print(f"{args.sessions:,} sessions, {args.residents:,} residents, {bookings:,} bookings on "
          f"{sa.make_url(url).get_backend_name()} (filled in {filled_in:.0f} s); "
          f"bare hello {baseline:.2f} ms")  # fmt: skip
    print(f"{'page':<52} {'median ms':>10} {'× hello':>9} {'queries':>8}")
    national = "0" + phone[3:]
    pages = [
        "/manage/shibuya/residents?q=ヤマダ",
        f"/manage/shibuya/residents?q={national}",
        f"/manage/shibuya/residents/{resident_id}",
        f"/manage/shibuya/sessions/{upcoming}/roster",
        f"/manage/shibuya/sessions/{upcoming}/book?resident={resident_id}",
        "/manage/shibuya/follow-ups",
        "/manage/shibuya/sessions",
        "/w/shibuya",
    ]
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for path in pages:
        statements.clear()
        client.get(path)
        queries = len(statements)
        took = median_ms(client, path, args.runs)
        print(f"{path[:52]:<52} {took:>10.2f} {took / baseline:>9.0f} {queries:>8}")
    # A booking taken and cancelled again: the waiting list and locks included.
    timings = []
    for _ in range(args.runs):
        begun = time.perf_counter()
        client.post(f"/manage/shibuya/sessions/{upcoming}/book",
                    data={"resident": free_resident, "source": "phone"})  # fmt: skip
        with app.app_context():
            booking_id = db.session.scalar(
                sa.select(Booking.id).where(
                    Booking.resident_id == free_resident, Booking.status == "waitlisted"
                )
            )
        client.post(f"/manage/shibuya/bookings/{booking_id}/cancel", data={})
        timings.append(time.perf_counter() - begun)
    timings.sort()
    took = timings[len(timings) // 2] * 1000 / 2
    print(f"{'book, then cancel (per request)':<52} {took:>10.2f} {took / baseline:>9.0f}")


if __name__ == "__main__":
    main()
