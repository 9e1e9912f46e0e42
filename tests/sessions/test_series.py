import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.sessions import services
from inclusion.sessions.models import HolidayRule, Series, Session, SessionKind
from inclusion.sessions.services import PlanState
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


#: Plans below are made as of this moment, before every date they ask for.
LAST_NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def plan(first, interval, weeks, rule=HolidayRule.SKIP, year_end=True, start=None):
    return services.plan_series(first, interval, weeks, rule, year_end, start, LAST_NEW_YEAR)


def left_out(made) -> list[tuple[date, str]]:
    return [(row.day, row.reason) for row in made.rows if row.state == PlanState.SKIPPED]


def test_monday_series_skips_respect_for_the_aged_day(app):
    made = plan(date(2026, 9, 7), 1, 4)
    assert made.dates == [date(2026, 9, 7), date(2026, 9, 14), date(2026, 9, 28)]
    assert left_out(made) == [(date(2026, 9, 21), "敬老の日")]


def test_tuesday_series_skips_the_citizens_holiday(app):
    made = plan(date(2026, 9, 15), 1, 3, year_end=False)
    assert made.dates == [date(2026, 9, 15), date(2026, 9, 29)]
    assert left_out(made) == [(date(2026, 9, 22), "国民の休日")]


def test_holidays_kept_when_asked(app):
    made = plan(date(2026, 9, 14), 1, 3, HolidayRule.HOLD, year_end=False)
    assert made.dates == [date(2026, 9, 14), date(2026, 9, 21), date(2026, 9, 28)]
    assert left_out(made) == []
    assert [row.reason for row in made.rows] == ["", "敬老の日", ""]


def test_a_holiday_moves_to_the_next_open_weekday(app):
    # 21 and 22 September 2026 are both holidays (敬老の日, 国民の休日), the 23rd too (秋分の日).
    made = plan(date(2026, 9, 14), 1, 3, HolidayRule.MOVE)
    assert made.dates == [date(2026, 9, 14), date(2026, 9, 24), date(2026, 9, 28)]
    moved = made.rows[1]
    assert (moved.state, moved.asked, moved.reason) == (
        PlanState.MOVED, date(2026, 9, 21), "敬老の日",
    )  # fmt: skip


def test_a_holiday_is_not_moved_onto_another_date_of_the_series(app):
    # 文化の日 (Tuesday 3 November 2026) moves to the Wednesday; Golden Week's run of
    # holidays moves a Monday to the Thursday.
    made = plan(date(2026, 10, 27), 1, 2, HolidayRule.MOVE)
    assert made.dates == [date(2026, 10, 27), date(2026, 11, 4)]
    assert plan(date(2027, 5, 3), 1, 1, HolidayRule.MOVE).dates == [date(2027, 5, 6)]
    # Over the year end the closure is not a holiday's next weekday either.
    made = plan(date(2026, 12, 22), 1, 3, HolidayRule.MOVE)
    assert made.dates == [date(2026, 12, 22), date(2027, 1, 5)]
    assert left_out(made) == [(date(2026, 12, 29), "年末年始の休み")]


def test_dates_already_passed_are_marked_not_proposed(app):
    made = services.plan_series(
        date(2026, 10, 6), 1, 3, HolidayRule.SKIP, True, time(10),
        now=clock.to_utc(date(2026, 10, 13), time(10, 30)),
    )  # fmt: skip
    assert [row.state for row in made.rows] == [PlanState.PASSED, PlanState.PASSED, PlanState.HELD]
    assert made.passed and made.dates == [date(2026, 10, 20)]


def test_year_end_closure_and_new_year(app):
    made = plan(date(2026, 12, 22), 1, 3)
    assert made.dates == [date(2026, 12, 22), date(2027, 1, 5)]
    assert left_out(made) == [(date(2026, 12, 29), "年末年始の休み")]
    made = plan(date(2026, 12, 25), 1, 2, HolidayRule.HOLD)
    assert left_out(made) == [(date(2027, 1, 1), "年末年始の休み")]


def test_fortnightly_series_over_twelve_weeks(app):
    made = plan(date(2027, 4, 6), 2, 12)
    assert left_out(made) == [(date(2027, 5, 4), "みどりの日")]
    every = [row.asked for row in made.rows]
    assert len(every) == 6
    assert all((b - a).days == 14 for a, b in zip(every, every[1:], strict=False))


def future_tuesday() -> date:
    day = clock.today() + timedelta(days=7)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def test_creating_the_same_series_twice_makes_one(app, users, shibuya):
    venue = factories.make_venue(shibuya)
    options = {"interval_weeks": 1, "weeks": 6, "holiday_rule": HolidayRule.SKIP,
               "skip_year_end": True}  # fmt: skip
    first, created = services.create_series(
        users["ward_staff"], draft(venue, future_tuesday()), **options
    )
    assert created
    again, created_again = services.create_series(
        users["ward_staff"], draft(venue, future_tuesday()), **options
    )
    assert not created_again and again.id == first.id
    sessions = db.session.scalars(sa.select(Session).where(Session.series_id == first.id)).all()
    plan = services.plan_series(future_tuesday(), 1, 6, HolidayRule.SKIP, True)
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
            holiday_rule=HolidayRule.HOLD,
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
                    holiday_rule=HolidayRule.SKIP,
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
            expected = len(
                services.plan_series(future_tuesday(), 1, 5, HolidayRule.SKIP, True).dates
            )
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Session))
            assert count == expected
            db.session.remove()
            db.engine.dispose()
