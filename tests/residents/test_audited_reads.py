"""Pages that log who looked at a resident write during a GET; with writers busy, none fails.

On SQLite such a GET takes the write lock when its transaction begins (``writes_on_read``):
a GET that read first and wrote later would fail with SQLITE_BUSY whenever another
writer committed in between.
"""

import threading

import pytest
import sqlalchemy as sa

from inclusion.audit.models import AuditLog
from inclusion.auth.models import Role
from inclusion.extensions import db
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import own_database_app

REQUESTS = 40


@pytest.fixture(scope="module")
def busy_app(backend, tmp_path_factory):
    with own_database_app(backend, tmp_path_factory) as app:
        with app.app_context():
            ward = find_ward("shibuya")
            staff = factories.make_user(role=Role.WARD_STAFF, ward=ward)
            resident = factories.make_resident(ward)
            db.session.commit()
            app.config["busy"] = (staff.email, resident.id)
        yield app


def test_audited_pages_and_writers_at_once(busy_app):
    email, resident_id = busy_app.config["busy"]
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def client():
        browser = busy_app.test_client()
        browser.post("/login", data={"email": email, "password": factories.PASSWORD})
        return browser

    def read() -> None:
        browser = client()
        barrier.wait(timeout=30)
        for _ in range(REQUESTS):
            statuses.append(browser.get(f"/manage/shibuya/residents/{resident_id}").status_code)

    def write() -> None:
        browser = client()
        barrier.wait(timeout=30)
        for number in range(REQUESTS):
            response = browser.post(
                f"/manage/shibuya/residents/{resident_id}/opt-out",
                data={
                    "opted_out": "yes" if number % 2 else "no",
                    "reason": "本人から電話",
                    "confirmed": "yes",
                },  # fmt: skip
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=target) for target in (read, read, write, write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 4 * REQUESTS
    assert set(statuses) <= {200, 302}, sorted(set(statuses))
    with busy_app.app_context():
        views = db.session.scalar(
            sa.select(sa.func.count()).where(AuditLog.action == "resident.view")
        )
        assert views == 2 * REQUESTS
