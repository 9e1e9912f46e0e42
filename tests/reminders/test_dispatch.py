"""Dispatch with the console channel: quiet hours, one SMS segment, leases, never twice."""

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders import dispatch, messages, planning
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.residents.models import ReminderChannel
from inclusion.sessions.models import SessionKind
from tests import factories
from tests.conftest import table_scans
from tests.reminders.test_planning import NOW, THURSDAY, at, booked_before


@pytest.fixture
def app_config():
    return {"REMINDER_SMS_PER_SECOND": "0", "REMINDER_CALLS_PER_SECOND": "0"}


@pytest.fixture
def ward(shibuya):
    shibuya.booking_phone = "03-3463-1873"
    return shibuya


def statuses() -> dict[str, ReminderStatus]:
    return dict(db.session.execute(sa.select(Reminder.key, Reminder.status)).all())


def by_kind(kind: str) -> Reminder:
    return db.session.scalar(sa.select(Reminder).where(Reminder.kind == kind))


def plan_class(ward, starts_dt, channel=ReminderChannel.SMS, title="はじめてのスマホ教室"):
    venue = factories.make_venue(ward)
    session = factories.make_session(venue, starts_dt=starts_dt, title=title)
    resident = factories.make_resident(ward, phones=("+819012345678",), channel=channel)
    booked_before(session, resident)
    planning.plan(NOW)
    db.session.commit()
    return session


def test_a_due_sms_is_sent_once_in_one_segment(ward, caplog):
    plan_class(
        ward, at(THURSDAY, 10), title="とても長い名前のスマートフォン入門講座・全八回の第一回目"
    )
    caplog.set_level(logging.INFO, logger="inclusion.reminders.channels")
    result = dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 1))
    assert result.sent == 1
    sent = by_kind("two_days_before")
    assert sent.status == ReminderStatus.SENT and sent.provider_sid == f"console-{sent.id}"
    assert sent.attempts == 1 and sent.sent_dt is not None
    assert len(sent.body) <= messages.SMS_LIMIT
    assert sent.body.startswith("【渋谷区】12/10(木)10:00")
    assert "03-3463-1873" in sent.body and "http" not in sent.body
    assert f"(reminder {sent.id})" in caplog.text
    # Run again: nothing more goes out.
    assert dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 2)).sent == 0
    assert caplog.text.count(f"(reminder {sent.id})") == 1


def test_the_morning_text_says_today(ward):
    plan_class(ward, at(THURSDAY, 10))
    dispatch.dispatch_once(at(THURSDAY, 9, 0))
    assert by_kind("morning").body.startswith("【渋谷区】本日12/10(木)10:00")


def test_quiet_hours_wait_for_the_next_allowed_minute(ward):
    plan_class(ward, at(THURSDAY, 10), channel=ReminderChannel.VOICE)
    late_evening = at(THURSDAY - timedelta(days=1), 21, 30)
    result = dispatch.dispatch_once(late_evening)
    assert result.sent == 0 and result.deferred == 1
    waiting = by_kind("two_days_before")
    assert waiting.status == ReminderStatus.PENDING
    # Calls start at 09:00 the next morning, before the 10:00 session.
    assert waiting.due_dt == at(THURSDAY, 9)
    assert dispatch.dispatch_once(at(THURSDAY, 8, 59)).sent == 0
    assert dispatch.dispatch_once(at(THURSDAY, 9, 0)).sent == 2


def test_a_reminder_that_could_only_go_after_the_start_is_skipped(ward):
    plan_class(ward, at(THURSDAY, 9, 30), channel=ReminderChannel.VOICE)
    # The resident's own window: calls only 13:00-15:00.
    resident = db.session.scalar(sa.select(factories.Resident))
    resident.call_from, resident.call_until = (
        clock.to_local(at(THURSDAY, 13)).time(),
        clock.to_local(at(THURSDAY, 15)).time(),
    )
    db.session.commit()
    result = dispatch.dispatch_once(at(THURSDAY - timedelta(days=1), 16))
    assert result.skipped == 1
    assert by_kind("two_days_before").status == ReminderStatus.SKIPPED


def test_a_dispatcher_that_died_leaves_unknown_never_resent(ward):
    plan_class(ward, at(THURSDAY, 10))
    row = by_kind("two_days_before")
    row.status, row.attempts = ReminderStatus.SENDING, 1
    row.lease_until = at(THURSDAY - timedelta(days=2), 10, 5)
    db.session.commit()
    early = dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 4))
    assert early.expired == [] and row.status == ReminderStatus.SENDING
    later = dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 6))
    assert later.expired == [row.id] and later.sent == 0
    db.session.refresh(row)
    assert row.status == ReminderStatus.UNKNOWN and row.attempts == 1


def test_earliest_session_first(ward):
    later = plan_class(ward, at(THURSDAY, 14))
    sooner = plan_class(ward, at(THURSDAY, 10))
    claimed, _result = dispatch.claim(at(THURSDAY, 9, 30), limit=1)
    row = db.session.get(Reminder, claimed[0].reminder_id)
    assert row.session_id == sooner.id != later.id


def test_due_rows_are_put_in_order_once_for_many_batches(ward, count_queries):
    """A run orders the due rows once and takes them from the front, batch by batch; a row
    another dispatcher took meanwhile is passed over, not sent twice."""
    starts = {}
    for number, hour in enumerate((14, 10, 12)):
        session = factories.make_session(factories.make_venue(ward), starts_dt=at(THURSDAY, hour))
        resident = factories.make_resident(ward, phones=(f"+8190123456{number:02d}",),
                                           channel=ReminderChannel.SMS)  # fmt: skip
        booked_before(session, resident)
        starts[session.id] = hour
    planning.plan(NOW)
    db.session.commit()
    moment = at(THURSDAY - timedelta(days=2), 10, 1)  # the three two-days-before are due

    def hour_of(claimed) -> list[int]:
        return [starts[db.session.get(Reminder, c.reminder_id).session_id] for c in claimed]

    ahead: list[int] = []
    first, _result = dispatch.claim(moment, 1, ahead)
    assert hour_of(first) == [10] and len(ahead) == 2
    taken = db.session.get(Reminder, ahead[0])  # the 12:00 class's, by another dispatcher
    taken.status = ReminderStatus.SENDING
    db.session.commit()
    with count_queries() as statements:
        second, _result = dispatch.claim(moment, 1, ahead)
    assert hour_of(second) == [14] and ahead == []
    assert not [s for s in statements if "ORDER BY sessions.starts_dt" in s]
    assert dispatch.claim(moment, 1, ahead)[0] == []  # ordered again: nothing is left


def test_the_dispatch_command_rehearses_a_morning(app, ward):
    plan_class(ward, at(THURSDAY, 10))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["reminders", "dispatch", "--once", "--now", "2026-12-10T09:00+09:00"]
    )
    assert result.exit_code == 0, result.output
    assert "sent 2," in result.output


def test_a_paced_channel_sends_one_by_one_and_records_each(app, ward, caplog):
    app.config["REMINDER_SMS_PER_SECOND"] = 1000.0
    for hour in (10, 13, 15):
        plan_class(ward, at(THURSDAY, hour))
    caplog.set_level(logging.INFO, logger="inclusion.reminders.channels")
    result = dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 1))
    assert result.sent == 3
    assert caplog.text.count("console sms to") == 3
    assert {s for key, s in statuses().items() if "two_days" in key} == {ReminderStatus.SENT}


def test_a_consultation_reminder_gives_the_resident_s_own_slot(ward):
    """Booked 14:00–14:30 of a consultation day starting at 13:00: told 14:00, not 13:00."""
    venue = factories.make_venue(ward)
    session = factories.make_session(
        venue, starts_dt=at(THURSDAY, 13), hours=2, kind=SessionKind.CONSULTATION,
        slot_minutes=30, capacity=4, title="スマホ個別相談会",
    )  # fmt: skip
    texted = factories.make_resident(ward, phones=("+819012345678",), channel=ReminderChannel.SMS)
    called = factories.make_resident(ward, phones=("+81334631873",))
    booked_before(session, texted, place=3)
    booked_before(session, called, place=4)
    planning.plan(NOW)
    db.session.commit()
    result = dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 1))
    assert result.sent == 2
    sms, call = (
        db.session.scalar(
            sa.select(Reminder.body).where(
                Reminder.resident_id == person.id, Reminder.status == ReminderStatus.SENT
            )
        )
        for person in (texted, called)
    )
    assert sms.startswith("【渋谷区】12/10(木)14:00 ") and "13:00" not in sms
    assert "午後2時半から" in call and "午後1時" not in call


def test_a_batch_is_marked_sent_by_the_ids_it_sent(ward, query_plans, backend):
    """The ``sent`` mark finds each row by its id among the batch's values, not every row
    still ``sending`` by the status index (on SQLite each of those then looked through all
    the values: 28 ms a batch of 100, a third of the dispatcher's database time).
    PostgreSQL chooses by its statistics and keeps the values in memory: no table scan."""
    plan_class(ward, at(THURSDAY, 10))
    with query_plans("UPDATE") as plans:
        assert dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 1)).sent == 1
    marks = [plan for statement, plan in plans if "provider_sid" in statement]
    assert marks
    for plan in marks:
        reminders = [step for step in plan if "reminders" in step]
        assert reminders and not table_scans(reminders), plan
        if backend == "sqlite":
            assert not any("ix_reminders_status" in step for step in reminders), plan


#: Rows of the batch whose statements are counted: more than any statement's own constants
#: (the check before sending names over thirty), so a list of ids would show.
BATCH = 50


def test_a_batch_is_one_parameter_on_postgresql(ward, backend):
    """On PostgreSQL a batch's ids go as one array: each statement reads the same for any
    batch, so psycopg prepares it and PostgreSQL plans it once (a hundred parameters had it
    converted and planned anew each time). SQLite's planner is given the list itself."""
    session = factories.make_session(factories.make_venue(ward), starts_dt=at(THURSDAY, 10))
    session.capacity = BATCH
    for number in range(BATCH):
        resident = factories.make_resident(
            ward, phones=(f"+8190123456{number:02d}",), channel=ReminderChannel.SMS
        )
        booked_before(session, resident, place=number + 1)
    planning.plan(NOW)
    db.session.commit()
    parameters = []

    def count(conn, cursor, statement, given, context, executemany):
        parameters.append((statement, len(given or ())))

    engine = db.engines[None].engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 1)).sent == BATCH
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    most = max(number for _, number in parameters)
    if backend == "postgresql":
        assert most < BATCH, [statement for statement, number in parameters if number >= BATCH]
    else:
        assert most >= BATCH
