"""Nothing that affects someone happens on one click: each such button first says what
will happen, in a page that passes axe, and only a second, explicit "yes" does it."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from inclusion import clock
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionStatus
from inclusion.volunteers.models import Shift, ShiftStatus
from inclusion.wards.models import Ward
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import problems_on


def asked_then_done(page, button, says: str, yes: str) -> list[str]:
    """Press ``button``: the confirmation says ``says``; nothing is done until ``yes``,
    which is then reported."""
    button.click()
    expect(page.locator(".confirm-consequence")).to_contain_text(says)
    problems = problems_on(page)
    page.get_by_role("button", name=yes).click()
    expect(page.get_by_role("status")).to_be_visible()
    return problems


def claimed_shift_in(app, ward_slug: str) -> str:
    """The staff path of a coming session of the ward with a volunteer on it."""
    with app.app_context():
        session = db.session.scalar(
            sa.select(Session).join(Shift, Shift.session_id == Session.id)
            .join(Ward, Ward.id == Session.ward_id)
            .where(Ward.slug == ward_slug, Shift.status == ShiftStatus.CLAIMED,
                   Session.status == SessionStatus.SCHEDULED, Session.starts_dt > clock.now())
            .order_by(Session.starts_dt).limit(1)
        )  # fmt: skip
        return f"/manage/{ward_slug}/sessions/{session.id}"


def test_a_volunteer_and_staff_are_asked_before_a_shift_ends(page, live_server):
    log_in(page, "volunteer1@example.jp")
    page.goto("/me/shifts")
    problems = asked_then_done(
        page, page.get_by_role("button", name=re.compile("^参加できなくなった")).first,
        "人が足りないことが表示されます", "はい、活動をやめます",
    )  # fmt: skip
    session_path = claimed_shift_in(live_server.app, "shibuya")
    page.context.clear_cookies()
    log_in(page, "staff.shibuya@example.jp")
    page.goto(session_path)
    problems += asked_then_done(
        page, page.get_by_role("button", name=re.compile("^外す")).first,
        "の担当から外れます", "はい、外します",
    )  # fmt: skip
    assert not problems, "\n".join(problems)


def test_an_admin_is_asked_before_stopping_an_account(page, live_server):
    log_in(page, "admin@example.jp")
    page.goto("/admin/users")
    row = page.get_by_role("row").filter(has_text="volunteer3@example.jp")
    problems = asked_then_done(
        page, row.get_by_role("button", name=re.compile("^停止")), "volunteer3@example.jp",
        "はい、停止します",
    )  # fmt: skip
    expect(page.get_by_role("row").filter(has_text="volunteer3@example.jp")).to_contain_text(
        "再開"
    )
    assert not problems, "\n".join(problems)


def test_a_coordinator_is_asked_before_removing_a_target(page, live_server):
    log_in(page, "coordinator@example.jp")
    page.goto("/targets/settings")
    page.get_by_label("目標", exact=True).fill("120")
    page.get_by_role("button", name="目標を設定").click()
    expect(page.get_by_role("status")).to_be_visible()
    problems = asked_then_done(
        page, page.get_by_role("button", name=re.compile("^外す")).first, "実績の数字はそのまま",
        "はい、目標を外します",
    )  # fmt: skip
    assert not problems, "\n".join(problems)
