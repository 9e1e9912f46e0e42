"""The phone line's staff side in Chromium: a caller not on record books on the line; staff
find the booking in the inbox, call back, write down who it was and confirm the record;
the phone line's page lists the call and takes where callers are put through. axe on each."""

import secrets

import sqlalchemy as sa
from playwright.sync_api import expect

from inclusion.extensions import db
from inclusion.phoneline.rehearse import Caller
from inclusion.residents.models import Resident
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on

CALLER = "+81355550188"


def a_call_books_provisionally(app) -> None:
    """An unknown caller books the first class on Shibuya's line and says their name."""
    config = app.config
    token, base = config["TWILIO_AUTH_TOKEN"], config["PUBLIC_BASE_URL"]
    config["TWILIO_AUTH_TOKEN"], config["PUBLIC_BASE_URL"] = secrets.token_hex(8), None
    try:
        with app.test_request_context():
            caller = Caller(app.test_client(), "shibuya", CALLER, config["TWILIO_AUTH_TOKEN"],
                            "http://localhost")  # fmt: skip
            config["PUBLIC_BASE_URL"] = "http://localhost"
            caller.dial()
            caller.press("1")
            caller.press("1")
            assert "予約しました" in caller.speak("やまだ はなこ")
            caller.hang_up(80)
    finally:
        config["TWILIO_AUTH_TOKEN"], config["PUBLIC_BASE_URL"] = token, base


def test_staff_confirm_a_caller_who_booked_on_the_phone_line(page, live_server):
    a_call_books_provisionally(live_server.app)
    log_in(page, "staff.shibuya@example.jp")
    page.get_by_role("link", name="区民からの返信").first.click()
    row = page.locator("tr", has_text="仮登録の方が電話自動受付で予約")
    expect(row).to_contain_text("やまだ はなこ")
    expect(row).to_contain_text("予約した内容：")
    problems = problems_on(page)
    row.get_by_role("link", name="やまだ はなこ").click()
    expect(page.locator(".flash-info").first).to_contain_text("仮登録")
    problems += problems_on(page)
    page.get_by_role("link", name="変更", exact=True).click()
    page.get_by_label("姓", exact=True).fill("山田")
    page.get_by_label("名", exact=True).fill("花子")
    page.locator("#family_kana").fill("ヤマダ")
    page.locator("#given_kana").fill("ハナコ")
    page.get_by_role("button", name="保存").click()
    # Confirming before the resident's consent is recorded is refused, and says why.
    page.get_by_role("button", name="記録を確認済みにする").click()
    expect(page.get_by_role("alert").first).to_contain_text("先に区民の同意を記録してください")
    page.get_by_role("link", name="同意を記録").first.click()
    page.get_by_label("事業のために情報を保管すること").check()
    page.get_by_role("button", name="同意を記録").click()
    expect(page.get_by_role("status")).to_contain_text("同意を記録しました。")
    page.get_by_role("button", name="記録を確認済みにする").click()
    expect(page.get_by_role("status")).to_contain_text("記録を確認済みにしました。")
    expect(page.get_by_role("button", name="記録を確認済みにする")).to_have_count(0)
    with live_server.app.app_context():
        resident = db.session.scalar(
            sa.select(Resident).where(
                Resident.family_name == "山田", Resident.given_kana == "ハナコ"
            )
        )
        assert resident is not None and not resident.is_provisional

    page.goto("/manage/shibuya/phone-line")
    expect(page.get_by_role("heading", level=1)).to_contain_text("電話自動受付")
    latest = page.get_by_role("region", name="最近の通話").locator("tbody tr").first
    expect(latest).to_contain_text("電話で予約・取り消し")
    expect(latest).to_contain_text("1分20秒")
    expect(latest).to_contain_text("教室の案内 → お名前を話す → 予約の読み上げの後")
    problems += problems_on(page)
    page.get_by_label("電話の転送先").fill("03-3463-0000")
    page.get_by_label("職員が電話に出る時間（開始）").fill("09:00")
    page.get_by_label("職員が電話に出る時間（終了）").fill("08:00")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".error-summary, [role=alert]").first).to_contain_text(
        "終了は開始より後にしてください"
    )
    problems += problems_on(page)
    page.get_by_label("職員が電話に出る時間（終了）").fill("17:00")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("保存しました。")
    assert not problems, "\n".join(problems)
