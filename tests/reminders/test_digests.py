"""The morning mail of due follow-up calls, through a real SMTP server on 127.0.0.1."""

import logging
from datetime import date

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from inclusion.auth.models import Role
from inclusion.extensions import db
from inclusion.reminders.digests import FOLLOW_UP_CALLS, send_follow_up_digests
from inclusion.reminders.models import StaffDigest
from tests import factories
from tests.mailbox import SMTP_PORT, Inbox, mail_settings
from tests.reminders.test_planning import at

THURSDAY = date(2026, 12, 10)


@pytest.fixture
def app_config():
    return mail_settings()


@pytest.fixture
def due(shibuya):
    """Two follow-up calls due in Shibuya, one answered, one of another ward."""
    residents = [factories.make_resident(shibuya) for _ in range(3)]
    follow_ups = [factories.make_follow_up(resident) for resident in residents]
    follow_ups[2].answer = "yes"
    db.session.commit()
    return residents


def digests():
    return db.session.scalars(sa.select(StaffDigest)).all()


def test_staff_get_one_mail_a_day_with_a_count_and_no_names(inbox, users, shibuya, due):
    inactive = factories.make_user(role=Role.WARD_STAFF, ward=shibuya, is_active=False)
    db.session.commit()
    result = send_follow_up_digests(at(THURSDAY, 8, 30))
    assert result.sent == ["shibuya"] and result.failed == []
    [(recipients, message)] = inbox.mails
    assert recipients == [users["ward_staff"].email] and inactive.email not in recipients
    assert message["Subject"] == "【渋谷区】追跡調査の電話 2件（12月10日(木)）"
    assert message["From"] == "inclusion@city.example.lg.jp"
    body = message.get_content()
    assert "https://inclusion.example.jp/manage/shibuya/follow-ups" in body
    assert "いちばん古い期限は 8月1日(土)" in body
    for resident in due:
        assert resident.family_name not in body and resident.phones[0].e164 not in body
    assert users["ward_staff"].email not in message.as_string()  # Bcc, not To
    [digest] = digests()
    assert (digest.kind, digest.day, digest.item_count) == (FOLLOW_UP_CALLS, THURSDAY, 2)
    assert digest.recipient_count == 1 and digest.sent_dt is not None

    again = send_follow_up_digests(at(THURSDAY, 15))
    assert again.sent == [] and len(inbox.mails) == 1


@pytest.mark.parametrize(
    ("moment", "why"),
    [
        (at(THURSDAY, 8, 29), "before FOLLOW_UP_DIGEST_AT"),
        (at(date(2026, 12, 12), 9), "a Saturday"),
        (at(date(2026, 11, 23), 9), "勤労感謝の日"),
        (at(date(2026, 12, 29), 9), "the year-end closure"),
    ],
)
def test_no_mail_outside_office_mornings(inbox, users, due, moment, why):
    assert send_follow_up_digests(moment).sent == [], why
    assert inbox.mails == [] and digests() == []


def test_no_mail_when_nothing_is_due(inbox, users, shibuya):
    resident = factories.make_resident(shibuya)
    factories.make_follow_up(resident, first_attended_on=date(2026, 10, 1))  # due in January
    db.session.commit()
    assert send_follow_up_digests(at(THURSDAY, 9)).sent == []
    assert inbox.mails == []


def test_a_ward_with_no_staff_account_is_noted_once(inbox, shinagawa):
    factories.make_follow_up(factories.make_resident(shinagawa))
    db.session.commit()
    assert send_follow_up_digests(at(THURSDAY, 9)).sent == ["shinagawa"]
    [digest] = digests()
    assert digest.recipient_count == 0 and digest.error and digest.sent_dt is None
    assert send_follow_up_digests(at(THURSDAY, 9, 5)).sent == []
    assert inbox.mails == []


def test_a_relay_that_is_down_is_tried_again_later(users, due, caplog):
    caplog.set_level(logging.WARNING, "inclusion.reminders.digests")
    down = send_follow_up_digests(at(THURSDAY, 8, 30))
    assert down.failed == ["shibuya"] and digests() == []
    assert "ConnectionRefusedError" in caplog.text
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        assert send_follow_up_digests(at(THURSDAY, 8, 35)).sent == ["shibuya"]
    finally:
        controller.stop()
    assert len(inbox.mails) == 1 and len(digests()) == 1


def test_the_digest_command(app, inbox, users, due):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "digest", "--now", "2026-12-10T09:00+09:00"])
    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0" in result.output and len(inbox.mails) == 1


def test_console_mail_without_a_relay(app, users, due, caplog):
    app.config["MAIL_SERVER"] = None
    caplog.set_level(logging.INFO, "inclusion.mail")
    assert send_follow_up_digests(at(THURSDAY, 9)).sent == ["shibuya"]
    assert "console mail to 1 recipient(s): 【渋谷区】追跡調査の電話 2件" in caplog.text
