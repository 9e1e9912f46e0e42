"""Nothing that affects someone happens on one click: each such button first says what
will happen, in a page that passes axe, and only a second, explicit "yes" does it.

Each test acts on records of its own, so the demo data other browser tests walk through
stays as it was."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from inclusion import clock
from inclusion.auth.models import Role
from inclusion.cli import DEMO_PASSWORD
from inclusion.extensions import db
from inclusion.volunteers.models import ShiftRole
from inclusion.wards.services import find_ward
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on


@dataclass(frozen=True)
class Records:
    volunteer_email: str
    session_path: str
    session_title: str
    account_email: str


@pytest.fixture(scope="module")
def records(live_server) -> Records:
    """A class in three days with two volunteers on it, and an account."""
    with live_server.app.app_context():
        ward = find_ward("shibuya")
        venue = factories.make_venue(ward, name="確認用の会館")
        session = factories.make_session(
            venue, starts_dt=clock.now() + timedelta(days=3), title="確認用の教室"
        )
        volunteer = factories.make_volunteer(ward, email="safe.volunteer@example.jp",
                                             password=DEMO_PASSWORD)  # fmt: skip
        factories.make_shift(session, volunteer)
        other = factories.make_volunteer(ward, email="safe.other@example.jp")
        factories.make_shift(session, other, role=ShiftRole.ASSISTANT, slot_number=2)
        factories.make_user(Role.VOLUNTEER, email="safe.account@example.jp")
        db.session.commit()
        return Records(
            volunteer.email,
            f"/manage/shibuya/sessions/{session.id}",
            session.title,
            "safe.account@example.jp",
        )


def asked_then_done(page, button, says: str, yes: str) -> list[str]:
    """Press ``button``: the confirmation says ``says``; nothing is done until ``yes``,
    which is then reported."""
    button.click()
    expect(page.locator(".confirm-consequence")).to_contain_text(says)
    problems = problems_on(page)
    page.get_by_role("button", name=yes).click()
    expect(page.get_by_role("status")).to_be_visible()
    return problems


def test_a_volunteer_and_staff_are_asked_before_a_shift_ends(page, live_server, records):
    log_in(page, records.volunteer_email)
    page.goto("/me/shifts")
    card = page.locator("article.shift-card").filter(has_text=records.session_title)
    problems = asked_then_done(
        page, card.get_by_role("button", name=re.compile("^参加できなくなった")),
        "人が足りないことが表示されます", "はい、活動をやめます",
    )  # fmt: skip
    page.context.clear_cookies()
    log_in(page, "staff.shibuya@example.jp")
    page.goto(records.session_path)
    problems += asked_then_done(
        page, page.get_by_role("button", name=re.compile("^外す")).first,
        "の担当から外れます", "はい、外します",
    )  # fmt: skip
    assert not problems, "\n".join(problems)


def test_an_admin_is_asked_before_stopping_an_account(page, live_server, records):
    log_in(page, "admin@example.jp")
    page.goto("/admin/users")
    row = page.get_by_role("row").filter(has_text=records.account_email)
    problems = asked_then_done(
        page, row.get_by_role("button", name=re.compile("^停止")), records.account_email,
        "はい、停止します",
    )  # fmt: skip
    expect(page.get_by_role("row").filter(has_text=records.account_email)).to_contain_text("再開")
    assert not problems, "\n".join(problems)


def test_a_coordinator_is_asked_before_removing_a_target(page, live_server, records):
    log_in(page, "coordinator@example.jp")
    # A year no other test uses: its only target is the one set here.
    page.goto("/targets/settings?year=2040")
    page.get_by_label("目標", exact=True).fill("120")
    page.get_by_role("button", name="目標を設定").click()
    expect(page.get_by_role("status")).to_be_visible()
    problems = asked_then_done(
        page, page.get_by_role("button", name=re.compile("^外す")).first, "実績の数字はそのまま",
        "はい、目標を外します",
    )  # fmt: skip
    assert not problems, "\n".join(problems)
