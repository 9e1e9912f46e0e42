"""Staff's side of the phone line: the calls page and its figures, where callers are put
through, and confirming a caller who booked without being on record."""

from datetime import UTC, datetime, time

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import gettext

from inclusion.extensions import db
from inclusion.phoneline import figures
from inclusion.phoneline.models import CallResult, PhoneLineCall, PhoneLineStep
from inclusion.reminders.models import Reply
from inclusion.residents.models import Consent, ConsentMethod, Resident
from inclusion.targets.metrics import Scope
from inclusion.targets.report import fiscal_report
from tests import factories
from tests.conftest import log_in
from tests.phoneline.caller import PUBLIC, TOKEN, Caller

TUESDAY_MORNING = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


@pytest.fixture
def app_config():
    return {"TWILIO_ACCOUNT_SID": "ACfake", "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": PUBLIC, "REMINDER_CHANNEL": "console"}  # fmt: skip


@pytest.fixture(autouse=True)
def office_hours():
    with time_machine.travel(TUESDAY_MORNING, tick=True):
        yield


def _calls(client, shibuya, count: int, resident=None) -> None:
    """``count`` calls that each hang up at the menu; the first of ``resident`` if given."""
    for index in range(count):
        number = resident.phones[0].e164 if resident and index == 0 else f"+8135555{index:04d}"
        caller = Caller(client, shibuya.slug, number)
        caller.dial()
        caller.hang_up(30 + index)


def test_the_page_lists_calls_and_figures_in_queries_that_do_not_grow(
    app, client, users, shibuya, count_queries
):
    resident = factories.make_resident(shibuya, family_name="山田")
    _calls(client, shibuya, 2, resident)
    log_in(client, users["ward_staff"])
    with count_queries() as few:
        page = client.get("/manage/shibuya/phone-line")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "山田" in text and "メニューの前" not in text
    # How Twilio is pointed at the line is for administrators, not the ward's day.
    assert "https://inclusion.example.lg.jp/twilio/phone/shibuya" not in text
    admin = app.test_client()
    log_in(admin, users["admin"])
    shown = admin.get("/manage/shibuya/phone-line").get_data(as_text=True)
    assert "https://inclusion.example.lg.jp/twilio/phone/shibuya/status" in shown
    _calls(client, shibuya, 6)
    with count_queries() as many:
        assert client.get("/manage/shibuya/phone-line").status_code == 200
    assert len(many) == len(few)


def test_figures_count_what_callers_did_and_where_they_hung_up(client, shibuya):
    _calls(client, shibuya, 3)
    first = db.session.scalar(sa.select(sa.func.min(PhoneLineCall.id)))
    db.session.execute(
        sa.update(PhoneLineCall)
        .where(PhoneLineCall.id == first)
        .values(booked=2, result=CallResult.ACTED)
    )
    scope = Scope(2026, ward_ids=(shibuya.id,))
    counted = figures.line_figures(scope).of(shibuya.id)
    assert (counted.calls, counted.booked, counted.dropped, counted.timed) == (3, 2, 2, 3)
    assert counted.average_minutes == round((30 + 31 + 32) / 3 / 60, 1)
    assert figures.drop_outs(scope) == {None: [("menu", "メニュー", 2)],
                                        shibuya.id: [("menu", "メニュー", 2)]}  # fmt: skip
    assert dict(figures.line_calls_by_day(scope))[datetime(2026, 12, 8).date()] == 3


def test_where_callers_are_put_through_is_saved_and_bad_input_refused(app, client, users, shibuya):
    log_in(client, users["ward_staff"])
    form = {"forward_phone": "03-3463-1000", "desk_opens": "09:00", "desk_closes": "17:00"}
    assert client.post("/manage/shibuya/phone-line", data=form).status_code == 302
    db.session.refresh(shibuya)
    assert shibuya.phone_line_forward_e164 == "+81334631000"
    assert (shibuya.desk_opens, shibuya.desk_closes) == (time(9), time(17))
    for bad in ({"forward_phone": "12"}, {"desk_closes": "08:00"}, {"desk_opens": "9時"}):
        refused = client.post("/manage/shibuya/phone-line", data={**form, **bad})
        assert refused.status_code == 422
    db.session.refresh(shibuya)
    assert (shibuya.desk_opens, shibuya.desk_closes) == (time(9), time(17))
    other = app.test_client()
    log_in(other, users["other_ward_staff"])
    assert other.get("/manage/shibuya/phone-line").status_code == 403


def test_a_provisional_record_is_confirmed_after_the_call_back(client, users, shibuya):
    session = factories.make_session(factories.make_venue(shibuya))
    caller = Caller(client, "shibuya", "+81355551111")
    caller.dial()
    caller.press("1")
    caller.press("1")
    assert "聞き取れませんでした" in caller.speak("")
    assert "お名前は、係の者が、折り返しのお電話で、うかがいます" in caller.speak("")
    resident = db.session.scalar(sa.select(Resident).where(Resident.provisional_dt.is_not(None)))
    assert resident.name == "氏名未確認" and resident.family_name == ""
    log_in(client, users["ward_staff"])
    page = client.get(f"/manage/shibuya/residents/{resident.id}").get_data(as_text=True)
    assert "記録にない方が電話自動受付で予約しました" in page and "記録を確認済みにする" in page
    inbox = client.get("/manage/shibuya/replies").get_data(as_text=True)
    assert "仮登録の方が電話自動受付で予約" in inbox and session.title in inbox
    confirm = f"/manage/shibuya/residents/{resident.id}/confirm"
    refused = client.post(confirm, follow_redirects=True).get_data(as_text=True)
    assert "先に区民の氏名とふりがなを入力してください" in refused
    resident.family_name, resident.given_name = "山田", "花子"
    resident.family_kana, resident.given_kana, resident.kana_key = (
        "ヤマダ",
        "ハナコ",
        "ヤマダハナコ",
    )
    db.session.flush()
    no_consent = client.post(confirm, follow_redirects=True).get_data(as_text=True)
    assert "先に区民の同意を記録してください" in no_consent
    given_on = datetime(2026, 12, 8).date()
    db.session.add(Consent(resident_id=resident.id, fiscal_year=2026, scopes=["record"],
                           method=ConsentMethod.PHONE, given_on=given_on))  # fmt: skip
    db.session.flush()
    assert client.post(confirm).status_code == 302
    db.session.refresh(resident)
    assert not resident.is_provisional
    reply = db.session.scalar(sa.select(Reply))
    assert reply.handled_dt is not None and reply.handled_by_id == users["ward_staff"].id


def test_the_dashboard_and_the_fiscal_report_count_the_phone_line(
    client, users, shibuya, shinagawa
):
    _calls(client, shibuya, 3)
    Caller(client, shinagawa.slug, "+81355559876").dial()
    first = db.session.scalar(sa.select(sa.func.min(PhoneLineCall.id)))
    db.session.execute(
        sa.update(PhoneLineCall)
        .where(PhoneLineCall.id == first)
        .values(booked=1, handed_over=True, result=CallResult.ACTED)
    )
    report = fiscal_report(2026, None)
    by_ward = {part.ward.slug if part.ward else None: part for part in report.parts}

    def value(part, label: str):
        (line,) = [line for line in part.lines if line.label == str(label)]
        return line.value

    everyone, own = by_ward[None], by_ward["shibuya"]
    assert value(everyone, gettext("Phone line calls")) == 4
    assert value(own, gettext("Phone line calls")) == 3
    assert value(own, gettext("Bookings made by callers on the phone line, without staff")) == 1
    assert value(own, gettext("Phone line calls put through to staff")) == 1
    assert value(own, gettext("Phone line calls on the busiest day")) == 3
    assert value(everyone, gettext("Phone line calls on the busiest day")) == 4
    hung_up = gettext("Hung up with nothing done at: %(step)s", step=gettext("The menu"))
    assert value(own, hung_up) == 2
    log_in(client, users["coordinator"])
    page = client.get("/targets?year=2026").get_data(as_text=True)
    assert "電話自動受付" in page and "電話自動受付の日ごとの通話数" in page


def test_retention_forgets_who_called_long_ago(client, shibuya):
    from inclusion.residents.services import apply_retention

    resident = factories.make_resident(shibuya)
    _calls(client, shibuya, 1, resident)
    call = db.session.scalar(sa.select(PhoneLineCall))
    with time_machine.travel(datetime(2030, 5, 1, tzinfo=UTC), tick=False):
        apply_retention(3)
    db.session.refresh(call)
    assert (call.from_e164, call.resident_id, call.result) == (None, None, CallResult.DROPPED)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PhoneLineStep)) == 0
