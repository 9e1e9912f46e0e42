"""The joint call centre in Chromium: an operator finds a caller by their number, logs the
call and books them into a class from the call screen; a call passed to a ward is on that
ward's to-do list until its staff take care of it."""

from datetime import time, timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from inclusion import clock
from inclusion.calls.models import Call, CallOutcome
from inclusion.extensions import db
from inclusion.residents.models import Booking, BookingSource
from inclusion.sessions.models import Session, SessionKind
from inclusion.venues.models import Venue
from inclusion.wards.services import find_ward
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on

TITLE = "電話で申し込むスマホ教室"


def a_caller_and_a_class(app) -> int:
    """A Shibuya resident with a mobile number, and a class of theirs in ten days."""
    with app.app_context():
        ward = find_ward("shibuya")
        venue = db.session.scalar(sa.select(Venue).where(Venue.ward_id == ward.id).limit(1))
        start = clock.to_utc(clock.today() + timedelta(days=10), time(13))
        db.session.add(Session(ward_id=ward.id, venue_id=venue.id, kind=SessionKind.CLASS,
                               title=TITLE, starts_dt=start, ends_dt=start + timedelta(hours=2),
                               capacity=10, lead_needed=0, assistants_needed=0))  # fmt: skip
        caller = factories.make_resident(ward, phones=("+819055550101",), family_name="電話",
                                         given_name="花子", kana="デンワ")  # fmt: skip
        db.session.commit()
        return caller.id


def test_an_operator_logs_a_call_and_books_the_caller(page, live_server):
    caller_id = a_caller_and_a_class(live_server.app)
    log_in(page, "callcentre@example.jp")
    expect(page.get_by_role("heading", level=1)).to_have_text("通話の記録")
    problems = problems_on(page)
    page.get_by_label("フリガナ、氏名または電話番号").fill("090-5555-0101")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name="選ぶ 電話 花子").click()
    expect(page.locator(".lead")).to_contain_text("渋谷区")
    problems += problems_on(page)
    page.get_by_label("講座の予約").check()
    page.get_by_label("予約した").check()
    option = page.locator("#session option", has_text=TITLE)
    page.get_by_label("予約する講座・相談会").select_option(option.get_attribute("value"))
    page.get_by_role("button", name="通話を記録").click()
    expect(page.get_by_role("status")).to_contain_text("通話を記録しました。")
    expect(page.get_by_role("status")).to_contain_text("電話 花子さんの予約を受け付けました")
    with live_server.app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.resident_id == caller_id))
        call = db.session.scalar(sa.select(Call).where(Call.resident_id == caller_id))
        assert booking.source == BookingSource.PHONE and call.booking_id == booking.id

    # A call about Shinagawa from someone who gave no name, passed to the ward.
    page.get_by_label("用件の区").select_option(label="品川区")
    page.get_by_label("マイナンバーカード・オンライン手続き").check()
    page.get_by_label("区に引き継いだ").check()
    page.get_by_label("メモ").fill("マイナポータルの使い方を窓口で聞きたい")
    page.get_by_label("折り返しの電話番号").fill("03-5555-0177")
    page.get_by_label("この電話で解決").uncheck()
    page.get_by_role("button", name="通話を記録").click()
    expect(page.get_by_role("status")).to_have_text("通話を記録しました。")
    page.get_by_role("link", name="通話一覧").click()
    expect(page.locator("tbody tr").first).to_contain_text("区の対応待ち")
    problems += problems_on(page)
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, "staff.shinagawa@example.jp")
    page.get_by_role("link", name="コールセンターから引き継がれた電話").click()
    card = page.locator("article", has_text="マイナポータルの使い方")
    expect(card).to_contain_text("03-5555-0177")
    problems += problems_on(page)
    card.get_by_role("button", name="対応済みにする").click()
    expect(page.get_by_role("status")).to_have_text("対応済みにしました。")
    expect(page.locator("article", has_text="マイナポータルの使い方")).to_have_count(0)
    with live_server.app.app_context():
        passed = db.session.scalar(
            sa.select(Call).where(Call.outcome == CallOutcome.PASSED, Call.note.contains("使い方"))
        )
        assert passed.handled_dt is not None
    assert not problems, "\n".join(problems)
