"""Surveys in Chromium: a resident answers on the page an SMS links to, with nothing of
theirs on it; staff record what a resident of the yearly survey said on the phone."""

from playwright.sync_api import expect

from inclusion.extensions import db
from inclusion.surveys.models import SurveyAsk, SurveyKind, SurveyOutcome, SurveyVia
from inclusion.wards.services import find_ward
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on


def two_to_ask(app) -> tuple[tuple[int, str, str], tuple[int, str]]:
    """Two Shibuya residents drawn for this year's survey: (id, token, name) of one to
    answer on the page, (id, name) of one staff call."""
    with app.app_context():
        ward = find_ward("shibuya")
        on_page = factories.make_resident(ward, family_name="回答", given_name="花子")
        by_phone = factories.make_resident(ward, family_name="電話", given_name="一郎")
        for resident in (on_page, by_phone):
            factories.make_consent(resident, ("record", "survey"))
        asks = [factories.make_survey_ask(ward, resident) for resident in (on_page, by_phone)]
        db.session.commit()
        return (asks[0].id, asks[0].link_token, on_page.name), (asks[1].id, by_phone.name)


def ask(app, ask_id: int) -> SurveyAsk:
    with app.app_context():
        found = db.session.get(SurveyAsk, ask_id)
        db.session.expunge(found)
        return found


def test_a_resident_answers_on_the_page_and_staff_record_a_call(page, live_server):
    (page_id, token, name), (call_id, caller) = two_to_ask(live_server.app)
    page.goto(f"/s/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("渋谷区からのアンケート")
    assert name not in page.content()
    problems = problems_on(page)
    # Sent with nothing chosen: told what is missing, in the resident's words.
    page.get_by_role("button", name="回答を送る").click()
    expect(page.locator(".error-message").first).to_have_text("答えを選んでください。")
    problems += problems_on(page)
    page.get_by_label("はい、あります").check()
    page.get_by_label("はい、できます").check()
    page.get_by_label("4：満足", exact=True).check()
    page.get_by_role("button", name="回答を送る").click()
    expect(page.locator(".lead")).to_have_text("ありがとうございました。回答を受け付けました。")
    problems += problems_on(page)
    answered = ask(live_server.app, page_id)
    assert (answered.kind, answered.via, answered.outcome) == (SurveyKind.YEARLY, SurveyVia.LINK,
                                                               SurveyOutcome.ANSWERED)  # fmt: skip
    assert (answered.used_online, answered.resolved, answered.satisfaction) == (True, True, 4)

    log_in(page, "staff.shibuya@example.jp")
    page.goto("/manage/shibuya/surveys")
    expect(page.get_by_role("heading", level=1)).to_have_text("調査: 渋谷区")
    problems += problems_on(page)
    page.get_by_role("link", name=f"回答を記録 {caller}").click()
    problems += problems_on(page)
    page.get_by_label("いいえ、まだです").check()
    page.get_by_label("いいえ、困っています").check()
    page.get_by_label("3：ふつう").check()
    page.get_by_label("メモ").fill("娘さんと一緒なら、できるとのこと")
    page.get_by_role("button", name="回答を保存").click()
    expect(page.get_by_role("status")).to_contain_text("回答を保存しました。")
    recorded = ask(live_server.app, call_id)
    assert (recorded.via, recorded.used_online, recorded.resolved, recorded.satisfaction) == (
        SurveyVia.STAFF, False, False, 3)  # fmt: skip
    expect(page.get_by_role("link", name=f"回答を記録 {caller}")).to_have_count(0)
    assert not problems, "\n".join(problems)
