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


def test_entries_name_people_and_records_with_links_and_say_why(client, users, shibuya):
    """Not table names and row numbers: who, what, on which record (a link), and why."""
    resident = factories.make_resident(shibuya, family_name="山田", given_name="花子")
    session = factories.make_session(factories.make_venue(shibuya), title="スマホ入門")
    record_event(users["ward_staff"], "resident.update", resident, shibuya, {"fields": ["needs"]})
    record_event(users["ward_staff"], "session.cancel", session, shibuya, {"reason": "台風"})
    record_event(users["ward_staff"], "resident.export", None, shibuya,
                 {"reason": "区長への報告", "rows": 12})  # fmt: skip
    db.session.commit()
    log_in(client, users["ward_staff"])
    page = client.get("/manage/shibuya/audit").get_data(as_text=True)
    assert f'href="/manage/shibuya/residents/{resident.id}">山田 花子</a>' in page
    assert f'href="/manage/shibuya/sessions/{session.id}">スマホ入門</a>' in page
    assert "理由：台風" in page and "理由：区長への報告" in page and "12件" in page
    assert "residents #" not in page and "sessions #" not in page
    coordinator = client.application.test_client()
    log_in(coordinator, users["coordinator"])
    page = coordinator.get("/manage/shibuya/audit").get_data(as_text=True)
    assert "山田" not in page and "区民" in page  # coordinators see that, not whom
    assert "理由：" not in page  # a reason may say something of a resident


def test_the_log_is_filtered_by_person_action_and_date(client, users, shibuya):
    record_event(users["ward_staff"], "venue.create", ward=shibuya)
    record_event(users["admin"], "venue.update", ward=shibuya)
    db.session.commit()
    log_in(client, users["admin"])

    def actions(query: str) -> list[str]:
        page = client.get(f"/admin/audit?{query}").get_data(as_text=True)
        page = page[page.index("<tbody>") :]  # the entries, not the filter's choices
        return [label for label in ("会場の登録", "会場の変更") if label in page]

    staff_name = users["ward_staff"].display_name
    assert actions(f"person={staff_name}") == ["会場の登録"]
    assert actions("action=venue.update") == ["会場の変更"]
    assert actions(f"ward={shibuya.id}&date_from=2000-01-01") == ["会場の登録", "会場の変更"]
    assert actions("date_to=2001-01-01") == []
    assert actions("person=%") == []  # a name's part, not a pattern
    assert client.get("/admin/audit?date_from=junk&ward=x&action=nope").status_code == 200
