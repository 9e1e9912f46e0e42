"""A volunteer claims a shift, finds it in "my shifts", and releases it."""

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def test_volunteer_claims_and_releases_a_shift(page, live_server):
    log_in(page, "volunteer1@example.jp")
    expect(page.get_by_role("heading", level=1)).to_have_text("自分の活動")
    page.get_by_role("link", name="募集中の活動を探す").click()
    card = page.locator("article.shift-card").first
    title = card.get_by_role("heading").inner_text()
    card.get_by_role("button", name="アシスタントとして参加").click()
    expect(page.get_by_role("status")).to_contain_text(title)
    mine = page.locator("article.shift-card", has_text=title)
    expect(mine).to_be_visible()
    mine.get_by_role("button", name="参加できなくなった").click()
    page.get_by_role("button", name="はい、活動をやめます").click()
    expect(page.get_by_role("status")).to_contain_text("取り消しました")
    expect(page.locator("article.shift-card", has_text=title)).to_have_count(0)
