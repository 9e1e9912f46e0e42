import threading
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.sessions import services
from inclusion.sessions.models import Series, Session, SessionKind
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import make_test_app, migrate_database, scratch_database


def draft(venue, day, start=time(10), end=time(11, 30), **fields):
    return services.SessionDraft(
        venue=venue,
        kind=fields.pop("kind", SessionKind.CLASS),
        title=fields.pop("title", "はじめてのスマホ"),
        day=day,
        starts_time=start,
        ends_time=end,
        capacity=fields.pop("capacity", 10),
        **fields,
    )


def test_monday_series_skips_respect_for_the_aged_day(app):
    plan = services.plan_series(date(2026, 9, 7), 1, 4, skip_holidays=True, skip_year_end=True)
    assert plan.dates == [date(2026, 9, 7), date(2026, 9, 14), date(2026, 9, 28)]
    assert plan.skipped == [(date(2026, 9, 21), "敬老の日")]


def test_tuesday_series_skips_the_citizens_holiday(app):
    plan = services.plan_series(date(2026, 9, 15), 1, 3, skip_holidays=True, skip_year_end=False)
    assert plan.dates == [date(2026, 9, 15), date(2026, 9, 29)]
    assert plan.skipped == [(date(2026, 9, 22), "国民の休日")]


def test_holidays_kept_when_asked(app):
    plan = services.plan_series(date(2026, 9, 14), 1, 3, skip_holidays=False, skip_year_end=False)
    assert plan.dates == [date(2026, 9, 14), date(2026, 9, 21), date(2026, 9, 28)]
    assert plan.skipped == []


def test_year_end_closure_and_new_year(app):
    plan = services.plan_series(date(2026, 12, 22), 1, 3, skip_holidays=True, skip_year_end=True)
    assert plan.dates == [date(2026, 12, 22), date(2027, 1, 5)]
    assert plan.skipped == [(date(2026, 12, 29), "年末年始の休み")]
    plan = services.plan_series(date(2026, 12, 25), 1, 2, skip_holidays=False, skip_year_end=True)
    assert plan.skipped == [(date(2027, 1, 1), "年末年始の休み")]


def test_fortnightly_series_over_twelve_weeks(app):
    plan = services.plan_series(date(2027, 4, 6), 2, 12, skip_holidays=True, skip_year_end=True)
    assert plan.skipped == [(date(2027, 5, 4), "みどりの日")]
    every = sorted(plan.dates + [day for day, _reason in plan.skipped])
    assert len(every) == 6
    assert all((b - a).days == 14 for a, b in zip(every, every[1:], strict=False))


def future_tuesday() -> date:
    day = clock.today() + timedelta(days=7)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def test_creating_the_same_series_twice_makes_one(app, users, shibuya):
    venue = factories.make_venue(shibuya)
    options = {"interval_weeks": 1, "weeks": 6, "skip_holidays": True, "skip_year_end": True}
    first, created = services.create_series(
        users["ward_staff"], draft(venue, future_tuesday()), **options
    )
    assert created
    again, created_again = services.create_series(
        users["ward_staff"], draft(venue, future_tuesday()), **options
    )
    assert not created_again and again.id == first.id
    sessions = db.session.scalars(sa.select(Session).where(Session.series_id == first.id)).all()
    plan = services.plan_series(future_tuesday(), 1, 6, True, True)
    assert (
        len(sessions)
        == len(plan.dates)
        == db.session.scalar(
            sa.select(sa.func.count()).select_from(Session).where(Session.venue_id == venue.id)
        )
    )


def test_series_refuses_a_room_already_taken_and_adds_nothing(app, users, shibuya):
    venue = factories.make_venue(shibuya)
    start = future_tuesday() + timedelta(weeks=2)
    factories.make_session(venue, starts_dt=clock.to_utc(start, time(11)), title="先約")
    savepoint = db.session.begin_nested()
    with pytest.raises(RuleViolation) as refused:
        services.create_series(
            users["ward_staff"],
            draft(venue, future_tuesday()),
            interval_weeks=1,
            weeks=4,
            skip_holidays=False,
            skip_year_end=False,
        )
    savepoint.rollback()
    assert "先約" in str(refused.value) and f"{start.month}月{start.day}日" in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Series)) == 0


def test_same_series_created_at_once_by_two_people(backend, tmp_path_factory):
    """Two requests with the same series at the same moment: one creates, one finds it."""
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        app = make_test_app(url)
        with app.app_context():
            venue = factories.make_venue(find_ward("shibuya"))
            db.session.commit()
            venue_id = venue.id
        barrier = threading.Barrier(2)
        results: list[tuple[int, bool]] = []

        def create() -> None:
            with app.app_context():
                barrier.wait(timeout=30)
                venue = db.session.get(factories.Venue, venue_id)
                series, created = services.create_series(
                    None,
                    draft(venue, future_tuesday()),
                    interval_weeks=1,
                    weeks=5,
                    skip_holidays=True,
                    skip_year_end=True,
                )
                db.session.commit()
                results.append((series.id, created))

        threads = [threading.Thread(target=create) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with app.app_context():
            assert sorted(created for _id, created in results) == [False, True]
            assert len({series_id for series_id, _created in results}) == 1
            expected = len(services.plan_series(future_tuesday(), 1, 5, True, True).dates)
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Session))
            assert count == expected
            db.session.remove()
            db.engine.dispose()
