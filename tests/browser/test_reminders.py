"""Staff read a session's reminder log, send one again, and rewrite the ward's SMS text."""

from datetime import time, timedelta

from playwright.sync_api import expect

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders.models import ReminderStatus
from inclusion.residents.models import ReminderChannel
from inclusion.wards.services import find_ward
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on


def failed_reminder(app) -> int:
    """A class in twelve days whose first reminder could not be delivered."""
    with app.app_context():
        ward = find_ward("shibuya")
        start = clock.to_utc(clock.today() + timedelta(days=12), time(14))
        session = factories.make_session(
            factories.make_venue(ward, name="リマインダー会館"),
            title="電話で届かなかった回",
            starts_dt=start,
        )
        resident = factories.make_resident(
            ward, family_name="届井", phones=("+819011112222",), channel=ReminderChannel.SMS
        )
        factories.make_reminder(
            factories.make_booking(session, resident),
            status=ReminderStatus.FAILED,
            channel=ReminderChannel.SMS,
            to_e164="+819011112222",
            last_error="この番号は使われていません",
        )
        db.session.commit()
        return session.id


def test_staff_resend_a_failed_reminder(page, live_server):
    session_id = failed_reminder(live_server.app)
    log_in(page, "staff.shibuya@example.jp")
    page.goto(f"/manage/shibuya/sessions/{session_id}")
    page.get_by_role("link", name="お知らせ", exact=True).click()
    row = page.get_by_role("row").filter(has_text="届井")
    expect(row).to_contain_text("この番号は使われていません")
    expect(row).to_contain_text("090-1111-2222")
    problems = problems_on(page)
    row.get_by_role("button", name="再送する").click()
    page.get_by_role("button", name="はい、もう一度送ります").click()
    expect(page.get_by_role("status")).to_contain_text("まもなくお知らせを再送します。")
    expect(page.get_by_role("row").filter(has_text="送信待ち")).to_have_count(1)
    assert not problems, "\n".join(problems)


def test_staff_rewrite_the_sms_and_go_back_to_the_standard(page, live_server):
    log_in(page, "staff.shibuya@example.jp")
    page.goto("/manage/shibuya")
    page.get_by_role("link", name="お知らせ", exact=True).click()
    page.get_by_role("link", name="区民への事前のお知らせ（SMS）").click()
    text = page.get_by_label("開催前", exact=True)

    text.fill("渋谷区役所デジタル推進課からのお知らせです。" * 3 + "{日時}")
    page.get_by_role("button", name="文面を保存").click()
    expect(page.get_by_role("alert")).to_contain_text("1通のSMSは70文字までです")
    problems = problems_on(page)

    text.fill("【渋谷区】{日時}から{会場}で。お休みは{区の電話}へ")
    page.get_by_role("button", name="文面を保存").click()
    expect(page.get_by_role("status")).to_contain_text("保存しました")
    expect(page.get_by_text("区の独自の文面です")).to_be_visible()
    # As it reads for the ward's next session: its own time and venue, not template code.
    expect(page.locator("#text-samples dd").first).to_contain_text("【渋谷区】")
    expect(page.locator("#text-samples dd").first).to_contain_text("で。お休みは")
    expect(page.locator("#text-samples")).not_to_contain_text("{")
    problems += problems_on(page)

    page.get_by_role("button", name="標準の文面に戻す").click()
    expect(page.locator(".confirm-consequence")).to_contain_text("削除され")
    problems += problems_on(page)
    page.get_by_role("button", name="はい、標準の文面に戻します").click()
    expect(page.get_by_role("status")).to_contain_text("標準の文面に戻しました。")
    expect(page.locator("#text-samples dd").first).not_to_contain_text("で。お休みは")
    assert not problems, "\n".join(problems)
