"""A volunteer subscribes to their shifts; a coordinator imports a partner's sessions."""

from datetime import timedelta

from playwright.sync_api import expect

from inclusion import clock
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on


def test_a_volunteer_makes_stops_and_remakes_their_calendar_address(page, live_server):
    log_in(page, "volunteer1@example.jp")
    page.get_by_role("link", name="わたしのカレンダー").click()
    problems = problems_on(page)
    page.get_by_role("button", name="カレンダーのアドレスを作る").click()
    expect(page.get_by_role("status")).to_contain_text("表示されるのはこの一度だけです")
    address = page.get_by_label("登録するアドレス").input_value()
    assert "/calendar/v/" in address
    problems += problems_on(page)

    feed = page.request.get(address)
    assert feed.status == 200 and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "X-WR-CALNAME:デジタル活用支援 活動予定" in feed.text()

    page.get_by_role("link", name="わたしのカレンダーに戻る").click()
    expect(page.get_by_text("カレンダーアプリが最後に取得したのは")).to_be_visible()
    page.get_by_role("button", name="このアドレスを止める").click()
    page.get_by_role("button", name="はい、アドレスを止めます").click()
    expect(page.get_by_role("status")).to_contain_text("使えなくなりました")
    assert page.request.get(address).status == 404
    assert not problems, "\n".join(problems)


def ics_file(app, tmp_path):
    with app.app_context():
        day = clock.today() + timedelta(days=20)
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//partner//JA\r\n"
        "BEGIN:VEVENT\r\nUID:browser-1@partner.jp\r\nSUMMARY:協力団体のスマホ講座\r\n"
        f"DTSTART;TZID=Asia/Tokyo:{day:%Y%m%d}T140000\r\n"
        f"DTEND;TZID=Asia/Tokyo:{day:%Y%m%d}T153000\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:browser-2@partner.jp\r\nSUMMARY:終日の催し\r\n"
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = tmp_path / "partner.ics"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_coordinator_imports_a_partners_sessions(page, live_server, tmp_path):
    log_in(page, "coordinator@example.jp")
    page.goto("/manage/shibuya")
    page.get_by_role("link", name="講座の取り込み（.ics）").click()
    page.get_by_role("button", name="ファイルを確認する").click()
    expect(page.get_by_role("alert")).to_contain_text(".ics ファイルを選んでください")
    problems = problems_on(page)

    upload = ics_file(live_server.app, tmp_path)
    page.get_by_label("カレンダーファイル（.ics）").set_input_files(upload)
    page.get_by_role("button", name="ファイルを確認する").click()
    expect(page.locator("p.lead")).to_have_text("新規 1件、取り込み済み 0件、問題あり 1件。")
    expect(page.get_by_role("row").filter(has_text="終日の催し")).to_contain_text("終日の予定")
    problems += problems_on(page)

    page.get_by_role("button", name="1件の回を作成する").click()
    expect(page.get_by_role("status")).to_contain_text("1件の回を作成しました。")
    expect(page.get_by_role("link", name="協力団体のスマホ講座")).to_be_visible()
    assert not problems, "\n".join(problems)
