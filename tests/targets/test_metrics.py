"""Each figure is one query grouped by ward and month; these check what it counts."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from inclusion import clock
from inclusion.extensions import db
from inclusion.residents.models import BookingStatus, FollowUpAnswer
from inclusion.sessions.models import SessionKind, SessionStatus
from inclusion.targets import metrics
from inclusion.targets.metrics import Scope
from inclusion.targets.models import Metric, SurveyFigure
from inclusion.targets.pace import pace
from inclusion.volunteers.models import ShiftStatus, TrainingRecord
from tests import factories

#: After the whole of FY2025 (April 2025 – March 2026), so "past" sessions count as held.
LATER = datetime(2026, 11, 1, tzinfo=UTC)
FY2025 = Scope(2025)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.to_utc(day, time(hour, minute))


@pytest.fixture
def venue(shibuya):
    return factories.make_venue(shibuya)


def session_at(venue, starts, **fields):
    return factories.make_session(venue, starts_dt=starts, **fields)


def test_the_fiscal_year_ends_at_midnight_on_31_march_in_tokyo(venue, shibuya):
    session_at(venue, local(date(2026, 3, 31), 23, 30), hours=0.25)  # FY2025
    session_at(venue, local(date(2026, 4, 1), 0, 10), hours=0.25)  # FY2026
    session_at(venue, local(date(2025, 4, 1), 0, 0), hours=1)  # FY2025's first minute
    db.session.flush()
    old = metrics.sessions_held(FY2025, LATER)
    new = metrics.sessions_held(Scope(2026), LATER)
    assert old.value() == 2 and new.value() == 1
    assert old.months() == ["2025-04", "2026-03"] and new.months() == ["2026-04"]
    assert old.value(ward_id=shibuya.id, month="2026-03") == 1


def test_held_means_marked_held_or_past_and_not_cancelled(venue):
    day = date(2025, 10, 1)
    session_at(venue, local(day, 10), status=SessionStatus.HELD, headcount=5)
    session_at(venue, local(day, 13))  # past, still "scheduled": held
    session_at(venue, local(day, 15), status=SessionStatus.CANCELLED)
    session_at(venue, local(day, 17), kind=SessionKind.CONSULTATION, slot_minutes=30)
    db.session.flush()
    figures = metrics.sessions_held(FY2025, LATER)
    assert figures.value() == 3
    assert figures.value(group="consultation") == 1
    assert metrics.consultations_held(FY2025, LATER).value() == 1
    # Before they ended, only the one marked held counts.
    assert metrics.sessions_held(FY2025, local(day, 12)).value() == 1


def test_attendances_count_visits_and_salon_headcounts_participants_count_people(venue, shibuya):
    first, second = (session_at(venue, local(date(2025, 6, day), 10)) for day in (2, 9))
    salon = session_at(venue, local(date(2025, 6, 16), 10), kind=SessionKind.SALON,
                       status=SessionStatus.HELD, headcount=12)  # fmt: skip
    cancelled_salon = session_at(venue, local(date(2025, 6, 23), 10), kind=SessionKind.SALON,
                                 status=SessionStatus.CANCELLED, headcount=9)  # fmt: skip
    regular = factories.make_resident(shibuya, birth_year=1944)  # 81 in 2025
    newcomer = factories.make_resident(shibuya, birth_year=1958)  # 67
    for session in (first, second):
        factories.make_booking(session, regular, status=BookingStatus.ATTENDED)
    factories.make_booking(second, newcomer, status=BookingStatus.ATTENDED, place=2)
    factories.make_booking(first, factories.make_resident(shibuya), place=3,
                           status=BookingStatus.NO_SHOW)  # fmt: skip
    db.session.flush()
    visits = metrics.attendances(FY2025, LATER)
    assert visits.value() == 3 + 12 and salon.headcount == 12 and cancelled_salon.headcount
    assert visits.value(group="75–84") == 2 and visits.value(group="65–74") == 1
    assert visits.value(group=metrics.SALON_VISITORS) == 12
    people = metrics.participants(FY2025)
    assert people.value() == 2 and people.value(group="75–84") == 1
    assert people.months() == ["2025-06"]
    shows = metrics.resident_no_show_rate(FY2025)
    assert shows.value() == pytest.approx(100 / 4)


def test_volunteers_trained_count_people_once_within_a_three_year_window(shibuya, shinagawa):
    both = factories.make_volunteer(shibuya, shinagawa, completed_on=date(2026, 5, 1))
    db.session.add(TrainingRecord(user_id=both.id, course="応用講座", level="lead",
                                  completed_on=date(2027, 6, 1)))  # fmt: skip
    factories.make_volunteer(shibuya, completed_on=date(2028, 12, 1))
    factories.make_volunteer(shibuya, completed_on=date(2029, 4, 1))  # after the window
    factories.make_volunteer(shibuya, completed_on=date(2026, 3, 31))  # before it
    db.session.flush()
    window = Scope(2026, 2028)
    trained = metrics.volunteers_trained(window)
    assert trained.value() == 2  # once each, though one helps in two wards
    assert trained.value(ward_id=shibuya.id) == 2 and trained.value(ward_id=shinagawa.id) == 1
    assert trained.months() == ["2026-05", "2028-12"]
    # The second course does not make a second volunteer: FY2027 trained nobody new.
    assert metrics.volunteers_trained(Scope(2027)).value() == 0
    assert metrics.volunteers_trained(Scope(2026)).value() == 1


def test_follow_up_share_leaves_out_unknown_and_pending(shibuya):
    answers = [FollowUpAnswer.YES] * 3 + [FollowUpAnswer.NO, FollowUpAnswer.UNKNOWN, None]
    for answer in answers:
        follow_up = factories.make_follow_up(factories.make_resident(shibuya),
                                             first_attended_on=date(2025, 5, 1))  # fmt: skip
        follow_up.answer = answer
    db.session.flush()
    share = metrics.online_procedure_share(FY2025, clock.now())
    assert share.value() == pytest.approx(75.0)
    assert share.count(group="unknown") == 1 and share.count(group="pending") == 1


def test_volunteer_hours_fill_rate_and_no_shows(venue, shibuya):
    session = session_at(venue, local(date(2025, 7, 1), 10), hours=2, lead_needed=1,
                         assistants_needed=3)  # fmt: skip
    people = [factories.make_volunteer(shibuya) for _ in range(3)]
    factories.make_shift(session, people[0], status=ShiftStatus.ATTENDED)
    late = factories.make_shift(session, people[1], status=ShiftStatus.ATTENDED, slot_number=2)
    late.minutes_override = 60
    factories.make_shift(session, people[2], status=ShiftStatus.NO_SHOW, slot_number=3)
    db.session.flush()
    assert metrics.volunteer_hours(FY2025).value() == pytest.approx(3.0)
    assert metrics.shift_fill_rate(FY2025, LATER).value() == pytest.approx(75.0)
    assert metrics.volunteer_no_show_rate(FY2025).value() == pytest.approx(100 / 3)


def test_survey_figures_are_weighted_by_respondents(shibuya, shinagawa):
    for ward, month, value, respondents in (
        (shibuya, date(2025, 6, 1), Decimal("90"), 30),
        (shibuya, date(2025, 9, 1), Decimal("100"), 10),
        (shinagawa, date(2025, 6, 1), Decimal("80"), 0),
    ):
        figure = SurveyFigure(ward_id=ward.id, metric=Metric.ONLINE_COMPLETION_RATE,
                              month=month, value=value, respondents=respondents)  # fmt: skip
        db.session.add(figure)
    db.session.flush()
    figures = metrics.survey(Metric.ONLINE_COMPLETION_RATE, FY2025)
    assert figures.value(ward_id=shibuya.id) == pytest.approx(92.5)
    assert figures.value(ward_id=shinagawa.id) == pytest.approx(80)
    assert figures.value() == pytest.approx((2700 + 1000 + 80) / 41)


def test_a_ward_scope_sees_its_ward_only(venue, shinagawa):
    session_at(venue, local(date(2025, 8, 1), 10))
    session_at(factories.make_venue(shinagawa), local(date(2025, 8, 1), 10))
    db.session.flush()
    assert metrics.sessions_held(FY2025, LATER).value() == 2
    assert metrics.sessions_held(Scope(2025, ward_ids=(shinagawa.id,)), LATER).value() == 1


@pytest.mark.parametrize(
    ("target", "actual", "today", "expected", "projected", "on_track", "behind"),
    [
        # 1,000 over FY2026 (365 days); 1 October is day 183: half a year gone.
        (1000, 400, date(2026, 9, 30), 1000 * 183 / 365, 400 * 365 / 183, False, 102),
        (1000, 520, date(2026, 9, 30), 1000 * 183 / 365, 520 * 365 / 183, True, 0),
        (1000, 0, date(2026, 4, 1), 1000 / 365, 0, False, 3),
        (1000, 990, date(2027, 3, 31), 1000, 990, False, 10),
        (1000, 10, date(2026, 3, 1), 0, 0, False, 0),  # before the year: nothing expected
    ],
)
def test_pace_and_projection(target, actual, today, expected, projected, on_track, behind):
    result = pace(target, actual, date(2026, 4, 1), date(2027, 3, 31), today)
    assert result.expected == pytest.approx(expected)
    assert result.projected == pytest.approx(projected)
    assert result.on_track is on_track and result.behind_by == behind


def test_pace_over_three_years():
    # 2,000 volunteers over FY2026–2028 (1,096 days with 29 Feb 2028); one year gone.
    result = pace(2000, 700, date(2026, 4, 1), date(2029, 3, 31), date(2027, 3, 31))
    assert result.expected == pytest.approx(2000 * 365 / 1096)
    assert result.projected == pytest.approx(700 * 1096 / 365) and result.on_track
    assert timedelta(days=1096) == date(2029, 4, 1) - date(2026, 4, 1)


def test_the_report_command_prints_every_metric(app, venue):
    session_at(venue, local(date(2025, 9, 1), 10), kind=SessionKind.CONSULTATION, slot_minutes=30)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["targets", "report", "--year", "2025"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "FY2025 (all wards)" and len(lines) == 1 + len(Metric)
    assert "consultations_held         1" in result.output
    assert "reminder_reach             —" in result.output
    bad = app.test_cli_runner().invoke(args=["targets", "report", "--ward", "atlantis"])
    assert bad.exit_code != 0 and "no ward 'atlantis'" in bad.output
