"""A ward rewrites its reminder texts: checked in the sandbox, used by the next message."""

import pytest
import sqlalchemy as sa

from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.reminders import dispatch, messages
from inclusion.reminders.models import ReminderStep, ReminderText
from inclusion.residents.models import ReminderChannel
from tests import factories
from tests.conftest import log_in

URL = "/manage/shibuya/reminders/texts/sms_resident.txt"
OWN = (
    "【渋谷区デジタル支援】{{ day }}{{ start }}から{{ venue }}でお待ちしています。{{ ward_phone }}"
)


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


def test_the_page_shows_the_standard_text_and_how_it_is_sent(client, staff):
    page = client.get(URL)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "標準の文面です。" in html and "{{ ward.name_ja }}" in html
    assert "【渋谷区】本日" in html  # the morning sample, rendered
    policy = client.get("/manage/shibuya/reminders").get_data(as_text=True)
    assert "区民への事前のお知らせ（SMS）" in policy and "標準" in policy


def test_a_saved_text_is_what_the_next_sms_says_in_that_ward_only(client, staff, shinagawa):
    ours, theirs = reminder_in(staff.ward), reminder_in(shinagawa)
    db.session.commit()
    response = client.post(URL, data={"body": OWN})
    assert response.status_code == 302
    [text] = saved_texts()
    assert text.body == OWN and text.updated_by_id == staff.id
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reminder.text"))
    assert audit.details == {"name": "sms_resident.txt"}
    messages.forget_ward_texts()
    assert dispatch.message_text(ours).startswith("【渋谷区デジタル支援】")
    assert "から区民会館でお待ちしています。03-3463-1211" in dispatch.message_text(ours)
    assert dispatch.message_text(theirs).startswith("【品川区】")
    assert "区の独自の文面" in client.get("/manage/shibuya/reminders").get_data(as_text=True)

    client.post(f"{URL}/reset", data={"confirmed": "yes"})
    assert saved_texts() == []
    messages.forget_ward_texts()
    assert dispatch.message_text(ours).startswith("【渋谷区】")
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reminder.text.reset"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("【区】{{ day }", "1行目に誤りがあります"),
        ("【区】{{ dya }}", "dya&#39; is undefined"),
        ("{{ ward.__class__.__mro__ }}", "文面を組み立てられません"),
        ("{{ ''.__class__.__subclasses__() }}", "文面を組み立てられません"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ title + 1 }}", "文面を組み立てられません"),
        ("あ" * 66 + "{{ start }}", "このSMSは71文字になります。1通のSMSは70文字までです"),
        ("   ", "文面を入力"),
        ("あ" * 2001, "2,000文字"),
    ],
)
def test_a_text_that_cannot_be_sent_is_refused_and_nothing_changes(client, staff, body, message):
    response = client.post(URL, data={"body": body})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert saved_texts() == []


def test_unknown_texts_are_not_found(client, staff):
    assert client.get("/manage/shibuya/reminders/texts/base.html").status_code == 404
    assert client.post("/manage/shibuya/reminders/texts/../../x/reset").status_code == 404


def test_other_wards_and_coordinators_cannot_edit(client, users):
    log_in(client, users["other_ward_staff"])
    assert client.post(URL, data={"body": OWN}).status_code == 403
    assert saved_texts() == []
