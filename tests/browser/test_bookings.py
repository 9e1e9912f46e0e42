"""A phone booking at the ward office: new resident with a landline, a full class, the queue."""

from datetime import time, timedelta

from playwright.sync_api import expect

from inclusion import clock
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionKind
from inclusion.venues.models import Venue
from inclusion.wards.services import find_ward
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on


def small_class(app) -> int:
    """A two-seat class in ten days, at an hour the demo leaves free."""
    with app.app_context():
        ward = find_ward("shibuya")
        venue = db.session.scalar(
            db.select(Venue).where(Venue.ward_id == ward.id).order_by(Venue.id)
        )
        start = clock.to_utc(clock.today() + timedelta(days=10), time(16))
        session = Session(
            ward_id=ward.id,
            venue_id=venue.id,
            kind=SessionKind.CLASS,
            title="二人だけのスマホ教室",
            starts_dt=start,
            ends_dt=start + timedelta(hours=1),
            capacity=2,
            lead_needed=1,
            assistants_needed=1,
        )
        db.session.add(session)
        db.session.commit()
        return session.id


def book(page, kana: str) -> None:
    page.get_by_role("link", name="区民の予約を受ける").click()
    page.get_by_label("フリガナ、氏名または電話番号").fill(kana)
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name="選ぶ").first.click()
    page.get_by_role("button", name="予約する").click()


def test_phone_booking_fills_the_class_and_a_cancellation_promotes(page, live_server):
    session_id = small_class(live_server.app)
    log_in(page, "staff.shibuya@example.jp")
    page.goto(f"/manage/shibuya/sessions/{session_id}")
    problems = problems_on(page)

    # A caller who is not on record yet, with only a landline.
    page.get_by_role("link", name="区民の予約を受ける").click()
    page.get_by_label("フリガナ、氏名または電話番号").fill("アライ")
    page.get_by_role("button", name="検索").click()
    expect(page.get_by_text("見つかりません")).to_be_visible()
    page.get_by_role("link", name="新しい区民を登録").click()
    page.get_by_label("姓", exact=True).fill("新井")
    page.get_by_label("名", exact=True).fill("トメ")
    page.get_by_label("セイ（フリガナ）").fill("あらい")
    page.get_by_label("メイ（フリガナ）").fill("とめ")
    page.get_by_label("生まれた年").fill("1941")
    page.get_by_label("電話番号", exact=True).fill("03-5555-0901")
    page.get_by_label("事業のために情報を保管すること").check()
    page.get_by_label("電話またはSMSでのお知らせ").check()
    problems += problems_on(page)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("新井 トメさんを登録しました")
    page.get_by_role("button", name="予約する").click()
    expect(page.get_by_role("status")).to_contain_text("新井 トメさんの予約を受け付けました")
    expect(page.get_by_role("heading", name="予約：1／2")).to_be_visible()
    problems += problems_on(page)

    # The class fills; the next caller goes on the waiting list.
    page.get_by_role("link", name="回の詳細").click()
    book(page, "スズキ")
    expect(page.get_by_role("heading", name="予約：2／2")).to_be_visible()
    page.get_by_role("link", name="回の詳細").click()
    book(page, "ナカムラ")
    expect(page.get_by_role("status")).to_contain_text("キャンセル待ち1番目")
    expect(page.get_by_role("heading", name="キャンセル待ち：1人")).to_be_visible()

    # Arai calls back to cancel; the page says first what will happen: Nakamura moves up.
    page.get_by_role("button", name="予約を取り消す 新井 トメ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "新井 トメさんの予約を取り消しますか？"
    )
    expect(page.locator(".confirm-consequence")).to_contain_text("中村 勇さんに移り")
    problems += problems_on(page)
    page.get_by_role("button", name="はい、予約を取り消します").click()
    promoted = "中村 勇さんがキャンセル待ちから繰り上がりました"
    expect(page.get_by_role("status").last).to_contain_text(promoted)
    expect(page.get_by_role("heading", name="キャンセル待ち：0人")).to_be_visible()
    expect(page.get_by_role("heading", name="予約：2／2")).to_be_visible()
    problems += problems_on(page)

    # Her record: a landline, so reminders come by phone call.
    page.goto("/manage/shibuya/residents?q=アライ")
    page.get_by_role("link", name="新井 トメ").click()

    def fact(term: str):
        return page.locator(f"dl.facts dt:text-is('{term}') + dd")

    expect(fact("電話番号")).to_have_text("03-5555-0901 (固定電話)")
    expect(fact("連絡方法")).to_have_text("電話")
    expect(fact("年代")).to_have_text("85歳以上")
    problems += problems_on(page)
    assert not problems, "\n".join(problems)
