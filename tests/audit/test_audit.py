import pathlib
import re

from inclusion.audit.models import ACTION_LABELS
from inclusion.audit.services import record_event
from inclusion.auth.models import Role
from inclusion.extensions import db
from tests import factories
from tests.conftest import log_in


def test_ward_staff_see_only_their_wards_entries(client, users, shibuya, shinagawa):
    record_event(users["admin"], "test.shibuya_only", ward=shibuya)
    record_event(users["admin"], "test.shinagawa_only", ward=shinagawa)
    db.session.flush()
    log_in(client, users["ward_staff"])
    html = client.get("/manage/shibuya/audit").get_data(as_text=True)
    assert "test.shibuya_only" in html
    assert "test.shinagawa_only" not in html
    assert client.get("/manage/shinagawa/audit").status_code == 403


def test_admin_sees_every_entry_and_pages_back(client, users, shibuya):
    for number in range(60):
        record_event(users["admin"], f"test.event_{number:02d}", ward=shibuya)
    db.session.flush()
    log_in(client, users["admin"])
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "test.event_59" in html and "test.event_09" not in html
    older = html.split('href="?before=', 1)[1].split('"', 1)[0]
    html = client.get(f"/admin/audit?before={older}").get_data(as_text=True)
    assert "test.event_09" in html and "test.event_59" not in html


def test_junk_paging_argument_is_ignored(client, users):
    log_in(client, users["admin"])
    for junk in ("abc", "-1", "9" * 40, "１２"):
        assert client.get(f"/admin/audit?before={junk}").status_code == 200


def test_audit_page_queries_do_not_grow_with_rows(client, users, shibuya, constant_queries):
    log_in(client, users["admin"])

    def add_entries(count: int) -> None:
        for _ in range(count):
            actor = factories.make_user(role=Role.WARD_STAFF, ward=shibuya)
            record_event(actor, "test.event", target=actor, ward=shibuya)

    constant_queries(client, "/manage/shibuya/audit", add_entries)


def test_account_list_queries_do_not_grow_with_rows(client, users, shibuya, constant_queries):
    log_in(client, users["admin"])

    def add_accounts(count: int) -> None:
        for _ in range(count):
            factories.make_user(role=Role.WARD_STAFF, ward=shibuya)

    constant_queries(client, "/admin/users", add_accounts)


def test_ward_list_queries_do_not_grow_with_staff(client, users, shinagawa, constant_queries):
    log_in(client, users["coordinator"])

    def add_staff(count: int) -> None:
        for _ in range(count):
            factories.make_user(role=Role.WARD_STAFF, ward=shinagawa)

    constant_queries(client, "/wards", add_staff)


def test_every_recorded_action_has_a_label(app):
    """Each action code the app writes has a readable label (the log shows it)."""
    package = pathlib.Path(__file__).resolve().parents[2] / "inclusion"
    source = "\n".join(path.read_text() for path in package.rglob("*.py"))
    # The action argument of each call: a literal, or two in a conditional expression.
    arguments = re.findall(r"record_event\(\s*[^,]+,\s*([^,]+),", source) + re.findall(
        r"record_view\(\s*([^,]+),", source
    )
    written = {code for argument in arguments for code in re.findall(r'"([a-z_.]+)"', argument)}
    assert len(written) > 40
    assert written - set(ACTION_LABELS) == set()
