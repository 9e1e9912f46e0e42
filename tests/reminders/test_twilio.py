"""The real twilio client against a fake Twilio on 127.0.0.1: what is sent, and each failure."""

import logging
import random
import re
import socket
import xml.etree.ElementTree as ElementTree
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.phones import without_numbers
from inclusion.reminders import dispatch, planning
from inclusion.reminders.channels import configured_channel
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.residents.models import OptOutSource, ReminderChannel
from tests import factories
from tests.reminders.fake_twilio import twilio_settings
from tests.reminders.test_dispatch import by_kind, plan_class
from tests.reminders.test_planning import NOW, THURSDAY, at, booked_before
from tests.reminders.test_webhooks import signed_post

TWO_DAYS_BEFORE = at(THURSDAY - timedelta(days=2), 10, 1)
PUBLIC = "https://inclusion.example.lg.jp"


@pytest.fixture
def app_config(fake_twilio):
    fake_twilio.reset()
    return twilio_settings(fake_twilio, PUBLIC_BASE_URL=PUBLIC, TWILIO_TIMEOUT_SECONDS="0.5")


@pytest.fixture
def ward(shibuya):
    shibuya.booking_phone = "03-3463-1873"
    return shibuya


def test_an_sms_goes_out_as_twilio_expects(ward, fake_twilio):
    plan_class(ward, at(THURSDAY, 10))
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE).sent == 1
    [posted] = fake_twilio.posted
    assert posted.path == "/2010-04-01/Accounts/ACfake/Messages.json"
    assert posted.username == "ACfake"
    assert posted.form["To"] == "+819012345678" and posted.form["From"] == "SHIBUYA"
    assert len(posted.form["Body"]) <= 70 and posted.form["Body"].startswith("【渋谷区】")
    sent = by_kind("two_days_before")
    assert sent.status == ReminderStatus.SENT and sent.provider_sid.startswith("SM")
    assert sent.body == posted.form["Body"]
    assert posted.form["StatusCallback"] == f"{PUBLIC}/twilio/status/{sent.id}"


def test_a_send_through_twilio_is_one_line_in_the_logs(ward, fake_twilio, log_lines):
    """The twilio client logs each request's headers line by line: ten lines a message, a
    million reminders a day. Only the dispatcher's own summary is written."""
    plan_class(ward, at(THURSDAY, 10))
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE).sent == 1
    lines = log_lines()
    assert [line for line in lines if "twilio.http_client" in line] == []
    assert len([line for line in lines if "reminders dispatched" in line]) == 1


def test_twilio_s_own_lines_are_written_when_asked_for(ward, fake_twilio, caplog):
    """The client formats its lines only when they are kept; an operator tracing a send
    with Twilio's support still gets them, without the password."""
    plan_class(ward, at(THURSDAY, 10))
    caplog.set_level(logging.INFO, logger="twilio.http_client")
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE).sent == 1
    lines = [
        record.getMessage() for record in caplog.records if record.name == "twilio.http_client"
    ]
    assert "-- BEGIN Twilio API Request --" in lines
    assert any(line.startswith("Response Status Code: 201") for line in lines)
    assert not any("authorization" in line.lower() for line in lines)


def test_a_call_says_the_message_twice_in_japanese(client, ward, fake_twilio):
    plan_class(ward, at(THURSDAY, 7), channel=ReminderChannel.VOICE)
    # 07:00 sessions: the two-days call goes out within calling hours.
    assert dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10)).sent == 1
    [posted] = fake_twilio.posted
    row = by_kind("two_days_before")
    assert posted.path.endswith("/Calls.json")
    assert posted.form["To"] == "+819012345678" and posted.form["From"] == "+81334631873"
    assert posted.form["Url"] == f"{PUBLIC}/twilio/voice/{row.id}/answered"
    assert posted.form["MachineDetection"] == "DetectMessageEnd"
    assert posted.form["StatusCallback"] == f"{PUBLIC}/twilio/status/{row.id}"
    # Twilio then asks what to say: a person hears the message and the choices.
    answered = f"/twilio/voice/{row.id}/answered"
    twiml = ElementTree.fromstring(signed_post(client, answered, {"AnsweredBy": "human"}).data)
    gathers = twiml.findall("Gather")
    assert [g.get("action") for g in gathers] == [f"{PUBLIC}/twilio/voice/{row.id}"] * 2
    assert {g.get("numDigits") for g in gathers} == {"1"}
    says = twiml.findall(".//Say")
    assert {say.get("language") for say in says} == {"ja-JP"}
    assert says[0].get("voice") == "Polly.Mizuki"
    # The message twice (once more if no key was pressed), each time with the choices.
    assert says[0].text == says[2].text and "1を" in says[1].text and "2を" in says[1].text
    assert "午前なな時" in says[0].text and "ゼロ サン、サン ヨン ロク サン" in says[0].text
    # An answering machine gets who called and the number, nothing to press.
    machine = signed_post(client, answered, {"AnsweredBy": "machine_end_beep"})
    machine_twiml = ElementTree.fromstring(machine.data)
    assert machine_twiml.find("Gather") is None
    assert "ゼロ サン、サン ヨン ロク サン" in machine_twiml.find("Say").text


def test_rate_limited_is_retried_later_with_backoff(ward, fake_twilio):
    plan_class(ward, at(THURSDAY, 10))
    fake_twilio.answer(429)
    result = dispatch.dispatch_once(TWO_DAYS_BEFORE)
    assert (result.sent, result.retried) == (0, 1)
    row = by_kind("two_days_before")
    assert row.status == ReminderStatus.PENDING and row.attempts == 1
    assert row.failure_code == "20429"
    assert TWO_DAYS_BEFORE + timedelta(seconds=30) <= row.due_dt
    assert row.due_dt <= TWO_DAYS_BEFORE + timedelta(seconds=45)
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE + timedelta(seconds=10)).sent == 0
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE + timedelta(minutes=1)).sent == 1
    db.session.refresh(row)
    assert (row.status, row.attempts, len(fake_twilio.posted)) == (ReminderStatus.SENT, 2, 2)
    assert row.failure_code is None


@pytest.mark.parametrize(("answer", "code"), [(500, "20500"), ("hang", "timeout")])
def test_a_send_that_may_have_arrived_is_unknown_and_never_resent(ward, fake_twilio, answer, code):
    plan_class(ward, at(THURSDAY, 10))
    fake_twilio.answer(answer)
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE).unknown == 1
    row = by_kind("two_days_before")
    assert row.status == ReminderStatus.UNKNOWN and row.last_error
    assert row.failure_code == code
    dispatch.dispatch_once(TWO_DAYS_BEFORE + timedelta(hours=1))
    assert len(fake_twilio.posted) == 1


def test_connection_refused_is_certainly_not_sent_and_retried(app, ward):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    app.config["TWILIO_API_BASE_URL"] = f"http://127.0.0.1:{closed_port}"
    plan_class(ward, at(THURSDAY, 10))
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE).retried == 1
    row = by_kind("two_days_before")
    assert (row.status, row.failure_code) == (ReminderStatus.PENDING, "unreachable")


def test_opted_out_at_twilio_updates_the_resident(ward, fake_twilio):
    plan_class(ward, at(THURSDAY, 10))
    fake_twilio.answer(21610)
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE).failed == 1
    row = by_kind("two_days_before")
    assert row.status == ReminderStatus.FAILED and "STOP" in row.last_error
    assert row.resident.is_opted_out and row.resident.opted_out_source == OptOutSource.SMS


def test_not_a_mobile_switches_the_resident_to_calls(ward, fake_twilio):
    plan_class(ward, at(THURSDAY, 10))
    fake_twilio.answer(21614)
    dispatch.dispatch_once(TWO_DAYS_BEFORE)
    row = by_kind("two_days_before")
    assert row.status == ReminderStatus.FAILED and row.last_error.startswith("The number")
    assert row.resident.reminder_channel == ReminderChannel.VOICE


def test_an_invalid_number_fails_with_a_plain_reason(ward, fake_twilio):
    plan_class(ward, at(THURSDAY, 10))
    fake_twilio.answer(21211)
    dispatch.dispatch_once(TWO_DAYS_BEFORE)
    row = by_kind("two_days_before")
    assert row.last_error == "The number is not a valid phone number."
    assert row.failure_code == "21211"
    assert not row.resident.is_opted_out


def test_a_refusal_keeps_no_phone_number_in_its_reason(ward, fake_twilio):
    """Twilio's message names the number; the reason kept (and shown in the API) does not."""
    plan_class(ward, at(THURSDAY, 10))
    fake_twilio.answer(21408)
    dispatch.dispatch_once(TWO_DAYS_BEFORE)
    row = by_kind("two_days_before")
    assert row.failure_code == "21408" and row.last_error.startswith("Twilio refused it (21408")
    sent_to = fake_twilio.posted[-1].form["To"]
    assert sent_to[-8:] not in row.last_error and "number …" in row.last_error


def test_metrics_count_send_failures_by_code(client, ward, fake_twilio):
    for hour in (10, 11, 13, 14):
        plan_class(ward, at(THURSDAY, hour))
    fake_twilio.answer(21211, 21211, 500, 429)
    result = dispatch.dispatch_once(TWO_DAYS_BEFORE)
    assert (result.failed, result.unknown, result.retried) == (2, 1, 1)
    # The carrier later reports a sent message undelivered, with its own code.
    fake_twilio.answer("ok")
    dispatch.dispatch_once(TWO_DAYS_BEFORE + timedelta(minutes=1))
    [retried] = db.session.scalars(
        sa.select(Reminder).where(Reminder.status == ReminderStatus.SENT)
    ).all()
    signed_post(
        client,
        f"/twilio/status/{retried.id}",
        {"MessageStatus": "undelivered", "ErrorCode": "30003"},
    )
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    failures = sorted(
        line for line in text.splitlines() if line.startswith("inclusion_reminder_send")
    )
    assert failures == [
        'inclusion_reminder_send_failures{code="20500",status="unknown"} 1.0',
        'inclusion_reminder_send_failures{code="21211",status="failed"} 2.0',
        'inclusion_reminder_send_failures{code="30003",status="failed"} 1.0',
    ]


def test_the_channel_follows_the_setting(app):
    assert configured_channel().name == "twilio"
    app.config["REMINDER_CHANNEL"] = "console"
    assert configured_channel().name == "console"


def test_the_networks_proxy_settings_apply_though_read_once(ward, fake_twilio, monkeypatch):
    # A ward's network sends everything through its proxy; here the proxy is down.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    plan_class(ward, at(THURSDAY, 10))
    result = dispatch.dispatch_once(TWO_DAYS_BEFORE)
    assert result.retried == 1 and fake_twilio.posted == []  # it went to the proxy, not round it
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert dispatch.dispatch_once(TWO_DAYS_BEFORE + timedelta(minutes=5)).sent == 1
    assert len(fake_twilio.posted) == 1


# -- chaos: Twilio failing three requests in ten, hanging, or asking to slow down -------------

PEOPLE = 40
#: A send that may have arrived, or certainly did not, or was refused for good.
ANSWERS = ["ok"] * 7 + [500, "hang", 429, 21211]
FINAL = {ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.UNKNOWN}


@pytest.fixture
def short_hangs(fake_twilio):
    """Hangs just past TWILIO_TIMEOUT_SECONDS (0.5): the client gives up, quickly."""
    fake_twilio.hang_seconds = 1.0
    yield
    fake_twilio.hang_seconds = 2.0


def test_every_reminder_ends_known_and_none_twice(ward, fake_twilio, short_hangs):
    session = factories.make_session(factories.make_venue(ward), starts_dt=at(THURSDAY, 10),
                                     capacity=PEOPLE)  # fmt: skip
    for number in range(PEOPLE):
        resident = factories.make_resident(ward, phones=(f"+8190{number:08d}",),
                                           channel=ReminderChannel.SMS)  # fmt: skip
        booked_before(session, resident, place=number + 1)
    planning.plan(NOW)
    db.session.commit()
    pick = random.Random(20261201)
    fake_twilio.answer(*(pick.choice(ANSWERS) for _ in range(PEOPLE * 3)))
    moment = TWO_DAYS_BEFORE
    for _ in range(30):  # a dispatcher's runs over the next minutes, retries falling due
        dispatch.dispatch_once(moment)
        moment += timedelta(seconds=30)
    rows = db.session.scalars(sa.select(Reminder).where(Reminder.kind == "two_days_before")).all()
    assert len(rows) == PEOPLE
    assert {row.status for row in rows} <= FINAL, Counter(row.status for row in rows)
    assert all(row.last_error for row in rows if row.status != ReminderStatus.SENT)
    # Posts per reminder: only a certain "not sent" (429) is ever tried again.
    posts = Counter(p.form["StatusCallback"].rsplit("/", 1)[1] for p in fake_twilio.posted)
    for row in rows:
        tries = posts[str(row.id)]
        assert tries == row.attempts, (row.id, tries, row.attempts, row.status)
        if row.status == ReminderStatus.UNKNOWN:
            # The code, not the text: a random port such as 42921 may appear in the text.
            assert row.failure_code not in ("429", "20429")
    assert Counter(row.status for row in rows)[ReminderStatus.SENT] > PEOPLE // 2


@pytest.mark.parametrize(
    "said",
    ["The 'To' number +810000000000 is not valid", "to +8190123456789 (too long)",
     "to 03-3463-1873", "to ０３ー３４６３ー１８７３", "to (03) 3463 1873"],
)  # fmt: skip
def test_a_reason_keeps_no_number_however_it_is_written(said):
    """Valid or mistyped, a number in a provider's message is not kept; its codes are."""
    kept = without_numbers(f"Twilio refused it (21211: {said})")
    prefix = "Twilio refused it (21211: "
    assert kept.startswith(prefix) and not re.search(r"\d{4}", kept.removeprefix(prefix))
