"""Four dispatchers on one outbox at once: every reminder goes out exactly once."""

import logging
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.reminders import dispatch, planning
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.residents.models import ReminderChannel
from tests import factories
from tests.conftest import own_database_app, ready_ward
from tests.reminders.test_planning import NOW, THURSDAY, at

# Processes or many connections of its own: one such test at a time (PostgreSQL takes 100).
pytestmark = pytest.mark.xdist_group("heavy")

DISPATCHERS = 4
SESSIONS = 50
PER_SESSION = 4


class Collect(logging.Handler):
    """Keeps every message logged to it (``handle`` holds the handler's lock around emit)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def outbox_app(backend, tmp_path_factory):
    with own_database_app(
        backend,
        tmp_path_factory,
        REMINDER_SMS_PER_SECOND="0",
        REMINDER_CALLS_PER_SECOND="0",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": DISPATCHERS + 2},
    ) as app:
        with app.app_context():
            ward = ready_ward("shibuya", "03-3463-1211")
            for number in range(SESSIONS):
                venue = factories.make_venue(ward)
                session = factories.make_session(venue, starts_dt=at(THURSDAY, 10 + number % 8))
                for place in range(1, PER_SESSION + 1):
                    # A mobile each: messages to one number go one at a time.
                    mobile = f"+8190{number * PER_SESSION + place:08d}"
                    resident = factories.make_resident(
                        ward, phones=(mobile,), channel=ReminderChannel.SMS
                    )
                    booking = factories.make_booking(session, resident, place=place)
                    booking.created_dt = NOW - timedelta(days=5)
            db.session.flush()
            planning.plan(NOW)
            db.session.commit()
        yield app


def test_four_dispatchers_send_each_row_exactly_once(outbox_app):
    collect = Collect()
    channel_log = logging.getLogger("inclusion.reminders.channels")
    channel_log.addHandler(collect)
    channel_log.setLevel(logging.INFO)
    barrier = threading.Barrier(DISPATCHERS)
    errors: list[str] = []
    moment = at(THURSDAY - timedelta(days=2), 10, 30)

    def run() -> None:
        with outbox_app.app_context():
            barrier.wait(timeout=30)
            try:
                dispatch.dispatch_once(moment, batch=10)
            except Exception as error:  # any error fails the test
                errors.append(repr(error))

    threads = [threading.Thread(target=run) for _ in range(DISPATCHERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        channel_log.removeHandler(collect)
    assert errors == []
    with outbox_app.app_context():
        rows = db.session.execute(
            sa.select(Reminder.id, Reminder.status, Reminder.attempts).where(
                Reminder.kind == "two_days_before"
            )
        ).all()
    assert len(rows) == SESSIONS * PER_SESSION
    assert {(status, attempts) for _id, status, attempts in rows} == {(ReminderStatus.SENT, 1)}
    sent_ids = [message.split("(reminder ")[1].split(")")[0] for message in collect.messages]
    assert sorted(map(int, sent_ids)) == sorted(row_id for row_id, _s, _a in rows)
