"""Messages about a loan smartphone: the outbox without a session. Told of the due date a
week before and asked to bring it back the day after, by the resident's own channel, under
the same rules (quiet hours, stop, never twice); dropped once the device is back or the
due date moves."""

import xml.etree.ElementTree as ElementTree
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.loans import services as loans
from inclusion.loans.models import ReturnCondition
from inclusion.reminders import dispatch, planning, services
from inclusion.reminders.models import TOO_LATE, Recipient, Reminder, ReminderStatus
from inclusion.residents.models import OptOutSource, ReminderChannel
from inclusion.residents.services import stop_number
from tests import factories
from tests.reminders.fake_twilio import twilio_settings
from tests.reminders.test_planning import NOW, THURSDAY, at, booked_before
from tests.reminders.test_webhooks import signed_post

PUBLIC = "https://inclusion.example.lg.jp"
#: A Thursday: the week-before message goes on 10 December, the overdue one on the 18th.
DUE = date(2026, 12, 17)
LENT = date(2026, 6, 1)
#: Rows are planned a couple of days before they are due, as a session's are.
PLANNED = at(date(2026, 12, 9), 8)


@pytest.fixture
def app_config(fake_twilio):
    fake_twilio.reset()
    return twilio_settings(fake_twilio, PUBLIC_BASE_URL=PUBLIC, REMINDER_SMS_PER_SECOND="0",
                           REMINDER_CALLS_PER_SECOND="0")  # fmt: skip


@pytest.fixture
def ward(shibuya):
    shibuya.booking_phone = "03-3463-1873"
    return shibuya


def lend(ward, channel=ReminderChannel.SMS, due_on=DUE, lent=LENT, **fields):
    resident = factories.make_resident(ward, phones=("+819012345678",), channel=channel, **fields)
    loan = factories.make_loan(ward, resident, starts_on=lent, due_on=due_on,
                               agreement_signed_on=lent)  # fmt: skip
    loan.created_dt = at(lent, 11)
    db.session.flush()
    return loan


def rows() -> dict[str, Reminder]:
    return {row.key: row for row in db.session.scalars(sa.select(Reminder))}


def test_a_loan_is_told_a_week_before_and_asked_back_the_day_after(ward):
    loan = lend(ward)
    assert planning.plan(PLANNED).planned == 2
    planned = rows()
    due = planned[f"l{loan.id}:2026-12-17:loan_due:resident"]
    late = planned[f"l{loan.id}:2026-12-17:loan_overdue:resident"]
    assert (due.due_dt, due.deadline_dt) == (at(date(2026, 12, 10), 10), at(date(2026, 12, 18), 0))
    assert (late.due_dt, late.deadline_dt) == (at(date(2026, 12, 18), 10),
                                               at(date(2026, 12, 21), 0))  # fmt: skip
    assert {row.session_id for row in planned.values()} == {None}
    assert {row.loan_id for row in planned.values()} == {loan.id}
    assert due.channel == ReminderChannel.SMS and due.to_e164 == "+819012345678"
    # Planning again adds nothing.
    assert planning.plan(PLANNED).planned == 0


def test_the_sms_says_the_due_date_and_whom_to_call_in_one_segment(ward, fake_twilio):
    lend(ward)
    planning.plan(PLANNED)
    assert dispatch.dispatch_once(at(date(2026, 12, 10), 10, 1)).sent == 1
    [posted] = fake_twilio.posted
    assert posted.form["Body"] == (
        "【渋谷区】お貸ししているスマートフォンの返却期限は12/17(木)です。ご相談は03-3463-1873へ"
    )
    assert len(posted.form["Body"]) <= 70
    # The day after the due date, while it is still out.
    assert dispatch.dispatch_once(at(date(2026, 12, 18), 10, 1)).sent == 1
    assert "返却期限（12/17(木)）が過ぎました" in fake_twilio.posted[-1].form["Body"]
    assert dispatch.dispatch_once(at(date(2026, 12, 18), 10, 2)).sent == 0


def test_a_call_says_the_device_and_the_day_and_asks_for_no_key(client, ward, fake_twilio):
    loan = lend(ward, channel=ReminderChannel.VOICE)
    planning.plan(PLANNED)
    assert dispatch.dispatch_once(at(date(2026, 12, 10), 10, 1)).sent == 1
    row = db.session.scalar(sa.select(Reminder).where(Reminder.kind == "loan_due"))
    answered = f"/twilio/voice/{row.id}/answered"
    twiml = ElementTree.fromstring(signed_post(client, answered, {"AnsweredBy": "human"}).data)
    assert twiml.find("Gather") is None
    says = [say.text for say in twiml.findall(".//Say")]
    assert says[0] == says[1]
    assert loan.device.model in says[0] and "12月17日、木曜日" in says[0]
    assert "ゼロ サン、サン ヨン ロク サン" in says[0]
    machine = signed_post(client, answered, {"AnsweredBy": "machine_end_beep"})
    said = ElementTree.fromstring(machine.data).find("Say").text
    assert "お貸ししているスマートフォンについて" in said and "予約" not in said
    # A key pressed anyway changes nothing: the message is said again.
    again = ElementTree.fromstring(signed_post(client, f"/twilio/voice/{row.id}",
                                               {"Digits": "2"}).data)  # fmt: skip
    assert loan.device.model in again.find(".//Say").text
    assert loan.returned_on is None


def test_nobody_answering_is_called_once_more_about_the_same_loan(client, ward, fake_twilio):
    loan = lend(ward, channel=ReminderChannel.VOICE)
    planning.plan(PLANNED)
    dispatch.dispatch_once(at(date(2026, 12, 10), 10, 1))
    row = db.session.scalar(sa.select(Reminder).where(Reminder.kind == "loan_due"))
    signed_post(client, f"/twilio/status/{row.id}", {"CallStatus": "no-answer"})
    retry = rows()[row.key + planning.RETRY_SUFFIX]
    assert (retry.loan_id, retry.session_id, retry.deadline_dt) == (loan.id, None, row.deadline_dt)
    assert retry.status == ReminderStatus.PENDING


#: Due dates staff may still move (the new one is today or later, by the real clock).
LATER_DUE, LATER_LENT = date(2030, 12, 17), date(2029, 6, 1)
PLANNED_LATER = at(date(2030, 12, 9), 8)


def test_a_device_back_or_a_due_date_moved_drops_what_was_planned(ward, users):
    back, moved = lend(ward), lend(ward, due_on=LATER_DUE, lent=LATER_LENT)
    planning.plan(PLANNED)
    planning.plan(PLANNED_LATER)
    loans.return_device(users["ward_staff"], back, clock.today(), ReturnCondition.GOOD)
    loans.change_due_date(users["ward_staff"], moved, LATER_DUE + timedelta(days=90))
    statuses = {key: row.status for key, row in rows().items()}
    assert {statuses[key] for key in statuses if key.startswith(f"l{back.id}:")} == {
        ReminderStatus.CANCELLED
    }
    # Never tried, the moved loan's are gone (a move back plans them again).
    assert not [key for key in statuses if key.startswith(f"l{moved.id}:")]
    # The moved loan's messages come again for its new date, when that nears.
    assert planning.plan(at(date(2031, 3, 9), 8)).planned == 2
    assert f"l{moved.id}:2031-03-17:loan_due:resident" in rows()


def test_a_due_date_moved_and_moved_back_is_told_again(ward, users):
    loan = lend(ward, due_on=LATER_DUE, lent=LATER_LENT)
    planning.plan(PLANNED_LATER)
    loans.change_due_date(users["ward_staff"], loan, LATER_DUE + timedelta(days=30))
    loans.change_due_date(users["ward_staff"], loan, LATER_DUE)
    planning.plan(PLANNED_LATER)
    waiting = [key for key, row in rows().items() if row.status == ReminderStatus.PENDING]
    assert sorted(waiting) == [
        f"l{loan.id}:2030-12-17:loan_due:resident",
        f"l{loan.id}:2030-12-17:loan_overdue:resident",
    ]


def test_a_message_claimed_after_the_device_came_back_is_not_sent(ward, users, fake_twilio):
    loan = lend(ward)
    planning.plan(PLANNED)
    # Back the same morning, after the plan: dispatch checks once more before sending.
    loan.returned_on, loan.condition = date(2026, 12, 10), ReturnCondition.GOOD
    db.session.commit()
    result = dispatch.dispatch_once(at(date(2026, 12, 10), 10, 1))
    assert (result.sent, result.cancelled) == (0, 1) and fake_twilio.posted == []


def test_a_loan_lent_for_less_than_a_week_skips_the_week_before(ward):
    loan = lend(ward, due_on=date(2026, 12, 9), lent=date(2026, 12, 5))
    planning.plan(PLANNED)
    assert list(rows()) == [f"l{loan.id}:2026-12-09:loan_overdue:resident"]


def test_stopped_residents_hear_nothing_and_a_stop_drops_what_waits(ward):
    lend(ward, opted_out_dt=NOW - timedelta(days=1))
    waiting = lend(ward)
    waiting.resident.phones[0].e164 = "+819099998888"
    db.session.flush()
    planning.plan(PLANNED)
    assert {row.loan_id for row in rows().values()} == {waiting.id}
    stop_number("+819099998888", OptOutSource.SMS)
    planning.plan(PLANNED)
    assert {row.status for row in rows().values()} == {ReminderStatus.CANCELLED}


def test_the_contact_who_gets_reminders_is_told_too(ward):
    loan = lend(ward, proxy_name="試験 太郎", proxy_phone_e164="+819011112222",
                proxy_phone_kind="mobile", proxy_gets_reminders=True)  # fmt: skip
    planning.plan(PLANNED)
    proxy = rows()[f"l{loan.id}:2026-12-17:loan_due:proxy"]
    assert proxy.recipient == Recipient.PROXY and proxy.to_e164 == "+819011112222"


def test_no_time_left_within_the_hours_is_skipped_with_why(ward):
    loan = lend(ward, channel=ReminderChannel.VOICE, due_on=date(2026, 12, 17))
    planning.plan(PLANNED)
    late = rows()[f"l{loan.id}:2026-12-17:loan_overdue:resident"]
    # Held back (say the dispatcher was down) until the last useful evening, after 20:00.
    result = dispatch.dispatch_once(at(date(2026, 12, 20), 20, 30))
    assert result.skipped >= 1
    db.session.refresh(late)
    assert late.status == ReminderStatus.SKIPPED and late.last_error == TOO_LATE


def test_loan_and_session_messages_due_together_both_go(ward, fake_twilio):
    lend(ward)
    session = factories.make_session(factories.make_venue(ward), starts_dt=at(THURSDAY, 14))
    resident = factories.make_resident(ward, phones=("+819055556666",),
                                       channel=ReminderChannel.SMS)  # fmt: skip
    booked_before(session, resident)
    planning.plan(PLANNED)
    # Thursday 10:01: the loan's week-before, and the class's morning reminder.
    dispatch.dispatch_once(at(date(2026, 12, 10), 10, 1))
    assert {row.kind: row.status for row in rows().values()} == {
        "loan_due": ReminderStatus.SENT, "morning": ReminderStatus.SENT,
        "two_days_before": ReminderStatus.SENT, "loan_overdue": ReminderStatus.PENDING,
    }  # fmt: skip
    assert {posted.form["To"] for posted in fake_twilio.posted} == {
        "+819012345678",
        "+819055556666",
    }


@pytest.mark.parametrize(
    ("setting", "left"),
    [("LOAN_REMINDER_DAYS_BEFORE", "loan_overdue"), ("LOAN_OVERDUE_DAYS_AFTER", "loan_due")],
)
def test_either_message_can_be_turned_off(app, ward, setting, left):
    app.config[setting] = 0
    lend(ward)
    # Planned from two days before the first one left, as ever.
    planning.plan(at(date(2026, 12, 16), 8))
    assert {row.kind for row in rows().values()} == {left}


def test_staff_resend_a_failed_one_until_it_is_too_late(ward, users):
    lend(ward)
    planning.plan(PLANNED)
    row = db.session.scalar(sa.select(Reminder).where(Reminder.kind == "loan_due"))
    row.status = ReminderStatus.FAILED
    db.session.flush()
    copy = services.resend(users["ward_staff"], row)
    assert (copy.loan_id, copy.deadline_dt, copy.session_id) == (
        row.loan_id,
        row.deadline_dt,
        None,
    )
    row.deadline_dt = copy.deadline_dt = clock.now() - timedelta(minutes=1)
    with pytest.raises(RuleViolation):
        services.resend(users["ward_staff"], row)
