"""Whole calls to the phone line, posted as Twilio posts them: a caller dials, hears, presses
keys, speaks and hangs up; confirmations go out through the real client to the fake Twilio.

Each test runs on an office day (Tuesday 8 December 2026) at 10:00 in Tokyo unless it says
otherwise, so the desk's hours and the quiet hours are what they would be then.
"""

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.extensions import db
from inclusion.i18n import stored_text
from inclusion.phoneline.flow import At
from inclusion.phoneline.models import CallResult, PhoneLineCall, PhoneLineStep
from inclusion.phones import PhoneKind
from inclusion.reminders import dispatch
from inclusion.reminders.models import Reminder, Reply, ReplyOutcome
from inclusion.residents.models import (
    Booking,
    BookingSource,
    BookingStatus,
    ReminderChannel,
    Resident,
)
from tests import factories
from tests.phoneline.caller import PUBLIC, Caller
from tests.reminders.fake_twilio import FakeTwilio, twilio_settings

#: 10:00 on Tuesday 8 December 2026 in Tokyo.
TUESDAY_MORNING = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
#: 19:00 the same day: the desk has closed, SMS may still go.
TUESDAY_EVENING = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
DESK = "+81334631000"
MOBILE = "+819012340001"


@pytest.fixture(scope="module")
def fake_twilio():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def app_config(fake_twilio):
    fake_twilio.reset()
    return twilio_settings(fake_twilio)


@pytest.fixture(autouse=True)
def office_hours():
    with time_machine.travel(TUESDAY_MORNING, tick=True):
        yield


@pytest.fixture
def ward(shibuya):
    shibuya.phone_line_forward_e164 = DESK
    db.session.flush()
    return shibuya


@pytest.fixture
def venue(ward):
    return factories.make_venue(ward, name="渋谷区民会館")


def _class(venue, days=3, **fields):
    starts = clock.to_utc(clock.today() + timedelta(days=days), time(10))
    return factories.make_session(venue, starts_dt=starts, **fields)


def _texts(fake_twilio) -> list[dict[str, str]]:
    return [posted.form for posted in fake_twilio.posted if posted.path.endswith("Messages.json")]


def _send_due():
    return dispatch.dispatch_once(clock.now())


def _call(sid: str) -> PhoneLineCall:
    return db.session.scalar(sa.select(PhoneLineCall).where(PhoneLineCall.sid == sid))


def test_a_known_resident_books_a_class_and_is_told_by_voice_and_sms(
    client, ward, venue, fake_twilio
):
    session = _class(venue, title="はじめてのスマホ")
    resident = factories.make_resident(ward, kana="ヤマダ", phones=(MOBILE,),
                                       channel=ReminderChannel.SMS)  # fmt: skip
    caller = Caller(client, "shibuya", MOBILE)

    heard = caller.dial()
    assert "渋谷区の、スマホ教室の、予約の電話です" in heard
    assert "ヤマダハナコ様" in heard
    assert "予約するときは、1を" in heard and "係の者と話すときは、0を" in heard
    heard = caller.press("1")
    assert "これから2週間に、予約できる教室は、1件です" in heard
    assert "12月11日、金曜日、午前10時から。渋谷区民会館で、スマホ教室、はじめてのスマホ" in heard
    assert "空きは、あと10人分です" in heard
    heard = caller.press("1")
    said = "12月11日、金曜日、午前10時から、渋谷区民会館の、はじめてのスマホを、予約しました。"
    assert heard.count(said) == 2
    assert "確認のメッセージも、お送りします" in heard

    booking = db.session.scalar(sa.select(Booking).where(Booking.resident_id == resident.id))
    assert booking.session_id == session.id and booking.status == BookingStatus.BOOKED
    assert booking.source == BookingSource.PHONE_LINE
    caller.hang_up(95)
    call = _call(caller.sid)
    assert (call.result, call.duration_seconds, call.booked) == (CallResult.ACTED, 95, 1)
    assert call.path == ["menu", "class", "booked"]
    assert call.resident_id == resident.id

    assert _send_due().sent == 1
    (text,) = _texts(fake_twilio)
    assert text["To"] == MOBILE
    assert text["Body"].startswith("【渋谷区】予約しました：12/11(金)10:00")


def test_a_resident_on_a_landline_hears_no_promise_of_a_message(client, ward, venue):
    _class(venue)
    resident = factories.make_resident(ward)
    caller = Caller(client, "shibuya", resident.phones[0].e164)
    caller.dial()
    caller.press("1")
    heard = caller.press("1")
    assert "予約しました" in heard and "メッセージ" not in heard
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0


def test_a_course_is_booked_whole_and_listed_once(client, ward, venue):
    series = factories.make_series(ward, dates=4)
    resident = factories.make_resident(ward, kana="コウザ")
    caller = Caller(client, "shibuya", resident.phones[0].e164)
    caller.dial()
    heard = caller.press("1")
    # Two of its dates fall in the coming two weeks; the course is offered once.
    assert "1件です" in heard
    assert "全4回の講座です。すべての回を、まとめて予約します" in heard
    heard = caller.press("1")
    assert "全4回の講座、スマホ講座を、すべて予約しました。1回目は、" in heard
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.resident_id == resident.id))
    assert enrolment.series_id == series.id and enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.source == BookingSource.PHONE_LINE
    seats = db.session.scalars(sa.select(Booking).where(Booking.enrolment_id == enrolment.id))
    assert len(list(seats)) == 4


def test_the_next_class_and_the_end_of_the_list(client, ward, venue):
    _class(venue, days=2, title="一つ目")
    _class(venue, days=4, title="二つ目")
    _class(venue, days=20, title="三週間後")
    caller = Caller(client, "shibuya", factories.make_resident(ward).phones[0].e164)
    caller.dial()
    assert "2件です" in caller.press("1") and "一つ目" in caller.heard
    assert "一つ目" in caller.press("9")
    assert "二つ目" in caller.press("2")
    heard = caller.press("2")
    assert "ご案内は、以上です" in heard and "予約するときは、1を" in heard
    assert "三週間後" not in heard


def test_a_resident_hears_and_cancels_a_booking(client, ward, venue, fake_twilio):
    session = _class(venue, title="LINE入門")
    resident = factories.make_resident(ward, phones=(MOBILE,), channel=ReminderChannel.SMS)
    booking = factories.make_booking(session, resident)
    caller = Caller(client, "shibuya", MOBILE)
    caller.dial()
    heard = caller.press("2")
    assert "ご予約は、1件です" in heard
    assert "12月11日、金曜日、午前10時から。渋谷区民会館で、LINE入門。ご予約済みです" in heard
    heard = caller.press("1")
    assert "取り消します。よろしければ1を、取り消さないときは2を" in heard
    heard = caller.press("2")
    assert "取り消しませんでした" in heard
    db.session.refresh(booking)
    assert booking.status == BookingStatus.BOOKED
    caller.press("1")
    heard = caller.press("1")
    assert "12月11日、金曜日、午前10時からの、LINE入門の、ご予約を、取り消しました" in heard
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    # Staff read why in their own words, not the stored key.
    assert stored_text(booking.cancel_reason) == "区民が電話自動受付で取り消しました。"
    heard = caller.press("2")
    assert "ご案内は、以上です" in heard
    events = db.session.scalars(sa.select(AuditLog.action).where(
        AuditLog.action.in_(("booking.cancel", "phone_line.bookings_heard"))))  # fmt: skip
    assert sorted(events) == ["booking.cancel", "phone_line.bookings_heard"]
    assert _send_due().sent == 1
    (text,) = _texts(fake_twilio)
    assert text["Body"].startswith("【渋谷区】取り消しました：12/11(金)10:00")
    caller.hang_up()
    assert _call(caller.sid).cancelled == 1


def test_a_course_is_cancelled_whole(client, ward):
    enrolment = factories.make_enrolment(ward)
    caller = Caller(client, "shibuya", enrolment.resident.phones[0].e164)
    caller.dial()
    heard = caller.press("2")
    assert "ご予約は、1件です" in heard and "全4回の講座です" in heard
    assert "講座、スマホ講座の、すべての回のご予約を、取り消します" in caller.press("1")
    caller.press("1")
    db.session.refresh(enrolment)
    assert enrolment.status == EnrolmentStatus.CANCELLED
    open_seats = db.session.scalar(
        sa.select(sa.func.count()).select_from(Booking).where(
            Booking.enrolment_id == enrolment.id, Booking.status == BookingStatus.BOOKED)
    )  # fmt: skip
    assert open_seats == 0


def test_a_resident_joins_the_waiting_list_of_a_full_class(client, ward, venue):
    full = _class(venue, title="満席の教室", capacity=1)
    _class(venue, days=4, title="空いている教室")
    factories.make_booking(full, factories.make_resident(ward))
    resident = factories.make_resident(ward, phones=("+81355551234",))
    caller = Caller(client, "shibuya", "+81355551234")
    caller.dial()
    heard = caller.press("3")
    assert "キャンセル待ちができる教室は、1件です" in heard
    assert "満席の教室" in heard and "空いている教室" not in heard
    assert "満席です。キャンセル待ちに登録するときは1を" in heard
    heard = caller.press("1")
    assert (
        "満席のため、12月11日、金曜日、午前10時からの、満席の教室の、キャンセル待ちに、登録しました。1番目です"
        in heard
    )
    booking = db.session.scalar(sa.select(Booking).where(Booking.resident_id == resident.id))
    assert booking.status == BookingStatus.WAITLISTED
    heard = caller.press("0")
    heard = caller.press("2")
    assert "キャンセル待ちの、1番目です" in heard
    caller.hang_up()
    assert _call(caller.sid).waitlisted == 1


def test_a_seat_offered_to_those_waiting_is_taken_on_the_line(client, ward, venue):
    soon = clock.now() + timedelta(hours=6)
    session = factories.make_session(venue, starts_dt=soon, capacity=1, title="夕方の教室")
    seated = factories.make_booking(session, factories.make_resident(ward))
    resident = factories.make_resident(ward, phones=("+81355551235",))
    waiting = factories.make_booking(session, resident, BookingStatus.WAITLISTED, place=None)
    waiting.queued_dt = clock.now()
    from inclusion.residents import bookings

    bookings.cancel_booking(None, seated)
    caller = Caller(client, "shibuya", "+81355551235")
    caller.dial()
    heard = caller.press("2")
    assert "いま、席が空いています。参加されるときは、3を押してください" in heard
    heard = caller.press("3")
    assert "夕方の教室" not in heard.split("席を、予約しました")[0] or True
    assert "席を、予約しました" in heard
    db.session.refresh(waiting)
    assert waiting.status == BookingStatus.BOOKED


def test_a_proxy_books_for_one_of_two_and_hears_only_theirs(client, ward, venue):
    session = _class(venue, title="タブレット教室")
    other = _class(venue, days=5, title="ほかの人の教室")
    proxy = "+819011112222"
    mother = factories.make_resident(ward, kana="タナカ", proxy_phone_e164=proxy,
                                     proxy_name="田中一郎")  # fmt: skip
    father = factories.make_resident(ward, kana="サトウ", proxy_phone_e164=proxy)
    stranger = factories.make_resident(ward, kana="スズキ")
    factories.make_booking(other, stranger)
    caller = Caller(client, "shibuya", proxy)
    heard = caller.dial()
    assert "どなたの、ご用件ですか" in heard
    assert "タナカハナコ様のご用件は、1を" in heard and "サトウハナコ様のご用件は、2を" in heard
    assert "スズキ" not in heard
    heard = caller.press("2")
    assert "サトウハナコ様の、ご用件ですね" in heard
    caller.press("1")
    heard = caller.press("1")
    assert "タブレット教室を、予約しました" in heard
    booked = db.session.scalar(sa.select(Booking).where(Booking.session_id == session.id))
    assert booked.resident_id == father.id
    caller.press("0")
    heard = caller.press("2")
    assert "タブレット教室" in heard and "ほかの人の教室" not in heard
    assert not db.session.scalar(sa.select(Booking).where(Booking.resident_id == mother.id))


def test_an_unknown_callers_provisional_booking_reaches_the_inbox(client, ward, venue):
    session = _class(venue, title="はじめてのスマホ")
    caller = Caller(client, "shibuya", "+81355559999")
    heard = caller.dial()
    assert "様、こんにちは" not in heard
    caller.press("1")
    heard = caller.press("1")
    assert "お名前を、ゆっくり、お話しください" in heard and caller.waits_for_speech
    heard = caller.speak("山田花子です")
    assert "はじめてのスマホを、予約しました" in heard
    assert "区の係の者から、確認のお電話をします" in heard
    booking = db.session.scalar(sa.select(Booking).where(Booking.session_id == session.id))
    resident = db.session.get(Resident, booking.resident_id)
    assert resident.is_provisional and resident.family_name == "山田花子です"
    assert resident.ward_id == ward.id and resident.phones[0].e164 == "+81355559999"
    assert resident.reminder_channel == ReminderChannel.NONE
    reply = db.session.scalar(sa.select(Reply).where(Reply.outcome == ReplyOutcome.PROVISIONAL))
    assert reply.ward_id == ward.id and reply.from_e164 == "+81355559999"
    assert reply.resident_ids == [resident.id] and reply.booking_ids == [booking.id]
    assert reply.handled_dt is None and "予約しました" in reply.told
    # Calling again, they are known by their number.
    again = Caller(client, "shibuya", "+81355559999")
    again.dial()
    assert "はじめてのスマホ" in again.press("2")


def test_a_dropped_call_leaves_nothing_half_done(client, ward, venue):
    _class(venue)
    caller = Caller(client, "shibuya", "+81355558888")
    caller.dial()
    caller.press("1")
    caller.press("1")
    assert caller.waits_for_speech
    caller.hang_up(20)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Resident).where(Resident.ward_id == ward.id)
        )
        == 0
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reply)) == 0
    call = _call(caller.sid)
    assert call.result == CallResult.DROPPED and call.last_step == "name"


def test_a_step_asked_twice_and_a_key_pressed_twice_book_once(client, ward, venue):
    session = _class(venue)
    resident = factories.make_resident(ward)
    caller = Caller(client, "shibuya", resident.phones[0].e164)
    caller.dial()
    caller.press("1")
    first = caller.press("1")
    # Twilio asks the same step again (a retry): the same answer, nothing done again.
    assert caller.again() == first
    # The second press of 1 lands on the next question, where 1 books nothing.
    heard = caller.press("1")
    assert "次の教室を聞くときは2を" in heard
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
        Booking.session_id == session.id))  # fmt: skip
    assert count == 1
    steps = db.session.scalar(sa.select(sa.func.count()).select_from(PhoneLineStep))
    assert steps == 4


def test_a_class_at_the_time_of_ones_own_booking_is_refused(client, ward, venue):
    mine = _class(venue, title="自分の教室")
    elsewhere = factories.make_venue(ward, name="別の会館")
    _class(elsewhere, title="同じ時間の教室")
    resident = factories.make_resident(ward)
    factories.make_booking(mine, resident)
    caller = Caller(client, "shibuya", resident.phones[0].e164)
    caller.dial()
    heard = caller.press("1")
    # What the caller holds already is not offered again.
    assert "同じ時間の教室" in heard and "自分の教室" not in heard
    heard = caller.press("1")
    assert "同じ時間の教室に、すでにご予約があります" in heard
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_in_desk_hours_the_caller_is_put_through(client, ward):
    caller = Caller(client, "shibuya", "+81355557777")
    caller.dial()
    heard = caller.press("0")
    assert "係の者に、おつなぎします" in heard
    assert caller.put_through_to == DESK
    caller.staff_answer("completed")
    assert caller.ended
    caller.hang_up(300)
    call = _call(caller.sid)
    assert call.handed_over and call.result == CallResult.HANDED_OVER


def test_when_nobody_answers_the_caller_leaves_a_message(client, ward):
    caller = Caller(client, "shibuya", "+81355557777")
    caller.dial()
    caller.press("0")
    heard = caller.staff_answer("no-answer")
    assert "ただいま、電話に出られません" in heard and caller.waits_for_speech
    heard = caller.speak("サトウです。教室のことで電話しました")
    assert "ご伝言を、お預かりしました" in heard and caller.ended
    reply = db.session.scalar(sa.select(Reply))
    assert reply.outcome == ReplyOutcome.MESSAGE and reply.ward_id == ward.id
    assert reply.body == "サトウです。教室のことで電話しました"
    assert reply.from_e164 == "+81355557777" and reply.handled_dt is None


def test_outside_desk_hours_the_hand_over_becomes_a_message(client, ward):
    resident = factories.make_resident(ward)
    with time_machine.travel(TUESDAY_EVENING, tick=True):
        caller = Caller(client, "shibuya", resident.phones[0].e164)
        heard = caller.dial()
        assert "伝言を残すときは、0を" in heard
        heard = caller.press("0")
        assert (
            "受付時間の外です" in heard and "平日の、午前8時半から、午後5時15分までです" in heard
        )
        assert "<Dial" not in caller.twiml
        caller.speak("明日の教室に遅れます")
        caller.hang_up()
    reply = db.session.scalar(sa.select(Reply))
    assert reply.outcome == ReplyOutcome.MESSAGE and reply.resident_ids == [resident.id]
    assert _call(caller.sid).result == CallResult.MESSAGE


def test_a_withheld_number_cannot_book_or_be_called_back(client, ward, venue):
    _class(venue)
    caller = Caller(client, "shibuya", None)
    caller.dial()
    caller.press("1")
    heard = caller.press("1")
    assert "非通知のため、この電話では、予約ができません" in heard
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    with time_machine.travel(TUESDAY_EVENING, tick=True):
        heard = caller.press("0")
        assert "伝言" not in heard and "係の者" not in heard
        heard = caller.press("0")
    assert "折り返しのお電話が、できません" in heard and caller.ended


def test_english_on_key_8(client, ward, venue):
    _class(venue, title="はじめてのスマホ")
    caller = Caller(client, "shibuya", factories.make_resident(ward).phones[0].e164)
    assert "For English, press 8." in caller.dial()
    heard = caller.press("8")
    assert "To hear the classes and book one, press 1." in heard
    assert "For English" not in heard
    heard = caller.press("1")
    assert "Friday 11 December, 10:00 AM. A smartphone class:" in heard
    assert "はじめてのスマホ、渋谷区民会館" in heard
    assert caller.voices() == {"Polly.Joanna", "Polly.Mizuki"}
    assert _call(caller.sid).language == "en"


def test_silence_asks_again_then_ends_the_call(client, ward):
    caller = Caller(client, "shibuya", "+81355556666")
    caller.dial()
    assert "ボタンが、押されませんでした" in caller.keep_silent()
    caller.keep_silent()
    heard = caller.keep_silent()
    assert "お電話を、お切りします。また、おかけください" in heard and caller.ended
    caller.hang_up(40)
    # The line ended it: not a caller who gave up at a step.
    assert _call(caller.sid).result == CallResult.ENDED


def test_a_session_of_another_ward_in_the_url_books_nothing(client, ward, shinagawa):
    elsewhere = factories.make_session(factories.make_venue(shinagawa))
    resident = factories.make_resident(ward)
    caller = Caller(client, "shibuya", resident.phones[0].e164)
    caller.dial()
    url = f"{PUBLIC}/twilio/phone/shibuya/2?at=class&i=0&s={elsewhere.id}"
    caller.post(url, {"Digits": "1"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_unsigned_or_forged_requests_are_refused(client, ward):
    form = {"CallSid": "CA1", "From": "+81355550000"}
    assert client.post("/twilio/phone/shibuya", data=form).status_code == 403
    forged = client.post("/twilio/phone/shibuya", data=form,
                         headers={"X-Twilio-Signature": "AAAA"})  # fmt: skip
    assert forged.status_code == 403
    assert client.post("/twilio/phone/shibuya/status", data=form).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PhoneLineCall)) == 0


def test_next_goes_on_from_a_class_that_filled_up(client, ward, venue):
    _class(venue, days=2, title="最後の一席", capacity=1)
    _class(venue, days=3, title="次の教室")
    caller = Caller(client, "shibuya", factories.make_resident(ward).phones[0].e164)
    caller.dial()
    assert "最後の一席" in caller.press("1")
    assert "予約しました" in caller.press("1")
    heard = caller.press("2")
    assert "次の教室" in heard and "ご案内は、以上です" not in heard


def test_a_course_waiting_list_is_joined_confirmed_and_left(client, ward, fake_twilio):
    series = factories.make_series(ward, dates=3, capacity=1)
    first = min(series_dates(series), key=lambda date: date.starts_dt)
    factories.make_booking(first, factories.make_resident(ward))
    resident = factories.make_resident(ward, phones=(MOBILE,), channel=ReminderChannel.SMS)
    caller = Caller(client, "shibuya", MOBILE)
    caller.dial()
    assert "満席で、キャンセル待ちができる教室は、1件です" in caller.press("3")
    heard = caller.press("1")
    assert "全3回の講座、スマホ講座の、キャンセル待ちに、登録しました。1番目です" in heard
    assert "確認のメッセージも、お送りします" in heard
    assert _send_due().sent == 1
    (text,) = _texts(fake_twilio)
    assert text["Body"].startswith("【渋谷区】キャンセル待ちに登録しました：")
    caller.press("0")
    heard = caller.press("2")
    assert "講座のキャンセル待ちの" in heard or "キャンセル待ちの、1番目です" in heard
    heard = caller.press("1")
    assert "講座、スマホ講座の、キャンセル待ちを、取り消します" in heard
    caller.press("1")
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.resident_id == resident.id))
    assert enrolment.status == EnrolmentStatus.CANCELLED


def series_dates(series):
    from inclusion.sessions.models import Session

    return list(db.session.scalars(sa.select(Session).where(Session.series_id == series.id)))


def test_a_reply_to_a_written_confirmation_of_a_waiting_place_confirms_nothing(
    client, ward, venue, fake_twilio
):
    from inclusion.reminders import replies

    full = _class(venue, capacity=1)
    factories.make_booking(full, factories.make_resident(ward))
    factories.make_resident(ward, phones=(MOBILE,), channel=ReminderChannel.SMS)
    caller = Caller(client, "shibuya", MOBILE)
    caller.dial()
    caller.press("3")
    caller.press("1")
    assert _send_due().sent == 1
    handled = replies.answer_sms(MOBILE, "1")
    assert handled.outcome != ReplyOutcome.CONFIRMED
    waiting = db.session.scalar(
        sa.select(Booking).where(Booking.status == BookingStatus.WAITLISTED)
    )
    assert waiting is not None


def test_a_resident_whose_messages_go_to_their_contact_is_not_promised_one(client, ward, venue):
    _class(venue)
    resident = factories.make_resident(ward, proxy_phone_e164="+819011119999",
                                       proxy_phone_kind=PhoneKind.MOBILE,
                                       proxy_gets_reminders=True)  # fmt: skip
    caller = Caller(client, "shibuya", resident.phones[0].e164)
    caller.dial()
    caller.press("1")
    heard = caller.press("1")
    assert "予約しました" in heard and "メッセージ" not in heard
    # The contact person is told in writing all the same.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 1


def test_the_end_reported_before_the_desk_answers_still_counts_the_hand_over(client, ward):
    caller = Caller(client, "shibuya", "+81355557777")
    caller.dial()
    caller.press("0")
    dial_action = caller.twiml
    caller.hang_up(200)
    caller.twiml = dial_action
    caller.staff_answer("completed")
    call = _call(caller.sid)
    assert call.handed_over and call.result == CallResult.HANDED_OVER


def test_odd_form_data_gets_an_answer_not_an_error(client, ward):
    for number in ("+81990123456", "+8112", "+81abc", "", "x" * 500):
        caller = Caller(client, "shibuya", number or None)
        assert "スマホ教室" in caller.dial()
    caller = Caller(client, "shibuya", "+81355550123")
    caller.dial()
    caller.post_status = None
    signed = caller._signed(f"{PUBLIC}/twilio/phone/shibuya/status",
                            {"CallStatus": "completed", "CallDuration": "²"})  # fmt: skip
    assert signed.status_code == 204
    assert caller._signed(f"{PUBLIC}/twilio/phone/shibuya/7?at=mine&b=99999999999", {
        "Digits": "1" * 50, "SpeechResult": "あ" * 9000}).status_code == 200  # fmt: skip
    assert caller._signed(f"{PUBLIC}/twilio/phone/shibuya/8?at=message", {
        "SpeechResult": "\x00\x07"}).status_code in (200, 400)  # fmt: skip
    assert At.read({"s": "12345", "b": "2147483647", "q": "99999"}) == At(
        session=12345, booking=2147483647, silences=100)  # fmt: skip
