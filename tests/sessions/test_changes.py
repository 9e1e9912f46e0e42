from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.sessions import services
from inclusion.sessions.models import HolidayRule, SessionStatus
from inclusion.sessions.signals import session_cancelled, session_changed
from tests import factories
from tests.sessions.test_series import draft, future_tuesday


@pytest.fixture
def series_sessions(app, users, shibuya):
    venue = factories.make_venue(shibuya)
    series, _created = services.create_series(
        users["ward_staff"],
        draft(venue, future_tuesday()),
        interval_weeks=1,
        weeks=4,
        holiday_rule=HolidayRule.HOLD,
        skip_year_end=False,
    )
    return sorted(
        db.session.scalars(
            sa.select(services.Session).where(services.Session.series_id == series.id)
        ),
        key=lambda s: s.starts_dt,
    )


def test_moving_bumps_sequence_audits_why_and_signals(users, series_sessions):
    session = series_sessions[0]
    received = []
    new_day = clock.to_local(session.starts_dt).date()
    with session_changed.connected_to(lambda sender, **kw: received.append((sender, kw))):
        services.update_session(
            users["ward_staff"],
            session,
            draft(session.venue, new_day, time(14), time(15, 30)),
            reason="会場の都合",
        )
    assert session.sequence == 1
    assert clock.to_local(session.starts_dt).time() == time(14)
    assert received[0][0] is session and received[0][1]["moved"]
    assert received[0][1]["changes"]["starts_dt"]
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "session.move"))
    assert entry.details["reason"] == "会場の都合" and entry.actor_id == users["ward_staff"].id
    assert [s.sequence for s in series_sessions[1:]] == [0, 0, 0]


def test_one_session_moves_to_another_day(users, series_sessions):
    session = series_sessions[0]
    next_day = clock.to_local(session.starts_dt).date() + timedelta(days=1)
    services.update_session(
        users["ward_staff"], session, draft(session.venue, next_day), reason="祝日のため"
    )
    assert clock.to_local(session.starts_dt).date() == next_day
    assert session.sequence == 1


def test_moving_needs_a_reason(users, series_sessions):
    session = series_sessions[0]
    day = clock.to_local(session.starts_dt).date()
    with pytest.raises(RuleViolation) as refused:
        services.update_session(
            users["ward_staff"], session, draft(session.venue, day, time(14), time(15))
        )
    assert refused.value.field == "reason"


def test_a_change_calendars_do_not_show_keeps_the_sequence(users, series_sessions):
    session = series_sessions[0]
    day = clock.to_local(session.starts_dt).date()
    services.update_session(users["ward_staff"], session, draft(session.venue, day, capacity=8))
    assert session.capacity == 8 and session.sequence == 0
    services.update_session(
        users["ward_staff"], session, draft(session.venue, day, capacity=8, title="新しい名前")
    )
    assert session.sequence == 1


def test_changing_all_later_sessions_of_a_series(users, series_sessions):
    second = series_sessions[1]
    day = clock.to_local(second.starts_dt).date()
    changed = services.update_session(
        users["ward_staff"],
        second,
        draft(second.venue, day, time(13), time(14, 30)),
        reason="午後に変更",
        scope="future",
    )
    assert changed == series_sessions[1:]
    assert clock.to_local(series_sessions[0].starts_dt).time() == time(10)
    for session in series_sessions[1:]:
        assert clock.to_local(session.starts_dt).time() == time(13)
        assert session.sequence == 1


def test_the_whole_series_cannot_change_date(users, series_sessions):
    first = series_sessions[0]
    later = clock.to_local(first.starts_dt).date() + timedelta(days=1)
    with pytest.raises(RuleViolation) as refused:
        services.update_session(
            users["ward_staff"], first, draft(first.venue, later), "x", "future"
        )
    assert refused.value.field == "day"


def test_cancel_one_or_all_later(users, series_sessions):
    received = []
    with session_cancelled.connected_to(lambda sender, **kw: received.append(sender)):
        services.cancel_session(users["ward_staff"], series_sessions[0], "講師の急病")
        services.cancel_session(
            users["ward_staff"], series_sessions[2], "会場工事", scope="future"
        )
    statuses = [s.status for s in series_sessions]
    assert (
        statuses
        == [SessionStatus.CANCELLED, SessionStatus.SCHEDULED] + [SessionStatus.CANCELLED] * 2
    )
    assert [s.sequence for s in series_sessions] == [1, 0, 1, 1]
    assert series_sessions[0].cancel_reason == "講師の急病"
    assert received == [series_sessions[0], series_sessions[2], series_sessions[3]]
    with pytest.raises(RuleViolation):
        services.cancel_session(users["ward_staff"], series_sessions[0], "again")
    with pytest.raises(RuleViolation):
        services.update_session(
            users["ward_staff"],
            series_sessions[0],
            draft(series_sessions[0].venue, clock.to_local(series_sessions[0].starts_dt).date()),
        )


def test_cancelled_session_frees_the_room(users, series_sessions):
    first = series_sessions[0]
    services.cancel_session(users["ward_staff"], first, "中止")
    day = clock.to_local(first.starts_dt).date()
    replacement = services.create_session(
        users["ward_staff"], draft(first.venue, day, title="代わりの講座")
    )
    assert replacement.starts_dt == first.starts_dt


def test_mark_held_only_after_start(users, shibuya):
    venue = factories.make_venue(shibuya)
    upcoming = factories.make_session(venue)
    with pytest.raises(RuleViolation):
        services.mark_held(users["ward_staff"], upcoming, 5)
    past = factories.make_session(venue, starts_dt=clock.now() - timedelta(days=1))
    services.mark_held(users["ward_staff"], past, 7)
    assert past.status == SessionStatus.HELD and past.headcount == 7
    with pytest.raises(RuleViolation):
        services.mark_held(users["ward_staff"], past, -1)


def test_default_volunteer_needs_follow_the_ratio(app, shibuya):
    assert services.default_needs(services.SessionKind.CLASS, 12) == (1, 3)
    assert services.default_needs(services.SessionKind.CLASS, 13) == (1, 4)
    assert services.default_needs(services.SessionKind.CONSULTATION, 4) == (0, 1)
    app.config["PARTICIPANTS_PER_ASSISTANT"] = 6
    assert services.default_needs(services.SessionKind.CLASS, 12) == (1, 2)


def test_a_session_cannot_move_to_another_wards_venue(users, shinagawa, series_sessions):
    session = series_sessions[0]
    elsewhere = factories.make_venue(shinagawa)
    day = clock.to_local(session.starts_dt).date()
    with pytest.raises(RuleViolation) as refused:
        services.update_session(users["admin"], session, draft(elsewhere, day), reason="x")
    assert refused.value.field == "venue" and session.venue_id != elsewhere.id


def test_no_new_sessions_at_a_venue_out_of_use(users, shibuya):
    venue = factories.make_venue(shibuya, is_active=False)
    for create in (
        lambda: services.create_session(users["ward_staff"], draft(venue, future_tuesday())),
        lambda: services.create_series(
            users["ward_staff"], draft(venue, future_tuesday()), interval_weeks=1, weeks=2,
            holiday_rule=HolidayRule.HOLD, skip_year_end=False,
        ),
    ):  # fmt: skip
        with pytest.raises(RuleViolation) as refused:
            create()
        assert refused.value.field == "venue"


def test_moving_onto_another_session_s_very_start_is_a_clash_not_an_error(users, shibuya):
    """The room's unique index (venue, room, start) must not meet the move before the
    check does: the change waits until every check has passed."""
    first, second = factories.make_venue(shibuya), factories.make_venue(shibuya)
    taken = factories.make_session(first)
    moving = factories.make_session(second)
    day = clock.to_local(taken.starts_dt)
    with pytest.raises(RuleViolation, match=taken.title):
        services.update_session(
            users["ward_staff"],
            moving,
            draft(first, day.date(), day.time(), (day + timedelta(hours=1)).time()),
            reason="会場の都合",
        )
