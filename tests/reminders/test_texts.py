"""A ward rewrites its reminder texts as plain words with named places (「{日時}」), sees
them as they will read for its next session, and the next message says them."""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.reminders import dispatch, messages
from inclusion.reminders.models import ReminderStep, ReminderText
from inclusion.reminders.wording import MESSAGES
from inclusion.residents.models import ReminderChannel
from tests import factories
from tests.conftest import log_in

URL = "/manage/shibuya/reminders/texts/sms_resident.txt"
OWN = "【渋谷区デジタル支援】{日時}から{会場}でお待ちしています。{区の電話}"
MORNING = MESSAGES["sms_resident.txt"].standard["morning"]


@pytest.fixture
def staff(client, users):
    log_in(client, users["ward_staff"])
    return users["ward_staff"]


def reminder_in(ward):
    """A planned SMS reminder (two days before) for a booking in ``ward``."""
    ward.booking_phone = "03-3463-1211"
    session = factories.make_session(factories.make_venue(ward, name="区民会館"), title="LINE入門")
    resident = factories.make_resident(ward, channel=ReminderChannel.SMS)
    step_id = db.session.scalar(
        sa.select(ReminderStep.id).where(
            ReminderStep.ward_id == ward.id, ReminderStep.code == "two_days_before"
        )
    )
    return factories.make_reminder(
        factories.make_booking(session, resident), channel=ReminderChannel.SMS, step_id=step_id
    )


def saved_texts():
    return db.session.scalars(sa.select(ReminderText)).all()


def test_the_page_shows_plain_words_and_how_they_read_for_the_next_session(client, staff):
    page = client.get(URL).get_data(as_text=True)
    assert "標準の文面です。" in page
    # Plain words with named places; no template code anywhere on the page.
    assert "{日時}" in page and "{会場}" in page and "{{" not in page and "{%" not in page
    assert "【渋谷区】本日" in page and "会場が決まっていない" not in page
    assert "次の木曜日10時の例" in page  # no session coming: a sample one
    venue = factories.make_venue(staff.ward, name="恵比寿区民会館")
    start = clock.to_utc(clock.today() + timedelta(days=3), time(14))
    factories.make_session(venue, starts_dt=start, title="LINEのはじめ方")
    db.session.commit()
    page = client.get(URL).get_data(as_text=True)
    assert "LINEのはじめ方" in page and "恵比寿区民会館" in page and "14:00" in page
    assert "SMS 1通" in page
    policy = client.get("/manage/shibuya/reminders").get_data(as_text=True)
    assert "区民への事前のお知らせ（SMS）" in policy and "標準" in policy


def test_the_preview_follows_the_words_as_they_are_typed(client, staff):
    answer = client.post(f"{URL}/preview", data={"two_days_before": OWN, "morning": MORNING})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    assert "【渋谷区デジタル支援】" in html and "でお待ちしています。" in html and "文字" in html
    wrong = client.post(f"{URL}/preview", data={
        "two_days_before": "{日付}から", "morning": MORNING}).get_data(as_text=True)  # fmt: skip
    assert "「{日付}」は入れられません" in wrong and "{日時}" in wrong
    # A Japanese keyboard's full-width braces are taken as braces.
    typed = {"two_days_before": "【｛区名｝】｛日時｝です", "morning": MORNING}
    wide = client.post(f"{URL}/preview", data=typed).get_data(as_text=True)
    assert "【渋谷区】" in wide and "｛" not in wide
    assert saved_texts() == []


def said(reminder) -> str:
    """What the dispatcher would send for ``reminder`` now."""
    return dispatch.message_text(
        reminder.session, reminder.channel, reminder.recipient, reminder.kind
    )


def test_a_saved_text_is_what_the_next_sms_says_in_that_ward_only(client, staff, shinagawa):
    ours, theirs = reminder_in(staff.ward), reminder_in(shinagawa)
    db.session.commit()
    response = client.post(URL, data={"two_days_before": OWN, "morning": MORNING})
    assert response.status_code == 302
    [text] = saved_texts()  # only the kind that differs from the standard is kept
    assert (text.kind, text.body, text.updated_by_id) == ("two_days_before", OWN, staff.id)
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reminder.text"))
    assert audit.details == {"name": "sms_resident.txt", "kinds": ["two_days_before"]}
    messages.forget_ward_texts()
    assert said(ours).startswith("【渋谷区デジタル支援】")
    assert "から区民会館でお待ちしています。03-3463-1211" in said(ours)
    assert said(theirs).startswith("【品川区】")
    assert "区の独自の文面" in client.get("/manage/shibuya/reminders").get_data(as_text=True)
    # The same words again change nothing and log nothing.
    client.post(URL, data={"two_days_before": OWN, "morning": MORNING})
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "reminder.text"))
        == 1
    )

    client.post(f"{URL}/reset", data={"confirmed": "yes"})
    assert saved_texts() == []
    messages.forget_ward_texts()
    assert said(ours).startswith("【渋谷区】")
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reminder.text.reset"))


def test_show_how_it_reads_saves_nothing(client, staff):
    response = client.post(
        URL, data={"two_days_before": OWN, "morning": MORNING, "preview": "表示"}
    )
    assert response.status_code == 200
    assert "でお待ちしています。" in response.get_data(as_text=True)
    assert saved_texts() == []


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("【区】{日付}", "「{日付}」は入れられません"),
        ("【区】{役割}", "「{役割}」は入れられません"),  # a volunteer's, not a resident's
        ("【区】{日時", "かっこ"),
        ("【区】日時}", "かっこ"),
        ("{{日時}}", "かっこ"),
        ("あ" * 66 + "{日時}", "このSMSは"),
        ("   ", "文面を入力"),
        ("あ" * 2001, "2,000文字"),
    ],
)
def test_words_that_cannot_be_sent_are_refused_and_nothing_changes(client, staff, words, message):
    response = client.post(URL, data={"two_days_before": words, "morning": MORNING})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert saved_texts() == []


def test_a_course_and_the_reply_ask_vanish_cleanly_when_empty(app, shibuya):
    shibuya.booking_phone = "03-3463-1211"
    start = clock.to_utc(clock.today() + timedelta(days=2), time(10))
    plain = messages.sms_text(shibuya, "sms_resident.txt", start, "教室", "会館",
                              kind="two_days_before")  # fmt: skip
    assert plain == f"【渋谷区】{messages.short_day(start)}10:00 教室 会館。お休みは03-3463-1211へ"
    moved = messages.sms_text(shibuya, "sms_notice.txt", start, "教室", "会館", kind="moved")
    day = messages.short_day(start)
    assert moved == f"【渋谷区】日時・会場の変更：{day}10:00 教室 会館。問合せ03-3463-1211"
    app.config["REMINDER_SMS_TWO_WAY"] = True
    course = messages.sms_text(shibuya, "sms_resident.txt", start, "教室", "会館",
                               kind="two_days_before", course="第2回/全4回")  # fmt: skip
    assert "10:00 第2回/全4回 教室 会館。お休みは「2」と返信か03-3463-1211へ" in course
    spoken = messages.voice_text(shibuya, "voice_notice.txt", start, "教室", "会館",
                                 kind="promoted", course="第1回/全4回")  # fmt: skip
    assert "全日程をご予約しましたので" in spoken and "{" not in spoken


def test_unknown_texts_are_not_found(client, staff):
    assert client.get("/manage/shibuya/reminders/texts/base.html").status_code == 404
    assert client.post("/manage/shibuya/reminders/texts/base.html/preview").status_code == 404
    assert client.post("/manage/shibuya/reminders/texts/../../x/reset").status_code == 404


def test_other_wards_and_coordinators_cannot_edit(client, users):
    log_in(client, users["other_ward_staff"])
    assert client.post(URL, data={"two_days_before": OWN, "morning": MORNING}).status_code == 403
    assert client.post(f"{URL}/preview", data={"morning": OWN}).status_code == 403
    assert saved_texts() == []
