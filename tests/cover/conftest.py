"""A ward with a class and volunteers to ask for cover, and the moments tests act at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest

from inclusion import clock
from inclusion.auth.models import User
from inclusion.reminders.media import Medium
from inclusion.sessions.models import Session, SessionStatus
from inclusion.volunteers.models import Shift, ShiftRole, ShiftStatus
from inclusion.wards.models import Ward
from tests import factories
from tests.reminders.fake_twilio import FakeTwilio


def volunteer(*wards: Ward, by: Medium = Medium.EMAIL, mobile: str | None = None, **fields):
    """A trained volunteer who is asked for cover ``by`` mail, SMS or a call."""
    person = factories.make_volunteer(*wards, **fields)
    profile = person.volunteer_profile
    profile.offers_by = by
    profile.mobile_e164 = mobile or (None if by == Medium.EMAIL else f"+8190{person.id:08d}")
    return person


def helped_at(person: User, session: Session) -> Shift:
    """An attended shift at a past session of ``session``'s venue: they know the venue."""
    past = factories.make_session(
        session.venue,
        # A moment of its own: one venue holds one session at a time.
        starts_dt=session.starts_dt - timedelta(days=30, minutes=person.id),
        status=SessionStatus.HELD,
        lead_needed=0,
        assistants_needed=0,
    )
    return factories.make_shift(past, person, status=ShiftStatus.ATTENDED)


@dataclass
class Scene:
    ward: Ward
    session: Session
    asker: User
    shift: Shift
    #: Has helped at the venue: asked in the first wave.
    regular: User
    #: Qualified but new to the venue: asked in the second.
    newcomer: User


@pytest.fixture
def scene(shibuya) -> Scene:
    venue = factories.make_venue(shibuya)
    session = factories.make_session(venue, lead_needed=0, assistants_needed=2)
    asker = volunteer(shibuya)
    shift = factories.make_shift(session, asker, ShiftRole.ASSISTANT)
    regular, newcomer = volunteer(shibuya), volunteer(shibuya)
    helped_at(regular, session)
    return Scene(shibuya, session, asker, shift, regular, newcomer)


def calling_time(session: Session) -> datetime:
    """10:00 tomorrow: inside every calling window, after offers are due, before the class."""
    moment = clock.to_utc(clock.today() + timedelta(days=1), time(10))
    assert moment < session.starts_dt
    return moment


@pytest.fixture(scope="module")
def fake_twilio():
    with FakeTwilio() as server:
        yield server
