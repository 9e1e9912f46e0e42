"""Staff add a venue and a 12-week series; residents find it on the public page."""

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def test_staff_create_a_venue_and_a_series_that_the_public_page_shows(page, live_server):
    log_in(page, "staff.shibuya@example.jp")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="会場").click()
    page.get_by_role("link", name="会場を登録").click()
    page.get_by_label("会場名").fill("代々木ふれあい会館")
    page.get_by_label("施設の種類").select_option(label="区民センター")
    page.get_by_label("住所").fill("渋谷区代々木9-9-9")
    page.get_by_label("定員（人）").fill("24")
    page.get_by_label("エレベーター").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("代々木ふれあい会館")

    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="講座・相談会"
    ).click()
    page.get_by_role("link", name="毎週・隔週の定期開催を登録").click()
    page.get_by_label("名前").fill("火曜スマホ教室")
    page.get_by_label("会場").select_option(label="代々木ふれあい会館")
    first_day = page.evaluate("new Date(Date.now() + 8 * 864e5).toISOString().slice(0, 10)")
    page.get_by_label("日付").fill(first_day)
    page.get_by_label("開始時刻").fill("10:00")
    page.get_by_label("終了時刻").fill("11:30")
    page.get_by_label("期間（週）").fill("12")
    page.get_by_label("定員（人）").fill("16")
    page.get_by_label("LINE").check()
    page.get_by_role("button", name="日程を確認").click()
    plan = page.get_by_role("region", name="回")
    expect(plan).to_be_visible()
    dates = plan.locator("ol li.plan-held, ol li.plan-moved")
    count = dates.count()
    assert 10 <= count <= 12
    page.get_by_role("button", name="定期開催を登録").click()
    expect(page.get_by_role("status")).to_contain_text("火曜スマホ教室")
    expect(page.get_by_role("link", name="火曜スマホ教室")).to_have_count(count)

    page.get_by_role("button", name="ログアウト").click()
    page.goto("/w/shibuya")
    expect(page.get_by_role("link", name="火曜スマホ教室").first).to_be_visible()
    page.get_by_role("link", name="火曜スマホ教室").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("火曜スマホ教室")
    expect(page.get_by_text("代々木ふれあい会館").first).to_be_visible()
