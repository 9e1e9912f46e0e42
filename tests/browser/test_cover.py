"""On a phone: a volunteer who cannot come asks for cover; another volunteer takes it."""

from datetime import time, timedelta

from playwright.sync_api import expect

from inclusion import clock
from inclusion.auth.services import find_user_by_email
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionKind
from inclusion.venues.models import Venue
from inclusion.volunteers.models import Shift, ShiftRole
from inclusion.wards.services import find_ward
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on

PHONE = {"width": 390, "height": 844}


def class_with_a_helper(app) -> str:
    """A class in three weeks, at an hour the demo leaves free, with 支援 健 as its assistant."""
    with app.app_context():
        ward = find_ward("shibuya")
        venue = db.session.scalar(
            db.select(Venue).where(Venue.ward_id == ward.id).order_by(Venue.id)
        )
        start = clock.to_utc(clock.today() + timedelta(days=21), time(18))
        session = Session(ward_id=ward.id, venue_id=venue.id, kind=SessionKind.CLASS,
                          title="夜のLINE教室", starts_dt=start,
                          ends_dt=start + timedelta(hours=1), capacity=8, lead_needed=0,
                          assistants_needed=1)  # fmt: skip
        db.session.add(session)
        db.session.flush()
        helper = find_user_by_email("volunteer3@example.jp")
        db.session.add(Shift(session_id=session.id, user_id=helper.id,
                             role=ShiftRole.ASSISTANT, slot_number=1))  # fmt: skip
        db.session.commit()
        return session.title


def test_asking_for_cover_and_taking_it_on_a_phone(page, live_server):
    title = class_with_a_helper(live_server.app)
    page.set_viewport_size(PHONE)
    log_in(page, "volunteer3@example.jp")
    card = page.locator("article.shift-card", has_text=title)
    card.get_by_role("link", name="代わりを頼む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("代わりを頼む")
    problems = problems_on(page)
    page.set_viewport_size(PHONE)
    page.get_by_label("お願いする支援員への一言（任意）").fill("通院の予定が入りました")
    page.get_by_role("button", name="代わりを頼む").click()
    expect(page.get_by_role("status")).to_contain_text(f"「{title}」の代わりを探しています")
    expect(page.locator("article.shift-card", has_text=title)).to_contain_text("代わりを募集中")
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, "volunteer1@example.jp")
    page.goto("/me/cover")
    offer = page.locator("article.shift-card", has_text=title)
    expect(offer).to_contain_text("通院の予定が入りました")
    problems += problems_on(page)
    page.set_viewport_size(PHONE)
    offer.get_by_role("button", name="引き受ける").click()
    expect(page.get_by_role("status")).to_contain_text("あなたの活動になりました")
    expect(page.get_by_role("heading", level=1)).to_have_text("自分の活動")
    expect(page.locator("article.shift-card", has_text=title)).to_be_visible()
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, "staff.shibuya@example.jp")
    page.goto("/manage/shibuya/cover")
    expect(page.locator("article.shift-card", has_text=title)).to_contain_text("支援 一郎")
    problems += problems_on(page)
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, "volunteer3@example.jp")
    expect(page.locator("article.shift-card", has_text=title)).to_have_count(0)
    page.goto("/me/cover")
    expect(page.locator("article.shift-card", has_text=title)).to_contain_text(
        "支援 一郎さんが引き受け"
    )
    assert not problems, "\n".join(problems)
