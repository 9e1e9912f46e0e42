"""The ward's home page: a staff member's day at a glance, each item linked to its fix."""

import itertools
from datetime import time, timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.reminders.models import OUTSIDE_HOURS, ReminderStatus
from inclusion.sessions.models import SessionStatus
from inclusion.targets.models import Metric
from inclusion.volunteers.models import ShiftRole
from tests import factories
from tests.conftest import log_in


def at(days: int, hour: int = 10):
    return clock.to_utc(clock.today() + timedelta(days=days), time(hour))


def test_staff_start_with_today_tomorrow_and_what_needs_doing(client, users, shibuya):
    venue = factories.make_venue(shibuya, name="区民会館")
    # Starting now: today's in the programme's zone, whenever the test runs.
    today = factories.make_session(venue, starts_dt=clock.now(), title="今日の教室", capacity=10,
                                   lead_needed=1, assistants_needed=2)  # fmt: skip
    tomorrow = factories.make_session(venue, starts_dt=at(1), title="明日の相談会", capacity=4,
                                      lead_needed=0, assistants_needed=0)  # fmt: skip
    later = factories.make_session(venue, starts_dt=at(9), title="来週の教室", lead_needed=1,
                                   assistants_needed=0)  # fmt: skip
    factories.make_session(venue, starts_dt=at(20), title="ずっと先の教室")
    resident = factories.make_resident(shibuya, family_name="山田", given_name="花子",
                                       phones=("+81334631873",))  # fmt: skip
    factories.make_booking(today, factories.make_resident(shibuya))
    booking = factories.make_booking(tomorrow, resident, place=1)
    for place in range(2, 4):
        factories.make_booking(tomorrow, factories.make_resident(shibuya), place=place)
    factories.make_shift(today, factories.make_volunteer(shibuya), role=ShiftRole.LEAD)
    # Two tries that did not reach 山田: one booking to call about, counted once.
    for status in (ReminderStatus.NO_ANSWER, ReminderStatus.FAILED):
        factories.make_reminder(booking, status=status, last_error=OUTSIDE_HOURS,
                                to_e164="+81334631873")  # fmt: skip
    # Not to call: reached by a later message; asked for no more reminders.
    reached = factories.make_booking(later, factories.make_resident(shibuya, family_name="到達"))
    first = factories.make_reminder(reached, status=ReminderStatus.FAILED)
    factories.make_reminder(reached, status=ReminderStatus.DELIVERED, key=f"{first.key}:again1",
                            due_dt=first.due_dt + timedelta(hours=1))  # fmt: skip
    stopped = factories.make_resident(shibuya, family_name="静香", opted_out_dt=clock.now())
    factories.make_reminder(factories.make_booking(later, stopped, place=2),
                            status=ReminderStatus.NO_ANSWER)  # fmt: skip
    db.session.commit()
    log_in(client, users["ward_staff"])
    response = client.get("/manage/shibuya")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "今日の教室" in page and "1人予約済み・空き9席" in page and "あと2人" in page
    assert "明日の相談会" in page and "3人予約済み・空き1席" in page
    assert "1件のお知らせが区民に届いていません" in page
    # Short of volunteers in the next two weeks: today's and next week's, not tomorrow's.
    short = page[page.index('id="short"') : page.index('id="unreached"')]
    assert "今日の教室" in short and "来週の教室" in short and "明日の相談会" not in short
    assert "ずっと先の教室" not in page
    # Whom to call, and why in words; a resident who asked for no reminders is not listed.
    unreached = page[page.index('id="unreached"') :]
    assert "山田 花子" in unreached and 'href="tel:+81334631873"' in unreached
    assert "03-3463-1873" in unreached and unreached.count("山田 花子") == 1
    assert "静香" not in unreached and "到達" not in unreached
    logged = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "reminder.log"))
    assert logged.details["residents"] == [resident.id]


def test_a_coordinator_sees_the_counts_not_the_residents(client, users, shibuya):
    venue = factories.make_venue(shibuya)
    session = factories.make_session(venue, starts_dt=at(2))
    booking = factories.make_booking(session, factories.make_resident(shibuya, family_name="秘密"))
    factories.make_reminder(booking, status=ReminderStatus.NO_ANSWER)
    db.session.commit()
    log_in(client, users["coordinator"])
    page = client.get("/manage/shibuya").get_data(as_text=True)
    assert "1件のお知らせが区民に届いていません" in page and "秘密" not in page


def test_the_year_in_one_line_and_what_blocks_work(client, users, shibuya):
    target = factories.make_target(
        Metric.SESSIONS_HELD, value=400, year=clock.fiscal_year(clock.today())
    )
    target.ward_id = shibuya.id
    shibuya.booking_phone = ""
    session = factories.make_session(factories.make_venue(shibuya), starts_dt=at(3))
    factories.make_booking(session, factories.make_resident(shibuya))
    db.session.commit()
    log_in(client, users["ward_staff"])
    page = client.get("/manage/shibuya").get_data(as_text=True)
    assert "/ 400" in page and "予約の電話番号を設定する" in page


def test_the_home_page_runs_as_many_queries_for_a_busy_day(client, users, shibuya,
                                                           constant_queries):  # fmt: skip
    venue = factories.make_venue(shibuya)
    log_in(client, users["ward_staff"])
    client.get("/manage/shibuya")  # the year's figures are counted once, then read
    numbers = itertools.count()

    def add_rows(count: int) -> None:
        for number in itertools.islice(numbers, count):
            starts = at(1 + number % 2, 9) + timedelta(minutes=5 * number)
            session = factories.make_session(venue, starts_dt=starts)
            booking = factories.make_booking(session, factories.make_resident(shibuya))
            factories.make_reminder(booking, status=ReminderStatus.FAILED)
            factories.make_shift(session, factories.make_volunteer(shibuya))

    constant_queries(client, "/manage/shibuya", add_rows)


def test_a_cancelled_session_is_shown_as_cancelled_and_not_as_short(client, users, shibuya):
    venue = factories.make_venue(shibuya)
    factories.make_session(venue, starts_dt=at(1), title="中止の教室",
                           status=SessionStatus.CANCELLED)  # fmt: skip
    db.session.commit()
    log_in(client, users["ward_staff"])
    page = client.get("/manage/shibuya").get_data(as_text=True)
    assert "中止の教室" in page and "中止" in page and 'id="short"' not in page
