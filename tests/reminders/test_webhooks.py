"""Twilio's callbacks: signed or refused; status moves forward; keys and replies act once."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.residents.models import BookingStatus, OptOutSource, ReminderChannel
from tests import factories
from tests.conftest import make_test_app

PUBLIC = "https://inclusion.example.lg.jp"
TOKEN = "fake-token"


@pytest.fixture
def app_config():
    return {
        "TWILIO_ACCOUNT_SID": "ACfake",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": PUBLIC,
        "REMINDER_CHANNEL": "console",
    }


def signed_post(client, path: str, form: dict[str, str], token: str = TOKEN, url: str = ""):
    signature = RequestValidator(token).compute_signature(url or f"{PUBLIC}{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def full_class(shibuya):
    return factories.make_session(factories.make_venue(shibuya), capacity=1)


@pytest.fixture
def reminder(shibuya, full_class):
    booking = factories.make_booking(full_class, factories.make_resident(shibuya))
    return factories.make_reminder(booking, body="こちらは渋谷区です。")


def test_no_signature_no_entry(client, reminder):
    path = f"/twilio/status/{reminder.id}"
    form = {"MessageStatus": "delivered"}
    assert client.post(path, data=form).status_code == 403
    assert signed_post(client, path, form, token="wrong").status_code == 403
    assert (
        signed_post(client, path, {**form, "Extra": "x"}, url=f"{PUBLIC}/other").status_code == 403
    )
    forged = client.post(path, data=form, headers={"X-Twilio-Signature": "AAAA"})
    assert forged.status_code == 403
    assert reminder.status == ReminderStatus.SENT
    assert signed_post(client, path, form).status_code == 204
    assert reminder.status == ReminderStatus.DELIVERED


def test_only_the_configured_public_url_is_what_was_signed(database_url):
    """The Host header is whatever the sender says: a signature is checked against
    PUBLIC_BASE_URL alone, and without one every webhook is refused."""
    form = {"MessageStatus": "delivered"}
    path = "/twilio/status/999999"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "attacker.example"}
    for base, expected in ((PUBLIC, 404), (None, 403)):
        settings = {"TWILIO_AUTH_TOKEN": TOKEN, "PROXY_FIX_HOPS": "1"}
        if base:
            settings["PUBLIC_BASE_URL"] = base
        app = make_test_app(database_url, **settings)
        client = app.test_client()
        try:
            for url in (f"{PUBLIC}{path}", f"https://attacker.example{path}"):
                signature = RequestValidator(TOKEN).compute_signature(url, form)
                headers = {"X-Twilio-Signature": signature, **forwarded}
                status = client.post(path, data=form, headers=headers).status_code
                # Accepted (then no such reminder) only when signed for our own address.
                assert status == (expected if url.startswith(PUBLIC) else 403), (base, url)
        finally:
            with app.app_context():
                db.engine.dispose()


def test_status_only_moves_forward(client, reminder):
    path = f"/twilio/status/{reminder.id}"
    signed_post(client, path, {"CallStatus": "no-answer"})
    assert reminder.status == ReminderStatus.NO_ANSWER and reminder.finished_dt
    for late in ("completed", "sent", "queued", "ringing", "nonsense"):
        assert signed_post(client, path, {"CallStatus": late}).status_code == 204
        assert reminder.status == ReminderStatus.NO_ANSWER
    unknown = factories.make_reminder(
        reminder_booking(reminder), status=ReminderStatus.UNKNOWN, kind="morning"
    )
    signed_post(client, f"/twilio/status/{unknown.id}", {"MessageStatus": "delivered"})
    assert unknown.status == ReminderStatus.DELIVERED
    assert signed_post(client, "/twilio/status/2147483647", {"CallStatus": "x"}).status_code == 404


def reminder_booking(reminder):
    return db.session.get(factories.Booking, reminder.booking_id)


def test_pressing_2_cancels_and_promotes_the_waiting_list(client, shibuya, full_class, reminder):
    waiting = factories.make_booking(
        full_class, factories.make_resident(shibuya), status=BookingStatus.WAITLISTED
    )
    response = signed_post(client, f"/twilio/voice/{reminder.id}", {"Digits": "2"})
    assert response.mimetype == "text/xml" and "取り消しました" in response.get_data(as_text=True)
    assert reminder_booking(reminder).status == BookingStatus.CANCELLED
    assert (waiting.status, waiting.place) == (BookingStatus.BOOKED, 1)
    assert reminder.reply == "cancelled" and reminder.replied_dt
    # Pressing again changes nothing more.
    signed_post(client, f"/twilio/voice/{reminder.id}", {"Digits": "1"})
    assert reminder.reply == "cancelled"


def test_pressing_1_confirms_and_9_or_anything_else_repeats(client, reminder):
    for digits in ("9", "5", "", "１２"):
        response = signed_post(client, f"/twilio/voice/{reminder.id}", {"Digits": digits})
        text = response.get_data(as_text=True)
        assert "<Gather" in text and "こちらは渋谷区です。" in text
        assert reminder.reply is None
    response = signed_post(client, f"/twilio/voice/{reminder.id}", {"Digits": "1"})
    assert "お待ちしております" in response.get_data(as_text=True)
    assert reminder.reply == "confirmed"
    assert reminder_booking(reminder).status == BookingStatus.BOOKED


def test_an_sms_reply_that_could_mean_two_bookings_changes_nothing(client, shibuya):
    shibuya.booking_phone = "03-3463-1873"
    resident = factories.make_resident(shibuya, phones=("+819012345678",))
    venue = factories.make_venue(shibuya)
    earlier, later = (
        factories.make_booking(
            factories.make_session(venue, starts_dt=datetime.now(UTC) + timedelta(days=days)),
            resident,
        )
        for days in (3, 10)
    )
    sent = datetime.now(UTC) - timedelta(hours=1)
    for booking, minutes in ((earlier, 0), (later, 5)):
        factories.make_reminder(
            booking,
            channel=ReminderChannel.SMS,
            to_e164="+819012345678",
            sent_dt=sent + timedelta(minutes=minutes),
        )
    told = signed_post(client, "/twilio/sms", {"From": "+819012345678", "Body": "２"}).text
    assert "取り消しました" not in told
    assert "2件" in told and "何も変えていません" in told and "03-3463-1873" in told
    assert (earlier.status, later.status) == (BookingStatus.BOOKED, BookingStatus.BOOKED)
    told = signed_post(client, "/twilio/sms", {"From": "+819012345678", "Body": "こんにちは"}).text
    # Two bookings: a 1 or 2 could not be placed either, so only a call is offered.
    assert "1（参加します）" not in told and "03-3463-1873）へお電話ください" in told
    assert earlier.status == BookingStatus.BOOKED
    signed_post(client, "/twilio/sms", {"From": "+819012345678", "Body": "停止"})
    assert resident.is_opted_out and resident.opted_out_source == OptOutSource.SMS


def test_stop_by_sms_opts_out(client, shibuya):
    resident = factories.make_resident(shibuya, phones=("+819012345678",), family_name="山田")
    booking = factories.make_booking(
        factories.make_session(factories.make_venue(shibuya)), resident
    )
    factories.make_reminder(
        booking, channel=ReminderChannel.SMS, to_e164="+819012345678", sent_dt=datetime.now(UTC)
    )
    response = signed_post(client, "/twilio/sms", {"From": "+819012345678", "Body": " STOP "})
    assert "今後、山田様へのお知らせは送りません。" in response.text
    assert resident.is_opted_out and resident.opted_out_source == OptOutSource.SMS
    stranger = signed_post(client, "/twilio/sms", {"From": "+817000000000", "Body": "1"})
    assert stranger.status_code == 200 and "ご予約が見つかりません" in stranger.text


def test_no_answer_calls_again_later_then_the_contact(client, shibuya, full_class):
    resident = factories.make_resident(
        shibuya, proxy_phone_e164="+819011110111", proxy_phone_kind=PhoneKind.MOBILE
    )
    booking = factories.make_booking(full_class, resident)
    first = factories.make_reminder(booking, key=f"b{booking.id}:morning:resident")
    signed_post(client, f"/twilio/status/{first.id}", {"CallStatus": "no-answer"})
    retry = db.session.scalar(sa.select(Reminder).where(Reminder.key.endswith(":retry")))
    assert retry.to_e164 == first.to_e164 and retry.channel == ReminderChannel.VOICE
    assert retry.due_dt - first.finished_dt == timedelta(minutes=60)
    retry.status = ReminderStatus.SENT
    db.session.flush()
    signed_post(client, f"/twilio/status/{retry.id}", {"CallStatus": "busy"})
    contact = db.session.scalar(sa.select(Reminder).where(Reminder.key.endswith(":contact")))
    assert (contact.recipient, contact.channel, contact.to_e164) == (
        Recipient.PROXY, ReminderChannel.SMS, "+819011110111",
    )  # fmt: skip
    # The contact not answering either ends it; a repeated callback adds nothing.
    signed_post(client, f"/twilio/status/{retry.id}", {"CallStatus": "busy"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 3
