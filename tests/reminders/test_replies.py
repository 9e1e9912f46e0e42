"""Replies are matched honestly, stops take effect at once, and staff see every reply.

Through the real ``twilio`` client and a fake Twilio on 127.0.0.1; the replies come in as
signed webhooks, as Twilio sends them.
"""

import dataclasses
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.i18n import local_datetime
from inclusion.phones import PhoneKind
from inclusion.reminders import dispatch, planning
from inclusion.reminders.channels import configured_channel
from inclusion.reminders.models import (
    Recipient,
    Reminder,
    ReminderStatus,
    Reply,
    ReplyOutcome,
)
from inclusion.residents import services as resident_services
from inclusion.residents.models import (
    BookingStatus,
    Contact,
    OptOutSource,
    ReminderChannel,
)
from inclusion.sessions import services as session_services
from tests import factories
from tests.conftest import log_in
from tests.reminders.fake_twilio import twilio_settings
from tests.reminders.test_webhooks import signed_post

MOBILE, DAUGHTER = "+819012345678", "+819087654321"


def daytime():
    """Tomorrow at 10:00 in Tokyo: inside the hours messages may go, before the sessions."""
    return clock.to_utc(clock.today() + timedelta(days=1), time(10))


@pytest.fixture
def app_config(fake_twilio):
    fake_twilio.reset()
    return twilio_settings(fake_twilio)


@pytest.fixture
def ward(shibuya):
    shibuya.booking_phone = "03-3463-1873"
    return shibuya


def sms(client, number: str, body: str) -> str:
    response = signed_post(client, "/twilio/sms", {"From": number, "Body": body})
    assert response.status_code == 200
    return response.text


def reminded(ward, phone: str = MOBILE, days: int = 3, **resident_fields):
    """A booking whose SMS reminder went out an hour ago."""
    session = factories.make_session(
        factories.make_venue(ward), starts_dt=clock.now() + timedelta(days=days)
    )
    resident = factories.make_resident(
        ward, phones=(phone,), channel=ReminderChannel.SMS, **resident_fields
    )
    booking = factories.make_booking(session, resident)
    factories.make_reminder(
        booking, channel=ReminderChannel.SMS, to_e164=phone,
        sent_dt=clock.now() - timedelta(hours=1),
    )  # fmt: skip
    return booking


def inbox(ward=None) -> list[Reply]:
    query = sa.select(Reply).order_by(Reply.id)
    if ward is not None:
        query = query.where(Reply.ward_id == ward.id)
    return list(db.session.scalars(query))


def test_a_cancel_says_what_it_cancelled_and_a_second_one_says_it_is_done(client, ward):
    booking = reminded(ward)
    told = sms(client, MOBILE, "2")
    assert told.endswith("のご予約を取り消しました。</Message></Response>")
    assert booking.status == BookingStatus.CANCELLED
    again = sms(client, MOBILE, "キャンセル")
    assert "すでに取り消しています" in again and "取り消しました" not in again
    outcomes = [reply.outcome for reply in inbox(ward)]
    assert outcomes == [ReplyOutcome.CANCELLED, ReplyOutcome.ALREADY_CANCELLED]
    # Both acted on by themselves: nothing waits for staff.
    assert all(reply.handled_dt is not None for reply in inbox(ward))


def test_confirming_a_booking_staff_cancelled_is_not_thanked(client, ward, users):
    booking = reminded(ward)
    from inclusion.residents import bookings

    bookings.cancel_booking(users["ward_staff"], booking, "体調不良の連絡")
    told = sms(client, MOBILE, "1")
    assert "取り消されています" in told and "03-3463-1873" in told
    assert "お待ちしています" not in told
    [reply] = inbox(ward)
    assert reply.outcome == ReplyOutcome.NO_BOOKING and reply.handled_dt is None


def test_the_log_keeps_the_answer_that_counts(app, client, ward, users):
    """A 1, then a 2 a day later: the reminder log must read cancelled, not coming, and the
    session's history says in Japanese why the booking went."""
    booking = reminded(ward)
    sms(client, MOBILE, "1")
    sms(client, MOBILE, "2")
    reminder = db.session.scalar(sa.select(Reminder).where(Reminder.booking_id == booking.id))
    assert booking.status == BookingStatus.CANCELLED and reminder.reply == "cancelled"
    staff = app.test_client()
    log_in(staff, users["ward_staff"])
    history = staff.get(f"/manage/shibuya/sessions/{booking.session_id}").text
    assert "ご本人がお知らせへの返信で取り消しました" in history
    assert "cancelled on a reminder" not in history


def test_a_shared_number_across_two_wards_never_cancels_by_guess(client, ward, shinagawa):
    """A daughter is the contact of her father in Shibuya and her mother in Shinagawa."""
    father = reminded(ward, phone="+81334630001", proxy_phone_e164=DAUGHTER)
    mother = reminded(shinagawa, phone="+81337770001", proxy_phone_e164=DAUGHTER)
    for booking in (father, mother):
        factories.make_reminder(
            booking, channel=ReminderChannel.SMS, to_e164=DAUGHTER,
            recipient=Recipient.PROXY, sent_dt=clock.now() - timedelta(minutes=30),
        )  # fmt: skip
    told = sms(client, DAUGHTER, "2")
    assert "2件" in told and "何も変えていません" in told and "お住まいの区" in told
    assert (father.status, mother.status) == (BookingStatus.BOOKED, BookingStatus.BOOKED)
    # Each ward's inbox names only its own resident.
    [in_shibuya], [in_shinagawa] = inbox(ward), inbox(shinagawa)
    assert in_shibuya.resident_ids == [father.resident_id]
    assert in_shinagawa.resident_ids == [mother.resident_id]
    assert {in_shibuya.outcome, in_shinagawa.outcome} == {ReplyOutcome.AMBIGUOUS}
    assert in_shibuya.handled_dt is None
    assert (in_shibuya.booking_ids, in_shinagawa.booking_ids) == ([father.id], [mother.id])
    assert in_shibuya.told == told.split("<Message>")[1].split("</Message>")[0]


def test_the_inbox_shows_the_bookings_an_unclear_reply_could_mean(app, client, ward, users):
    first = reminded(ward, family_name="山田")
    second = reminded(ward, days=10, family_name="山田", phone=MOBILE)
    told = sms(client, MOBILE, "2")
    assert "何も変えていません" in told
    staff = app.test_client()
    log_in(staff, users["ward_staff"])
    page = staff.get("/manage/shibuya/replies").text
    with app.test_request_context():
        for booking in (first, second):
            assert f"{booking.session.title} {local_datetime(booking.session.starts_dt)}" in page
    assert "こちらからの返答：" in page and "何も変えていません" in page


def test_a_contact_person_who_says_stop_stops_only_their_own_messages(client, ward):
    father = reminded(
        ward, phone="+81334630001", family_name="山田", proxy_phone_e164=DAUGHTER,
        proxy_phone_kind=PhoneKind.MOBILE, proxy_gets_reminders=True,
    )  # fmt: skip
    mother = reminded(
        ward, phone="+81334630002", family_name="佐藤", proxy_phone_e164=DAUGHTER,
        proxy_phone_kind=PhoneKind.MOBILE, proxy_gets_reminders=True,
    )  # fmt: skip
    waiting = [
        factories.make_reminder(
            booking,
            status=ReminderStatus.PENDING,
            recipient=recipient,
            to_e164=to,
            key=f"b{booking.id}:test:{recipient.value}",
        )  # fmt: skip
        for booking in (father, mother)
        for recipient, to in (
            (Recipient.PROXY, DAUGHTER),
            (Recipient.RESIDENT, booking.resident.phones[0].e164),
        )
    ]
    told = sms(client, DAUGHTER, "停止")
    assert "今後、山田様、佐藤様へのお知らせは送りません。" in told
    for booking in (father, mother):
        resident = booking.resident
        assert resident.proxy_opted_out_dt is not None and not resident.is_opted_out
        assert resident.proxy_opted_out_source == OptOutSource.SMS
    # At once, in the same transaction: no plan run needed.
    statuses = {(row.recipient, row.status) for row in waiting}
    assert statuses == {
        (Recipient.PROXY, ReminderStatus.CANCELLED),
        (Recipient.RESIDENT, ReminderStatus.PENDING),
    }
    # And the next plans never queue the contact again.
    planning.plan(clock.now())
    to_daughter = db.session.scalars(
        sa.select(Reminder.status).where(Reminder.to_e164 == DAUGHTER)
    ).all()
    assert ReminderStatus.PENDING not in to_daughter


def test_a_stop_between_claim_and_send_is_honoured(client, ward, fake_twilio):
    """The dispatcher claimed a batch; one of its residents says 停止 before their turn."""
    stopping, staying = reminded(ward, phone=MOBILE), reminded(ward, phone="+819011112222")
    now = daytime()
    for booking in (stopping, staying):
        factories.make_reminder(
            booking, status=ReminderStatus.PENDING, channel=ReminderChannel.SMS,
            to_e164=booking.resident.phones[0].e164, due_dt=now - timedelta(minutes=1),
            kind="morning", key=f"b{booking.id}:morning:resident",
        )  # fmt: skip
    db.session.commit()
    claimed, _result = dispatch.claim(now, 100)
    assert len(claimed) == 2
    sms(client, MOBILE, "停止")
    result = dispatch.DispatchResult()
    with dispatch.Sender(configured_channel(), now, result) as sender:
        sender.send(claimed)
    assert [posted.form["To"] for posted in fake_twilio.posted] == ["+819011112222"]
    assert (result.sent, result.cancelled) == (1, 1)
    row = db.session.scalar(sa.select(Reminder).where(Reminder.key.endswith(":morning:resident"),
                                                      Reminder.to_e164 == MOBILE))  # fmt: skip
    assert row.status == ReminderStatus.CANCELLED and row.sent_dt is None


def test_a_session_moved_between_claim_and_send_goes_with_the_new_time(ward, users, fake_twilio):
    booking = reminded(ward)
    session = booking.session
    now = daytime()
    row = factories.make_reminder(
        booking, status=ReminderStatus.PENDING, channel=ReminderChannel.SMS, to_e164=MOBILE,
        due_dt=now - timedelta(minutes=1), kind="morning",
    )  # fmt: skip
    db.session.commit()
    claimed, _result = dispatch.claim(now, 100)
    old_text = claimed[0].body
    draft = session_services.SessionDraft.of(session)
    # Another time the same day, whatever the hour the test runs at.
    starts = clock.to_local(session.starts_dt)
    moved = starts.replace(hour=15 if starts.hour < 12 else 9, minute=30)
    session_services.update_session(
        users["ward_staff"], session,
        session_services.SessionDraft(**{**vars(draft), "starts_time": moved.time(),
                                         "ends_time": (moved + timedelta(hours=1)).time()}),
        reason="会場の都合",
    )  # fmt: skip
    db.session.commit()
    result = dispatch.DispatchResult()
    with dispatch.Sender(configured_channel(), now, result) as sender:
        sender.send(claimed)
    assert fake_twilio.posted == [] and result.rewritten == 1
    db.session.refresh(row)
    assert row.status == ReminderStatus.PENDING and row.attempts == 0
    # Claimed again, it is written with the new time.
    dispatch.dispatch_once(now)
    db.session.refresh(row)
    assert row.status == ReminderStatus.SENT and row.body != old_text
    assert f"{moved:%H:%M}" in row.body


def test_a_reply_nobody_can_place_lands_with_the_administrators(app, client, users):
    told = sms(client, "+817000000000", "2")
    assert "ご予約が見つかりません" in told and "お住まいの区" in told
    [reply] = inbox()
    assert reply.ward_id is None and reply.outcome == ReplyOutcome.NO_BOOKING
    admin = app.test_client()
    log_in(admin, users["admin"])
    page = admin.get("/admin/replies")
    assert page.status_code == 200 and "070-0000-0000" in page.text
    assert admin.post(f"/admin/replies/{reply.id}/handled").status_code == 302
    assert reply.handled_dt is not None and reply.handled_by_id == users["admin"].id


def test_staff_see_replies_waiting_and_mark_them_followed_up(app, client, ward, users):
    booking = reminded(ward, family_name="山田")
    sms(client, MOBILE, "わかりません")
    staff = app.test_client()
    log_in(staff, users["ward_staff"])
    page = staff.get("/manage/shibuya/replies")
    assert page.status_code == 200
    assert "わかりません" in page.text and booking.resident.name in page.text
    viewed = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "reply.list").order_by(AuditLog.id.desc())
    )
    assert viewed.actor_id == users["ward_staff"].id
    assert "件" in staff.get("/manage/shibuya").text  # the ward's page says replies wait
    [reply] = inbox(ward)
    done = staff.post(f"/manage/shibuya/replies/{reply.id}/handled", follow_redirects=True)
    assert "対応済みにしました" in done.text
    assert reply.handled_by_id == users["ward_staff"].id
    # A second click (or a colleague's) is told it was done, and by whom; nothing changes.
    handled_dt = reply.handled_dt
    again = staff.post(f"/manage/shibuya/replies/{reply.id}/handled", follow_redirects=True)
    assert "すでに" in again.text and users["ward_staff"].display_name in again.text
    assert "対応済みにしました" not in again.text and reply.handled_dt == handled_dt
    assert "わかりません" not in staff.get("/manage/shibuya/replies").text
    assert "わかりません" in staff.get("/manage/shibuya/replies?show=all").text
    # Another ward's staff cannot reach it.
    other = app.test_client()
    log_in(other, users["other_ward_staff"])
    assert other.post(f"/manage/shinagawa/replies/{reply.id}/handled").status_code == 404


def test_staff_change_each_contact_only_saying_why(app, ward, users):
    resident = factories.make_resident(
        ward, proxy_phone_e164=DAUGHTER, proxy_phone_kind=PhoneKind.MOBILE,
        proxy_gets_reminders=True, proxy_name="山田 花子", proxy_relation="長女",
    )  # fmt: skip
    staff = app.test_client()
    log_in(staff, users["ward_staff"])
    path = f"/manage/shibuya/residents/{resident.id}"
    page = staff.get(path).text
    assert "長女" in page and "090-8765-4321" in page
    refused = staff.post(f"{path}/opt-out", data={"opted_out": "no", "proxy_opted_out": "yes"})
    # Refused at the reason, with the staff's choice still chosen, and nothing changed.
    assert refused.status_code == 422 and "理由を入力してください" in refused.text
    assert '<p class="error-message" id="reason-error">' in refused.text
    assert '<input checked class="checkbox-input" id="proxy_opted_out-1"' in refused.text
    assert resident.proxy_opted_out_dt is None
    stopping = {"opted_out": "no", "proxy_opted_out": "yes", "reason": "長女から電話で依頼"}
    asked = staff.post(f"{path}/opt-out", data=stopping)
    assert "山田 花子さんへのお知らせを止めますか" in asked.text  # who stops getting them
    assert resident.proxy_opted_out_dt is None
    staff.post(f"{path}/opt-out", data={**stopping, "confirmed": "yes"})
    assert resident.proxy_opted_out_dt is not None and not resident.is_opted_out
    entry = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "resident.opt_out").order_by(AuditLog.id)
    )
    assert entry.actor_id == users["ward_staff"].id
    assert entry.details == {"contact": "proxy", "source": "staff", "reason": "長女から電話で依頼"}
    page = staff.get(path).text
    assert "から連絡先の方へのお知らせを止めています" in page
    assert "からご本人へのお知らせを止めています" not in page


def test_the_resident_page_says_when_the_record_itself_sends_nothing(app, ward, users):
    resident = factories.make_resident(ward, channel=ReminderChannel.NONE)
    staff = app.test_client()
    log_in(staff, users["ward_staff"])
    page = staff.get(f"/manage/shibuya/residents/{resident.id}").text
    assert "連絡方法：連絡しない。これを変えるまで、ご本人には何も送りません（変更）" in page


def test_the_staff_stop_cancels_waiting_messages_at_once(ward, users):
    booking = reminded(ward)
    waiting = factories.make_reminder(
        booking, status=ReminderStatus.PENDING, to_e164=MOBILE, kind="morning"
    )
    resident_services.set_reminder_choices(
        users["ward_staff"], booking.resident, {Contact.RESIDENT: True}, "本人の希望"
    )
    assert waiting.status == ReminderStatus.CANCELLED


def test_a_new_number_takes_the_waiting_messages_and_the_old_one_gets_none(ward, users):
    """Staff type a resident's new mobile: her waiting reminder goes there, never to the old
    number (which may be someone else's now); her daughter, no longer her contact, gets none."""
    booking = reminded(ward, kana="ヤマダ", proxy_phone_e164=DAUGHTER,
                       proxy_phone_kind=PhoneKind.MOBILE, proxy_gets_reminders=True)  # fmt: skip
    resident = booking.resident
    mine = factories.make_reminder(booking, status=ReminderStatus.PENDING, to_e164=MOBILE,
                                   channel=ReminderChannel.SMS, kind="morning")  # fmt: skip
    daughters = factories.make_reminder(
        booking, status=ReminderStatus.PENDING, to_e164=DAUGHTER, channel=ReminderChannel.SMS,
        recipient=Recipient.PROXY, kind="morning",
    )  # fmt: skip
    draft = resident_services.ResidentDraft.of(resident)
    changed = dataclasses.replace(draft, phones=["080-1111-2222"], proxy_phone="",
                                  proxy_name="", proxy_gets_reminders=False)  # fmt: skip
    resident_services.update_resident(users["ward_staff"], resident, changed)
    assert (mine.status, mine.to_e164) == (ReminderStatus.PENDING, "+818011112222")
    assert daughters.status == ReminderStatus.CANCELLED
    # A landline instead: the same reminder becomes a call.
    landline = dataclasses.replace(changed, phones=["03-3333-4444"], reminder_channel=None)
    resident_services.update_resident(users["ward_staff"], resident, landline)
    assert (mine.to_e164, mine.channel) == ("+81333334444", ReminderChannel.VOICE)


def test_a_row_claimed_before_the_number_changed_does_not_go_to_the_old_one(ward, users):
    """Even when another of her messages now waits for the new number: the old number is
    checked against her own numbers, not against any message's."""
    booking = reminded(ward, kana="ヤマダ")
    claimed = factories.make_reminder(booking, status=ReminderStatus.SENDING, to_e164=MOBILE,
                                      channel=ReminderChannel.SMS, kind="morning")  # fmt: skip
    waiting = factories.make_reminder(
        booking, status=ReminderStatus.PENDING, to_e164=MOBILE, channel=ReminderChannel.SMS,
        kind="two_days_before",
    )  # fmt: skip
    draft = resident_services.ResidentDraft.of(booking.resident)
    resident_services.update_resident(
        users["ward_staff"], booking.resident, dataclasses.replace(draft, phones=["080-1111-2222"])
    )
    result = dispatch.DispatchResult()
    outgoing = [dispatch.Outgoing(claimed.id, claimed.channel, MOBILE, "本文", 0)]
    assert waiting.to_e164 == "+818011112222"
    assert dispatch.wanted(outgoing, clock.now(), result) == [] and result.cancelled == 1
    assert claimed.status == ReminderStatus.CANCELLED


def test_a_booking_cancelled_before_the_newest_text_is_not_what_a_reply_means(client, ward, users):
    """Kimura cancelled one class by replying 2; her next reminder is for another booking."""
    from inclusion.residents import bookings

    earlier = reminded(ward, days=5)
    bookings.cancel_booking(None, earlier, bookings.REPLY_CANCELLED)
    earlier.cancelled_dt = clock.now() - timedelta(minutes=30)
    later = factories.make_booking(
        factories.make_session(
            factories.make_venue(ward), starts_dt=clock.now() + timedelta(days=3)
        ),
        earlier.resident,
    )
    factories.make_reminder(later, channel=ReminderChannel.SMS, to_e164=MOBILE,
                            sent_dt=clock.now() - timedelta(minutes=5))  # fmt: skip
    told = sms(client, MOBILE, "取り消し")
    assert "取り消しました" in told and later.status == BookingStatus.CANCELLED
    again = sms(client, MOBILE, "2")
    assert "すでに取り消しています" in again


def test_words_that_do_not_clearly_answer_change_nothing(client, ward):
    booking = reminded(ward)
    assert "1（参加します）" in sms(client, MOBILE, "いいえ")
    assert booking.status == BookingStatus.BOOKED
    [reply] = inbox(ward)
    assert reply.outcome == ReplyOutcome.NOT_UNDERSTOOD and reply.handled_dt is None


def test_a_message_nobody_was_asked_for_is_not_answered_with_reply_words(client, ward):
    """The 1 / 2 / 停止 help goes only to a number a reminder asked; others are told whom to
    call, and a number that said 停止 gets nothing back. Staff see all three."""
    stranger = sms(client, "+817000000001", "こんにちは")
    assert "<Message>" in stranger and "お住まいの区へお電話ください" in stranger
    assert "1（参加します）" not in stranger
    factories.make_resident(ward, phones=(MOBILE,), channel=ReminderChannel.SMS)
    db.session.commit()
    known = sms(client, MOBILE, "こんにちは")
    assert f"渋谷区（{ward.booking_phone}）へお電話ください" in known
    assert "1（参加します）" not in known
    # Asked about two bookings: a 1 or a 2 could not be placed, so they are not offered.
    for days in (3, 10):
        reminded(ward, phone=MOBILE, days=days)
    two = sms(client, MOBILE, "こんにちは")
    assert "1（参加します）" not in two and "お電話ください" in two
    sms(client, MOBILE, "停止")
    stopped = sms(client, MOBILE, "こんにちは")
    assert "<Message" not in stopped
    assert [(reply.ward_id, reply.outcome) for reply in inbox()] == [
        (None, ReplyOutcome.NOT_UNDERSTOOD),
        (ward.id, ReplyOutcome.NOT_UNDERSTOOD),
        (ward.id, ReplyOutcome.NOT_UNDERSTOOD),
        (ward.id, ReplyOutcome.STOPPED),
        (ward.id, ReplyOutcome.NOT_UNDERSTOOD),
    ]


def test_a_stop_from_a_number_nobody_has_needs_no_call(app, client, users):
    told = sms(client, "+817000000001", "停止")
    assert "登録されていません" in told
    [reply] = inbox()
    assert reply.outcome == ReplyOutcome.STOPPED and reply.handled_dt is not None
    admin = app.test_client()
    log_in(admin, users["admin"])
    page = admin.get("/admin/replies?show=all").text
    assert "登録のない番号からの停止" in page and "区の分からない番号" in page
