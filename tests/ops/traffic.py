"""Real traffic against gunicorn: the data, the clients, the checks afterwards, and a
PostgreSQL server of the test's own that it may stop and start."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from urllib3.util.retry import Retry

from inclusion import clock
from inclusion.api import services as api_services
from inclusion.api.models import ApiScope
from inclusion.extensions import db
from inclusion.residents.models import SEATED, Booking
from tests import factories
from tests.conftest import make_test_app, ready_ward
from tests.test_gunicorn import free_port

SESSIONS, CAPACITY, RESIDENTS, VOLUNTEERS = 8, 3, 120, 30
ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
ACTIONS = ("page", "list", "book", "book", "cancel", "claim")


def fill(url: str) -> dict:
    """Small classes, residents with numbers, volunteers, and a key for the load."""
    app = make_test_app(url)
    with app.app_context():
        ward = ready_ward("shibuya", "03-3463-1211")
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


@contextmanager
def gunicorn_serving(url: str, folder: Path) -> Iterator[str]:
    """gunicorn with ``gunicorn.conf.py`` (2 workers x 4 threads) on ``url``; yields its base URL.

    Its log is ``folder / "gunicorn.log"``: a pipe nobody reads fills up and stops every
    worker mid-request.
    """
    port = free_port()
    # Kept-alive connections stay open: gunicorn closes one idle for 2 s, or all of a
    # worker it replaces, and a write sent on it at that instant is lost in transit (a
    # browser sends it again; these clients rightly never resend a write). On a loaded
    # machine a client thread can wait 2 s for the CPU between two requests.
    environ = {**os.environ, "DATABASE_URL": url, "WEB_BIND": f"127.0.0.1:{port}",
               "API_RATE_LIMIT": "1000000 per minute", "RATELIMIT_STORAGE_URI": "memory://",
               "WEB_MAX_REQUESTS": "0", "GUNICORN_CMD_ARGS": "--keep-alive 120",
               "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")}  # fmt: skip
    with (folder / "gunicorn.log").open("wb") as log_file:
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
            yield base
        finally:
            process.terminate()
            process.wait(timeout=60)


@dataclass
class Outcome:
    """One request a client made: when it began, what it was, and how it ended."""

    began: float
    action: str
    ended: float = 0.0
    status: int | None = None
    mimetype: str = ""
    retry_after: str | None = None
    text: str = ""
    error: str = ""

    def __str__(self) -> str:
        return f"{self.action}: {self.error or self.status} {self.text[:200]}"


def run_clients(base: str, data: dict, clients: int, seconds: float) -> list[Outcome]:
    """``clients`` threads reading pages and booking, cancelling and claiming via the API."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    headers = data["headers"]

    def client(seed: int) -> None:
        pick = random.Random(seed)
        session = requests.Session()
        # As a browser does, a read sent on a kept-alive connection that the server closed
        # at that moment (its keep-alive time ran out) is sent again; writes are not.
        session.mount(base, requests.adapters.HTTPAdapter(max_retries=Retry(
            total=1, connect=1, read=1, status=0, allowed_methods={"GET"},
            respect_retry_after_header=False,  # a 503 is an answer, to count, not to wait on
        )))  # fmt: skip
        mine: list[int] = []
        while time.monotonic() < stop:
            action = pick.choice(ACTIONS)
            session_id = pick.choice(data["sessions"])
            outcome = Outcome(time.monotonic(), action)
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
                    outcome.action = "claim"
                    response = session.post(
                        f"{base}/api/v1/sessions/{session_id}/shifts", headers=headers,
                        json={"volunteer_id": pick.choice(data["volunteers"]),
                              "role": "assistant"}, timeout=30,
                    )  # fmt: skip
            except requests.RequestException as error:
                outcome.error = repr(error)
            else:
                outcome.status = response.status_code
                outcome.mimetype = response.headers.get("Content-Type", "").split(";")[0]
                outcome.retry_after = response.headers.get("Retry-After")
                outcome.text = response.text
            outcome.ended = time.monotonic()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return outcomes


def check_invariants(url: str) -> None:
    """No class over its capacity, no place twice, no reminder row twice."""
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


class PrivatePostgreSQL:
    """A PostgreSQL server in a folder of its own, on a free port, for stopping and starting.

    The shared server other tests use is never touched. As root, the server runs as the
    ``postgres`` account, since PostgreSQL refuses to run as root.
    """

    def __init__(self, bin_dir: Path, folder: Path) -> None:
        self.bin_dir, self.folder = bin_dir, folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.folder}'\nfsync = off\n")  # fmt: skip

    def start(self) -> None:
        self._run("pg_ctl", "start", "-D", str(self.data), "-w", "-l", str(self.folder / "log"))

    def stop(self) -> None:
        """Stop as a restart does: every connection cut, new ones refused."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")


def server_programs() -> Path | None:
    """Where PostgreSQL's ``initdb`` and ``pg_ctl`` are, if installed here."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
    bin_dir = Path(found.stdout.strip())
    return bin_dir if (bin_dir / "initdb").exists() else None


#: For tests that stop and start a server of their own.
needs_server_programs = pytest.mark.skipif(
    server_programs() is None,
    reason="PostgreSQL's server programs (initdb, pg_ctl) are not installed",
)


@contextmanager
def private_postgresql() -> Iterator[PrivatePostgreSQL]:
    """A running private server, removed afterwards (see ``needs_server_programs``)."""
    # Under /tmp, not pytest's folder: the postgres account must reach it.
    folder = Path(tempfile.mkdtemp(prefix="inclusion-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = PrivatePostgreSQL(server_programs(), folder)
    try:
        server.create()
        server.start()
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
