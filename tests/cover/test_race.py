"""Thirty volunteers say yes to the same offer at once: one takes the shift, the others are
told it is taken, and the session holds one place for it."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from inclusion.auth.models import User
from inclusion.cover import services
from inclusion.cover.models import CoverOffer, CoverRequest, CoverStatus, OfferAnswer
from inclusion.extensions import db
from inclusion.volunteers.models import HOLDING, Shift, ShiftOrigin
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import own_database_app
from tests.cover.conftest import helped_at, volunteer

pytestmark = pytest.mark.xdist_group("heavy")

TAKERS = 30
ROUNDS = 3


@pytest.fixture(scope="module")
def race_app(backend, tmp_path_factory):
    with own_database_app(
        backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": TAKERS + 5}
    ) as app:
        with app.app_context():
            ward = find_ward("shibuya")
            venue = factories.make_venue(ward, capacity=40)
            taker_ids = [volunteer(ward).id for _ in range(TAKERS)]
            db.session.commit()
            app.config["race"] = (venue.id, taker_ids)
        yield app


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_thirty_yeses_at_once_take_the_shift_once(race_app, round_number):
    venue_id, taker_ids = race_app.config["race"]
    with race_app.app_context():
        venue = db.session.get(factories.Venue, venue_id)
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(
            days=3, hours=4 * round_number
        )
        session = factories.make_session(
            venue, starts_dt=starts, lead_needed=0, assistants_needed=1
        )
        asker = volunteer(venue.ward)
        shift = factories.make_shift(session, asker)
        for taker_id in taker_ids:
            helped_at(db.session.get(User, taker_id), session)
        request = services.request_cover(asker, shift)
        assert len(request.offers) == TAKERS
        db.session.commit()
        request_id = request.id
    barrier = threading.Barrier(TAKERS)
    outcomes: list[str] = []

    def take(taker_id: int) -> None:
        with race_app.app_context():
            barrier.wait(timeout=60)
            try:
                answer = services.take_cover(
                    db.session.get(User, taker_id), db.session.get(CoverRequest, request_id)
                )
                db.session.commit()
                outcomes.append(str(answer.outcome))
            except Exception as error:  # anything else is a failure of the test
                db.session.rollback()
                outcomes.append(f"error: {error!r}")

    threads = [threading.Thread(target=take, args=(taker_id,)) for taker_id in taker_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == sorted(
        [OfferAnswer.TAKEN.value] + [OfferAnswer.TOO_LATE.value] * (TAKERS - 1)
    )
    with race_app.app_context():
        request = db.session.get(CoverRequest, request_id)
        assert request.status == CoverStatus.COVERED
        held = db.session.scalars(
            sa.select(Shift).where(
                Shift.session_id == request.session_id, Shift.status.in_(HOLDING)
            )
        ).all()
        assert [(s.user_id, s.origin) for s in held] == [
            (request.covered_by_id, ShiftOrigin.COVER)
        ]
        answers = db.session.scalars(
            sa.select(CoverOffer.answer).where(CoverOffer.request_id == request_id)
        ).all()
        assert sorted(answers) == sorted(outcomes)
