"""Telephony as it works in Japan: the SMS sender and replies, region, voice, landlines,
the ward's number in every message, and SMS length."""

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from config import ConfigError, settings_from_env, telephony_warnings
from inclusion import clock
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.reminders import dispatch, messages, planning
from inclusion.reminders import services as reminder_services
from inclusion.reminders.channels import TwilioChannel
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.residents.models import ReminderChannel
from tests import factories
from tests.conftest import log_in
from tests.reminders.fake_twilio import twilio_settings
from tests.reminders.test_planning import NOW, THURSDAY, at, booked_before

TWILIO = {
    "TWILIO_ACCOUNT_SID": "ACfake",
    "TWILIO_AUTH_TOKEN": "fake-token",
    "PUBLIC_BASE_URL": "https://inclusion.example.lg.jp",
}


def settings(tmp_path, **environ):
    return settings_from_env({**TWILIO, **environ}, tmp_path)


def test_an_alphanumeric_sender_is_one_way_and_a_number_two_way(tmp_path):
    assert settings(tmp_path, TWILIO_SMS_FROM="SHIBUYA")["REMINDER_SMS_TWO_WAY"] is False
    assert settings(tmp_path, TWILIO_SMS_FROM="+14155550100")["REMINDER_SMS_TWO_WAY"] is True
    # A Japanese number sends no SMS, so it is not taken for a way to answer one.
    assert settings(tmp_path, TWILIO_SMS_FROM="+815012345678")["REMINDER_SMS_TWO_WAY"] is False
    with_service = settings(
        tmp_path, TWILIO_MESSAGING_SERVICE_SID="MG" + "0" * 32, REMINDER_SMS_TWO_WAY="true"
    )
    assert with_service["REMINDER_SMS_TWO_WAY"] is True


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"TWILIO_SMS_FROM": "SHIBUYA", "REMINDER_SMS_TWO_WAY": "true"}, "cannot answer"),
        ({"TWILIO_SMS_FROM": "WARD-OFFICE-SHIBUYA"}, "at most 11"),
        ({"TWILIO_SMS_FROM": "12345"}, "not only digits"),
        ({"TWILIO_MESSAGING_SERVICE_SID": "MG123"}, "32 hex digits"),
        ({"TWILIO_REGION": "jp1"}, "TWILIO_EDGE=tokyo"),
        ({"TWILIO_REGION": "jp1", "TWILIO_EDGE": "dublin"}, "TWILIO_EDGE=tokyo"),
        ({"TWILIO_EDGE": "tokyo"}, "TWILIO_REGION"),
        ({"TWILIO_REGION": "xx9", "TWILIO_EDGE": "tokyo"}, "must be one of"),
        ({"REMINDER_VOICE": "Polly.Joanna"}, "Japanese voice"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(tmp_path, environ, says):
    with pytest.raises(ConfigError, match=says):
        settings(tmp_path, **environ)


def test_check_warns_in_plain_words(tmp_path):
    config = settings(
        tmp_path, REMINDER_CHANNEL="twilio", TWILIO_SMS_FROM="+81501234567",
        TWILIO_VOICE_FROM="+81501234567", REMINDER_VOICE="Google.ja-JP-Neural2-B",
    )  # fmt: skip
    warnings = " / ".join(telephony_warnings(config))
    assert "Japanese numbers cannot send SMS" in warnings
    assert "Tokyo edge" in warnings
    config = settings(
        tmp_path, REMINDER_CHANNEL="twilio", TWILIO_SMS_FROM="SHIBUYA",
        TWILIO_VOICE_FROM="+81501234567", TWILIO_REGION="jp1", TWILIO_EDGE="tokyo",
    )  # fmt: skip
    assert telephony_warnings(config) == [
        "SMS is one-way: residents cannot answer a text; they confirm or cancel on a "
        "reminder call (keypad) or by calling the ward"
    ]


def test_calls_go_through_the_tokyo_edge(tmp_path):
    config = settings(
        tmp_path, REMINDER_CHANNEL="twilio", TWILIO_REGION="jp1", TWILIO_EDGE="tokyo"
    )
    config["TWILIO_API_BASE_URL"] = None
    client = TwilioChannel(config).client
    host = client.get_hostname("https://api.twilio.com/2010-04-01/Accounts/ACfake/Calls.json")
    assert host.startswith("https://api.tokyo.jp1.twilio.com/")


@pytest.fixture
def app_config(fake_twilio):
    fake_twilio.reset()
    return twilio_settings(
        fake_twilio, TWILIO_MESSAGING_SERVICE_SID="MG" + "a" * 32, REMINDER_SMS_TWO_WAY=False
    )


def test_sms_goes_through_the_messaging_service(shibuya, fake_twilio):
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(THURSDAY, 10))
    resident = factories.make_resident(shibuya, phones=("+819012345678",),
                                       channel=ReminderChannel.SMS)  # fmt: skip
    booked_before(session, resident)
    planning.plan(NOW)
    db.session.commit()
    assert dispatch.dispatch_once(at(THURSDAY - timedelta(days=2), 10, 1)).sent == 1
    [posted] = fake_twilio.posted
    assert posted.form["MessagingServiceSid"] == "MG" + "a" * 32 and "From" not in posted.form
    # One-way: the text gives the ward's number and never asks for an answer.
    assert "返信" not in posted.form["Body"] and "03-3463-1211" in posted.form["Body"]
    assert messages.sms_segments(posted.form["Body"]) == 1


def test_a_landline_gets_a_call_even_when_sms_was_chosen(shibuya):
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(THURSDAY, 10))
    resident = factories.make_resident(shibuya, phones=("+81334630001",),
                                       channel=ReminderChannel.SMS)  # fmt: skip
    booked_before(session, resident)
    planning.plan(NOW)
    rows = db.session.execute(sa.select(Reminder.channel, Reminder.to_e164)).all()
    assert set(rows) == {(ReminderChannel.VOICE, "+81334630001")}


def test_a_ward_without_a_booking_phone_plans_nothing_and_says_so(app, shibuya, users):
    shibuya.booking_phone = ""
    session = factories.make_session(
        factories.make_venue(shibuya), starts_dt=clock.now() + timedelta(days=2)
    )
    booked_before(session, factories.make_resident(shibuya))
    assert planning.plan(clock.now()).planned == 0
    db.session.commit()
    client = app.test_client()
    log_in(client, users["ward_staff"])
    assert "電話番号がないため" in client.get("/manage/shibuya").text
    result = app.test_cli_runner().invoke(args=["check"])
    assert "Shibuya City has sessions with bookings but no booking phone number" in result.output
    shibuya.booking_phone = "03-3463-1211"
    db.session.commit()
    assert planning.plan(clock.now()).planned > 0
    assert "電話番号がないため" not in client.get("/manage/shibuya").text


ASKS_FOR_A_REPLY = {
    "two_days_before": "{日時} お休みは2と返信してください",
    "morning": "本日{日時} {名前}{会場}",
}


def test_a_one_way_sender_refuses_texts_that_ask_for_a_reply(app, shibuya, users):
    with pytest.raises(RuleViolation, match="返信|reply"):
        reminder_services.check_text(shibuya, "sms_resident.txt", ASKS_FOR_A_REPLY)
    app.config["REMINDER_SMS_TWO_WAY"] = True
    samples = reminder_services.check_text(shibuya, "sms_resident.txt", ASKS_FOR_A_REPLY)
    assert samples and all(sample.segments == 1 for sample in samples)


def test_the_editor_and_the_preview_show_each_text_s_length_in_sms(app, shibuya, users):
    client = app.test_client()
    log_in(client, users["ward_staff"])
    page = client.get("/manage/shibuya/reminders/texts/sms_resident.txt").text
    assert "SMS 1通" in page
    session = factories.make_session(factories.make_venue(shibuya))
    booking = factories.make_booking(session, factories.make_resident(shibuya))
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["reminders", "preview", str(booking.id)]).output
    assert "characters, 1 SMS]" in output


def test_sms_length_counts_as_phones_do():
    assert messages.sms_segments("あ" * 70) == 1
    assert messages.sms_segments("あ" * 71) == 2
    assert messages.sms_segments("あ" * 134) == 2 and messages.sms_segments("あ" * 135) == 3
    assert messages.sms_length("🙂") == 2


@pytest.mark.parametrize(
    ("title", "venue", "keeps"),
    [
        ("スマホ教室", "中央図書館", ["第3回/全8回 スマホ教室 中央図書館"]),
        # Too long: the title is shortened, never the date, the 第N回 or the ward's number.
        ("はじめてのスマホ教室（全8回）", "区立中央図書館 第一会議室",
         ["第3回/全8回 はじめての", "… 区立中央図書館 第一会議室。"]),
        # A venue this long leaves no room for a title worth reading: the venue is cut.
        ("マイナンバーカード", "渋谷区役所本庁舎 15階 大会議室 東側（入口は2階の総合窓口横🛗）",
         ["第3回/全8回 渋谷区役所本庁舎"]),
    ],
)  # fmt: skip
def test_a_long_sms_is_shortened_title_first(shibuya, title, venue, keeps):
    shibuya.booking_phone = "03-3463-1873"
    start = clock.to_utc(clock.today() + timedelta(days=2), time(10))
    text = messages.sms_text(shibuya, "sms_resident.txt", start, title, venue,
                             kind="two_days_before", course="第3回/全8回")  # fmt: skip
    assert messages.sms_length(text) <= messages.SMS_LIMIT
    assert text.startswith(f"【渋谷区】{messages.short_day(start)}10:00 ")
    assert text.endswith("お休みは03-3463-1873へ")
    for part in keeps:
        assert part in text, text


def two_texts_due_to_one_number(ward) -> datetime:
    """A couple sharing a mobile: a text each, due now, for 早い回 then 遅い回. Returns now."""
    now = clock.to_utc(clock.today() + timedelta(days=1), time(10))
    venue = factories.make_venue(ward)
    for hour, title in ((3, "早い回"), (5, "遅い回")):
        session = factories.make_session(
            venue, starts_dt=now + timedelta(days=1, hours=hour), title=title
        )
        booking = factories.make_booking(session, factories.make_resident(
            ward, phones=("+819012345678",), channel=ReminderChannel.SMS))  # fmt: skip
        factories.make_reminder(
            booking, status=ReminderStatus.PENDING, channel=ReminderChannel.SMS,
            to_e164="+819012345678", due_dt=now - timedelta(minutes=1),
        )  # fmt: skip
    db.session.commit()
    return now


def test_messages_to_one_number_go_one_after_another(shibuya, fake_twilio):
    """A couple shares a mobile: their two reminders never travel side by side."""
    now = two_texts_due_to_one_number(shibuya)
    result = dispatch.dispatch_once(now)
    assert result.sent == 2 and result.held >= 1
    # The earlier session's message first, the second only once the first was recorded.
    bodies = [posted.form["Body"] for posted in fake_twilio.posted]
    assert len(bodies) == 2 and "早い回" in bodies[0] and "遅い回" in bodies[1]


def test_a_message_tried_again_is_not_overtaken_by_a_later_one(shibuya, fake_twilio):
    """Twilio asks to slow down on the first of two texts to one number: the second waits
    for the first, whose retry goes first."""
    now = two_texts_due_to_one_number(shibuya)
    fake_twilio.answer(429)
    first = dispatch.dispatch_once(now)
    assert (first.sent, first.retried) == (0, 1) and first.held
    retry_due = db.session.scalar(
        sa.select(Reminder.due_dt).where(Reminder.status == ReminderStatus.PENDING,
                                         Reminder.attempts == 1)
    )  # fmt: skip
    later = dispatch.dispatch_once(now + timedelta(seconds=1))
    assert later.sent == 0 and later.held  # the retry is not due yet, so neither goes
    done = dispatch.dispatch_once(retry_due + timedelta(seconds=1))
    assert done.sent == 2
    bodies = [posted.form["Body"] for posted in fake_twilio.posted]
    assert "早い回" in bodies[-2] and "遅い回" in bodies[-1]
