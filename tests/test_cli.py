import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from inclusion import clock
from inclusion.auth.models import Role, User
from inclusion.auth.services import find_user_by_email
from inclusion.cli import DEMO_USERS
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.residents import queries as residents_queries
from inclusion.residents.models import Booking, BookingStatus, ReminderChannel, Resident
from inclusion.scheduler.jobs import JobSpec, Leadership, build_scheduler
from inclusion.sessions.models import Session, SessionKind, SessionStatus
from inclusion.venues.models import Venue
from inclusion.volunteers.models import Shift, TrainingRecord
from inclusion.wards.services import find_ward
from tests import factories


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_create_user_with_ward_by_name_or_code(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--email", "A@Example.jp", "--password", "long enough pw",
              "--role", "ward_staff", "--ward", "shibuya"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created ward_staff a@example.jp in shibuya" in result.output
    assert find_user_by_email("a@example.jp").ward.code == "131130"
    result = runner.invoke(
        args=["create-user", "--email", "b@example.jp", "--password", "long enough pw",
              "--role", "ward_staff", "--ward", "131091", "--name", "品川 花子"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert find_user_by_email("b@example.jp").ward.slug == "shinagawa"
    assert find_user_by_email("b@example.jp").display_name == "品川 花子"


def test_create_user_errors_are_clear_and_change_nothing(app):
    runner = app.test_cli_runner()
    before = user_count()
    cases = [
        (["--role", "ward_staff", "--ward", "atlantis"], "no ward called 'atlantis'"),
        (["--role", "ward_staff"], "区職員には所属する区が必要です"),
        (["--role", "emperor"], "'emperor' is not one of"),
    ]
    for extra, message in cases:
        args = ["create-user", "--email", "x@example.jp", "--password", "long enough pw", *extra]
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert message in result.output
        assert "Traceback" not in result.output
    result = runner.invoke(
        args=["create-user", "--email", "x@example.jp", "--password", "short", "--role", "admin"]
    )
    assert result.exit_code == 1 and "10文字以上" in result.output
    assert user_count() == before


def test_create_user_refuses_a_second_account_for_an_address(app):
    runner = app.test_cli_runner()
    args = ["create-user", "--email", "x@example.jp", "--password", "long enough pw"]
    assert runner.invoke(args=[*args, "--role", "admin"]).exit_code == 0
    result = runner.invoke(args=[*args, "--role", "coordinator"])
    assert result.exit_code == 1 and "すでにあります" in result.output


def row_counts() -> list[int]:
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, Venue, Session, Shift, TrainingRecord, Resident, Booking)
    ]


def test_demo_is_idempotent_and_prints_log_ins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "shibuya: 3 venues" in first.output
    counts = row_counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert row_counts() == counts
    assert "0 account(s) added" in second.output
    for email, _name, role, ward in DEMO_USERS:
        assert email in second.output
        user = find_user_by_email(email)
        assert user.role == role
        assert (user.ward.slug if user.ward else None) == (ward if role != Role.ADMIN else None)
    # The log-ins come last, with every ward an account works in, as the README lists them.
    logins = runner.invoke(args=["demo", "--logins"]).output
    assert second.output.endswith(logins)
    assert "volunteer3@example.jp        shinagawa, shibuya" in logins
    assert "admin@example.jp             all wards" in logins


def test_demo_programme_is_current(app):
    app.test_cli_runner().invoke(args=["demo"])
    for slug in ("shibuya", "shinagawa"):
        ward = find_ward(slug)
        sessions = db.session.scalars(sa.select(Session).where(Session.ward_id == ward.id)).all()
        kinds = {session.kind for session in sessions}
        assert kinds == set(SessionKind)
        upcoming = [s for s in sessions if s.starts_dt > clock.now()]
        assert any(s.starts_dt < clock.now() + timedelta(days=7) for s in upcoming)
        assert any(s.status == SessionStatus.HELD and s.headcount for s in sessions)
        assert ward.booking_phone
    shifts = db.session.scalars(sa.select(Shift)).all()
    assert len(shifts) >= 5 and all(shift.session.starts_dt > clock.now() for shift in shifts)


def test_check_reports_problems_then_ok(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "no active admin" in result.output
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "wards:      23" in result.output
    assert "calendars:  UIDs @inclusion.invalid, cache SimpleCache" in result.output
    assert "warning:    set CALENDAR_DOMAIN" in result.output
    # Warnings are not problems, but the last line does not read as all clear either.
    assert "warning:    REMINDER_CHANNEL=console: reminders are written" in result.output
    assert "warning:    PUBLIC_BASE_URL is not set: Twilio's webhooks" in result.output
    assert "warning:    METRICS_TOKEN is not set" in result.output
    assert result.output.rstrip().endswith("ok, with 4 warning(s) above")
    app.config["CALENDAR_DOMAIN"] = "inclusion.city.shibuya.tokyo.jp"
    result = runner.invoke(args=["check"])
    assert result.output.rstrip().endswith("ok, with 3 warning(s) above")
    app.config.update(
        PUBLIC_BASE_URL="https://inclusion.example.lg.jp", METRICS_TOKEN="scrape-secret",
        REMINDER_CHANNEL="twilio", TWILIO_MESSAGING_SERVICE_SID="MG" + "0" * 32,
        REMINDER_SMS_TWO_WAY=True, TWILIO_VOICE_FROM="+815012345678", TWILIO_REGION="jp1",
        TWILIO_EDGE="tokyo",
    )  # fmt: skip
    result = runner.invoke(args=["check"])
    assert "warning" not in result.output and result.output.rstrip().endswith("\nok")


def test_scheduler_registers_declared_jobs_by_stable_id(app):
    calls = []
    jobs = [
        JobSpec("example", lambda: calls.append("every"), seconds=60),
        JobSpec("once", lambda: calls.append("leader"), seconds=60, leader_only=True),
    ]
    leadership = Leadership()
    scheduler = build_scheduler(app, jobs, leadership)
    assert [job.id for job in scheduler.get_jobs()] == ["scheduler.heartbeat", "example", "once"]
    scheduler.get_job("example").func()
    scheduler.get_job("once").func()
    assert calls == ["every"]  # not leading: the leader's jobs wait
    scheduler.get_job("scheduler.heartbeat").func()  # beats, and takes the free lease
    scheduler.get_job("once").func()
    assert leadership.leads() and calls == ["every", "leader"]


def test_scheduler_process_starts_and_stops_on_sigterm(tmp_path):
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'scheduler.sqlite3'}",
        "SECRET_KEY": "x",
    }
    flask = str(Path(sys.executable).with_name("flask"))
    process = subprocess.Popen(
        [flask, "--app", "inclusion", "scheduler"],
        env=environ,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        line = ""
        while "Scheduler started" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
        assert "Scheduler started" in line
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()


def test_demo_residents_cover_what_staff_meet(app):
    app.test_cli_runner().invoke(args=["demo"])
    for slug in ("shibuya", "shinagawa"):
        ward = find_ward(slug)
        residents = db.session.scalars(
            sa.select(Resident).where(Resident.ward_id == ward.id)
        ).all()
        channels = {resident.reminder_channel for resident in residents}
        assert channels == set(ReminderChannel)
        kinds = {phone.kind for resident in residents for phone in resident.phones}
        assert {PhoneKind.LANDLINE, PhoneKind.MOBILE, PhoneKind.IP} <= kinds
        assert any(resident.proxy_gets_reminders for resident in residents)
        statuses = set(
            db.session.scalars(sa.select(Booking.status).where(Booking.ward_id == ward.id))
        )
        assert {BookingStatus.BOOKED, BookingStatus.ATTENDED} <= statuses
        # The term's first class is a course, full, with residents waiting for all of it.
        enrolments = set(
            db.session.scalars(sa.select(Enrolment.status).where(Enrolment.ward_id == ward.id))
        )
        assert enrolments == {EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED}
        due = residents_queries.due_follow_ups(ward, clock.today())
        assert due and all(follow_up.answer is None for follow_up in due)


def test_retention_command_reports_and_dry_runs(app):
    runner = app.test_cli_runner()
    ward = find_ward("shibuya")
    old = clock.now() - timedelta(days=6 * 365)
    resident_id = factories.make_resident(ward, created_dt=old).id
    db.session.commit()
    dry = runner.invoke(args=["residents", "retention", "--years", "2", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 would be deleted, 0 would be anonymised" in dry.output
    assert db.session.get(Resident, resident_id) is not None
    done = runner.invoke(args=["residents", "retention"])
    assert "1 were deleted, 0 were anonymised" in done.output
    db.session.expire_all()
    assert db.session.get(Resident, resident_id) is None
    bad = runner.invoke(args=["residents", "retention", "--years", "0"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_check_warns_of_wording_files_no_longer_read(app, tmp_path):
    (tmp_path / "reminders" / "shibuya").mkdir(parents=True)
    (tmp_path / "reminders" / "_samples.html").write_text("")
    app.template_folder = str(tmp_path)
    output = app.test_cli_runner().invoke(args=["check"]).output
    assert "reminders/shibuya/ is no longer read" in output
    assert "_samples" not in output
