"""The joint call centre through its pages: an operator finds the caller in any ward, logs
the call and books them from the call screen; calls passed on are the ward's to-do list."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.calls.figures import call_figures, calls_by_day
from inclusion.calls.models import Call, CallOutcome, CallTopic
from inclusion.courses.models import Enrolment
from inclusion.courses.services import course_dates
from inclusion.extensions import db
from inclusion.residents.models import Booking, BookingSource, BookingStatus, ReminderChannel
from inclusion.targets.metrics import Scope
from tests import factories
from tests.conftest import log_in


def text(response) -> str:
    assert response.status_code in (200, 422), response.status_code
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def class_soon(shibuya):
    return factories.make_session(factories.make_venue(shibuya), title="はじめてのスマホ教室",
                                  starts_dt=clock.now() + timedelta(days=5))  # fmt: skip


def test_an_operator_finds_the_caller_by_number_and_books_them(client, users, shibuya,
                                                               class_soon):  # fmt: skip
    caller = factories.make_resident(shibuya, phones=("+819012345678",),
                                     channel=ReminderChannel.SMS)  # fmt: skip
    log_in(client, users["operator"])
    assert client.get("/").headers["Location"].endswith("/calls")
    found = text(client.get("/calls?q=090-1234-5678"))
    assert caller.name in found and "渋谷区" in found
    screen = text(client.get(f"/calls?resident={caller.id}"))
    assert "はじめてのスマホ教室" in screen
    logged = client.post("/calls", data={
        "resident": caller.id, "topic": "booking", "outcome": "booked",
        "session": class_soon.id, "is_resolved": "y", "note": ""})  # fmt: skip
    assert logged.status_code == 302
    booking = db.session.scalar(sa.select(Booking))
    assert (booking.resident_id, booking.session_id) == (caller.id, class_soon.id)
    assert booking.source == BookingSource.PHONE and booking.status == BookingStatus.BOOKED
    call = db.session.scalar(sa.select(Call))
    assert (call.ward_id, call.booking_id, call.outcome) == (shibuya.id, booking.id,
                                                              CallOutcome.BOOKED)  # fmt: skip
    assert call.operator_id == users["operator"].id and call.is_resolved
    told = text(client.get("/calls"))
    assert "予約を受け付けました" in told and "（はじめてのスマホ教室、" in told
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"call.create", "booking.create", "call.search"} <= actions
    # The ward's audit log shows the call centre looked at its resident.
    read = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "call.search"))
    assert read.ward_id == shibuya.id and caller.id in read.details["residents"]


def test_a_kana_search_finds_callers_in_every_ward(client, users, shibuya, shinagawa):
    here = factories.make_resident(shibuya, kana="ヤマダ")
    there = factories.make_resident(shinagawa, kana="ヤマダ")
    elsewhere = factories.make_resident(shibuya, kana="スズキ")
    log_in(client, users["operator"])
    found = text(client.get("/calls?q=やまだ"))
    assert here.name in found and there.name in found and elsewhere.name not in found
    # Those found are named, not their numbers: those are for the caller chosen.
    assert "03-5555" not in found and "+81" not in found
    short = text(client.get("/calls?q=ヤ"))
    assert "2文字以上" in short and here.name not in short
    wards = set(db.session.scalars(
        sa.select(AuditLog.ward_id).where(AuditLog.action == "call.search")))  # fmt: skip
    assert wards == {shibuya.id, shinagawa.id}


def test_a_course_date_books_the_whole_course(client, users, shibuya):
    series = factories.make_series(shibuya, dates=3)
    first = course_dates(series)[0]
    caller = factories.make_resident(shibuya)
    log_in(client, users["operator"])
    logged = client.post("/calls", data={"resident": caller.id, "topic": "booking",
                                         "outcome": "booked", "session": first.id,
                                         "is_resolved": "y"})  # fmt: skip
    assert logged.status_code == 302
    enrolment = db.session.scalar(sa.select(Enrolment))
    call = db.session.scalar(sa.select(Call))
    assert call.enrolment_id == enrolment.id and call.booking_id is not None
    assert count(Booking) == 3


def test_a_refused_booking_logs_nothing_and_says_why(client, users, shibuya, class_soon):
    caller = factories.make_resident(shibuya)
    factories.make_booking(class_soon, caller)
    log_in(client, users["operator"])
    again = client.post("/calls", data={"resident": caller.id, "topic": "booking",
                                        "outcome": "booked", "session": class_soon.id,
                                        "is_resolved": "y"})  # fmt: skip
    assert "この回を予約済みです" in text(again)
    assert count(Call) == 0
    # Booked, but no session chosen; or nobody named.
    none = client.post("/calls", data={"resident": caller.id, "topic": "booking",
                                       "outcome": "booked", "session": "0"})  # fmt: skip
    assert none.status_code == 422
    unnamed = client.post("/calls", data={"ward": shibuya.id, "topic": "booking",
                                          "outcome": "booked"})  # fmt: skip
    assert unnamed.status_code == 422 and "記録のある区民" in text(unnamed)
    assert count(Call) == 0


def test_a_call_passed_on_is_the_ward_s_to_do_until_done(client, users, shibuya, shinagawa):
    log_in(client, users["operator"])
    base = {"ward": shinagawa.id, "topic": "online_procedures", "outcome": "passed"}
    refused = client.post("/calls", data=base)
    assert refused.status_code == 422 and "区にしてほしいこと" in text(refused)
    logged = client.post("/calls", data={**base, "note": "マイナポータルの申請を手伝ってほしい",
                                         "caller_phone": "03-3777-2222",
                                         "is_resolved": "y"})  # fmt: skip
    assert logged.status_code == 302
    call = db.session.scalar(sa.select(Call))
    assert call.caller_e164 == "+81337772222" and not call.is_resolved
    client.post("/logout")
    log_in(client, users["ward_staff"])  # Shibuya's: not theirs
    assert client.get("/manage/shinagawa/calls").status_code == 403
    assert client.post(f"/manage/shibuya/calls/{call.id}/done").status_code == 404
    client.post("/logout")
    staff = factories.make_user(ward=shinagawa)
    log_in(client, staff)
    todo = text(client.get("/manage/shinagawa/calls"))
    assert "マイナポータルの申請" in todo and "03-3777-2222" in todo
    assert client.post(f"/manage/shinagawa/calls/{call.id}/done").status_code == 302
    assert call.handled_by_id == staff.id and call.handled_dt is not None
    again = client.post(f"/manage/shinagawa/calls/{call.id}/done", follow_redirects=True)
    assert "対応済み" in text(again)
    assert "ありません" in text(client.get("/manage/shinagawa/calls"))


def test_operators_open_no_ward_pages_and_staff_no_call_screen(client, users, shibuya):
    log_in(client, users["operator"])
    assert client.get("/manage/shibuya/residents").status_code == 403
    assert client.get("/manage/shibuya/calls").status_code == 403
    client.post("/logout")
    log_in(client, users["ward_staff"])
    assert client.get("/calls").status_code == 403
    assert client.get("/calls/log").status_code == 403


def test_lists_keep_their_query_count(client, users, shibuya, constant_queries):
    def more(number: int) -> None:
        for _ in range(number):
            factories.make_call(shibuya, factories.make_resident(shibuya),
                                operator_id=users["operator"].id)  # fmt: skip

    log_in(client, users["operator"])
    constant_queries(client, "/calls/log", more)
    client.post("/logout")
    log_in(client, users["ward_staff"])
    constant_queries(client, "/manage/shibuya/calls", more)


def test_the_year_s_figures_per_ward_and_in_all(client, users, shibuya, shinagawa):
    now = clock.now()
    factories.make_call(shibuya, is_resolved=True, outcome=CallOutcome.ANSWERED,
                        received_dt=now)  # fmt: skip
    factories.make_call(shibuya, factories.make_resident(shibuya), is_resolved=True,
                        outcome=CallOutcome.BOOKED, topic=CallTopic.BOOKING)  # fmt: skip
    factories.make_call(shinagawa, topic=CallTopic.ONLINE_PROCEDURES, received_dt=now)
    # Last fiscal year's call is not this year's.
    factories.make_call(shibuya, received_dt=now - timedelta(days=400))
    scope = Scope(clock.fiscal_year(clock.today()))
    table = call_figures(scope)
    mine = table.of(shibuya.id)
    assert (mine.calls, mine.resolved, mine.booked, mine.resolved_percent) == (2, 2, 1, 100)
    assert (mine.phone_use, mine.booking) == (1, 1)
    everyone = table.of(None)
    assert (everyone.calls, everyone.resolved, everyone.online_procedures) == (3, 2, 1)
    days = dict(calls_by_day(scope))
    assert days[clock.today()] == 3 and len(days) <= 14
    log_in(client, users["coordinator"])
    page = text(client.get("/targets"))
    assert "コールセンター" in page and "67%" in page
    client.post("/logout")
    log_in(client, users["ward_staff"])
    assert "100%" in text(client.get("/manage/shibuya/targets"))
    home = text(client.get("/manage/shibuya"))
    assert "コールセンターから引き継がれた電話が1件" in home
