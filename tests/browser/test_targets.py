"""Coordinators share a target out among the wards; a ward sees its share, counts its
figures again and downloads them for a spreadsheet."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def test_a_target_shared_out_reaches_the_ward_which_recounts_and_downloads(page):
    log_in(page, "coordinator@example.jp")
    menu = page.get_by_role("navigation", name="メインメニュー")
    menu.get_by_role("link", name="目標と実績").click()
    expect(page.get_by_role("heading", name="開催した個別相談会")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"集計時刻 .+（10分ごとに集計し直します）"))
    ).to_be_visible()
    expect(page.get_by_role("table").last).to_contain_text("渋谷区")

    page.get_by_role("link", name="目標の設定").click()
    page.get_by_role("button", name=re.compile("各区に割り振る.*開催した個別相談会 全区")).click()
    expect(page.get_by_role("status")).to_contain_text("23区に割り振りました")
    expect(page.get_by_role("region", name="目標と実績")).to_contain_text(
        "区への割り振りの合計: 1,000"
    )
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, "staff.shibuya@example.jp")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="目標と実績"
    ).click()
    consultations = page.get_by_role("region", name="開催した個別相談会")
    expect(consultations).to_contain_text("目標 43")  # 1,000 among 23: 44 for the first 11 by code
    page.get_by_role("button", name="今すぐ集計し直す").click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile("集計し直しました|1分以内に集計したばかりです")
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="月別にダウンロード（CSV）").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith("\ufeff年度,区,月,指標".encode())
    assert "渋谷区" in content.decode("utf-8-sig") and "品川区" not in content.decode("utf-8-sig")
