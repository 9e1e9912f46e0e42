import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in

STAFF = "staff.shibuya@example.jp"


def test_log_in_and_out(page):
    page.goto("/")
    page.get_by_role("link", name="ログイン").first.click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("メールアドレス").fill(STAFF)
    page.get_by_label("パスワード").fill("inclusion-demo")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("渋谷区")
    assert page.url.endswith("/manage/shibuya")
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("status")).to_contain_text("ログアウトしました")
    page.goto("/manage/shibuya")
    assert "/login" in page.url


def test_wrong_password_shows_a_linked_error_summary(page):
    log_in(page, STAFF, "not the password")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("入力内容を確認してください")
    summary.get_by_role("link").click()
    expect(page.get_by_label("パスワード")).to_be_focused()
    expect(page.get_by_label("パスワード")).to_have_attribute("aria-invalid", "true")


def test_switch_to_english_and_back(page):
    page.goto("/login")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_role("button", name="日本語").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")


def test_skip_link_appears_on_focus_and_moves_to_main(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_admin_creates_an_account_that_can_log_in(page):
    log_in(page, "admin@example.jp")
    page.get_by_role("link", name="アカウントを作成").click()
    page.get_by_label("氏名").fill("目黒 太郎")
    page.get_by_label("メールアドレス").fill("meguro.staff@example.jp")
    page.get_by_label("役割").select_option("ward_staff")
    page.get_by_label("区").select_option(label="目黒区")
    page.get_by_label("初期パスワード").fill("meguro first pw")
    page.get_by_role("button", name="アカウントを作成").click()
    expect(page.get_by_role("status")).to_contain_text("meguro.staff@example.jp")
    page.get_by_role("button", name="ログアウト").click()
    log_in(page, "meguro.staff@example.jp", "meguro first pw")
    expect(page.get_by_role("heading", level=1)).to_contain_text("目黒区")
