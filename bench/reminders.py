"""How fast reminders are planned and sent.

1. Plan: bookings in the coming days (a full class each), then one ``plan`` run; seconds.
2. Dispatch: due SMS reminders sent through the real ``twilio`` client to a fake Twilio on
   127.0.0.1 in its own process (pacing off), next to bare ``requests`` posting the same
   forms to the same fake in the same run, as many at once as the dispatcher sends
   (``dispatch.SENDERS``, one shared session as the twilio client has), the two by turns in
   rounds: sends per second and the ratio — what our client, outbox and database add to
   the sending itself.

    .venv/bin/python bench/reminders.py --bookings 1000000 --sends 10000 [--database-url …]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask
import flask_migrate
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inclusion import create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402
from inclusion.line.models import LineFriend, LineLink  # noqa: E402
from inclusion.reminders import dispatch, planning  # noqa: E402
from inclusion.reminders.models import Reminder  # noqa: E402
from inclusion.residents.models import Booking, Resident, ResidentPhone  # noqa: E402
from inclusion.sessions.models import Session  # noqa: E402
from inclusion.venues.models import Venue, VenueKind  # noqa: E402
from inclusion.wards.models import Ward  # noqa: E402

CHUNK = 10_000
SEATS = 12
#: Sends in rounds, ours and bare posts by turns; the figure is the median round's.
ROUNDS = 10


def fill(bookings: int) -> int:
    """Full classes starting in 2-3 days (their 2-days step is due now), with SMS residents."""
    wards = db.session.scalars(sa.select(Ward).order_by(Ward.id)).all()
    for ward in wards:  # every reminder says whom to call
        ward.booking_phone = ward.booking_phone or f"03-5550-{ward.id:04d}"
    venues = [Venue(ward=ward, name=f"会館{n}", kind=VenueKind.LIBRARY, address="-",
                    default_capacity=SEATS) for ward in wards for n in range(3)]  # fmt: skip
    db.session.add_all(venues)
    db.session.flush()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    sessions = bookings // SEATS
    rows, residents, phones, seats = [], [], [], []
    for number in range(sessions):
        venue = venues[number % len(venues)]
        starts = now + timedelta(days=2, minutes=number // len(venues))
        rows.append({"id": number + 1, "ward_id": venue.ward_id, "venue_id": venue.id,
                     "kind": "class", "title": f"教室 {number}", "level": "beginner",
                     "description": "", "room": "", "starts_dt": starts,
                     "ends_dt": starts + timedelta(hours=1), "capacity": SEATS,
                     "lead_needed": 1, "assistants_needed": 3, "has_device_loan": False,
                     "status": "scheduled", "cancel_reason": "", "sequence": 0,
                     "created_dt": now, "updated_dt": now})  # fmt: skip
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(Session), rows[start : start + CHUNK])
    for number in range(sessions * SEATS):
        session = rows[number // SEATS]
        residents.append({"id": number + 1, "ward_id": session["ward_id"], "family_name": "区民",
                          "given_name": "", "family_kana": "クミン", "given_kana": "",
                          "kana_key": "クミン", "reminder_channel": "sms", "needs": "",
                          "proxy_name": "", "proxy_relation": "", "proxy_gets_reminders": False,
                          "created_dt": now - timedelta(days=30),
                          "updated_dt": now})  # fmt: skip
        # A mobile each: messages to one number go one at a time.
        phones.append({"resident_id": number + 1, "e164": f"+8190{number:08d}", "kind": "mobile",
                       "position": 0})  # fmt: skip
        seats.append({"session_id": session["id"], "resident_id": number + 1,
                      "ward_id": session["ward_id"], "status": "booked",
                      "place": number % SEATS + 1, "source": "phone", "cancel_reason": "",
                      "created_dt": now - timedelta(days=30), "updated_dt": now})  # fmt: skip
    for start in range(0, len(residents), CHUNK):
        db.session.execute(sa.insert(Resident), residents[start : start + CHUNK])
        db.session.execute(sa.insert(ResidentPhone), phones[start : start + CHUNK])
        db.session.execute(sa.insert(Booking), seats[start : start + CHUNK])
    if db.engine.dialect.name == "postgresql":
        for table in ("sessions", "residents", "resident_phones", "bookings"):
            db.session.execute(
                sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
            )
        db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return len(seats)


@contextmanager
def fake_twilio_process() -> Iterator[str]:
    """The fake Twilio in a process of its own, as Twilio is: it must not share our GIL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.reminders.fake_twilio"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def plan_with_line(share: int, without_line: float) -> None:
    """The same plan again with a LINE account set up and ``share`` % of the residents
    linked: what choosing LINE first adds to planning, as a ratio in the same run."""
    app = flask.current_app
    app.config["LINE_ACCOUNTS"] = {"shared": {"secret": "0" * 32, "token": "bench",
                                              "basic_id": "@bench"}}  # fmt: skip
    db.session.execute(sa.delete(Reminder))
    residents = db.session.scalars(sa.select(Resident.id).order_by(Resident.id)).all()
    linked = residents[:: max(1, 100 // share)]
    now = datetime.now(UTC)
    friends = [{"id": n + 1, "account": "shared", "line_user_id": f"U{n:032x}",
                "wrong_codes": 0, "created_dt": now} for n in range(len(linked))]  # fmt: skip
    links = [{"friend_id": n + 1, "resident_id": resident_id, "ward_id": 1, "linked_dt": now}
             for n, resident_id in enumerate(linked)]  # fmt: skip
    for start in range(0, len(links), CHUNK):
        db.session.execute(sa.insert(LineFriend), friends[start : start + CHUNK])
        db.session.execute(sa.insert(LineLink), links[start : start + CHUNK])
    db.session.commit()
    began = time.perf_counter()
    result = planning.plan(datetime.now(UTC))
    db.session.commit()
    took = time.perf_counter() - began
    by_line = db.session.scalar(sa.select(sa.func.count()).where(Reminder.channel == "line"))
    print(f"plan with LINE ({len(linked):,} linked): {result.planned:,} rows, {by_line:,} by "
          f"LINE, in {took:.1f} s; {took / without_line:.2f} × the plan without LINE")  # fmt: skip
    app.config["LINE_ACCOUNTS"] = {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--line-share",
        type=int,
        default=10,
        help="percent of residents linked to LINE for a second plan (0: none)",
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    with fake_twilio_process() as fake_url:
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "REMINDER_CHANNEL": "twilio",
                "TWILIO_ACCOUNT_SID": "ACbench",
                "TWILIO_AUTH_TOKEN": "bench",
                "TWILIO_SMS_FROM": "BENCH",
                "TWILIO_API_BASE_URL": fake_url,
                "PUBLIC_BASE_URL": "https://bench.example.jp",
                "REMINDER_SMS_PER_SECOND": "0",
            }
        )
        with app.app_context():
            flask_migrate.upgrade()
            booked = fill(args.bookings)
            began = time.perf_counter()
            result = planning.plan(datetime.now(UTC))
            db.session.commit()
            planned_in = time.perf_counter() - began
            backend = db.engine.dialect.name
            print(f"plan: {booked:,} bookings on {backend}: {result.planned:,} rows "
                  f"in {planned_in:.1f} s")  # fmt: skip
            # Keep only the first N due: the dispatch figure is for N sends, in rounds.
            due = db.session.scalars(
                sa.select(Reminder.id).where(Reminder.kind == "two_days_before")
                .order_by(Reminder.id).limit(args.sends)
            ).all()  # fmt: skip
            db.session.execute(
                sa.update(Reminder).where(Reminder.id.not_in(due)).values(status="cancelled")
            )
            db.session.commit()
            # When the last of them is due: 10:00 in Tokyo, within SMS hours, whatever the
            # time of day the bench runs at.
            last_due = db.session.scalar(
                sa.select(sa.func.max(Reminder.due_dt)).where(Reminder.status == "pending")
            )
            moment = last_due.replace(tzinfo=UTC)
            # Each round's rows fall due when it starts.
            size = -(-len(due) // ROUNDS)
            rounds = [due[start : start + size] for start in range(0, len(due), size)]
            db.session.execute(
                sa.update(Reminder)
                .where(Reminder.status == "pending")
                .values(due_dt=moment + timedelta(days=1))
            )
            db.session.commit()
            if backend == "postgresql":
                # What autovacuum does within a minute of a million new rows and as many
                # cancelled: done before the clock starts, not while the sends are timed
                # (it took a core of two for minutes, and the bare baseline fell by half).
                with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                ) as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
                    connection.exec_driver_sql("CHECKPOINT")
            form = {"To": "+819012345678", "From": "BENCH",
                    "Body": "【渋谷区】12/10(木)10:00 教室",
                    "StatusCallback": "https://bench.example.jp/twilio/status/1"}  # fmt: skip
            bare_url = f"{fake_url}/2010-04-01/Accounts/ACbench/Messages.json"

            def ours(ids: list[int]) -> tuple[int, float]:
                """This round's rows fall due; the dispatcher sends them."""
                db.session.execute(
                    sa.update(Reminder).where(Reminder.id.in_(ids)).values(due_dt=moment)
                )
                db.session.commit()
                began = time.perf_counter()
                sent = dispatch.dispatch_once(moment).sent
                return sent, time.perf_counter() - began

            def bare(count: int) -> float:
                with requests.Session() as http, ThreadPoolExecutor(dispatch.SENDERS) as pool:
                    began = time.perf_counter()
                    posts = [
                        pool.submit(http.post, bare_url, data=form, auth=("ACbench", "bench"),
                                    timeout=10)
                        for _ in range(count)
                    ]  # fmt: skip
                    for post in posts:
                        post.result().raise_for_status()
                    return time.perf_counter() - began

            # Ours and bare by turns, each first every other round: this machine's speed
            # drifts within a minute, and one comparison at the end took the drift as ours.
            timed = []  # per round: sent, our seconds, bare seconds
            for number, ids in enumerate(rounds):
                if number % 2:
                    bare_seconds = bare(len(ids))
                    sent, seconds = ours(ids)
                else:
                    sent, seconds = ours(ids)
                    bare_seconds = bare(len(ids))
                timed.append((sent, seconds, bare_seconds))
            if args.line_share:
                # Last: the sends above are of SMS alone.
                plan_with_line(args.line_share, planned_in)
    sent = sum(round_sent for round_sent, _, _ in timed)
    ours_rate = sent / sum(seconds for _, seconds, _ in timed)
    bare_rate = sent / sum(seconds for _, _, seconds in timed)
    # The median round: a burst of the machine's own work spoils one round, not the figure.
    shares = sorted(bare_seconds / our_seconds for _, our_seconds, bare_seconds in timed)
    print(f"dispatch: {sent:,} SMS in {ROUNDS} rounds, {ours_rate:.0f}/s through twilio "
          f"+ outbox; bare requests {bare_rate:.0f}/s; rounds {shares[0]:.2f}–{shares[-1]:.2f}; "
          f"ratio {statistics.median(shares):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
