"""LINE as a channel, end to end through the fake LINE API and the Twilio fake: a resident
links by a code staff give them, reminders arrive with buttons, a tap does what it says
and says what it did, blocking the account unlinks, and SMS or a call takes over when
LINE does not reach them. Webhooks without the account's signature are refused."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.line import fake, fallback
from inclusion.line.channel import retry_key
from inclusion.line.models import LineLink, LineLinkCode, Unlinked
from inclusion.reminders import dispatch, planning
from inclusion.reminders.models import Reminder, ReminderStatus, Reply, ReplyOutcome
from inclusion.residents.models import BookingStatus, OptOutSource, ReminderChannel
from tests import factories
from tests.conftest import log_in
from tests.reminders.fake_twilio import twilio_settings

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "line-token-shared"
BASIC_ID = "@inclusion1"
HANAKO, TARO = "U" + "a" * 32, "U" + "b" * 32
MOBILE = "+819012345678"


@pytest.fixture(scope="module")
def fake_line():
    with fake.FakeLine({TOKEN: BASIC_ID}) as server:
        yield server


@pytest.fixture
def app_config(fake_twilio, fake_line):
    fake_twilio.reset()
    fake_line.reset()
    return twilio_settings(
        fake_twilio,
        LINE_ACCOUNTS={"shared": {"secret": SECRET, "token": TOKEN, "basic_id": BASIC_ID}},
        LINE_API_BASE_URL=fake_line.url,
        LINE_TIMEOUT_SECONDS=0.5,
    )


@pytest.fixture
def ward(shibuya):
    shibuya.booking_phone = "03-3463-1873"
    return shibuya


@pytest.fixture
def booking(ward):
    """Hanako's seat at a class in three days; her reminders go by SMS until she links."""
    resident = factories.make_resident(ward, phones=(MOBILE,), channel=ReminderChannel.SMS,
                                       family_name="山田")  # fmt: skip
    return factories.make_booking(factories.make_session(factories.make_venue(ward)), resident)


def send(client, *events, secret=SECRET, account="shared"):
    body = fake.events(*events)
    return client.post(f"/line/{account}", data=body.encode(), content_type="application/json",
                       headers={"X-Line-Signature": fake.signed(secret, body)})  # fmt: skip


def said_back(fake_line) -> str:
    """What the last reply told the user."""
    return fake_line.reply_texts()[-1]


def issue_code(client, users, resident) -> str:
    """Staff make a code on the resident's page, as they would to hand it over."""
    log_in(client, users["ward_staff"])
    path = f"/manage/{resident.ward.slug}/residents/{resident.id}/line/code"
    made = client.post(path)
    assert made.status_code == 302 and made.headers["Location"].endswith(path)
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    code = re.search(r"ばんごう（(\d{8})）", html).group(1)
    # Shown again, the same code: one read out or printed keeps working.
    assert f"ばんごう（{code}）" in client.get(path).get_data(as_text=True)
    # The QR code opens the account's chat with the code written in.
    assert f"https://line.me/R/oaMessage/%40inclusion1/?{code}" in html and "<svg" in html
    return code


def linked(client, users, fake_line, resident, user=HANAKO) -> LineLink:
    code = issue_code(client, users, resident)
    assert send(client, fake.follow(user)).status_code == 200
    assert "8けたの番号" in said_back(fake_line)
    assert send(client, fake.text(user, f"{code[:4]} {code[4:]}")).status_code == 200
    assert said_back(fake_line).startswith("山田様のLINEとつながりました。")
    return db.session.scalars(sa.select(LineLink).where(LineLink.resident_id == resident.id)).one()


def planned(booking) -> Reminder:
    planning.plan(clock.now())
    return db.session.scalars(
        sa.select(Reminder)
        .where(Reminder.booking_id == booking.id, Reminder.status == ReminderStatus.PENDING)
        .order_by(Reminder.due_dt)
    ).first()


def sent_now(reminder: Reminder) -> dispatch.DispatchResult:
    return dispatch.dispatch_once(max(reminder.due_dt, clock.now()))


def test_a_resident_links_by_code_and_cancels_by_button(client, users, ward, booking, fake_line):
    resident = booking.resident
    link = linked(client, users, fake_line, resident)
    assert link.friend.line_user_id == HANAKO and link.unlinked_dt is None
    # The staff page confirms the link; the code is used up.
    page = client.get(f"/manage/{ward.slug}/residents/{resident.id}").get_data(as_text=True)
    assert "LINE, else SMS" in page or "LINE（" in page
    assert db.session.scalar(sa.select(LineLinkCode.used_dt)) is not None
    reminder = planned(booking)
    assert (reminder.channel, reminder.to_e164) == ("line", f"L{link.id}")

    assert sent_now(reminder).sent == 1
    [push] = fake_line.pushed
    assert push.to == HANAKO and push.token == TOKEN
    assert push.retry_key == retry_key(reminder.id)
    [words] = fake_line.texts_to(HANAKO)
    assert "[参加します] [取り消す] [区に電話する]" in words and "03-3463-1873" in words
    footer = push.messages[0]["contents"]["footer"]["contents"]
    assert footer[2]["action"]["uri"] == "tel:0334631873"
    db.session.refresh(reminder)
    assert reminder.status == ReminderStatus.SENT and reminder.provider_sid == push.request_id
    assert fake_twilio_untouched(client)

    cancel = footer[1]["action"]["data"]
    assert send(client, fake.postback(HANAKO, cancel)).status_code == 200
    assert said_back(fake_line).endswith("のご予約を取り消しました。")
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    reply = db.session.scalars(sa.select(Reply)).one()
    assert (reply.channel, reply.outcome, reply.body) == (
        "line",
        ReplyOutcome.CANCELLED,
        "取り消す",
    )
    # The same tap again (a double tap, a redelivery): nothing more, and said so.
    send(client, fake.postback(HANAKO, cancel))
    assert said_back(fake_line).endswith("のご予約は、すでに取り消しています。")
    assert booking.status == BookingStatus.CANCELLED


def fake_twilio_untouched(client) -> bool:
    return not db.session.scalar(
        sa.select(sa.func.count()).select_from(Reminder).where(Reminder.channel != "line",
                                                               Reminder.status == "sent")
    )  # fmt: skip


def test_a_confirm_tap_keeps_the_seat(client, users, ward, booking, fake_line):
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    sent_now(reminder)
    confirm = fake_line.pushed[0].messages[0]["contents"]["footer"]["contents"][0]
    send(client, fake.postback(HANAKO, confirm["action"]["data"]))
    assert said_back(fake_line).startswith("お返事ありがとうございます。")
    db.session.refresh(reminder)
    assert reminder.reply == "confirmed" and booking.status == BookingStatus.BOOKED


def test_a_tap_by_another_line_user_changes_nothing(client, users, ward, booking, fake_line):
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    sent_now(reminder)
    send(client, fake.follow(TARO))
    for data in (f"r={reminder.id}&a=cancel", "r=1&a=cancel", "junk", "r=99999999999&a=cancel"):
        send(client, fake.postback(TARO, data))
        assert (
            said_back(fake_line)
            == "このお知らせには、ここからお答えできません。区へお電話ください。"
        )
    assert booking.status == BookingStatus.BOOKED
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(Reply))


def test_webhooks_without_the_accounts_signature_are_refused(client, users, ward, booking):
    body = fake.events(fake.text(HANAKO, "停止"))
    for headers in ({}, {"X-Line-Signature": "bad"},
                    {"X-Line-Signature": fake.signed("f" * 32, body)}):  # fmt: skip
        refused = client.post("/line/shared", data=body, content_type="application/json",
                              headers=headers)  # fmt: skip
        assert refused.status_code == 403
    # An account the settings do not hold has no address.
    assert send(client, fake.follow(HANAKO), account="shinagawa").status_code == 403
    # Signed, but not LINE's shape: refused as such, nothing done.
    junk = "{not json"
    refused = client.post("/line/shared", data=junk, content_type="application/json",
                          headers={"X-Line-Signature": fake.signed(SECRET, junk)})  # fmt: skip
    assert refused.status_code == 400
    assert booking.resident.opted_out_dt is None


def test_blocking_the_account_unlinks_and_the_phone_takes_over(
    client, users, ward, booking, fake_line, fake_twilio
):
    link = linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    assert reminder.channel == "line"
    send(client, fake.unfollow(HANAKO))
    db.session.refresh(link)
    assert link.unlinked_why == Unlinked.BLOCKED and link.unlinked_dt is not None
    db.session.refresh(reminder)
    assert (reminder.channel, reminder.to_e164) == ("sms", MOBILE)
    sent_now(reminder)
    assert not fake_line.pushed
    [sms] = fake_twilio.posted
    assert sms.form["To"] == MOBILE
    # Following again does not link again by itself: a new code does.
    send(client, fake.follow(HANAKO))
    assert "8けたの番号" in said_back(fake_line)


def test_a_message_line_refuses_goes_by_sms_at_once(
    client, users, ward, booking, fake_line, fake_twilio
):
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    fake_line.answer(400)
    result = sent_now(reminder)
    assert result.failed == 1
    db.session.refresh(reminder)
    assert reminder.status == ReminderStatus.FAILED and reminder.failure_code == "line-400"
    phone = db.session.scalars(
        sa.select(Reminder).where(Reminder.key == reminder.key + planning.PHONE_SUFFIX)
    ).one()
    assert (phone.channel, phone.to_e164, phone.status) == ("sms", MOBILE, ReminderStatus.PENDING)
    # Staff are not asked to call her: the SMS is on its way.
    assert 'id="unreached"' not in client.get(f"/manage/{ward.slug}").get_data(as_text=True)
    # Due at once: sent with the next round, within the hours an SMS may go.
    assert phone.due_dt <= clock.now()
    assert dispatch.dispatch_once(reminder.due_dt).sent == 1
    [sms] = fake_twilio.posted
    assert sms.form["To"] == MOBILE and "1873" in sms.form["Body"]
    # A plan later does not put it back on LINE, nor send it twice.
    planning.plan(clock.now())
    db.session.refresh(phone)
    assert phone.channel == "sms"


def test_a_push_that_may_have_gone_is_tried_again_with_the_same_key(
    client, users, ward, booking, fake_line
):
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    # LINE takes it but answers too late: the sender does not know it went.
    fake_line.hang_seconds = 1.5
    fake_line.answer("hang")
    try:
        assert sent_now(reminder).retried == 1
    finally:
        fake_line.hang_seconds = 2.0
    db.session.refresh(reminder)
    assert reminder.status == ReminderStatus.PENDING
    fake_line.answer(500)
    assert dispatch.dispatch_once(reminder.due_dt).retried == 1
    db.session.refresh(reminder)
    assert dispatch.dispatch_once(reminder.due_dt).sent == 1
    # LINE took it once, and said so (409) to the try that came again.
    [push] = fake_line.pushed
    db.session.refresh(reminder)
    assert reminder.status == ReminderStatus.SENT and reminder.provider_sid == push.request_id


def test_wrong_codes_are_bounded(client, users, ward, booking, fake_line):
    code = issue_code(client, users, booking.resident)
    wrong = f"{(int(code) + 1) % 100_000_000:08d}"
    for _ in range(5):
        send(client, fake.text(TARO, wrong))
        assert said_back(fake_line).startswith("番号が違うか、期限が切れています。")
    send(client, fake.text(TARO, code))
    assert said_back(fake_line).startswith("番号をたくさん送られたため")
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(LineLink))
    # The resident's own LINE still links with it.
    send(client, fake.text(HANAKO, code))
    assert said_back(fake_line).startswith("山田様のLINEとつながりました。")


def test_a_new_code_replaces_the_old_and_a_code_works_once(
    client, users, ward, booking, fake_line
):
    first = issue_code(client, users, booking.resident)
    second = issue_code(client, users, booking.resident)
    send(client, fake.text(HANAKO, first))
    assert said_back(fake_line).startswith("番号が違うか")
    send(client, fake.text(HANAKO, second))
    assert said_back(fake_line).startswith("山田様のLINEとつながりました。")
    send(client, fake.text(TARO, second))
    assert said_back(fake_line).startswith("番号が違うか")


def test_stop_typed_in_the_chat_stops_every_message(client, users, ward, booking, fake_line):
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    send(client, fake.text(HANAKO, "停止"))
    assert said_back(fake_line).startswith("今後、山田様へのお知らせは送りません。")
    resident = booking.resident
    db.session.refresh(resident)
    assert resident.opted_out_source == OptOutSource.LINE
    db.session.refresh(reminder)
    assert reminder.status == ReminderStatus.CANCELLED
    assert db.session.scalars(sa.select(Reply)).one().outcome == ReplyOutcome.STOPPED


def test_a_2_typed_in_the_chat_cancels_the_one_booking(client, users, ward, booking, fake_line):
    linked(client, users, fake_line, booking.resident)
    sent_now(planned(booking))
    send(client, fake.text(HANAKO, "こんにちは"))
    assert said_back(fake_line).startswith("ボタンか、")
    assert booking.status == BookingStatus.BOOKED
    send(client, fake.text(HANAKO, "２"))
    assert said_back(fake_line).endswith("のご予約を取り消しました。")
    assert booking.status == BookingStatus.CANCELLED


def test_staff_remove_a_link_and_messages_go_by_phone(client, users, ward, booking, fake_line):
    link = linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    path = f"/manage/{ward.slug}/residents/{booking.resident_id}/line/unlink"
    asked = client.post(path)
    assert (
        asked.status_code == 200
        and "Remove" in asked.get_data(as_text=True)
        or "LINE" in (asked.get_data(as_text=True))
    )
    assert link.unlinked_dt is None
    assert client.post(path, data={"confirmed": "yes"}).status_code == 302
    db.session.refresh(link)
    assert link.unlinked_why == Unlinked.STAFF and link.unlinked_by_id == users["ward_staff"].id
    db.session.refresh(reminder)
    assert reminder.channel == "sms"
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"line.code", "line.link", "line.unlink"} <= actions


def test_an_unanswered_reminder_is_asked_by_phone_too_where_the_ward_wants_it(
    app, client, users, ward, booking, fake_line, fake_twilio
):
    app.config["LINE_FALLBACK_UNANSWERED_HOURS"] = 24
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    sent_now(reminder)
    starts = booking.session.starts_dt
    # Not yet within the hours before the session: nothing.
    assert fallback.unanswered(starts - timedelta(hours=30)) == 0
    assert fallback.unanswered(starts - timedelta(hours=23)) == 1
    assert fallback.unanswered(starts - timedelta(hours=22)) == 0
    phone = db.session.scalars(
        sa.select(Reminder).where(Reminder.key == reminder.key + planning.PHONE_SUFFIX)
    ).one()
    assert phone.channel == "sms"


def test_an_answered_reminder_is_not_asked_again(client, users, ward, booking, fake_line, app):
    app.config["LINE_FALLBACK_UNANSWERED_HOURS"] = 24
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    sent_now(reminder)
    send(client, fake.postback(HANAKO, f"r={reminder.id}&a=confirm"))
    assert fallback.unanswered(booking.session.starts_dt - timedelta(hours=23)) == 0
    # Nor a later message about the same booking: she answered.
    later = factories.make_reminder(booking, channel="line", to_e164=reminder.to_e164,
                                    kind="morning", sent_dt=reminder.sent_dt)  # fmt: skip
    assert fallback.unanswered(booking.session.starts_dt - timedelta(hours=23)) == 0
    assert later.reply is None


def test_flask_check_asks_line_for_each_account(app, fake_line):
    runner = app.test_cli_runner()
    output = runner.invoke(args=["check"]).output
    assert "LINE:       shared (@inclusion1, fake)" in output
    app.config["LINE_ACCOUNTS"] = {"shared": {"secret": SECRET, "token": TOKEN,
                                              "basic_id": "@other"}}  # fmt: skip
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "its basic ID is @inclusion1, not @other" in result.output
    app.config["LINE_ACCOUNTS"] = {"shared": {"secret": SECRET, "token": "revoked",
                                              "basic_id": BASIC_ID}}  # fmt: skip
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "LINE refused its token (401)" in result.output


def test_a_wards_own_account_takes_only_its_residents_codes(
    app, client, users, ward, shinagawa, fake_line
):
    app.config["LINE_ACCOUNTS"] = {
        "shibuya": {"secret": SECRET, "token": TOKEN, "basic_id": BASIC_ID},
        "shinagawa": {"secret": "e" * 32, "token": TOKEN, "basic_id": BASIC_ID},
    }
    shinagawa.booking_phone = "03-3777-1111"
    resident = factories.make_resident(shinagawa, family_name="佐藤")
    staff = factories.make_user(role=users["ward_staff"].role, ward=shinagawa)
    log_in(client, staff)
    client.post(f"/manage/shinagawa/residents/{resident.id}/line/code")
    page = client.get(f"/manage/shinagawa/residents/{resident.id}/line/code")
    code = re.search(r"ばんごう（(\d{8})）", page.get_data(as_text=True)).group(1)
    send(client, fake.text(HANAKO, code), account="shibuya")
    assert said_back(fake_line).startswith("番号が違うか")
    send(client, fake.text(HANAKO, code), account="shinagawa", secret="e" * 32)
    assert said_back(fake_line).startswith("佐藤様のLINEとつながりました。")


def test_the_dashboard_counts_messages_by_channel_and_their_cost(
    client, users, ward, booking, fake_line
):
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    fake_line.answer(400)
    sent_now(reminder)
    dispatch.dispatch_once(reminder.due_dt)
    # The ward's staff (still logged in) see their ward's figures.
    page = client.get(
        f"/manage/{ward.slug}/targets?year={clock.fiscal_year(reminder.due_dt.date())}"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:3000]
    section = html.split('id="channels-title"')[1].split("</section>")[0]
    row = re.search(rf'<th scope="row">{ward.name}</th>(.*?)</tr>', section, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    # Linked 1; LINE 0 (refused); SMS 1, of which 1 because LINE did not reach her; ¥12,
    # for one reminder.
    assert cells[:5] == ["1", "0", "1", "0", "1"] and "12" in cells[5] and "12.0" in cells[6]


def test_anonymising_a_resident_ends_their_link(client, users, ward, booking, fake_line):
    from inclusion.residents.services import apply_retention

    link = linked(client, users, fake_line, booking.resident)
    resident = booking.resident
    resident.created_dt = clock.now() - timedelta(days=365 * 10)
    booking.created_dt = resident.created_dt
    booking.session.starts_dt = resident.created_dt
    booking.session.ends_dt = resident.created_dt + timedelta(hours=1)
    db.session.flush()
    assert apply_retention(3).anonymised == 1
    db.session.refresh(link)
    assert link.unlinked_why == Unlinked.ANONYMISED


def test_the_api_lists_line_messages_and_replies(
    client, users, ward, booking, fake_line, make_key
):
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    sent_now(reminder)
    send(client, fake.postback(HANAKO, f"r={reminder.id}&a=confirm"))
    headers = make_key()
    listed = client.get(f"/api/v1/bookings/{booking.id}/reminders", headers=headers)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    [shown] = [row for row in listed.get_json() if row["id"] == reminder.id]
    push = fake_line.pushed[0]
    assert (shown["channel"], shown["status"], shown["reply"]) == ("line", "sent", "confirmed")
    replies = client.get("/api/v1/replies?waiting=false", headers=headers)
    assert replies.status_code == 200
    assert replies.get_json()["items"][0]["channel"] == "line"
    # The session's reminder log shows it went by LINE, with LINE's request id.
    log_page = client.get(f"/manage/{ward.slug}/sessions/{booking.session_id}/reminders")
    html = log_page.get_data(as_text=True)
    assert push.request_id in html and f">{reminder.to_e164}<" not in html


def test_a_button_tapped_after_the_session_changes_nothing(
    client, users, ward, booking, fake_line
):
    linked(client, users, fake_line, booking.resident)
    reminder = planned(booking)
    sent_now(reminder)
    booking.session.starts_dt = clock.now() - timedelta(hours=2)
    booking.session.ends_dt = clock.now() - timedelta(minutes=30)
    db.session.flush()
    send(client, fake.postback(HANAKO, f"r={reminder.id}&a=cancel"))
    assert (
        said_back(fake_line)
        == "このお知らせの教室は、終わったか中止になりました。何も変えていません。"
    )
    assert booking.status == BookingStatus.BOOKED


def test_linking_says_so_when_the_resident_takes_no_messages(client, users, ward, fake_line):
    resident = factories.make_resident(ward, family_name="山田", channel=ReminderChannel.NONE)
    code = issue_code(client, users, resident)
    send(client, fake.text(HANAKO, code))
    told = said_back(fake_line)
    assert told.startswith("山田様のLINEとつながりました。ただ、お知らせを受け取らない設定")
    assert "渋谷区（03-3463-1873）へご連絡ください" in told


def test_merging_a_duplicate_keeps_its_line_link(client, users, ward, booking, fake_line):
    from inclusion.residents.services import merge_residents

    duplicate = booking.resident
    link = linked(client, users, fake_line, duplicate)
    keep = factories.make_resident(ward, phones=(MOBILE,), family_name="山田")
    merge_residents(users["ward_staff"], keep, duplicate)
    db.session.refresh(link)
    assert link.resident_id == keep.id and link.unlinked_dt is None


def test_the_same_code_sent_again_says_they_are_linked(client, users, ward, booking, fake_line):
    code = issue_code(client, users, booking.resident)
    send(client, fake.text(HANAKO, f"番号は{code[:4]}-{code[4:]}です"))
    assert said_back(fake_line).startswith("山田様のLINEとつながりました。")
    send(client, fake.text(HANAKO, code))
    assert said_back(fake_line) == "このLINEとは、すでにつながっています。"
    friend = db.session.scalars(sa.select(LineLink)).one().friend
    assert friend.wrong_codes == 0


def test_after_staff_end_the_link_the_resident_is_told_so(client, users, ward, booking, fake_line):
    link = linked(client, users, fake_line, booking.resident)
    from inclusion.line.services import unlink

    unlink(users["ward_staff"], link, Unlinked.STAFF)
    send(client, fake.text(HANAKO, "はい"))
    assert said_back(fake_line).startswith("このLINEの連携は、区で解除しました。")


def test_stop_in_kana_and_a_stopped_resident_still_hears_back(
    client, users, ward, booking, fake_line
):
    linked(client, users, fake_line, booking.resident)
    send(client, fake.text(HANAKO, "ていし"))
    assert said_back(fake_line).startswith("今後、山田様へのお知らせは送りません。")
    send(client, fake.text(HANAKO, "こんにちは"))
    assert said_back(fake_line).startswith("お知らせは止めています。また受け取るときは、渋谷区")
    page = client.get(f"/manage/{ward.slug}/residents/{booking.resident_id}")
    html = page.get_data(as_text=True)
    assert "LINE, else" not in html and "LINE（" not in html
