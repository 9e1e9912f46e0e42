"""Fifty volunteers press "claim" on the last places at once: exactly those places are filled."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from inclusion.auth.models import User
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.sessions.models import Session
from inclusion.volunteers import services
from inclusion.volunteers.models import HOLDING, Shift, ShiftRole
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import own_database_app

# Processes or many connections of its own: one such test at a time (PostgreSQL takes 100).
pytestmark = pytest.mark.xdist_group("heavy")

VOLUNTEERS = 50
PLACES = 3
ROUNDS = 20


@pytest.fixture(scope="module")
def race_app(backend, tmp_path_factory):
    """Its own database with committed data: each thread has its own connection."""
    with own_database_app(
        backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": VOLUNTEERS + 5}
    ) as app:
        with app.app_context():
            ward = find_ward("shibuya")
            venue = factories.make_venue(ward, capacity=40)
            volunteer_ids = [factories.make_volunteer(ward).id for _ in range(VOLUNTEERS)]
            db.session.commit()
            app.config["race"] = (venue.id, volunteer_ids)
        yield app


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_fifty_claims_on_three_places(race_app, round_number):
    venue_id, volunteer_ids = race_app.config["race"]
    with race_app.app_context():
        venue = db.session.get(factories.Venue, venue_id)
        # Far enough apart that one volunteer's rounds never overlap.
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(
            days=2, hours=4 * round_number
        )
        session = factories.make_session(
            venue, starts_dt=starts, lead_needed=0, assistants_needed=PLACES
        )
        db.session.commit()
        session_id = session.id
    barrier = threading.Barrier(VOLUNTEERS)
    outcomes: list[str] = []

    def claim(volunteer_id: int) -> None:
        with race_app.app_context():
            barrier.wait(timeout=60)
            volunteer = db.session.get(User, volunteer_id)
            target = db.session.get(Session, session_id)
            try:
                services.claim_shift(volunteer, target, ShiftRole.ASSISTANT)
                db.session.commit()
                outcomes.append("claimed")
            except RuleViolation:
                db.session.rollback()
                outcomes.append("full")
            except Exception as error:  # anything else is a failure of the test
                db.session.rollback()
                outcomes.append(f"error: {error!r}")

    threads = [threading.Thread(target=claim, args=(vid,)) for vid in volunteer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [o for o in outcomes if o.startswith("error")] == []
    assert outcomes.count("claimed") == PLACES
    assert outcomes.count("full") == VOLUNTEERS - PLACES
    with race_app.app_context():
        held = db.session.scalars(
            sa.select(Shift).where(Shift.session_id == session_id, Shift.status.in_(HOLDING))
        ).all()
        assert len(held) == PLACES
        assert sorted(shift.slot_number for shift in held) == list(range(1, PLACES + 1))
        assert len({shift.user_id for shift in held}) == PLACES
