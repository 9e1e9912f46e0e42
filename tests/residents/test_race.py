"""Twenty staff at once: eight cancel seats while twelve book new residents into a full class.

Never more seated than the capacity, every place held once, and the waiting list
moves strictly in order: nobody is skipped.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.residents import bookings
from inclusion.residents.models import SEATED, Booking, BookingSource, BookingStatus, Resident
from inclusion.sessions.models import Session
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import own_database_app

# Processes or many connections of its own: one such test at a time (PostgreSQL takes 100).
pytestmark = pytest.mark.xdist_group("heavy")

CAPACITY = 10
SEATED_AT_START = 10
WAITING_AT_START = 2
CANCELLING = 8
BOOKING = 12
ROUNDS = 5


@pytest.fixture(scope="module")
def race_app(backend, tmp_path_factory):
    """Its own database with committed data: each thread has its own connection."""
    with own_database_app(
        backend,
        tmp_path_factory,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": CANCELLING + BOOKING + 5},
    ) as app:
        with app.app_context():
            ward = find_ward("shibuya")
            venue = factories.make_venue(ward, capacity=40)
            db.session.commit()
            app.config["race"] = (ward.id, venue.id)
        yield app


def prepare(race_app, round_number: int) -> tuple[int, list[int], list[int], list[int]]:
    """A full class with a short waiting list; returns it, seats to cancel, people to book."""
    ward_id, venue_id = race_app.config["race"]
    with race_app.app_context():
        ward = db.session.get(factories.Ward, ward_id)
        venue = db.session.get(factories.Venue, venue_id)
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(
            days=2, hours=4 * round_number
        )
        session = factories.make_session(venue, starts_dt=starts, capacity=CAPACITY)
        made = [
            bookings.book_resident(
                None, factories.make_resident(ward), session, BookingSource.PHONE
            )
            for _ in range(SEATED_AT_START + WAITING_AT_START)
        ]
        newcomers = [factories.make_resident(ward).id for _ in range(BOOKING)]
        db.session.commit()
        first_waiting = [b.id for b in made[SEATED_AT_START:]]
        return session.id, [b.id for b in made[:CANCELLING]], newcomers, first_waiting


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_cancellations_and_bookings_at_once(race_app, round_number):
    session_id, to_cancel, newcomers, first_waiting = prepare(race_app, round_number)
    barrier = threading.Barrier(CANCELLING + BOOKING)
    errors: list[str] = []

    def run(action) -> None:
        with race_app.app_context():
            barrier.wait(timeout=30)
            try:
                action()
                db.session.commit()
            except Exception as error:  # any refusal or error fails the test
                db.session.rollback()
                errors.append(repr(error))

    def cancel(booking_id: int):
        return lambda: bookings.cancel_booking(None, db.session.get(Booking, booking_id))

    def book(resident_id: int):
        return lambda: bookings.book_resident(
            None,
            db.session.get(Resident, resident_id),
            db.session.get(Session, session_id),
            BookingSource.PHONE,
        )

    threads = [threading.Thread(target=run, args=(cancel(b),)) for b in to_cancel] + [
        threading.Thread(target=run, args=(book(r),)) for r in newcomers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with race_app.app_context():
        rows = db.session.scalars(
            sa.select(Booking).where(
                Booking.session_id == session_id, Booking.status != BookingStatus.CANCELLED
            )
        ).all()
        seated = [b for b in rows if b.status.value in SEATED]
        waiting = [b for b in rows if b.status == BookingStatus.WAITLISTED]
        live = SEATED_AT_START + WAITING_AT_START - CANCELLING + BOOKING
        assert len(rows) == live
        assert len(seated) == CAPACITY
        assert sorted(b.place for b in seated) == list(range(1, CAPACITY + 1))
        # Nobody skipped: the first two waiting were seated; everyone promoted queued before
        # everyone still waiting; a newcomer seated at once came when nobody was waiting.
        assert {b.id for b in seated} >= set(first_waiting)
        first_still_waiting = min((b.queued_dt, b.id) for b in waiting)
        promoted = [(b.queued_dt, b.id) for b in seated if b.queued_dt is not None]
        assert max(promoted) < first_still_waiting
        seated_at_once = [
            b.created_dt for b in seated if b.resident_id in newcomers and not b.queued_dt
        ]
        assert all(created <= first_still_waiting[0] for created in seated_at_once)
        assert len(waiting) == live - CAPACITY
