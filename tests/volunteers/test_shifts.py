from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.sessions.models import SessionStatus
from inclusion.volunteers import services
from inclusion.volunteers.models import ShiftRole, ShiftStatus, TrainingLevel
from inclusion.volunteers.signals import shift_claimed, shift_released
from tests import factories


@pytest.fixture
def venue(shibuya):
    return factories.make_venue(shibuya)


@pytest.fixture
def session(venue):
    return factories.make_session(venue, lead_needed=1, assistants_needed=2)


def claim_refused(volunteer, session, role=ShiftRole.ASSISTANT) -> str:
    with pytest.raises(RuleViolation) as refused:
        services.claim_shift(volunteer, session, role)
    return str(refused.value)


def test_claim_signals_and_audits(shibuya, session):
    volunteer = factories.make_volunteer(shibuya)
    received = []
    with shift_claimed.connected_to(lambda shift, **kw: received.append(shift)):
        shift = services.claim_shift(volunteer, session, ShiftRole.ASSISTANT)
    assert (shift.slot_number, shift.status) == (1, ShiftStatus.CLAIMED)
    assert received == [shift]
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "shift.claim"))


def test_no_claim_beyond_the_places_of_a_role(shibuya, session):
    for _ in range(2):
        services.claim_shift(factories.make_volunteer(shibuya), session, ShiftRole.ASSISTANT)
    assert "すべて埋まっています" in claim_refused(factories.make_volunteer(shibuya), session)


def test_only_lead_trained_volunteers_take_a_lead_place(shibuya, session):
    assistant = factories.make_volunteer(shibuya, level=TrainingLevel.ASSISTANT)
    assert "講師として研修" in claim_refused(assistant, session, ShiftRole.LEAD)
    lead = factories.make_volunteer(shibuya, level=TrainingLevel.LEAD)
    assert services.claim_shift(lead, session, ShiftRole.LEAD).role == ShiftRole.LEAD
    other_lead = factories.make_volunteer(shibuya, level=TrainingLevel.LEAD)
    assert "すべて埋まっています" in claim_refused(other_lead, session, ShiftRole.LEAD)
    assert services.claim_shift(other_lead, session, ShiftRole.ASSISTANT)


def test_expired_or_missing_training_blocks_claims(shibuya, session):
    expired = factories.make_volunteer(
        shibuya, completed_on=date(2024, 4, 1), expires_on=clock.today() - timedelta(days=1)
    )
    assert "有効期限が切れています" in claim_refused(expired, session)
    untrained = factories.make_volunteer(shibuya, level=None)
    assert "研修の記録が必要です" in claim_refused(untrained, session)
    services.add_training(
        None, expired, course="再講習", level=TrainingLevel.ASSISTANT, completed_on=clock.today()
    )
    assert services.claim_shift(expired, session, ShiftRole.ASSISTANT)


def test_no_overlapping_shifts_with_travel_buffer(shibuya, venue, session):
    volunteer = factories.make_volunteer(shibuya)
    services.claim_shift(volunteer, session, ShiftRole.ASSISTANT)
    # Starts 20 minutes after the first ends: inside the 30-minute buffer.
    close = factories.make_session(
        venue, starts_dt=session.ends_dt + timedelta(minutes=20), room="B"
    )
    assert "近すぎます" in claim_refused(volunteer, close)
    later = factories.make_session(
        venue, starts_dt=session.ends_dt + timedelta(minutes=40), room="C"
    )
    assert services.claim_shift(volunteer, later, ShiftRole.ASSISTANT)


def test_claim_once_and_not_on_cancelled_past_foreign_or_paused(
    shibuya, shinagawa, venue, session
):
    volunteer = factories.make_volunteer(shibuya)
    services.claim_shift(volunteer, session, ShiftRole.ASSISTANT)
    assert "すでに" in claim_refused(volunteer, session)
    cancelled = factories.make_session(
        venue, starts_dt=clock.now() + timedelta(days=9), status=SessionStatus.CANCELLED
    )
    assert "中止" in claim_refused(volunteer, cancelled)
    past = factories.make_session(venue, starts_dt=clock.now() - timedelta(hours=1))
    assert "始まっています" in claim_refused(volunteer, past)
    elsewhere = factories.make_session(factories.make_venue(shinagawa))
    assert "活動していない区" in claim_refused(volunteer, elsewhere)
    paused = factories.make_volunteer(shibuya)
    paused.volunteer_profile.is_paused = True
    assert "休止中" in claim_refused(paused, session)


def test_release_until_the_cutoff_then_only_staff(app, users, shibuya, venue):
    volunteer = factories.make_volunteer(shibuya)
    soon = factories.make_session(venue, starts_dt=clock.now() + timedelta(hours=30))
    shift = services.claim_shift(volunteer, soon, ShiftRole.ASSISTANT)
    app.config["SHIFT_RELEASE_CUTOFF_HOURS"] = 48
    with pytest.raises(RuleViolation) as refused:
        services.release_shift(volunteer, shift)
    assert "区役所に電話" in str(refused.value)
    received = []
    with shift_released.connected_to(lambda s, **kw: received.append(kw)):
        short = services.release_shift(users["ward_staff"], shift)
    assert short and received[0]["session_short"] and received[0]["by_staff"]
    assert shift.status == ShiftStatus.RELEASED
    app.config["SHIFT_RELEASE_CUTOFF_HOURS"] = 24
    again = services.claim_shift(volunteer, soon, ShiftRole.ASSISTANT)
    assert again.slot_number == 1
    assert services.release_shift(volunteer, again) is True


def test_someone_elses_shift_cannot_be_released(shibuya, session):
    owner, other = factories.make_volunteer(shibuya), factories.make_volunteer(shibuya)
    shift = services.claim_shift(owner, session, ShiftRole.ASSISTANT)
    with pytest.raises(RuleViolation):
        services.release_shift(other, shift)


def test_hours_from_attendance(users, shibuya, venue):
    volunteer = factories.make_volunteer(shibuya)
    past = factories.make_session(venue, starts_dt=clock.now() - timedelta(days=1), hours=1.5)
    shift = factories.make_shift(past, volunteer)
    assert shift.minutes == 0
    services.record_attendance(users["ward_staff"], shift, attended=True)
    assert shift.minutes == 90
    services.record_attendance(users["ward_staff"], shift, attended=True, minutes=60)
    assert shift.minutes == 60
    services.record_attendance(users["ward_staff"], shift, attended=False)
    assert shift.status == ShiftStatus.NO_SHOW and shift.minutes == 0
    upcoming = factories.make_shift(factories.make_session(venue), volunteer)
    with pytest.raises(RuleViolation):
        services.record_attendance(users["ward_staff"], upcoming, attended=True)


def test_mobile_numbers(app):
    assert services.parse_mobile("090-1234-5678") == "+819012345678"
    assert services.parse_mobile("０８０１２３４５６７８") == "+818012345678"
    assert services.parse_mobile("") is None
    for bad in ("03-3463-1873", "12345", "abc", "050-1234-5678"):
        with pytest.raises(RuleViolation):
            services.parse_mobile(bad)
