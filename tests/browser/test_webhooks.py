"""An administrator registers a webhook endpoint, copies its secret, sends a test and sees
it waiting; every page of it passes axe at both sizes."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on


def test_an_admin_registers_an_endpoint_and_sends_a_test(page, live_server):
    log_in(page, "admin@example.jp")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="Webhook"
    ).click()
    assert problems_on(page) == []
    page.get_by_label("送信先のアドレス").fill("https://callcentre.example.jp/inclusion")
    page.get_by_label("どのシステムか").fill("23区共同コールセンター")
    page.get_by_label("予約が取り消された").check()
    page.get_by_label("キャンセル待ちの人の席が取れた").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("署名用シークレット")
    secret = page.locator("#secret").input_value()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{32}", secret)
    page.get_by_role("button", name="テストを送る").click()
    expect(page.get_by_role("status")).to_contain_text("テストを送っています")
    messages = page.get_by_role("region", name="最近のメッセージ").last
    expect(messages).to_contain_text("テスト")
    expect(messages).to_contain_text("送信待ち")
    assert problems_on(page) == []
    page.get_by_role("button", name="この送信先を削除").click()
    page.get_by_role("button", name="はい、削除します").click()
    expect(page.get_by_role("status")).to_contain_text("削除しました")
