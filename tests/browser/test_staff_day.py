"""A ward's staff member starts the day on the home page, finds the month in the calendar,
and marks attendance on a tablet with one tap per resident, keeping their place."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from inclusion import clock
from inclusion.extensions import db
from inclusion.residents.models import Booking, BookingSource, BookingStatus, Resident
from inclusion.sessions.models import Session, SessionKind
from inclusion.venues.models import Venue
from inclusion.wards.services import find_ward
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on

TABLET = {"width": 768, "height": 1024}


def class_under_way(app) -> tuple[int, int]:
    """A class that began a few minutes ago with every demo resident of Shibuya booked;
    the id of the session and of the last booking on its list."""
    with app.app_context():
        ward = find_ward("shibuya")
        venue = db.session.scalar(sa.select(Venue).where(Venue.ward_id == ward.id).limit(1))
        start = clock.now() - timedelta(minutes=5)
        session = Session(ward_id=ward.id, venue_id=venue.id, kind=SessionKind.CLASS,
                          title="いま開いている教室", starts_dt=start,
                          ends_dt=start + timedelta(hours=2), capacity=30, lead_needed=1,
                          assistants_needed=2, room="探査室")  # fmt: skip
        db.session.add(session)
        db.session.flush()
        residents = db.session.scalars(
            sa.select(Resident).where(Resident.ward_id == ward.id).order_by(Resident.id)
        ).all()
        for place, resident in enumerate(residents, start=1):
            db.session.add(
                Booking(
                    session_id=session.id,
                    resident_id=resident.id,
                    ward_id=ward.id,
                    status=BookingStatus.BOOKED,
                    place=place,
                    source=BookingSource.PHONE,
                    queued_dt=start,
                )
            )
        db.session.commit()
        last = db.session.scalar(
            sa.select(Booking.id).where(Booking.session_id == session.id)
            .order_by(Booking.place.desc()).limit(1)
        )  # fmt: skip
        return session.id, last


def test_a_staff_members_day(page, live_server):
    session_id, last_booking = class_under_way(live_server.app)
    log_in(page, "staff.shibuya@example.jp")
    # Home: today first, with what is short.
    expect(page.get_by_role("heading", level=1)).to_contain_text("渋谷区")
    today = page.locator("section", has=page.get_by_role("heading", name="今日", exact=True))
    expect(today).to_contain_text("いま開いている教室")
    expect(today).to_contain_text("あと")
    expect(page.get_by_role("heading", name="やること")).to_be_visible()
    problems = problems_on(page)

    # The calendar opens on this month, Sunday first, and moves by month.
    page.locator("#main").get_by_role("link", name="カレンダー", exact=True).click()
    with live_server.app.app_context():
        month = clock.today()
    caption = page.locator(".calendar-title")
    expect(caption).to_have_text(f"{month.year}年{month.month}月")
    headers = page.locator("table.calendar thead th")
    expect(headers).to_have_text(["日", "月", "火", "水", "木", "金", "土"])
    expect(page.locator("td[aria-current=date]")).to_contain_text("今日")
    problems += problems_on(page)
    page.get_by_role("link", name="次の月").click()
    following = (month.replace(day=1) + timedelta(days=32)).replace(day=1)
    expect(caption).to_have_text(f"{following.year}年{following.month}月")
    page.get_by_role("link", name="週で見る").click()
    expect(caption).to_contain_text("(日) –")
    problems += problems_on(page)

    # On a tablet: one tap per resident, and the list stays where it was.
    page.set_viewport_size(TABLET)
    page.goto(f"/manage/shibuya/sessions/{session_id}/roster")
    row = page.locator(f"#booking-{last_booking}")
    row.scroll_into_view_if_needed()
    row.get_by_role("button", name=re.compile("^出席")).click()
    expect(page).to_have_url(re.compile(f"#booking-{last_booking}$"))
    expect(page.get_by_role("status")).to_contain_text("記録しました")
    expect(row).to_contain_text("出席")
    expect(row).to_be_in_viewport()
    assert not problems, "\n".join(problems)


def test_series_dates_shown_beside_the_form_as_it_changes(page, live_server):
    log_in(page, "staff.shibuya@example.jp")
    page.goto("/manage/shibuya/series/new")
    plan = page.locator("#series-plan")
    expect(plan).to_contain_text("回の日程")
    # 20 September 2027 is 敬老の日: left out, then moved by choice, without saving.
    page.get_by_label("日付", exact=True).fill("2027-09-13")
    page.get_by_label("期間（週）").fill("3")
    expect(plan.get_by_role("heading")).to_have_text("2回の日程")
    expect(plan).to_contain_text("敬老の日：この日は開催しません")
    page.get_by_label("次の平日に移す").check()
    expect(plan.get_by_role("heading")).to_have_text("3回の日程")
    expect(plan).to_contain_text("敬老の日のため移します")
    expect(plan.locator("li.plan-moved strong")).to_contain_text("9月21日")
    # A first date in the past is marked, not proposed.
    page.get_by_label("日付", exact=True).fill("2020-01-07")
    expect(plan).to_contain_text("過ぎています")
    problems = problems_on(page)
    page.set_viewport_size({"width": 390, "height": 844})
    problems += problems_on(page)
    assert not problems, "\n".join(problems)


def test_reminder_wording_is_plain_words_with_a_live_preview(page, live_server):
    log_in(page, "staff.shibuya@example.jp")
    page.goto("/manage/shibuya/reminders/texts/sms_resident.txt")
    expect(page.locator("#main")).not_to_contain_text("{%")
    samples = page.locator("#text-samples")
    expect(samples).to_contain_text("SMS 1通")
    field = page.get_by_label("当日の朝")
    field.fill("【{区名}】きょうは{日時}から{会場}です。{区の電話}")
    expect(samples).to_contain_text("【渋谷区】きょうは")
    field.fill("【{区名}】{日付}")
    expect(samples).to_contain_text("「{日付}」は入れられません")
    problems = problems_on(page)
    page.set_viewport_size({"width": 390, "height": 844})
    problems += problems_on(page)
    assert not problems, "\n".join(problems)


def test_a_coordinator_builds_a_calendar_address_with_controls(page, live_server):
    log_in(page, "coordinator@example.jp")
    page.goto("/me/calendar")
    page.get_by_label("渋谷区", exact=True).check()
    page.get_by_label("スマホ教室").check()
    page.get_by_role("button", name="保存してカレンダーのアドレスを作る").click()
    address = page.get_by_label("登録するアドレス")
    expect(address).to_have_value(re.compile(r"/calendar/c/[\w-]+\.ics$"))
    expect(page.locator(".qr-code svg")).to_be_visible()
    page.get_by_role("button", name=re.compile("^コピー")).click()
    expect(page.locator("#feed-address-status")).to_have_text(
        "コピーしました。カレンダーアプリに貼り付けてください。"
    )
    problems = problems_on(page)
    page.goto("/me/calendar")
    expect(page.get_by_label("渋谷区", exact=True)).to_be_checked()
    problems += problems_on(page)
    assert not problems, "\n".join(problems)
