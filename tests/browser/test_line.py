"""LINE in Chromium: ward staff make a code on a resident's page and hand it over; the
resident, on the fake LINE's chat page, adds the account and sends it; the resident's
page then shows the link, and staff remove it. axe checks each page of ours."""

import re

import pytest
from playwright.sync_api import expect

from inclusion.extensions import db
from inclusion.line import fake
from inclusion.wards.services import find_ward
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "browser-line-token"
BASIC_ID = "@inclusion-test"


@pytest.fixture
def fake_line(live_server):
    app = live_server.app
    with fake.FakeLine({TOKEN: BASIC_ID}, webhook_url=f"{live_server.url}/line/shared",
                       secret=SECRET) as server:  # fmt: skip
        saved = {key: app.config[key] for key in ("LINE_ACCOUNTS", "LINE_API_BASE_URL")}
        app.config.update(
            LINE_ACCOUNTS={"shared": {"secret": SECRET, "token": TOKEN, "basic_id": BASIC_ID}},
            LINE_API_BASE_URL=server.url,
        )
        try:
            yield server
        finally:
            app.config.update(saved)


def test_staff_hand_over_a_code_and_the_resident_links_their_line(page, live_server, fake_line):
    with live_server.app.app_context():
        resident = factories.make_resident(find_ward("shibuya"), family_name="連携",
                                           given_name="花子")  # fmt: skip
        db.session.commit()
        resident_page = f"/manage/shibuya/residents/{resident.id}"
    log_in(page, "staff.shibuya@example.jp")
    page.goto(resident_page)
    expect(page.get_by_role("heading", name="LINE", exact=True)).to_be_visible()
    problems = problems_on(page)
    page.get_by_role("button", name="連携コードを作る").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("連携コード")
    problems += problems_on(page)
    code = re.search(r"ばんごう（(\d{8})）", page.content()).group(1)
    expect(page.get_by_role("img", name="区のLINEアカウントを開くQRコード")).to_be_visible()

    # The resident's phone: the fake LINE's chat page.
    phone = page.context.new_page()
    phone.goto(f"{fake_line.url}/?user={fake.DEMO_USERS[0]}")
    phone.get_by_role("button", name="Add friend").click()
    expect(phone.get_by_text("8けたの番号")).to_be_visible()
    phone.get_by_label("Words").fill(code)
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_text("連携様のLINEとつながりました。")).to_be_visible()

    page.goto(resident_page)
    expect(page.get_by_text("区民がLINE連携しました")).to_be_visible()
    expect(page.get_by_text("LINE（届かないときは")).to_be_visible()
    problems += problems_on(page)
    page.get_by_role("button", name="LINE連携を解除する").click()
    problems += problems_on(page)
    page.get_by_role("button", name="はい、解除します").click()
    expect(page.get_by_role("status")).to_contain_text("LINE連携を解除しました。")
    expect(page.get_by_text("区職員が解除")).to_be_visible()
    assert not problems, "\n".join(problems)
