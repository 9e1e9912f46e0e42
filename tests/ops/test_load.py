"""Fifty clients for thirty seconds against gunicorn (2 workers x 4 threads) on PostgreSQL,
reading pages and booking, cancelling and claiming through the API at once: no error,
no class over its capacity, no place or reminder twice."""

import os
import random
import subprocess
import sys
import threading
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from inclusion import clock
from inclusion.api import services as api_services
from inclusion.api.models import ApiScope
from inclusion.extensions import db
from inclusion.residents.models import SEATED, Booking
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import BACKENDS, make_test_app, migrate_database, scratch_database
from tests.test_gunicorn import free_port

CLIENTS = 50
SECONDS = float(os.environ.get("INCLUSION_LOAD_SECONDS", "30"))
SESSIONS, CAPACITY, RESIDENTS, VOLUNTEERS = 8, 3, 120, 30
ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def fill(url: str) -> dict:
    """Small classes, residents with numbers, volunteers, and a key for the load."""
    app = make_test_app(url)
    with app.app_context():
        ward = find_ward("shibuya")
        day = clock.today() + timedelta(days=2)
        sessions = []
        for number in range(SESSIONS):
            venue = factories.make_venue(ward)
            starts = clock.to_utc(day, clock_time(9 + number))
            sessions.append(factories.make_session(venue, starts_dt=starts, capacity=CAPACITY).id)
        residents = [factories.make_resident(ward, phones=(f"+8135555{n:04d}",)).id
                     for n in range(RESIDENTS)]  # fmt: skip
        volunteers = [factories.make_volunteer(ward).id for _ in range(VOLUNTEERS)]
        _key, secret = api_services.create_key(None, "load", list(ApiScope), None)
        db.session.commit()
        db.engine.dispose()
    return {"sessions": sessions, "residents": residents, "volunteers": volunteers,
            "headers": {"Authorization": f"Bearer {secret}"}}  # fmt: skip


@pytest.mark.parametrize("server", [name for name in BACKENDS if name == "postgresql"])
def test_fifty_clients_for_thirty_seconds(server, tmp_path_factory, tmp_path):
    with scratch_database(server, tmp_path_factory) as url:
        migrate_database(url)
        data = fill(url)
        port = free_port()
        environ = {**os.environ, "DATABASE_URL": url, "WEB_BIND": f"127.0.0.1:{port}",
                   "API_RATE_LIMIT": "1000000 per minute", "RATELIMIT_STORAGE_URI": "memory://",
                   "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}  # fmt: skip
        # Logs to a file: a pipe nobody reads fills up and stops every worker mid-request.
        log_file = (tmp_path / "gunicorn.log").open("wb")
        process = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
                                   cwd=ROOT, env=environ, stdout=log_file,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"{base}/healthz", timeout=5).ok:
                        break
                except requests.RequestException:  # still starting
                    time.sleep(0.3)
            errors, counts = run_load(base, data)
        finally:
            process.terminate()
            process.wait(timeout=60)
            log_file.close()
        assert not errors, errors[:10]
        assert sum(counts.values()) > CLIENTS * 5, counts  # real traffic, not a trickle
        check_invariants(url, data)


def run_load(base: str, data: dict) -> tuple[list[str], dict[str, int]]:
    errors: list[str] = []
    counts: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS
    headers = data["headers"]

    def client(seed: int) -> None:
        pick = random.Random(seed)
        session = requests.Session()
        mine: list[int] = []
        while time.monotonic() < stop:
            action = pick.choice(("page", "list", "book", "book", "cancel", "claim"))
            session_id = pick.choice(data["sessions"])
            try:
                if action == "page":
                    response = session.get(f"{base}/w/shibuya", timeout=30)
                elif action == "list":
                    response = session.get(f"{base}/api/v1/wards/shibuya/sessions", timeout=30)
                elif action == "book":
                    response = session.post(
                        f"{base}/api/v1/sessions/{session_id}/bookings", headers=headers,
                        json={"resident_id": pick.choice(data["residents"])}, timeout=30,
                    )  # fmt: skip
                    if response.status_code == 201:
                        mine.append(response.json()["id"])
                elif action == "cancel" and mine:
                    booking = mine.pop(pick.randrange(len(mine)))
                    response = session.post(f"{base}/api/v1/bookings/{booking}/cancel",
                                            headers=headers, json={}, timeout=30)  # fmt: skip
                else:
                    response = session.post(
                        f"{base}/api/v1/sessions/{session_id}/shifts", headers=headers,
                        json={"volunteer_id": pick.choice(data["volunteers"]),
                              "role": "assistant"}, timeout=30,
                    )  # fmt: skip
            except requests.RequestException as error:
                with lock:
                    errors.append(f"{action}: {error!r}")
                continue
            with lock:
                counts[action] = counts.get(action, 0) + 1
                if response.status_code >= 500 or response.status_code in (401, 403, 429):
                    errors.append(f"{action}: {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    return errors, counts


def check_invariants(url: str, data: dict) -> None:
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        over = connection.execute(
            sa.select(Booking.session_id, sa.func.count())
            .where(Booking.status.in_(SEATED))
            .group_by(Booking.session_id)
            .having(sa.func.count() > CAPACITY)
        ).all()
        assert over == [], "a class holds more than its capacity"
        twice = connection.execute(sa.text(
            "SELECT session_id, place FROM bookings WHERE status IN ('booked', 'attended', "
            "'no_show') GROUP BY session_id, place HAVING count(*) > 1"
        )).all()  # fmt: skip
        assert twice == [], "a place given twice"
        reminder_keys = connection.execute(sa.text(
            "SELECT key FROM reminders GROUP BY key HAVING count(*) > 1"
        )).all()  # fmt: skip
        assert reminder_keys == [], "a reminder row twice"
        booked = connection.execute(sa.select(sa.func.count()).select_from(Booking)).scalar()
        assert booked > 0
    engine.dispose()
