"""A seat freed near the session is offered to everyone waiting, by LINE with a button (or
by SMS or a call): the first to say yes takes it, and only the first, even when several
tap at once; the others are told it is gone and keep their place in the queue."""

import threading
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.line import fake
from inclusion.line.models import LineFriend, LineLink
from inclusion.reminders import dispatch, notices, quiet
from inclusion.reminders.models import Reminder, ReminderStatus, Reply, ReplyOutcome
from inclusion.residents import bookings
from inclusion.residents.models import Booking, BookingStatus, ReminderChannel
from tests import factories
from tests.conftest import own_database_app, ready_ward
from tests.line.test_line import BASIC_ID, SECRET, TOKEN, linked, said_back, send
from tests.reminders.fake_twilio import twilio_settings
from tests.reminders.test_webhooks import signed_post

HANAKO, TARO = "U" + "a" * 32, "U" + "b" * 32


def line_settings(fake_line) -> dict:
    return {
        "LINE_ACCOUNTS": {"shared": {"secret": SECRET, "token": TOKEN, "basic_id": BASIC_ID}},
        "LINE_API_BASE_URL": fake_line.url,
        "LINE_TIMEOUT_SECONDS": 0.5,
    }


@pytest.fixture
def app_config(fake_twilio, fake_line):
    fake_twilio.reset()
    fake_line.reset()
    return twilio_settings(fake_twilio, **line_settings(fake_line))


@pytest.fixture(scope="module")
def fake_line():
    with fake.FakeLine({TOKEN: BASIC_ID}) as server:
        yield server


def sending_moment():
    """The next minute an SMS or LINE message may go (they share the hours)."""
    return quiet.next_allowed(clock.now(), (time(8), time(21)))


def soon(ward, capacity: int = 1):
    """A class a few hours after calls may next be made: well within a day of now."""
    starts = quiet.next_allowed(clock.now(), (time(9), time(20))) + timedelta(hours=3)
    return factories.make_session(factories.make_venue(ward), starts_dt=starts, capacity=capacity)


@pytest.fixture
def ward(shibuya):
    shibuya.booking_phone = "03-3463-1873"
    return shibuya


def waiting(session, name: str, mobile: str) -> Booking:
    resident = factories.make_resident(session.ward, phones=(mobile,), family_name=name,
                                       channel=ReminderChannel.SMS)  # fmt: skip
    return factories.make_booking(session, resident, BookingStatus.WAITLISTED)


def offers() -> list[Reminder]:
    return list(db.session.scalars(
        sa.select(Reminder).where(Reminder.kind == notices.OFFER).order_by(Reminder.id)
    ))  # fmt: skip


def test_the_first_yes_takes_the_seat_and_the_next_is_told_it_is_gone(
    client, users, ward, fake_line
):
    session = soon(ward)
    seated = factories.make_booking(session, factories.make_resident(ward))
    first = waiting(session, "山田", "+819011110001")
    second = waiting(session, "佐藤", "+819011110002")
    linked(client, users, fake_line, first.resident, HANAKO)
    _link(client, users, fake_line, second.resident, TARO)

    assert bookings.cancel_booking(None, seated) is None  # not given to the first in line
    db.session.refresh(first)
    assert first.status == BookingStatus.WAITLISTED
    rows = offers()
    assert [(row.booking_id, row.channel) for row in rows] == [(first.id, "line"),
                                                               (second.id, "line")]  # fmt: skip
    assert dispatch.dispatch_once(sending_moment()).sent == 2
    words = fake_line.texts_to(TARO)[-1]
    assert "空きが出ました" in words and "[参加します]" in words and "[取り消す]" not in words

    # The second in line answers first, and takes it.
    send(client, fake.postback(TARO, f"r={rows[1].id}&a=confirm"))
    assert said_back(fake_line).endswith("の席を予約しました。お待ちしています。")
    db.session.refresh(second)
    assert second.status == BookingStatus.BOOKED and second.place == seated.place
    send(client, fake.postback(HANAKO, f"r={rows[0].id}&a=confirm"))
    assert said_back(fake_line).startswith("申し訳ありません。空いた席は、ほかの方が先に")
    db.session.refresh(first)
    assert first.status == BookingStatus.WAITLISTED
    outcomes = [reply.outcome for reply in db.session.scalars(sa.select(Reply).order_by(Reply.id))]
    assert outcomes == [ReplyOutcome.CONFIRMED, ReplyOutcome.SEAT_GONE]
    # Tapped again: already theirs, and said so; no second seat.
    send(client, fake.postback(TARO, f"r={rows[1].id}&a=confirm"))
    assert "ご予約済みです" in said_back(fake_line)
    assert db.session.scalar(
        sa.select(sa.func.count()).where(Booking.session_id == session.id,
                                         Booking.status == BookingStatus.BOOKED)
    ) == 1  # fmt: skip


def _link(client, users, fake_line, resident, user):
    from tests.line.test_line import issue_code

    code = issue_code(client, users, resident)
    send(client, fake.text(user, code))
    return db.session.scalars(sa.select(LineLink).where(LineLink.resident_id == resident.id)).one()


def test_an_offer_not_yet_sent_is_not_sent_once_the_seat_is_taken(ward):
    session = soon(ward)
    seated = factories.make_booking(session, factories.make_resident(ward))
    first = waiting(session, "山田", "+819011110001")
    second = waiting(session, "佐藤", "+819011110002")
    bookings.cancel_booking(None, seated)
    assert bookings.take_offer(None, first) == bookings.OfferAnswer.TAKEN
    by_booking = {row.booking_id: row.status for row in offers()}
    assert by_booking == {first.id: ReminderStatus.CANCELLED, second.id: ReminderStatus.CANCELLED}
    assert bookings.take_offer(None, second) == bookings.OfferAnswer.GONE


def test_a_call_offering_the_seat_takes_a_1(client, ward, fake_twilio):
    session = soon(ward)
    seated = factories.make_booking(session, factories.make_resident(ward))
    resident = factories.make_resident(ward, phones=("+81355551111",), family_name="鈴木")
    queued = factories.make_booking(session, resident, BookingStatus.WAITLISTED)
    bookings.cancel_booking(None, seated)
    [row] = offers()
    assert row.channel == "voice"
    calling_moment = quiet.next_allowed(clock.now(), (time(9), time(20)))
    dispatch.dispatch_once(calling_moment)
    db.session.refresh(row)
    answered = signed_post(client, f"/twilio/voice/{row.id}/answered", {"AnsweredBy": "human"})
    spoken = answered.get_data(as_text=True)
    assert "先着順です" in spoken and "1を、もう一度" in spoken and "2を" not in spoken
    # 2 is no answer to an offer: the message is heard again.
    again = signed_post(client, f"/twilio/voice/{row.id}", {"Digits": "2"})
    assert "先着順です" in again.get_data(as_text=True)
    assert queued.status == BookingStatus.WAITLISTED
    done = signed_post(client, f"/twilio/voice/{row.id}", {"Digits": "1"})
    assert "ご予約しました" in done.get_data(as_text=True)
    db.session.refresh(queued)
    assert queued.status == BookingStatus.BOOKED


def test_a_seat_freed_days_ahead_goes_to_the_first_in_line(ward):
    session = factories.make_session(factories.make_venue(ward), capacity=1,
                                     starts_dt=clock.now() + timedelta(days=3))  # fmt: skip
    seated = factories.make_booking(session, factories.make_resident(ward))
    first = waiting(session, "山田", "+819011110001")
    assert bookings.cancel_booking(None, seated) == first
    assert first.status == BookingStatus.BOOKED and not offers()


# Threads each with a connection of their own: one such test at a time.
@pytest.mark.xdist_group("heavy")
def test_taps_at_once_take_the_seat_once(backend, tmp_path_factory, fake_line):
    tappers = 5
    with own_database_app(backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_size": tappers + 2}, **line_settings(fake_line)) as app:  # fmt: skip
        with app.app_context():
            ward = ready_ward("shibuya", "03-3463-1873")
            session = soon(ward)
            seated = factories.make_booking(session, factories.make_resident(ward))
            users, rows = [], []
            for number in range(tappers):
                queued = waiting(session, f"区民{number}", f"+81901111{number:04d}")
                user = f"U{number:032x}"
                friend = LineFriend(account="shared", line_user_id=user, wrong_codes=0)
                db.session.add(friend)
                db.session.flush()
                db.session.add(LineLink(friend_id=friend.id, resident_id=queued.resident_id,
                                        ward_id=ward.id))  # fmt: skip
                users.append(user)
            db.session.flush()
            bookings.cancel_booking(None, seated)
            rows = [row.id for row in offers()]
            session_id = session.id
            db.session.commit()
        barrier = threading.Barrier(tappers)
        statuses: list[int] = []

        def tap(user: str, reminder_id: int) -> None:
            client = app.test_client()
            barrier.wait(timeout=30)
            body = fake.events(fake.postback(user, f"r={reminder_id}&a=confirm"))
            signature = {"X-Line-Signature": fake.signed(SECRET, body)}
            response = client.post("/line/shared", data=body.encode(),
                                   content_type="application/json", headers=signature)  # fmt: skip
            statuses.append(response.status_code)

        threads = [
            threading.Thread(target=tap, args=pair) for pair in zip(users, rows, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert statuses == [200] * tappers
        with app.app_context():
            booked = db.session.scalar(
                sa.select(sa.func.count()).where(Booking.session_id == session_id,
                                                 Booking.status == BookingStatus.BOOKED)
            )  # fmt: skip
            outcomes = sorted(db.session.scalars(sa.select(Reply.outcome)))
            assert booked == 1
            assert outcomes == sorted([ReplyOutcome.CONFIRMED] + [ReplyOutcome.SEAT_GONE] * 4)


def test_a_no_to_an_offer_keeps_the_place_in_the_queue(client, users, ward, fake_line):
    session = soon(ward)
    seated = factories.make_booking(session, factories.make_resident(ward))
    first = waiting(session, "山田", "+819011110001")
    linked(client, users, fake_line, first.resident, HANAKO)
    bookings.cancel_booking(None, seated)
    [row] = offers()
    # The offer closes an hour before the class.
    assert row.deadline_dt == session.starts_dt - bookings.OFFER_CLOSES_BEFORE
    dispatch.dispatch_once(sending_moment())
    send(client, fake.text(HANAKO, "2"))
    assert said_back(fake_line) == "わかりました。キャンセル待ちは、そのままです。"
    db.session.refresh(first)
    assert first.status == BookingStatus.WAITLISTED
    assert db.session.scalars(sa.select(Reply.outcome)).one() == ReplyOutcome.SEAT_DECLINED


def test_an_offer_that_could_only_go_after_it_closes_is_not_sent(ward):
    session = soon(ward)
    seated = factories.make_booking(session, factories.make_resident(ward))
    waiting(session, "山田", "+819011110001")
    bookings.cancel_booking(None, seated)
    [row] = offers()
    result = dispatch.dispatch_once(row.deadline_dt + timedelta(minutes=1))
    db.session.refresh(row)
    assert result.sent == 0 and row.status == ReminderStatus.SKIPPED


def test_offers_go_while_other_sessions_are_full_of_bookings_and_messages(ward):
    """The check that a seat is still free counts the offer's own session only."""
    other = factories.make_session(factories.make_venue(ward), capacity=3)
    for place in range(1, 4):
        seat = factories.make_booking(other, factories.make_resident(ward), place=place)
        factories.make_reminder(seat, status=ReminderStatus.PENDING)
    session = soon(ward, capacity=2)
    seated = factories.make_booking(session, factories.make_resident(ward))
    factories.make_booking(session, factories.make_resident(ward), place=2)
    queued = waiting(session, "山田", "+819011110001")
    bookings.cancel_booking(None, seated)
    [row] = offers()
    assert row.booking_id == queued.id
    assert dispatch.dispatch_once(sending_moment()).sent >= 1
    db.session.refresh(row)
    assert row.status == ReminderStatus.SENT


def test_staff_are_told_a_seat_freed_near_the_session_is_offered(client, users, ward):
    from tests.conftest import log_in

    session = soon(ward)
    seated = factories.make_booking(session, factories.make_resident(ward))
    waiting(session, "山田", "+819011110001")
    waiting(session, "佐藤", "+819011110002")
    log_in(client, users["ward_staff"])
    path = f"/manage/{ward.slug}/bookings/{seated.id}/cancel"
    asked = client.post(path, data={"reason": "体調不良"}).get_data(as_text=True)
    assert "キャンセル待ちの2人全員にお知らせし" in asked and "1人目" not in asked
    done = client.post(
        path, data={"reason": "体調不良", "confirmed": "yes"}, follow_redirects=True
    )
    assert "空いた席をキャンセル待ちの方にお知らせします" in done.get_data(as_text=True)
