"""Planning turns bookings and shifts into outbox rows: once, on time, and never stale."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.reminders import planning
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus, ReminderStep
from inclusion.residents import bookings as booking_services
from inclusion.residents.models import BookingStatus, ReminderChannel
from inclusion.scheduler.jobs import build_scheduler, declared_jobs
from inclusion.sessions import services as session_services
from inclusion.sessions.models import SessionStatus
from inclusion.volunteers.models import VolunteerProfile
from tests import factories

TOKYO = ZoneInfo("Asia/Tokyo")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TOKYO).astimezone(UTC)


#: A Monday morning in Tokyo; the session is on Thursday.
NOW = at(date(2026, 12, 7), 8)
THURSDAY = date(2026, 12, 10)


@pytest.fixture
def session(shibuya):
    return factories.make_session(factories.make_venue(shibuya), starts_dt=at(THURSDAY, 10))


def rows() -> list[tuple]:
    return [
        (r.key, r.recipient, r.channel, r.to_e164, clock.to_local(r.due_dt), r.status)
        for r in db.session.scalars(sa.select(Reminder).order_by(Reminder.key))
    ]


def booked_before(session, resident, **fields):
    booking = factories.make_booking(session, resident, **fields)
    booking.created_dt = NOW - timedelta(days=5)
    db.session.flush()
    return booking


def test_every_recipient_gets_each_step_by_their_channel(shibuya, session):
    landline = factories.make_resident(shibuya, phones=("+81334631873",))
    mobile = factories.make_resident(
        shibuya, phones=("+81334631874", "+819012345678"), channel=ReminderChannel.SMS
    )
    with_proxy = factories.make_resident(
        shibuya,
        phones=("+81334631875",),
        proxy_phone_e164="+818011112222",
        proxy_phone_kind=PhoneKind.MOBILE,
        proxy_gets_reminders=True,
    )
    first = booked_before(session, landline, place=1)
    second = booked_before(session, mobile, place=2)
    third = booked_before(session, with_proxy, place=3)
    volunteer = factories.make_volunteer(shibuya)
    profile = db.session.get(VolunteerProfile, volunteer.id)
    profile.mobile_e164, profile.wants_sms = "+817011110303", True
    shift = factories.make_shift(session, volunteer)
    shift.claimed_dt = NOW - timedelta(days=3)
    db.session.flush()

    result = planning.plan(NOW)

    two_days, morning, evening = at(THURSDAY - timedelta(days=2), 10), at(THURSDAY, 9), None
    evening = at(THURSDAY - timedelta(days=1), 18)
    local = clock.to_local
    pending = ReminderStatus.PENDING
    assert rows() == sorted(
        [
            (f"b{first.id}:morning:resident", Recipient.RESIDENT, ReminderChannel.VOICE,
             "+81334631873", local(morning), pending),
            (f"b{first.id}:two_days_before:resident", Recipient.RESIDENT, ReminderChannel.VOICE,
             "+81334631873", local(two_days), pending),
            (f"b{second.id}:morning:resident", Recipient.RESIDENT, ReminderChannel.SMS,
             "+819012345678", local(morning), pending),
            (f"b{second.id}:two_days_before:resident", Recipient.RESIDENT, ReminderChannel.SMS,
             "+819012345678", local(two_days), pending),
            (f"b{third.id}:morning:proxy", Recipient.PROXY, ReminderChannel.SMS,
             "+818011112222", local(morning), pending),
            (f"b{third.id}:morning:resident", Recipient.RESIDENT, ReminderChannel.VOICE,
             "+81334631875", local(morning), pending),
            (f"b{third.id}:two_days_before:proxy", Recipient.PROXY, ReminderChannel.SMS,
             "+818011112222", local(two_days), pending),
            (f"b{third.id}:two_days_before:resident", Recipient.RESIDENT, ReminderChannel.VOICE,
             "+81334631875", local(two_days), pending),
            (f"s{shift.id}:day_before", Recipient.VOLUNTEER, ReminderChannel.SMS,
             "+817011110303", local(evening), pending),
        ]
    )  # fmt: skip
    assert result.planned == 9


def test_planning_three_times_gives_the_same_rows(shibuya, session):
    booked_before(session, factories.make_resident(shibuya))
    planning.plan(NOW)
    first = rows()
    ids = db.session.scalars(sa.select(Reminder.id).order_by(Reminder.id)).all()
    assert planning.plan(NOW).planned == 0
    assert planning.plan(NOW + timedelta(minutes=1)).planned == 0
    assert rows() == first and len(first) == 2
    assert db.session.scalars(sa.select(Reminder.id).order_by(Reminder.id)).all() == ids


def test_nobody_who_asked_for_no_reminders_is_planned(shibuya, session):
    opted_out = factories.make_resident(shibuya, opted_out_dt=NOW - timedelta(days=1))
    silent = factories.make_resident(shibuya, channel=ReminderChannel.NONE)
    sms_without_mobile = factories.make_resident(shibuya, channel=ReminderChannel.SMS)
    waiting = factories.make_resident(shibuya)
    for place, resident in enumerate((opted_out, silent, sms_without_mobile), start=1):
        booked_before(session, resident, place=place)
    booked_before(session, waiting, status=BookingStatus.WAITLISTED)
    volunteer = factories.make_volunteer(shibuya)  # no SMS wanted
    factories.make_shift(session, volunteer)
    planning.plan(NOW)
    # Only the one who chose SMS but has only a landline: called instead, never texted.
    planned = db.session.execute(sa.select(Reminder.resident_id, Reminder.channel)).all()
    assert planned and set(planned) == {(sms_without_mobile.id, ReminderChannel.VOICE)}


def test_a_late_booking_skips_the_steps_already_past(shibuya, session):
    booking = factories.make_booking(session, factories.make_resident(shibuya))
    booking.created_dt = at(THURSDAY - timedelta(days=1), 15)  # after the 2-days step
    db.session.flush()
    planning.plan(at(THURSDAY - timedelta(days=1), 15, 1))
    assert [key.split(":")[1] for key, *_ in rows()] == ["morning"]


def test_a_session_too_early_for_its_morning_step_gets_no_morning_call(shibuya):
    early = factories.make_session(factories.make_venue(shibuya), starts_dt=at(THURSDAY, 8, 30))
    booked_before(early, factories.make_resident(shibuya))
    planning.plan(NOW)
    # Local days, not UTC ones: 08:30 JST is 23:30 UTC the day before.
    assert [(key.split(":")[1], due) for key, _r, _c, _t, due, _s in rows()] == [
        ("two_days_before", clock.to_local(at(THURSDAY - timedelta(days=2), 10)))
    ]


def test_cancellations_and_opt_outs_cancel_pending_rows(shibuya, session, users):
    kept, cancelled, opted = (factories.make_resident(shibuya) for _ in range(3))
    staying = booked_before(session, kept, place=1)
    gone = booked_before(session, cancelled, place=2)
    booked_before(session, opted, place=3)
    planning.plan(NOW)
    gone.status = BookingStatus.CANCELLED
    opted.opted_out_dt = NOW
    db.session.flush()
    result = planning.plan(NOW + timedelta(minutes=1))
    assert result.cancelled == 4
    statuses = {key: status for key, _r, _c, _t, _d, status in rows()}
    assert sorted(statuses.values()).count(ReminderStatus.CANCELLED) == 4
    # Keys are b<booking id>:<step>:<recipient>: the kept booking's rows, by its own id.
    staying_rows = [status for key, status in statuses.items()
                    if key.startswith(f"b{staying.id}:")]  # fmt: skip
    assert staying_rows and all(status == ReminderStatus.PENDING for status in staying_rows)
    session.status = SessionStatus.CANCELLED
    db.session.flush()
    assert planning.plan(NOW + timedelta(minutes=2)).cancelled == 2
    assert {status for *_rest, status in rows()} == {ReminderStatus.CANCELLED}


def test_a_moved_session_moves_its_pending_rows(shibuya, session):
    booked_before(session, factories.make_resident(shibuya))
    planning.plan(NOW)
    session.starts_dt += timedelta(days=1)
    session.ends_dt += timedelta(days=1)
    session.updated_dt = NOW + timedelta(minutes=1)
    db.session.flush()
    result = planning.plan(NOW + timedelta(minutes=2))
    assert result.retimed == 2 and result.planned == 0
    friday = THURSDAY + timedelta(days=1)
    assert sorted(due for _k, _r, _c, _t, due, _s in rows()) == [
        clock.to_local(at(friday - timedelta(days=2), 10)),
        clock.to_local(at(friday, 9)),
    ]


def test_the_policy_is_data_per_ward(shibuya, shinagawa, session):
    step = db.session.scalar(
        sa.select(ReminderStep).where(
            ReminderStep.ward_id == shibuya.id, ReminderStep.code == "two_days_before"
        )
    )
    step.days_before, step.at_minute = 3, 14 * 60 + 30
    morning = db.session.scalar(
        sa.select(ReminderStep).where(
            ReminderStep.ward_id == shibuya.id, ReminderStep.code == "morning"
        )
    )
    morning.is_active = False
    db.session.flush()
    booked_before(session, factories.make_resident(shibuya))
    planning.plan(NOW)
    assert [(key.split(":")[1], due) for key, _r, _c, _t, due, _s in rows()] == [
        ("two_days_before", clock.to_local(at(THURSDAY - timedelta(days=3), 14, 30)))
    ]
    # Shinagawa keeps the defaults.
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                ReminderStep.ward_id == shinagawa.id, ReminderStep.is_active
            )
        )
        == 3
    )


def test_changes_reach_the_outbox_at_once(shibuya, session, users):
    first, second = (factories.make_resident(shibuya) for _ in range(2))
    leaving = booked_before(session, first, place=1)
    staying = booked_before(session, second, place=2)
    planning.plan(NOW)
    booking_services.cancel_booking(users["ward_staff"], leaving)
    assert {s for k, *_m, s in rows() if k.startswith(f"b{leaving.id}:")} == {
        ReminderStatus.CANCELLED
    }
    session_services.cancel_session(users["ward_staff"], session, "台風")
    assert {s for key, *_m, s in rows() if ":cancelled:" not in key} == {ReminderStatus.CANCELLED}
    # What is left to send is the notice that the session is cancelled.
    assert [k for k, *_m, s in rows() if s == ReminderStatus.PENDING] == [
        f"b{staying.id}:cancelled:resident"
    ]


def test_the_plan_command_acts_as_of_now_given(app, shibuya, session):
    booked_before(session, factories.make_resident(shibuya))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "plan", "--now", "2026-12-07T08:00+09:00"])
    assert result.exit_code == 0, result.output
    assert "planned 2, re-timed 0, cancelled 0" in result.output
    for bad in ("tomorrow", "2026-12-07T08:00"):
        refused = runner.invoke(args=["reminders", "plan", "--now", bad])
        assert refused.exit_code == 2 and "Traceback" not in refused.output


def test_the_scheduler_runs_the_plan_job_by_its_stable_id(app):
    scheduler = build_scheduler(app, declared_jobs())
    job = scheduler.get_job("reminders.plan")
    assert job.misfire_grace_time == 50 and job.max_instances == 1 and job.coalesce


def test_moving_a_session_re_times_its_rows_at_once(shibuya, users):
    moving = factories.make_session(
        factories.make_venue(shibuya),
        starts_dt=clock.to_utc(clock.today() + timedelta(days=3), time(10)),
    )
    factories.make_booking(moving, factories.make_resident(shibuya))
    planning.plan(clock.now())
    before = sorted(due for _k, _r, _c, _t, due, _s in rows())
    assert len(before) == 2
    start = clock.to_local(moving.starts_dt)
    draft = session_services.SessionDraft(
        venue=moving.venue,
        kind=moving.kind,
        title=moving.title,
        day=start.date() + timedelta(days=1),
        starts_time=start.time(),
        ends_time=clock.to_local(moving.ends_dt).time(),
        capacity=moving.capacity,
        lead_needed=moving.lead_needed,
        assistants_needed=moving.assistants_needed,
    )
    session_services.update_session(users["ward_staff"], moving, draft, reason="会場の都合")
    after = sorted(due for key, _r, _c, _t, due, _s in rows() if ":moved" not in key)
    assert after == [due + timedelta(days=1) for due in before]
    # And the resident is told at once.
    assert [key.split(":")[1] for key, *_ in rows() if ":moved" in key] == ["moved1"]


def test_preview_and_stats_commands(app, shibuya, session):
    booking = booked_before(session, factories.make_resident(shibuya))
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["reminders", "preview", str(booking.id)])
    assert shown.exit_code == 0, shown.output
    assert "[two_days_before, sms," in shown.output and "<Gather" in shown.output
    assert runner.invoke(args=["reminders", "preview", "99999"]).exit_code == 1
    assert runner.invoke(args=["reminders", "preview", "abc"]).exit_code == 2
    planning.plan(NOW)
    db.session.commit()
    stats = runner.invoke(args=["reminders", "stats", "--days", "366"])
    assert "voice  pending           2" in stats.output
