"""Offers by mail and the alert to staff, through a real SMTP server on 127.0.0.1."""

from datetime import timedelta

import pytest

from inclusion.auth.models import Role
from inclusion.cover import services
from inclusion.reminders import dispatch
from tests import factories
from tests.cover.conftest import calling_time
from tests.mailbox import mail_settings


@pytest.fixture
def app_config():
    return mail_settings()


def test_an_offer_by_mail_reaches_the_volunteer_s_address(inbox, scene):
    request = services.request_cover(scene.asker, scene.shift)
    [offer] = request.offers
    result = dispatch.dispatch_once(calling_time(scene.session))
    assert result.sent == 1
    [(recipients, message)] = inbox.mails
    assert recipients == [scene.regular.email]
    assert message["Subject"].startswith("【渋谷区】代わりの支援員を探しています")
    body = message.get_content()
    assert scene.session.title in body and "https://inclusion.example.jp/me/cover" in body
    assert offer.medium == "email"


def test_a_refused_mail_is_tried_again_later(scene):
    """No relay listening: certainly not sent, so tried again, never marked unknown."""
    services.request_cover(scene.asker, scene.shift)
    result = dispatch.dispatch_once(calling_time(scene.session))
    assert (result.sent, result.retried) == (0, 1)


def test_staff_get_the_alert_with_who_was_asked_and_who_declined(inbox, scene, shibuya):
    staff = factories.make_user(role=Role.WARD_STAFF, ward=shibuya)
    request = services.request_cover(scene.asker, scene.shift, "急な用事")
    services.decline_cover(scene.regular, request)
    services.advance(scene.session.starts_dt - timedelta(hours=47))
    [(recipients, message)] = inbox.mails
    assert recipients == [staff.email]
    assert message["Subject"].startswith("【渋谷区】代わりの支援員が見つかっていません")
    body = message.get_content()
    assert scene.asker.display_name in body
    assert f"{scene.regular.display_name}（断った）" in body
    assert f"{scene.newcomer.display_name}（返事なし）" in body
    assert "https://inclusion.example.jp/manage/shibuya/cover" in body
    # Once only.
    services.advance(scene.session.starts_dt - timedelta(hours=46))
    assert len(inbox.mails) == 1
