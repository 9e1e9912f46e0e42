"""Dispatcher processes killed with SIGKILL while Twilio holds their requests.

What was claimed by a killed process stays ``sending`` until its lease ends, then becomes
``unknown``: never resent, so nobody is called twice. The rest goes out once.
"""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.reminders import planning
from inclusion.reminders.dispatch import LEASE
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.residents.models import ReminderChannel
from tests import factories
from tests.conftest import make_test_app, migrate_database, ready_ward, scratch_database
from tests.reminders.fake_twilio import FakeTwilio
from tests.reminders.test_planning import NOW, THURSDAY, at

# Processes or many connections of its own: one such test at a time (PostgreSQL takes 100).
pytestmark = pytest.mark.xdist_group("heavy")

FLASK = str(Path(sys.executable).with_name("flask"))
PROCESSES = 3
RESIDENTS = 800
MOMENT = at(THURSDAY - timedelta(days=2), 10, 30)
#: After every lease taken at MOMENT has ended.
LATER = MOMENT + timedelta(minutes=10)


def seed(url: str, residents: int = RESIDENTS) -> None:
    app = make_test_app(url)
    with app.app_context():
        ward = ready_ward("shibuya", "03-3463-1211")
        for number in range(residents // 4):
            venue = factories.make_venue(ward)
            session = factories.make_session(venue, starts_dt=at(THURSDAY, 10 + number % 8))
            for place in range(1, 5):
                # A mobile each: messages to one number go one at a time.
                mobile = f"+8190{number * 4 + place:08d}"
                resident = factories.make_resident(
                    ward, phones=(mobile,), channel=ReminderChannel.SMS
                )
                booking = factories.make_booking(session, resident, place=place)
                booking.created_dt = NOW - timedelta(days=5)
        db.session.flush()
        planning.plan(NOW)
        db.session.commit()
        db.engine.dispose()


def dispatchers(
    url: str, fake: FakeTwilio, *options: str, count: int = PROCESSES
) -> list[subprocess.Popen]:
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "x",
        "REMINDER_CHANNEL": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_SMS_FROM": "+815012345678",
        "TWILIO_VOICE_FROM": "+81312345678",
        "TWILIO_API_BASE_URL": fake.url,
        "TWILIO_TIMEOUT_SECONDS": "120",
        "PUBLIC_BASE_URL": "https://inclusion.example.jp",
        "REMINDER_SMS_PER_SECOND": "0",
    }
    command = [FLASK, "--app", "inclusion", "reminders", "dispatch", *options]
    return [
        subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(count)
    ]


def reminder_ids(fake: FakeTwilio) -> list[int]:
    """Which reminder each request to the fake was for, from its per-reminder callback URL."""
    pattern = re.compile(r"/twilio/status/(\d+)$")
    return [int(pattern.search(posted.form["StatusCallback"])[1]) for posted in fake.posted]


def finish(url: str, fake: FakeTwilio, moment) -> dict[int, ReminderStatus]:
    """Let fresh dispatchers send what is left at ``moment``; each reminder's status."""
    for process in dispatchers(url, fake, "--once", "--now", moment.isoformat()):
        _out, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode()[-2000:]
    app = make_test_app(url)
    with app.app_context():
        statuses = dict(
            db.session.execute(
                sa.select(Reminder.id, Reminder.status).where(Reminder.kind == "two_days_before")
            ).all()
        )
        db.session.remove()
        db.engine.dispose()
    return statuses


def test_killed_dispatchers_never_send_twice(backend, tmp_path_factory):
    with scratch_database(backend, tmp_path_factory) as url, FakeTwilio() as fake:
        migrate_database(url)
        seed(url)
        fake.hang_seconds = 300
        fake.answer(*["hang"] * RESIDENTS)
        first = dispatchers(url, fake, "--now", MOMENT.isoformat())
        try:
            deadline = time.monotonic() + 60
            while len(fake.posted) < PROCESSES and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # let every sender thread reach the fake
            assert len(fake.posted) >= PROCESSES, "the dispatchers never called Twilio"
        finally:
            for process in first:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
                process.stderr.close()
        held = set(reminder_ids(fake))
        assert len(held) == len(fake.posted)
        fake.reset()
        fake.released.set()

        rows = finish(url, fake, LATER)
    resent = reminder_ids(fake)
    assert len(rows) == RESIDENTS
    assert len(resent) == len(set(resent)), "a reminder went out twice in one round"
    assert held.isdisjoint(resent), "a reminder held by a killed dispatcher was sent again"
    assert {rows[reminder_id] for reminder_id in held} == {ReminderStatus.UNKNOWN}
    assert {rows[reminder_id] for reminder_id in resent} == {ReminderStatus.SENT}
    # Claimed but never posted before the kill: lost (visible, resendable), not sent.
    assert set(rows.values()) == {ReminderStatus.SENT, ReminderStatus.UNKNOWN}
    assert len(resent) + len(held) < RESIDENTS


ROUNDS = 10
#: A killed dispatcher loses what it had claimed (two batches of 100): enough for each round.
MANY = 2400


def test_a_dispatcher_killed_and_restarted_ten_times_never_sends_twice(
    backend, tmp_path_factory, tmp_path
):
    with scratch_database(backend, tmp_path_factory) as url, FakeTwilio() as fake:
        migrate_database(url)
        seed(url, MANY)
        fake.hang_seconds = 0.2  # each send takes a moment: kills land mid-send
        fake.answer(*["hang"] * MANY)
        for round_number in range(ROUNDS):
            # Each round a little later, so the leases a killed round held have run out.
            moment = MOMENT + round_number * (LEASE + timedelta(minutes=1))
            [process] = dispatchers(url, fake, "--now", moment.isoformat(), count=1)
            posted = len(fake.posted)
            deadline = time.monotonic() + 30
            while len(fake.posted) < posted + 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            process.stderr.close()
        fake.released.set()
        statuses = finish(url, fake, MOMENT + ROUNDS * (LEASE + timedelta(minutes=1)))
    sent = reminder_ids(fake)
    assert len(sent) == len(set(sent)), "a reminder reached Twilio twice"
    assert set(statuses.values()) <= {ReminderStatus.SENT, ReminderStatus.UNKNOWN}
    assert {statuses[reminder_id] for reminder_id in sent} <= {
        ReminderStatus.SENT, ReminderStatus.UNKNOWN
    }  # fmt: skip
    assert len(statuses) == MANY and len(sent) >= ROUNDS * 5  # each round was mid-send
