"""Courses are booked as one: every date together, all or nothing, waiting as a whole."""

import functools
import threading
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.courses import services as courses
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.reminders import dispatch
from inclusion.reminders.models import Reminder, ReminderStatus, ReminderStep
from inclusion.residents import bookings
from inclusion.residents.models import Booking, BookingSource, BookingStatus, ReminderChannel
from inclusion.sessions import services as session_services
from inclusion.sessions.models import HolidayRule, Session, SessionKind
from tests import factories
from tests.conftest import log_in, own_database_app, ready_ward


def dates_of(series) -> list[Session]:
    return courses.course_dates(series)


def seats_of(resident) -> list[Booking]:
    return db.session.scalars(
        sa.select(Booking).where(Booking.resident_id == resident.id).order_by(Booking.id)
    ).all()


def test_a_course_books_every_date_or_waits_as_a_whole(shibuya, users):
    series = factories.make_series(shibuya, dates=4, capacity=1)
    first, second = factories.make_resident(shibuya), factories.make_resident(shibuya)
    enrolment = courses.enrol_resident(users["ward_staff"], first, series, BookingSource.PHONE)
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert [b.session_id for b in seats_of(first)] == [s.id for s in dates_of(series)]
    assert {b.status for b in seats_of(first)} == {BookingStatus.BOOKED}
    # Full: the next waits for the whole course and holds no date at all.
    waiting = courses.enrol_resident(users["ward_staff"], second, series, BookingSource.PHONE)
    assert waiting.status == EnrolmentStatus.WAITLISTED and seats_of(second) == []
    assert courses.course_waitlist_position(waiting) == 1
    # One date freed is not enough for a whole-course wait.
    bookings.cancel_booking(users["ward_staff"], seats_of(first)[1], "体調不良")
    assert waiting.status == EnrolmentStatus.WAITLISTED
    # The whole course cancelled: every date goes to the one waiting, in one go.
    courses.cancel_enrolment(users["ward_staff"], enrolment, "引っ越し")
    assert enrolment.status == EnrolmentStatus.CANCELLED
    assert waiting.status == EnrolmentStatus.ENROLLED
    assert len([b for b in seats_of(second) if b.status == BookingStatus.BOOKED]) == 4
    # One notice of the freed course, not one per date.
    notices = db.session.scalars(
        sa.select(Reminder.key).where(
            Reminder.resident_id == second.id, Reminder.kind == "promoted"
        )
    ).all()
    assert len(notices) == 1


def test_a_course_date_is_not_booked_alone(shibuya, users):
    series = factories.make_series(shibuya)
    with pytest.raises(RuleViolation, match="講座全体を予約"):
        bookings.book_resident(
            users["ward_staff"], factories.make_resident(shibuya), dates_of(series)[0],
            BookingSource.PHONE,
        )  # fmt: skip
    with pytest.raises(RuleViolation):
        courses.enrol_resident(
            users["ward_staff"], factories.make_resident(shibuya),
            factories.make_series(shibuya, is_course=False), BookingSource.PHONE,
        )  # fmt: skip


def test_reminders_say_which_date_of_the_course_it_is(shibuya, users):
    series = factories.make_series(shibuya, dates=8)
    resident = factories.make_resident(shibuya, phones=("+819012345678",),
                                       channel=ReminderChannel.SMS)  # fmt: skip
    courses.enrol_resident(users["ward_staff"], resident, series, BookingSource.PHONE)
    third = seats_of(resident)[2]
    reminder = factories.make_reminder(third, channel=ReminderChannel.SMS, kind="two_days_before")
    # A step's reminder (its kind), not a notice: the reminder's own text.
    said = functools.partial(dispatch.message_text, reminder.session, recipient=reminder.recipient,
                             kind=reminder.kind)  # fmt: skip
    text = said(channel=ReminderChannel.SMS)
    assert "第3回/全8回" in text and len(text) <= 70
    assert "第3回、全8回" in said(channel=ReminderChannel.VOICE)


def test_staff_book_and_cancel_a_course_through_the_pages(app, client, shibuya, users):
    series = factories.make_series(shibuya, dates=3)
    resident = factories.make_resident(shibuya, family_name="講座")
    first = dates_of(series)[0]
    db.session.commit()
    log_in(client, users["ward_staff"])
    page = client.get(f"/manage/shibuya/sessions/{first.id}/book?resident={resident.id}").text
    assert page.count("<li>") >= 3 and "講座" in page
    answer = client.post(
        f"/manage/shibuya/sessions/{first.id}/book",
        data={"resident": resident.id, "source": "phone"},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert len([b for b in seats_of(resident) if b.status == BookingStatus.BOOKED]) == 3
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.resident_id == resident.id))
    whole_course = f"/manage/shibuya/enrolments/{enrolment.id}/cancel"
    detail = client.get(f"/manage/shibuya/residents/{resident.id}").text
    assert detail.count("この日だけ取り消す") == 3 and whole_course in detail
    booking = seats_of(resident)[0]
    client.post(f"/manage/shibuya/bookings/{booking.id}/cancel", data={"confirmed": "yes"})
    statuses = [b.status for b in seats_of(resident)]
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.BOOKED, BookingStatus.BOOKED]
    # The whole course is cancelled only after staff see which dates it gives up.
    confirm = client.get(f"{whole_course}?next=/manage/shibuya/residents/{resident.id}").text
    assert "次の2回の予約を取り消します" in confirm and resident.name in confirm
    assert {b.status for b in seats_of(resident)} != {BookingStatus.CANCELLED}
    done = client.post(whole_course, data={
        "reason": "本人から", "next": f"/manage/shibuya/residents/{resident.id}"})  # fmt: skip
    assert done.headers["Location"] == f"/manage/shibuya/residents/{resident.id}"
    assert {b.status for b in seats_of(resident)} == {BookingStatus.CANCELLED}
    assert enrolment.status == EnrolmentStatus.CANCELLED
    again = client.get(whole_course).text
    main = again.split("<main")[1].split("</main>")[0]
    assert "すでに取り消されています" in main and 'type="submit"' not in main


def test_moving_a_date_onto_another_booking_is_refused(shibuya, users):
    series = factories.make_series(shibuya, dates=2)
    resident = factories.make_resident(shibuya, family_name="重複")
    courses.enrol_resident(users["ward_staff"], resident, series, BookingSource.PHONE)
    second = dates_of(series)[1]
    other = factories.make_session(
        factories.make_venue(shibuya), starts_dt=second.starts_dt + timedelta(hours=4), hours=1
    )
    bookings.book_resident(users["ward_staff"], resident, other, BookingSource.PHONE)
    draft = session_services.SessionDraft.of(second)
    local = clock.to_local(other.starts_dt)
    moved = session_services.SessionDraft(
        **{**vars(draft), "starts_time": local.time(),
           "ends_time": (local + timedelta(hours=1)).time()}
    )  # fmt: skip
    with pytest.raises(RuleViolation, match="重複"):
        session_services.update_session(users["ward_staff"], second, moved, reason="会場の都合")


SEATS, CALLERS = 3, 30


@pytest.fixture(scope="module")
def course_app(backend, tmp_path_factory):
    with own_database_app(
        backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": CALLERS + 5}
    ) as app:
        yield app


@pytest.mark.xdist_group("heavy")  # many connections at once: PostgreSQL takes 100
def test_thirty_callers_for_the_last_seats_each_get_all_dates_or_none(course_app):
    with course_app.app_context():
        ward = ready_ward("shibuya", "03-3463-1211")
        series = factories.make_series(ward, dates=4, capacity=SEATS)
        residents = [factories.make_resident(ward).id for _ in range(CALLERS)]
        series_id = series.id
        db.session.commit()
    barrier = threading.Barrier(CALLERS)
    errors: list[BaseException] = []

    def call(resident_id: int) -> None:
        with course_app.app_context():
            # Everyone at the door first: on SQLite the first read already takes the lock.
            barrier.wait(timeout=30)
            try:
                resident = db.session.get(factories.Resident, resident_id)
                series = db.session.get(courses.Series, series_id)
                courses.enrol_resident(None, resident, series, BookingSource.PHONE)
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=call, args=(rid,)) for rid in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with course_app.app_context():
        enrolments = db.session.scalars(
            sa.select(Enrolment).where(Enrolment.series_id == series_id)
        ).all()
        enrolled = {e.resident_id for e in enrolments if e.status == EnrolmentStatus.ENROLLED}
        assert len(enrolled) == SEATS
        assert len(enrolments) == CALLERS
        for date in courses.course_dates(db.session.get(courses.Series, series_id)):
            holders = db.session.scalars(
                sa.select(Booking.resident_id).where(
                    Booking.session_id == date.id, Booking.status == BookingStatus.BOOKED
                )
            ).all()
            # Every date held by the same three people: nobody has some dates and not others.
            assert set(holders) == enrolled and len(holders) == SEATS


def test_integrators_book_and_cancel_a_course_through_the_api(client, shibuya, shinagawa, users):
    from inclusion.api.models import ApiScope
    from inclusion.api.services import create_key

    series = factories.make_series(shibuya, dates=3)
    resident = factories.make_resident(shibuya)
    _key, secret = create_key(users["admin"], "call centre", list(ApiScope), shibuya)
    _other, elsewhere = create_key(users["admin"], "other", list(ApiScope), shinagawa)
    db.session.commit()
    key = {"Authorization": f"Bearer {secret}"}
    course = client.get(f"/api/v1/courses/{series.id}", headers=key).json
    assert [date["session_id"] for date in course["dates"]] == [s.id for s in dates_of(series)]
    one_date = client.post(f"/api/v1/sessions/{course['dates'][0]['session_id']}/bookings",
                           json={"resident_id": resident.id}, headers=key)  # fmt: skip
    assert one_date.status_code == 422 and "course" in one_date.json["message"]["en"]
    made = client.post(f"/api/v1/courses/{series.id}/enrolments",
                       json={"resident_id": resident.id}, headers=key)  # fmt: skip
    assert made.status_code == 201, made.json
    assert made.json["status"] == "enrolled" and len(made.json["booking_ids"]) == 3
    assert (
        client.get(
            f"/api/v1/courses/{series.id}", headers={"Authorization": f"Bearer {elsewhere}"}
        ).status_code
        == 404
    )
    cancelled = client.post(f"/api/v1/enrolments/{made.json['id']}/cancel",
                            json={"reason": "電話で"}, headers=key)  # fmt: skip
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert {b.status for b in seats_of(resident)} == {BookingStatus.CANCELLED}


def test_the_public_page_shows_every_date_of_the_course(client, shibuya):
    series = factories.make_series(shibuya, dates=4)
    first = dates_of(series)[0]
    db.session.commit()
    page = client.get(f"/w/shibuya/sessions/{first.id}").text
    assert "全4回の講座です。全部の回をまとめて予約します。" in page
    for date in dates_of(series)[1:]:
        assert f"/w/shibuya/sessions/{date.id}" in page


def test_a_course_date_with_seats_shows_full_while_the_course_is(client, shibuya):
    """The first date has seats, the second none: the course cannot be booked, so neither
    its date pages nor the ward's list say 空きがあります."""
    series = factories.make_series(shibuya, dates=2, capacity=3)
    first, second = dates_of(series)
    second.capacity = 1
    courses.enrol_resident(None, factories.make_resident(shibuya), series, BookingSource.PHONE)
    db.session.commit()
    pages = (client.get(f"/w/shibuya/sessions/{first.id}").text, client.get("/w/shibuya").text)
    for page in pages:
        assert "満席です" in page and "空きがあります" not in page
    other = factories.make_resident(shibuya)
    second.capacity = 2
    db.session.commit()
    assert "あと1人" in client.get(f"/w/shibuya/sessions/{first.id}").text
    courses.enrol_resident(None, other, series, BookingSource.PHONE)
    courses.enrol_resident(None, factories.make_resident(shibuya), series, BookingSource.PHONE)
    db.session.commit()  # someone now waits for the whole course
    assert "満席です" in client.get(f"/w/shibuya/sessions/{first.id}").text


def test_course_completion_counts_who_came_to_three_quarters_of_the_dates(shibuya, users):
    from inclusion.targets import metrics
    from inclusion.targets.models import Metric

    series = factories.make_series(shibuya, dates=4)
    keen, busy, gone = (factories.make_resident(shibuya) for _ in range(3))
    enrolments = [
        courses.enrol_resident(None, resident, series, BookingSource.PHONE)
        for resident in (keen, busy, gone)
    ]
    courses.cancel_enrolment(None, enrolments[2], "引っ越し")  # a cancelled course is not counted
    # The course is over: its four dates a few weeks back, attendance recorded.
    weeks_ago = clock.now() - timedelta(weeks=6)
    for number, date in enumerate(dates_of(series)):
        date.starts_dt = weeks_ago + timedelta(weeks=number)
        date.ends_dt = date.starts_dt + timedelta(hours=2)
    for resident, came in ((keen, 3), (busy, 2)):
        for number, booking in enumerate(seats_of(resident)):
            booking.status = BookingStatus.ATTENDED if number < came else BookingStatus.NO_SHOW
    db.session.flush()
    year = clock.fiscal_year(clock.today())
    figures = metrics.figures(Metric.COURSE_COMPLETION, metrics.Scope(year - 1, year))
    assert figures.value() == 50.0  # keen came to 3 of 4, busy to 2 of 4


def test_staff_mark_a_series_as_a_course_and_saving_it_again_says_nothing_changed(
    client, shibuya, users
):
    series = factories.make_series(shibuya, dates=2, is_course=False)
    db.session.commit()
    log_in(client, users["ward_staff"])
    path = f"/manage/shibuya/series/{series.id}/course"
    made = client.post(path, data={"is_course": "y"}, follow_redirects=True).text
    assert "保存しました" in made and series.is_course
    again = client.post(path, data={"is_course": "y"}, follow_redirects=True).text
    assert "変更はありません" in again and "保存しました" not in again


def test_only_classes_not_yet_booked_date_by_date_can_become_a_course(shibuya, users):
    staff = users["ward_staff"]
    consultations = factories.make_series(shibuya, dates=2, is_course=False)
    for date in dates_of(consultations):
        date.kind, date.slot_minutes = SessionKind.CONSULTATION, 30
    with pytest.raises(RuleViolation, match="講座にできるのは教室だけ"):
        courses.mark_course(staff, consultations, True)
    classes = factories.make_series(shibuya, dates=2, is_course=False)
    single = factories.make_booking(dates_of(classes)[1], factories.make_resident(shibuya))
    with pytest.raises(RuleViolation, match="1回ずつ予約"):
        courses.mark_course(staff, classes, True)
    bookings.cancel_booking(staff, single, "本人から")
    assert courses.mark_course(staff, classes, True) and classes.is_course
    draft = session_services.SessionDraft.of(dates_of(consultations)[0])
    with pytest.raises(RuleViolation, match="講座にできるのは教室だけ"):
        session_services.create_series(
            staff, draft, interval_weeks=1, weeks=4, holiday_rule=HolidayRule.SKIP,
            skip_year_end=True, is_course=True,
        )  # fmt: skip


def test_staff_see_and_clear_the_course_waiting_list(client, shibuya, users):
    series = factories.make_series(shibuya, dates=2, capacity=1)
    courses.enrol_resident(None, factories.make_resident(shibuya), series, BookingSource.PHONE)
    waiting = courses.enrol_resident(
        None, factories.make_resident(shibuya, family_name="待機"), series, BookingSource.PHONE
    )
    db.session.commit()
    log_in(client, users["ward_staff"])
    roster = client.get(f"/manage/shibuya/sessions/{dates_of(series)[0].id}/roster").text
    assert "講座全体のキャンセル待ち：1人" in roster and "待機" in roster
    detail = client.get(f"/manage/shibuya/residents/{waiting.resident_id}").text
    assert "講座全体のキャンセル待ち" in detail and series.title in detail and "1番目" in detail
    confirm = client.get(f"/manage/shibuya/enrolments/{waiting.id}/cancel").text
    assert "<h1>講座のキャンセル待ちから外す</h1>" in confirm
    done = client.post(f"/manage/shibuya/enrolments/{waiting.id}/cancel", follow_redirects=True)
    assert waiting.status == EnrolmentStatus.CANCELLED
    assert f"{waiting.resident.name}さんを講座のキャンセル待ちから外しました" in done.text


def test_cancelling_a_course_says_whose_it_was_and_who_moved_up(client, shibuya, users):
    series = factories.make_series(shibuya, dates=2, capacity=1)
    seated = courses.enrol_resident(
        None, factories.make_resident(shibuya, family_name="先着"), series, BookingSource.PHONE
    )
    waiting = courses.enrol_resident(
        None, factories.make_resident(shibuya, family_name="待機"), series, BookingSource.PHONE
    )
    db.session.commit()
    log_in(client, users["ward_staff"])
    done = client.post(f"/manage/shibuya/enrolments/{seated.id}/cancel", follow_redirects=True)
    assert f"{seated.resident.name}さんの講座全体の予約を取り消しました" in done.text
    assert f"{waiting.resident.name}さんが講座のキャンセル待ちから繰り上がり" in done.text
    assert waiting.status == EnrolmentStatus.ENROLLED


def test_claiming_a_course_date_s_reminders_reads_its_dates_once(shibuya, count_queries):
    """第N回/全M回 is worked out once a session, however many messages it has."""
    series = factories.make_series(shibuya, dates=4, capacity=20)
    first = dates_of(series)[0]
    # The day before, at 09:00: inside every ward's hours, an hour before the class.
    now = clock.to_utc(clock.to_local(first.starts_dt).date() - timedelta(days=1), time(9))

    step_id = db.session.scalar(sa.select(ReminderStep.id).limit(1))
    places = iter(range(1, 21))

    def claim_with(residents: int) -> int:
        for _ in range(residents):
            place = next(places)
            booking = factories.make_booking(first, factories.make_resident(shibuya), place=place)
            factories.make_reminder(
                booking, status=ReminderStatus.PENDING, due_dt=now, step_id=step_id,
                channel=ReminderChannel.SMS,
                to_e164=f"+8190555500{place:02d}",
            )  # fmt: skip
        with count_queries() as statements:
            claimed, _result = dispatch.claim(now, 100)
        assert len(claimed) == residents
        assert all("第1回/全4回" in message.body for message in claimed)
        return len(statements)

    claim_with(1)  # the ward's texts are read once a process
    assert claim_with(2) == claim_with(6)
