"""A picture of each main staff page at a laptop's and a phone's size, for a reviewer
who does not run the app: `make screenshots` writes them to screenshots/."""

from __future__ import annotations

import os

import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.residents.models import Booking
from inclusion.sessions.models import Session
from inclusion.wards.services import find_ward
from tests.browser.conftest import log_in

SIZES = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def staff_pages(app) -> dict[str, str]:
    """Name → path of the pages a ward's staff member works in, with demo records."""
    with app.app_context():
        ward = find_ward("shibuya")
        session_id, resident_id = db.session.execute(
            sa.select(Session.id, Booking.resident_id)
            .join(Booking, Booking.session_id == Session.id)
            .where(Session.ward_id == ward.id)
            .order_by(Session.starts_dt.desc())
            .limit(1)
        ).one()
    base = "/manage/shibuya"
    return {
        "home": base,
        "calendar-month": f"{base}/calendar",
        "calendar-week": f"{base}/calendar?view=week",
        "sessions": f"{base}/sessions",
        "session": f"{base}/sessions/{session_id}",
        "roster": f"{base}/sessions/{session_id}/roster",
        "residents": f"{base}/residents",
        "resident": f"{base}/residents/{resident_id}",
        "follow-ups": f"{base}/follow-ups",
        "replies": f"{base}/replies",
        "volunteers": f"{base}/volunteers",
        "series-new": f"{base}/series/new",
        "reminders": f"{base}/reminders",
        "reminder-wording": f"{base}/reminders/texts/sms_resident.txt",
        "targets": f"{base}/targets",
        "audit-log": f"{base}/audit",
    }


def test_every_main_staff_page_at_both_sizes(page, live_server, tmp_path):
    folder = os.environ.get("SCREENSHOTS_DIR") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    log_in(page, "staff.shibuya@example.jp")
    written = []
    for name, path in staff_pages(live_server.app).items():
        response = page.goto(path)
        assert response.status == 200, path
        for size_name, size in SIZES.items():
            page.set_viewport_size(size)
            file = os.path.join(folder, f"{name}-{size_name}.png")
            page.screenshot(path=file, full_page=True)
            written.append(file)
    assert all(os.path.getsize(file) > 5_000 for file in written)  # a page, not a blank
