"""Loan smartphones through the pages: the stock, lending from a resident's page, the
overdue list, returns; ward-scoped and audit-logged like residents."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.auth.models import User
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.loans import services
from inclusion.loans.models import Device, DeviceState, Loan, ReturnCondition
from inclusion.residents.models import Resident
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import log_in, own_database_app


def text(response) -> str:
    assert response.status_code in (200, 422), response.status_code
    return response.get_data(as_text=True)


def test_staff_add_a_device_lend_it_and_record_its_return(client, users, shibuya):
    log_in(client, users["ward_staff"])
    added = client.post("/manage/shibuya/devices/new", data={
        "model": "らくらくスマートフォン F-52B", "serial": "IMEI 35-209900-176148-1",
        "sim_phone": "070-1234-5678", "plan": "データのみ 3GB"})  # fmt: skip
    assert added.status_code == 302
    device = db.session.scalar(sa.select(Device))
    assert device.sim_e164 == "+817012345678" and device.state == DeviceState.IN_STOCK
    resident = factories.make_resident(shibuya)
    assert "スマホを貸し出す" in text(client.get(f"/manage/shibuya/residents/{resident.id}"))
    form = text(client.get(f"/manage/shibuya/residents/{resident.id}/lend"))
    assert "F-52B" in form and "貸与同意書" in form
    today = clock.today()
    lent = client.post(f"/manage/shibuya/residents/{resident.id}/lend", data={
        "device": device.id, "starts_on": today.isoformat(),
        "due_on": (today + timedelta(days=365)).isoformat(),
        "agreement_signed_on": today.isoformat()})  # fmt: skip
    assert lent.status_code == 302
    loan = db.session.scalar(sa.select(Loan))
    assert device.state == DeviceState.LENT and loan.resident_id == resident.id
    listed = text(client.get("/manage/shibuya/devices"))
    assert resident.name in listed and "貸出中" in listed
    page = text(client.get(f"/manage/shibuya/residents/{resident.id}"))
    assert "F-52B" in page and "返却を記録" in page
    returned = {"returned_on": today.isoformat(), "condition": "damaged", "notes": "画面にひび"}
    back = client.post(f"/manage/shibuya/loans/{loan.id}/return", data=returned)
    assert back.status_code == 302
    assert loan.returned_on == today and loan.condition == ReturnCondition.DAMAGED
    assert device.state == DeviceState.IN_REPAIR
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.ward_id == shibuya.id))
    assert {"device.create", "loan.create", "loan.return", "loan.list"} <= set(actions)


def test_a_loan_needs_the_signed_agreement_and_sensible_dates(client, users, shibuya):
    device = factories.make_device(shibuya)
    resident = factories.make_resident(shibuya)
    log_in(client, users["ward_staff"])
    today = clock.today()
    base = {"device": device.id, "starts_on": today.isoformat(),
            "due_on": (today + timedelta(days=30)).isoformat()}  # fmt: skip
    path = f"/manage/shibuya/residents/{resident.id}/lend"
    assert "貸与同意書に署名した日を記録してください" in text(client.post(path, data=base))
    later = {**base, "agreement_signed_on": (today + timedelta(days=1)).isoformat()}
    assert client.post(path, data=later).status_code == 422
    backwards = {**base, "agreement_signed_on": today.isoformat(),
                 "due_on": (today - timedelta(days=1)).isoformat()}  # fmt: skip
    assert client.post(path, data=backwards).status_code == 422
    forever = {**base, "agreement_signed_on": today.isoformat(),
               "due_on": (today + timedelta(days=4000)).isoformat()}  # fmt: skip
    assert client.post(path, data=forever).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 0
    assert device.state == DeviceState.IN_STOCK


def test_one_device_one_resident_at_a_time(users, shibuya):
    staff = users["ward_staff"]
    today = clock.today()
    first, second = factories.make_device(shibuya), factories.make_device(shibuya)
    resident, other = factories.make_resident(shibuya), factories.make_resident(shibuya)
    services.lend_device(staff, first, resident, today, today + timedelta(days=90), today)
    with pytest.raises(RuleViolation, match="在庫"):
        services.lend_device(staff, first, other, today, today + timedelta(days=90), today)
    with pytest.raises(RuleViolation):
        services.lend_device(staff, second, resident, today, today + timedelta(days=90), today)


def test_a_lent_device_changes_state_only_by_its_return(users, shibuya):
    loan = factories.make_loan(shibuya)
    draft = services.DeviceDraft(loan.device.model, loan.device.serial)
    with pytest.raises(RuleViolation):
        services.update_device(users["ward_staff"], loan.device, draft, DeviceState.RETIRED)
    services.return_device(users["ward_staff"], loan, clock.today(), ReturnCondition.LOST)
    assert loan.device.state == DeviceState.LOST
    with pytest.raises(RuleViolation):
        services.return_device(users["ward_staff"], loan, clock.today(), ReturnCondition.GOOD)


def test_a_serial_is_unique_in_the_ward(client, users, shibuya):
    factories.make_device(shibuya, serial="SN-1")
    log_in(client, users["ward_staff"])
    again = client.post("/manage/shibuya/devices/new", data={"model": "X", "serial": "SN-1"})
    assert again.status_code == 422 and "シリアル" in again.get_data(as_text=True)
    services.add_device(users["other_ward_staff"], find_ward("shinagawa"),
                        services.DeviceDraft("X", "SN-1"))  # fmt: skip


def test_the_overdue_list_puts_the_late_first(client, users, shibuya):
    today = clock.today()
    late = factories.make_loan(shibuya, starts_on=today - timedelta(days=200),
                               due_on=today - timedelta(days=3))  # fmt: skip
    on_time = factories.make_loan(shibuya, due_on=today + timedelta(days=30))
    log_in(client, users["ward_staff"])
    page = text(client.get("/manage/shibuya/loans"))
    assert "返却期限を過ぎた端末が1台あります" in page
    table = page[page.index("<tbody>") :]
    assert table.index(late.resident.name) < table.index(on_time.resident.name)
    assert table[: table.index(on_time.resident.name)].count("期限切れ") == 1


def test_devices_and_loans_are_the_ward_s_own(client, users, shinagawa):
    loan = factories.make_loan(shinagawa)
    log_in(client, users["ward_staff"])  # Shibuya's
    assert client.get(f"/manage/shinagawa/devices/{loan.device_id}").status_code == 403
    assert client.get(f"/manage/shibuya/devices/{loan.device_id}").status_code == 404
    assert client.get(f"/manage/shibuya/loans/{loan.id}/return").status_code == 404
    assert client.get(f"/manage/shibuya/loans/{loan.id}").status_code == 404
    assert client.post(f"/manage/shibuya/loans/{loan.id}", data={"due_on": "2030-01-01"}
                       ).status_code == 404  # fmt: skip
    assert loan.resident.name not in text(client.get("/manage/shibuya/loans"))
    client.post("/logout")
    log_in(client, users["coordinator"])
    assert client.get("/manage/shinagawa/devices").status_code == 403


def test_lists_keep_their_query_count(client, users, shibuya, constant_queries):
    def more(count: int) -> None:
        for _ in range(count):
            factories.make_loan(shibuya)
            factories.make_device(shibuya)

    log_in(client, users["ward_staff"])
    constant_queries(client, "/manage/shibuya/devices", more)
    constant_queries(client, "/manage/shibuya/loans", more)


def test_the_loan_page_keeps_its_query_count(client, users, shibuya, constant_queries):
    loan = factories.make_loan(shibuya)
    venue = factories.make_venue(shibuya)

    def more(count: int) -> None:
        for _ in range(count):
            session = factories.make_session(venue, starts_dt=clock.now() + timedelta(days=3))
            booking = factories.make_booking(session, loan.resident)
            factories.make_reminder(booking, loan_id=loan.id, session_id=None,
                                    booking_id=None, deadline_dt=clock.now())  # fmt: skip

    log_in(client, users["ward_staff"])
    constant_queries(client, f"/manage/shibuya/loans/{loan.id}", more)


def test_the_loan_page_shows_its_classes_and_moves_the_due_date(client, users, shibuya):
    today = clock.today()
    loan = factories.make_loan(shibuya, starts_on=today - timedelta(days=30))
    venue = factories.make_venue(shibuya)
    before = factories.make_session(venue, title="貸出前の講座",
                                    starts_dt=clock.now() - timedelta(days=40))  # fmt: skip
    since = factories.make_session(venue, title="貸出後のスマホ教室",
                                   starts_dt=clock.now() - timedelta(days=3))  # fmt: skip
    for session in (before, since):
        factories.make_booking(session, loan.resident)
    log_in(client, users["ward_staff"])
    path = f"/manage/shibuya/loans/{loan.id}"
    page = text(client.get(path))
    assert "貸出後のスマホ教室" in page and "貸出前の講座" not in page
    assert loan.device.model in page and loan.resident.name in page
    refused = client.post(path, data={"due_on": (today - timedelta(days=1)).isoformat()})
    assert refused.status_code == 422 and "返却期限は今日以降" in text(refused)
    assert client.post(path, data={"due_on": "12月"}).status_code == 422
    later = today + timedelta(days=400)
    assert client.post(path, data={"due_on": later.isoformat()}).status_code == 302
    assert loan.due_on == later
    event = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "loan.due_date"))
    assert event.details["due_on"] == later.isoformat()
    # Once back, the page no longer offers to move it.
    services.return_device(users["ward_staff"], loan, today, ReturnCondition.GOOD)
    assert "返却期限を変更" not in text(client.get(path))


@pytest.fixture(scope="module")
def race_app(backend, tmp_path_factory):
    with own_database_app(
        backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 15}
    ) as app:
        with app.app_context():
            ward = find_ward("shibuya")
            device = factories.make_device(ward)
            staff = [factories.make_user(ward=ward).id for _ in range(10)]
            residents = [factories.make_resident(ward).id for _ in range(10)]
            db.session.commit()
            app.config["race"] = (device.id, staff, residents)
        yield app


@pytest.mark.xdist_group("heavy")
def test_ten_staff_lending_one_device_at_once_lend_it_once(race_app):
    device_id, staff, residents = race_app.config["race"]
    barrier = threading.Barrier(len(staff))
    outcomes: list[str] = []

    def lend(staff_id: int, resident_id: int) -> None:
        with race_app.app_context():
            barrier.wait(timeout=60)
            today = clock.today()
            try:
                services.lend_device(
                    db.session.get(User, staff_id), db.session.get(Device, device_id),
                    db.session.get(Resident, resident_id), today, today + timedelta(days=30),
                    today,
                )  # fmt: skip
                db.session.commit()
                outcomes.append("lent")
            except RuleViolation:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as error:  # anything else fails the test
                db.session.rollback()
                outcomes.append(f"error: {error!r}")

    threads = [
        threading.Thread(target=lend, args=pair) for pair in zip(staff, residents, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["lent"] + ["refused"] * (len(staff) - 1)
    with race_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 1


def test_the_year_s_figures_per_ward_and_in_all(client, users, shibuya, shinagawa):
    from inclusion.loans.figures import loan_figures
    from inclusion.targets.metrics import Scope

    today = clock.today()
    resident = factories.make_resident(shibuya)
    returned = factories.make_loan(shibuya, resident, starts_on=today)
    services.return_device(users["ward_staff"], returned, today, ReturnCondition.GOOD)
    # The same resident again: counted once.
    factories.make_loan(shibuya, resident, starts_on=today)
    lost = factories.make_loan(shinagawa, starts_on=today)
    services.return_device(users["other_ward_staff"], lost, today, ReturnCondition.LOST)
    factories.make_loan(shinagawa, starts_on=today)
    table = loan_figures(Scope(clock.fiscal_year(today)))
    mine, theirs, everyone = table.of(shibuya.id), table.of(shinagawa.id), table.of(None)
    assert (mine.residents, mine.in_use, mine.returned, mine.lost) == (1, 1, 1, 0)
    assert (theirs.residents, theirs.in_use, theirs.returned, theirs.lost) == (2, 1, 0, 1)
    assert (everyone.residents, everyone.in_use, everyone.returned, everyone.lost) == (3, 2, 1, 1)
    log_in(client, users["coordinator"])
    page = text(client.get("/targets"))
    section = page[page.index('id="loans-title"') :]
    assert "貸出スマホ" in section[:200] and resident.name not in page


def test_dates_that_would_lock_a_device_or_skip_the_agreement_are_refused(users, shibuya):
    device, resident = factories.make_device(shibuya), factories.make_resident(shibuya)
    today = clock.today()
    later = today + timedelta(days=365)
    with pytest.raises(RuleViolation) as future:
        services.lend_device(users["ward_staff"], device, resident, later, later, today)
    assert future.value.field == "starts_on"
    with pytest.raises(RuleViolation) as unsigned:
        services.lend_device(users["ward_staff"], device, resident, today - timedelta(days=9),
                             later, today)  # fmt: skip
    assert unsigned.value.field == "agreement_signed_on"
    assert device.state == DeviceState.IN_STOCK


def test_lent_is_not_a_state_set_by_hand(client, users, shibuya):
    device = factories.make_device(shibuya)
    log_in(client, users["ward_staff"])
    form = text(client.get(f"/manage/shibuya/devices/{device.id}"))
    assert 'value="lent"' not in form
    lent = {"model": device.model, "serial": device.serial, "state": "lent"}
    refused = client.post(f"/manage/shibuya/devices/{device.id}", data=lent)
    assert refused.status_code == 422 and device.state == DeviceState.IN_STOCK


def test_no_loan_for_an_anonymised_record(client, users, shibuya):
    resident = factories.make_resident(shibuya)
    resident.anonymised_dt = clock.now()
    db.session.flush()
    log_in(client, users["ward_staff"])
    assert client.get(f"/manage/shibuya/residents/{resident.id}/lend").status_code == 404


def test_merging_records_moves_the_loan_and_refuses_two_out(users, shibuya):
    from inclusion.residents.services import merge_residents

    keep, duplicate = factories.make_resident(shibuya), factories.make_resident(shibuya)
    loan = factories.make_loan(shibuya, duplicate)
    merge_residents(users["ward_staff"], keep, duplicate)
    db.session.refresh(loan)
    assert loan.resident_id == keep.id and loan.is_out
    other = factories.make_resident(shibuya)
    factories.make_loan(shibuya, other)
    with pytest.raises(RuleViolation, match="返却"):
        merge_residents(users["ward_staff"], keep, other)


def test_retention_keeps_a_borrower_and_anonymises_past_ones(users, shibuya):
    from inclusion.residents.services import apply_retention

    long_ago = clock.now() - timedelta(days=365 * 6)
    out, returned = factories.make_resident(shibuya), factories.make_resident(shibuya)
    for person in (out, returned):
        person.created_dt = long_ago
    factories.make_loan(shibuya, out, starts_on=long_ago.date(), due_on=long_ago.date())
    old = factories.make_loan(shibuya, returned, starts_on=long_ago.date(),
                              due_on=long_ago.date())  # fmt: skip
    old.returned_on, old.condition = long_ago.date(), ReturnCondition.GOOD
    old.device.state = DeviceState.IN_STOCK
    db.session.flush()
    call = factories.make_call(shibuya, returned, caller_e164="+81355550123",
                               received_dt=long_ago)  # fmt: skip
    apply_retention(3)
    db.session.refresh(out)
    db.session.refresh(returned)
    assert not out.is_anonymised
    assert returned.is_anonymised and db.session.get(Loan, old.id) is not None
    # What they told the call centre goes with their name.
    db.session.refresh(call)
    assert (call.note, call.caller_e164) == ("", None)
