"""Staff see a session's reminders, resend one by hand, and see who was not reached."""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.reminders.models import NOT_WANTED, Reminder, ReminderStatus, ReminderStep
from tests import factories
from tests.conftest import log_in

#: The answer to "send it again?".
YES = {"confirmed": "yes"}


@pytest.fixture
def booking(shibuya):
    session = factories.make_session(factories.make_venue(shibuya), title="LINE入門")
    return factories.make_booking(session, factories.make_resident(shibuya, family_name="着信"))


def test_the_log_shows_each_message_and_who_looked(client, users, booking):
    factories.make_reminder(booking, status=ReminderStatus.NO_ANSWER, last_error="")
    log_in(client, users["ward_staff"])
    page = client.get(f"/manage/shibuya/sessions/{booking.session_id}/reminders")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "着信" in text and "応答なし" in text
    assert "03-5555-0000" in text
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reminder.log"))
    roster = client.get(f"/manage/shibuya/sessions/{booking.session_id}/roster")
    assert "連絡がつきません" in roster.get_data(as_text=True)


def test_coordinators_do_not_see_the_log(client, users, booking):
    log_in(client, users["coordinator"])
    assert (
        client.get(f"/manage/shibuya/sessions/{booking.session_id}/reminders").status_code == 403
    )


def test_resend_by_hand_queues_a_copy_once_asked(client, users, booking):
    failed = factories.make_reminder(booking, status=ReminderStatus.FAILED)
    log_in(client, users["ward_staff"])
    client.post(f"/manage/shibuya/reminders/{failed.id}/resend", data=YES)
    copy = db.session.scalar(sa.select(Reminder).where(Reminder.key == f"{failed.key}:again1"))
    assert copy.status == ReminderStatus.PENDING and copy.to_e164 == failed.to_e164
    assert failed.status == ReminderStatus.FAILED
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reminder.resend"))
    client.post(f"/manage/shibuya/reminders/{failed.id}/resend", data=YES)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(Reminder.key.like(f"{failed.key}:again%"))
        )
        == 2
    )
    response = client.post(
        f"/manage/shibuya/reminders/{copy.id}/resend", data=YES, follow_redirects=True
    )
    assert "このお知らせはまだ送信待ちか送信中です。" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(Reminder.key.like(f"{copy.key}:again%"))
        )
        == 0
    )


def test_nothing_is_resent_to_someone_who_no_longer_wants_it(client, users, booking):
    """A failed call to a resident who has since said stop: no 再送する, and a forced post is
    refused in words staff understand; why a row did not go reads in Japanese."""
    failed = factories.make_reminder(booking, status=ReminderStatus.FAILED)
    dropped = factories.make_reminder(booking, status=ReminderStatus.CANCELLED, kind="morning",
                                      last_error=NOT_WANTED)  # fmt: skip
    log_in(client, users["ward_staff"])
    path = f"/manage/shibuya/sessions/{booking.session_id}/reminders"
    assert f"/reminders/{failed.id}/resend" in client.get(path).text
    booking.resident.opted_out_dt = clock.now()
    db.session.commit()
    page = client.get(path).text
    assert f"/reminders/{failed.id}/resend" not in page
    assert NOT_WANTED not in page and "送る時点で不要になっていました" in page
    refused = client.post(
        f"/manage/shibuya/reminders/{failed.id}/resend", data=YES, follow_redirects=True
    )
    assert "もう送れません" in refused.text and "まもなく" not in refused.text
    assert dropped.status == ReminderStatus.CANCELLED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 2


def test_nothing_is_resent_for_a_session_that_is_over(client, users, shibuya):
    past = factories.make_session(
        factories.make_venue(shibuya), starts_dt=clock.now() - timedelta(hours=2)
    )
    reminder = factories.make_reminder(
        factories.make_booking(past, factories.make_resident(shibuya)),
        status=ReminderStatus.FAILED,
    )
    log_in(client, users["ward_staff"])
    client.post(f"/manage/shibuya/reminders/{reminder.id}/resend", data=YES)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 1


def test_the_log_runs_a_fixed_number_of_queries(client, users, booking, constant_queries):
    log_in(client, users["ward_staff"])

    def add(count: int) -> None:
        for _ in range(count):
            factories.make_reminder(booking)

    constant_queries(client, f"/manage/shibuya/sessions/{booking.session_id}/reminders", add)


def test_a_ward_sets_its_own_hours_and_steps_within_the_programme(client, users, shibuya):
    log_in(client, users["ward_staff"])
    assert client.get("/manage/shibuya/reminders").status_code == 200
    saved = client.post(
        "/manage/shibuya/reminders",
        data={"calls_from": "10:00", "calls_until": "18:00", "sms_from": "", "sms_until": ""},
    )
    assert saved.status_code == 302
    assert (shibuya.calls_from, shibuya.calls_until) == (time(10), time(18))
    assert shibuya.sms_from is None
    for bad, message in (
        ({"calls_from": "08:00", "calls_until": "18:00"}, "09:00"),
        ({"calls_from": "10:00", "calls_until": ""}, "両方"),
        ({"sms_from": "20:00", "sms_until": "09:00"}, "後に"),
        ({"calls_from": "25:00", "calls_until": "18:00"}, "10:00 のように"),
    ):
        response = client.post("/manage/shibuya/reminders", data=bad)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert (shibuya.calls_from, shibuya.calls_until) == (time(10), time(18))
    step = db.session.scalar(
        sa.select(ReminderStep).where(
            ReminderStep.ward_id == shibuya.id, ReminderStep.code == "morning"
        )
    )
    prefix = f"step{step.id}-"
    client.post(
        f"/manage/shibuya/reminders/steps/{step.id}",
        data={f"{prefix}days_before": "1", f"{prefix}at_time": "11:30"},
    )
    assert (step.days_before, step.at_minute, step.is_active) == (1, 690, False)
    refused = client.post(
        f"/manage/shibuya/reminders/steps/{step.id}",
        data={f"{prefix}days_before": "30", f"{prefix}at_time": "11:30"},
    )
    assert refused.status_code == 422 and step.days_before == 1
    actions = db.session.scalars(sa.select(AuditLog.action)).all()
    assert "reminder.hours" in actions and "reminder.policy" in actions
