"""Open a form, press 保存 without touching it, open it again: nothing changed."""

import sqlalchemy as sa
from playwright.sync_api import expect

from inclusion.audit.models import READ_ACTIONS, AuditLog
from inclusion.extensions import db
from inclusion.residents.models import OptOutSource, Resident
from inclusion.residents.services import ResidentDraft, create_resident, set_opt_out
from inclusion.wards.services import find_ward
from tests.browser.conftest import log_in

#: Every named control of the page's main forms: its value, or whether it is ticked.
SHOWN = """els => els.map(e => [e.name,
    e.type === 'checkbox' || e.type === 'radio' ? e.value + ':' + e.checked : e.value])"""


def shown(page, selector: str = "main form") -> list:
    return page.eval_on_selector_all(
        f"{selector} [name]:not([name=csrf_token]):not([type=submit])", SHOWN
    )


def last_change(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.max(AuditLog.id)).where(AuditLog.action.not_in(READ_ACTIONS))
        )


def test_volunteer_profile_keeps_its_wards_after_an_unchanged_save(page, live_server):
    log_in(page, "volunteer3@example.jp")
    page.goto("/me/profile")
    expect(page.get_by_role("checkbox", name="渋谷区", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="品川区", exact=True)).to_be_checked()
    before, changes = shown(page), last_change(live_server.app)

    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("プロフィールを保存しました")

    page.goto("/me/profile")
    expect(page.get_by_role("checkbox", name="渋谷区", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="品川区", exact=True)).to_be_checked()
    assert shown(page) == before
    assert last_change(live_server.app) == changes


def a_resident(app, kana: str, opted_out: bool) -> int:
    with app.app_context():
        person = create_resident(
            None,
            find_ward("shibuya"),
            ResidentDraft(family_name="保存", family_kana=kana, phones=["03-5555-0201"]),
            confirmed_new=True,
        )
        if opted_out:
            set_opt_out(None, person, True, OptOutSource.SMS)
        db.session.commit()
        return person.id


def is_opted_out(app, resident_id: int) -> bool:
    with app.app_context():
        return db.session.get(Resident, resident_id).is_opted_out


def test_the_reminders_choice_shows_what_is_stored_and_an_unchanged_save_keeps_it(
    page, live_server
):
    app = live_server.app
    log_in(page, "staff.shibuya@example.jp")
    for kana, opted_out in (("ホゾンオクル", False), ("ホゾントメル", True)):
        resident_id = a_resident(app, kana, opted_out)
        page.goto(f"/manage/shibuya/residents/{resident_id}")
        section = page.locator("#opt-out-form")
        stored = "お知らせを止める" if opted_out else "お知らせを送ってよい"
        expect(section.get_by_role("radio", name=stored)).to_be_checked()
        before, changes = shown(page, "#opt-out-form"), last_change(app)

        section.get_by_role("button", name="保存").click()
        expect(page.get_by_role("status")).to_contain_text("変更はありません")

        page.goto(f"/manage/shibuya/residents/{resident_id}")
        expect(section.get_by_role("radio", name=stored)).to_be_checked()
        assert shown(page, "#opt-out-form") == before
        assert is_opted_out(app, resident_id) is opted_out
        assert last_change(app) == changes
