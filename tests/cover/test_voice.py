"""An offer by phone, through the real twilio client and a fake Twilio on 127.0.0.1: the
call says what is asked, 1 takes the shift, 2 declines, and a late 1 hears the truth."""

import xml.etree.ElementTree as ElementTree

import pytest
import sqlalchemy as sa

from inclusion.cover import services
from inclusion.cover.models import CoverStatus, OfferAnswer
from inclusion.extensions import db
from inclusion.reminders import dispatch
from inclusion.reminders.media import Medium
from inclusion.reminders.models import COVER_OFFER, Reminder, ReminderStatus
from inclusion.volunteers.models import ShiftStatus
from tests.cover.conftest import calling_time, helped_at
from tests.reminders.fake_twilio import twilio_settings
from tests.reminders.test_webhooks import signed_post

PUBLIC = "https://inclusion.example.lg.jp"


@pytest.fixture
def app_config(fake_twilio):
    fake_twilio.reset()
    return twilio_settings(fake_twilio, PUBLIC_BASE_URL=PUBLIC)


def offer_to(user_id: int) -> Reminder:
    return db.session.scalar(
        sa.select(Reminder).where(Reminder.kind == COVER_OFFER, Reminder.user_id == user_id)
    )


def said(response) -> str:
    return "".join(ElementTree.fromstring(response.data).itertext())


@pytest.fixture
def called(scene, shibuya, fake_twilio):
    """Two volunteers who know the venue, asked by phone; the calls placed."""
    for person in (scene.regular, scene.newcomer):
        person.volunteer_profile.offers_by = Medium.VOICE
        person.volunteer_profile.mobile_e164 = f"+8180{person.id:08d}"
    helped_at(scene.newcomer, scene.session)
    scene.ward.booking_phone = "03-3463-1873"
    request = services.request_cover(scene.asker, scene.shift)
    assert dispatch.dispatch_once(calling_time(scene.session)).sent == 2
    return request


def test_the_call_asks_and_one_takes_it(client, scene, called, fake_twilio):
    calls = [posted for posted in fake_twilio.posted if posted.path.endswith("/Calls.json")]
    assert sorted(posted.form["To"] for posted in calls) == sorted(
        f"+8180{person.id:08d}" for person in (scene.regular, scene.newcomer)
    )
    offer = offer_to(scene.regular.id)
    assert offer.status == ReminderStatus.SENT
    answered = signed_post(client, f"/twilio/voice/{offer.id}/answered", {"AnsweredBy": "human"})
    assert answered.status_code == 200
    words = said(answered)
    assert "代わりの支援員を探しています" in words and "1を" in words
    assert b"<Gather" in answered.data
    taken = signed_post(client, f"/twilio/voice/{offer.id}", {"Digits": "1"})
    assert "お引き受けいただきました" in said(taken)
    db.session.refresh(called)
    assert called.status == CoverStatus.COVERED and called.covered_by_id == scene.regular.id
    assert scene.shift.status == ShiftStatus.RELEASED
    assert offer.reply == OfferAnswer.TAKEN
    # The other volunteer presses 1 a moment later: told it is taken, nothing changes.
    late = offer_to(scene.newcomer.id)
    too_late = signed_post(client, f"/twilio/voice/{late.id}", {"Digits": "1"})
    assert "すでにほかの方が" in said(too_late)
    assert {o.user_id: o.answer for o in called.offers}[scene.newcomer.id] == OfferAnswer.TOO_LATE


def test_two_declines_and_nine_repeats(client, scene, called):
    offer = offer_to(scene.regular.id)
    again = signed_post(client, f"/twilio/voice/{offer.id}", {"Digits": "9"})
    assert "代わりの支援員を探しています" in said(again) and b"<Gather" in again.data
    declined = signed_post(client, f"/twilio/voice/{offer.id}", {"Digits": "2"})
    assert "承知しました" in said(declined)
    assert {o.user_id: o.answer for o in called.offers}[scene.regular.id] == OfferAnswer.DECLINED
    assert called.status == CoverStatus.OPEN and scene.shift.status == ShiftStatus.CLAIMED


def test_an_answering_machine_hears_who_called_about_what(client, called, scene):
    offer = offer_to(scene.regular.id)
    machine = signed_post(
        client, f"/twilio/voice/{offer.id}/answered", {"AnsweredBy": "machine_end_beep"}
    )
    assert "支援員のお手伝いについて" in said(machine) and b"<Gather" not in machine.data


def test_an_unsigned_key_changes_nothing(client, called, scene):
    offer = offer_to(scene.regular.id)
    assert client.post(f"/twilio/voice/{offer.id}", data={"Digits": "1"}).status_code == 403
    assert called.status == CoverStatus.OPEN


def test_a_1_refused_by_a_rule_is_told_and_changes_nothing(client, called, scene, shibuya):
    """Pressing 1 while now busy at that time: told why, and the request stays open."""
    from tests import factories

    same_time = factories.make_session(
        factories.make_venue(shibuya), starts_dt=scene.session.starts_dt
    )
    factories.make_shift(same_time, scene.regular)
    offer = offer_to(scene.regular.id)
    refused = signed_post(client, f"/twilio/voice/{offer.id}", {"Digits": "1"})
    assert "お引き受けできませんでした" in said(refused) and "時間が近すぎます" in said(refused)
    db.session.refresh(called)
    assert called.status == CoverStatus.OPEN and called.covered_by_id is None
    assert scene.shift.status == ShiftStatus.CLAIMED
