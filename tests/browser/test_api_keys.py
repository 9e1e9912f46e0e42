"""An admin makes a key for the call centre, sees it once, reads the API reference and
revokes the key; a developer tries calls from the reference with a key."""

import re

from playwright.sync_api import expect

from inclusion.api.models import ApiScope
from inclusion.api.services import create_key
from inclusion.extensions import db
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on


def test_an_admin_makes_reads_about_and_revokes_a_key(page, live_server):
    log_in(page, "admin@example.jp")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="APIキー"
    ).click()
    page.get_by_label("連携先").fill("23区共同コールセンター")
    page.get_by_label("区民の予約・予約の取り消し・出欠の記録").check()
    page.get_by_label("区民とその同意の検索・閲覧（個人情報）").check()
    page.get_by_role("button", name="キーを作成").click()
    expect(page.get_by_role("status")).to_contain_text("もう一度表示することはできません")
    secret = page.locator("#new-key").input_value()
    assert re.fullmatch(r"incl_[A-Za-z0-9_-]{40,}", secret)
    keys = page.get_by_role("region", name="キー").last
    expect(keys).to_contain_text("23区共同コールセンター")
    expect(keys).to_contain_text("区民の予約・予約の取り消し・出欠の記録")

    response = page.request.get("/api/v1/sessions", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 403  # it may book, not read sessions
    page.get_by_role("link", name="APIリファレンス").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("inclusion API")
    expect(page.get_by_role("heading", name="GET /api/v1/residents", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="APIキー"
    ).click()
    page.get_by_role("button", name=re.compile("無効にする.*23区共同コールセンター")).click()
    expect(page.locator(".confirm-consequence")).to_contain_text("元に戻せません")
    page.get_by_role("button", name="はい、無効にします").click()
    expect(page.get_by_role("status")).to_contain_text("無効にしました")
    response = page.request.get("/api/v1/residents?phone=0312345678",
                                headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
    assert response.status == 401


def test_a_developer_tries_a_call_from_the_reference_with_a_key(page, live_server):
    with live_server.app.app_context():
        _key, secret = create_key(None, "docs try-out", [ApiScope.SESSIONS_READ], None)
        db.session.commit()
    page.goto("/api/v1/docs")
    page.get_by_label("APIキー").fill(secret)
    page.locator('button[data-try-method="GET"][data-try-path="/api/v1/sessions"]').click()
    expect(page.get_by_label("パスとクエリ")).to_be_focused()
    page.get_by_label("パスとクエリ").fill("/api/v1/sessions?ward=shibuya&limit=2")
    page.get_by_role("button", name="送信", exact=True).click()
    expect(page.locator("#try-status")).to_contain_text("200")
    expect(page.get_by_label("回答", exact=True)).to_contain_text('"next_cursor"')
    page.locator('button[data-try-method="POST"][data-try-path="/api/v1/sessions"]').click()
    expect(page.get_by_label("本文（JSON）")).to_have_value(re.compile('"venue_id"'))
    page.get_by_role("button", name="送信", exact=True).click()
    expect(page.locator("#try-status")).to_contain_text("403")  # the key may only read
    assert problems_on(page) == []
