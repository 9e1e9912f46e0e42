"""Nothing irreversible, and nothing that changes what a resident was told, happens on one
click: the first post answers with a page that says what will happen; only its yes acts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from inclusion.api.models import ApiKey
from inclusion.auth.models import User
from inclusion.calendar.models import CalendarToken, FeedKind
from inclusion.calendar.services import issue_token
from inclusion.extensions import db
from inclusion.reminders.models import Reminder, ReminderStatus, ReminderText
from inclusion.residents.models import BookingStatus
from inclusion.targets.models import Target
from inclusion.volunteers.models import Shift, ShiftStatus
from tests import factories
from tests.conftest import log_in


def test_cancelling_a_booking_names_the_resident_the_date_and_who_moves_up(client, users, shibuya):
    session = factories.make_session(factories.make_venue(shibuya), title="スマホ入門",
                                      capacity=1)  # fmt: skip
    booked = factories.make_booking(session, factories.make_resident(shibuya, family_name="山田"))
    waiting = factories.make_booking(
        session, factories.make_resident(shibuya, family_name="佐藤"),
        status=BookingStatus.WAITLISTED, place=None,
    )  # fmt: skip
    db.session.commit()
    log_in(client, users["ward_staff"])
    path = f"/manage/shibuya/bookings/{booked.id}/cancel"
    asked = client.post(path, data={"reason": "体調不良"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "山田 花子さんの予約を取り消しますか？" in page
    assert "「スマホ入門」" in page and "佐藤 花子さんに移り" in page
    assert 'name="reason" value="体調不良"' in page  # what was typed goes with the yes
    db.session.refresh(booked)
    assert booked.status == BookingStatus.BOOKED
    done = client.post(path, data={"reason": "体調不良", "confirmed": "yes"})
    assert done.status_code == 302
    db.session.refresh(booked)
    db.session.refresh(waiting)
    assert (booked.status, booked.cancel_reason) == (BookingStatus.CANCELLED, "体調不良")
    assert waiting.status == BookingStatus.BOOKED


def _revoke(shibuya, users):
    key = factories.make_api_key()
    return (
        f"/admin/api-keys/{key.id}/revoke",
        {},
        lambda: db.session.get(ApiKey, key.id).is_revoked,
    )


def _deactivate(shibuya, users):
    staff = factories.make_user(ward=shibuya)
    return (f"/admin/users/{staff.id}/active", {"active": "0"},
            lambda: not db.session.get(User, staff.id).is_active)  # fmt: skip


def _delete_target(shibuya, users):
    target_id = factories.make_target().id
    return (f"/targets/{target_id}/delete", {},
            lambda: db.session.get(Target, target_id) is None)  # fmt: skip


def _unassign(shibuya, users):
    shift = factories.make_shift(factories.make_session(factories.make_venue(shibuya)),
                                 factories.make_volunteer(shibuya))  # fmt: skip
    return (f"/manage/shibuya/shifts/{shift.id}/release", {},
            lambda: db.session.get(Shift, shift.id).status != ShiftStatus.CLAIMED)  # fmt: skip


def _reset_text(shibuya, users):
    db.session.add(
        ReminderText(ward_id=shibuya.id, name="sms_resident.txt", kind="morning", body="区の文面")
    )
    return (
        "/manage/shibuya/reminders/texts/sms_resident.txt/reset",
        {},
        lambda: db.session.scalar(sa.select(sa.func.count()).select_from(ReminderText)) == 0,
    )


def _resend(shibuya, users):
    session = factories.make_session(factories.make_venue(shibuya))
    booking = factories.make_booking(session, factories.make_resident(shibuya))
    reminder = factories.make_reminder(booking, status=ReminderStatus.NO_ANSWER)
    copies = sa.select(sa.func.count()).where(Reminder.key.startswith(f"{reminder.key}:again"))
    return (f"/manage/shibuya/reminders/{reminder.id}/resend", {},
            lambda: db.session.scalar(copies) == 1)  # fmt: skip


def _new_calendar_address(shibuya, users):
    issue_token(users["admin"], FeedKind.COORDINATOR)
    return (
        "/me/calendar/coordinator/issue",
        {},
        lambda: (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(CalendarToken)
                .where(CalendarToken.revoked_dt.is_not(None))
            )
            == 1
        ),
    )


@pytest.mark.parametrize(
    "action",
    [_revoke, _deactivate, _delete_target, _unassign, _reset_text, _resend,
     _new_calendar_address],
)  # fmt: skip
def test_each_irreversible_button_asks_first(client, users, shibuya, action):
    path, data, done = action(shibuya, users)
    db.session.commit()
    log_in(client, users["admin"])
    asked = client.post(path, data=data)
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert not done()
    assert client.post(path, data={**data, "confirmed": "yes"}).status_code in (200, 302)
    db.session.expire_all()
    assert done()


def test_a_volunteer_asked_before_giving_up_a_shift(client, users, shibuya):
    shift = factories.make_shift(factories.make_session(factories.make_venue(shibuya)),
                                 users["volunteer"])  # fmt: skip
    db.session.commit()
    log_in(client, users["volunteer"])
    asked = client.post(f"/me/shifts/{shift.id}/release")
    assert "活動をやめますか" in asked.get_data(as_text=True)
    assert db.session.get(Shift, shift.id).status == ShiftStatus.CLAIMED
