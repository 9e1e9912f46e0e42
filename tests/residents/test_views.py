"""Resident and booking pages: the phone-booking flow, privacy, audit and query counts."""

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.residents import services
from inclusion.residents.models import (
    Booking,
    BookingStatus,
    ConsentMethod,
    ConsentScope,
    FollowUpAnswer,
    ReminderChannel,
    Resident,
)
from inclusion.sessions.models import SessionKind
from inclusion.volunteers.models import ShiftRole, TrainingLevel
from tests import factories
from tests.conftest import log_in

NEW_RESIDENT = {
    "family_name": "山田",
    "given_name": "花子",
    "family_kana": "やまだ",
    "given_kana": "はなこ",
    "birth_year": "1946",
    "phone_1": "03-3463-1873",
    "reminder_channel": "by_number",
    "scopes": ["record", "reminders", "follow_up"],
    "method": "phone",
}


@pytest.fixture
def venue(shibuya):
    return factories.make_venue(shibuya, name="中央図書館")


@pytest.fixture
def staff(client, users):
    log_in(client, users["ward_staff"])
    return client


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_phone_booking_for_a_new_resident(staff, venue):
    session = factories.make_session(venue, title="はじめてのスマホ", capacity=1)
    book_page = f"/manage/shibuya/sessions/{session.id}/book"
    response = staff.post(f"/manage/shibuya/residents/new?next={book_page}", data=NEW_RESIDENT)
    resident = db.session.scalar(sa.select(Resident))
    assert response.headers["Location"] == f"{book_page}?resident={resident.id}"
    assert [(p.e164, p.kind) for p in resident.phones] == [("+81334631873", PhoneKind.LANDLINE)]
    assert resident.reminder_channel == ReminderChannel.VOICE
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "山田 花子" in page and "03-3463-1873" in page
    response = staff.post(book_page, data={"resident": resident.id, "source": "phone", "place": 0})
    assert response.headers["Location"] == f"/manage/shibuya/sessions/{session.id}/roster"
    roster = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "山田 花子" in roster and "予約：1／1" in roster
    # The class is full: the next resident goes on the waiting list, and is told their place.
    second = factories.make_resident(venue.ward, family_name="佐藤")
    response = staff.post(
        book_page, data={"resident": second.id, "source": "counter", "place": 0},
        follow_redirects=True,
    )  # fmt: skip
    assert "キャンセル待ち1番目" in response.get_data(as_text=True)
    first_booking, waiting = db.session.scalars(sa.select(Booking).order_by(Booking.id)).all()
    response = staff.post(
        f"/manage/shibuya/bookings/{first_booking.id}/cancel",
        data={"confirmed": "yes"},
        follow_redirects=True,
    )
    assert "佐藤" in response.get_data(as_text=True) and "繰り上がりました" in response.get_data(
        as_text=True
    )
    assert (waiting.status, waiting.place) == (BookingStatus.BOOKED, 1)
    assert "booking.promote" in audit_actions()


def test_the_same_person_is_found_before_a_second_record(staff, shibuya):
    existing = factories.make_resident(shibuya, kana="ヤマダ", phones=("+81334631873",))
    response = staff.post("/manage/shibuya/residents/new", data=NEW_RESIDENT)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "すでに登録されている方かもしれません" in page and existing.family_name in page
    assert count(Resident) == 1
    # From the booking page, staff can take the existing record; only our own URLs are linked.
    back = "/manage/shibuya/sessions/1/book"
    page = staff.post(f"/manage/shibuya/residents/new?next={back}", data=NEW_RESIDENT)
    assert f'href="{back}?resident={existing.id}"' in page.get_data(as_text=True)
    for hostile in ("javascript:alert(1)", "//evil.example/x", "https://evil.example/"):
        page = staff.post(f"/manage/shibuya/residents/new?next={hostile}", data=NEW_RESIDENT)
        assert "この記録を使う" not in page.get_data(as_text=True)
    response = staff.post(
        "/manage/shibuya/residents/new", data={**NEW_RESIDENT, "confirmed_new": "y"}
    )
    assert response.status_code == 302 and count(Resident) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone_1": "12345"}, "国内の電話番号を入力してください"),
        ({"phone_1": "+1 650 253 0000"}, "国内の番号だけです"),
        ({"reminder_channel": "sms"}, "SMSには携帯電話の番号"),
        ({"family_kana": "Yamada"}, "カタカナで入力してください"),
        ({"birth_year": "千九百"}, "数字を入力してください"),
        ({"call_from": "25:00"}, "10:00"),
        ({"scopes": []}, "同意した内容を選んでください"),
        ({"scopes": ["reminders"]}, "予約を受けず"),
    ],
)
def test_bad_input_is_explained_and_nothing_saved(staff, change, message):
    response = staff.post("/manage/shibuya/residents/new", data={**NEW_RESIDENT, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Resident) == 0


def test_refused_bookings_are_messages(staff, shibuya, venue):
    resident = factories.make_resident(shibuya)
    salon = factories.make_session(venue, kind=SessionKind.SALON)
    response = staff.post(
        f"/manage/shibuya/sessions/{salon.id}/book",
        data={"resident": resident.id, "source": "phone", "place": 0},
    )
    assert response.status_code == 200 and "予約不要" in response.get_data(as_text=True)
    session = factories.make_session(venue, starts_dt=clock.now() + timedelta(days=6))
    for bad in ({"resident": "abc"}, {"resident": "99999999999"}, {"resident": "0"}):
        response = staff.post(
            f"/manage/shibuya/sessions/{session.id}/book", data={**bad, "source": "phone"}
        )
        assert response.status_code in (200, 422)
    assert count(Booking) == 0


def test_coordinators_see_counts_never_names(client, users, shibuya, venue):
    session = factories.make_session(venue)
    resident = factories.make_resident(shibuya, family_name="秘密")
    factories.make_booking(session, resident)
    log_in(client, users["coordinator"])
    detail = client.get(f"/manage/shibuya/sessions/{session.id}").get_data(as_text=True)
    assert "予約 1／10" in detail and "秘密" not in detail
    for path in (
        "/manage/shibuya/residents",
        f"/manage/shibuya/residents/{resident.id}",
        f"/manage/shibuya/sessions/{session.id}/roster",
        "/manage/shibuya/follow-ups",
    ):
        assert client.get(path).status_code == 403


def test_every_look_at_personal_data_is_logged(staff, users, shibuya, venue):
    resident = factories.make_resident(shibuya)
    session = factories.make_session(venue)
    factories.make_booking(session, resident)
    for path in (
        f"/manage/shibuya/residents/{resident.id}",
        "/manage/shibuya/residents?q=テスト",
        f"/manage/shibuya/sessions/{session.id}/roster",
        f"/manage/shibuya/sessions/{session.id}/sign-in",
        "/manage/shibuya/follow-ups",
    ):
        assert staff.get(path).status_code == 200
    assert audit_actions() == [
        "auth.login",
        "resident.view",
        "resident.search",
        "resident.roster",
        "resident.sign_in_sheet",
        "resident.follow_up_list",
    ]
    viewed = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "resident.view"))
    assert (viewed.actor_id, viewed.target_id, viewed.ward_id) == (
        users["ward_staff"].id,
        resident.id,
        shibuya.id,
    )
    # A list names whose data it showed, so "who has seen this resident?" has an answer.
    lists = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action.in_(["resident.roster", "resident.search"]))
    ).all()
    assert [event.details["residents"] for event in lists] == [[resident.id], [resident.id]]


def test_needs_only_on_the_residents_page_and_the_roster(staff, shibuya, venue):
    resident = factories.make_resident(shibuya, needs="補聴器を使っています")
    session = factories.make_session(venue)
    factories.make_booking(session, resident)
    shown = {
        path: "補聴器を使っています" in staff.get(path).get_data(as_text=True)
        for path in (
            f"/manage/shibuya/residents/{resident.id}",
            f"/manage/shibuya/sessions/{session.id}/roster",
            f"/manage/shibuya/sessions/{session.id}/sign-in",
            f"/manage/shibuya/sessions/{session.id}/book?resident={resident.id}",
            "/manage/shibuya/residents",
        )
    }
    assert list(shown.values()) == [True, True, False, False, False]


def test_export_needs_a_reason_that_is_logged(staff, shibuya):
    factories.make_resident(shibuya, family_name="山田")
    response = staff.post("/manage/shibuya/residents/export", data={"reason": " "})
    assert response.status_code == 422 and "resident.export" not in audit_actions()
    response = staff.post("/manage/shibuya/residents/export", data={"reason": "防災訓練の連絡"})
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff記録番号,姓,名") and "山田" in text
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "resident.export"))
    assert entry.details == {"reason": "防災訓練の連絡", "rows": 1}


def past_session(venue, **fields):
    return factories.make_session(venue, starts_dt=clock.now() - timedelta(minutes=20), **fields)


def test_day_of_the_session_attendance_and_walk_in(staff, shibuya, venue):
    session = past_session(venue, capacity=2)
    booked = factories.make_booking(session, factories.make_resident(shibuya))
    walker = factories.make_resident(shibuya, kana="アルキ")
    page = staff.get(f"/manage/shibuya/sessions/{session.id}/roster?q=アルキ")
    assert "当日参加として記録" in page.get_data(as_text=True)
    marked = staff.post(
        f"/manage/shibuya/bookings/{booked.id}/attendance", data={"attended": "yes"}
    )
    # Back to the same row of the list, not to its top.
    assert marked.headers["Location"].endswith(f"/roster#booking-{booked.id}")
    assert f'id="booking-{booked.id}"' in staff.get(marked.headers["Location"]).get_data(
        as_text=True
    )
    staff.post(f"/manage/shibuya/sessions/{session.id}/walk-in", data={"resident": walker.id})
    assert booked.status == BookingStatus.ATTENDED
    assert (session.status.value, session.headcount) == ("held", 2)
    response = staff.post(
        f"/manage/shibuya/bookings/{booked.id}/attendance", data={"attended": "maybe"}
    )
    assert response.status_code == 302 and booked.status == BookingStatus.ATTENDED


def test_follow_up_call_list_and_answer(staff, shibuya):
    resident = factories.make_resident(shibuya, family_name="呼出")
    follow_up = factories.make_follow_up(
        resident, first_attended_on=clock.today() - timedelta(days=100)
    )
    not_yet = factories.make_follow_up(
        factories.make_resident(shibuya, family_name="まだ先"), first_attended_on=clock.today()
    )
    page = staff.get("/manage/shibuya/follow-ups").get_data(as_text=True)
    assert "呼出" in page and "まだ先" not in page
    assert "予定日を迎えた電話が1件あります。" in page
    response = staff.post(
        f"/manage/shibuya/follow-ups/{follow_up.id}", data={"answer": "yes", "procedure": ""}
    )
    assert response.status_code == 422 and follow_up.answer is None
    staff.post(
        f"/manage/shibuya/follow-ups/{follow_up.id}",
        data={"answer": "yes", "procedure": "マイナポータルで転出届"},
    )
    assert follow_up.answer == FollowUpAnswer.YES
    assert "呼出" not in staff.get("/manage/shibuya/follow-ups").get_data(as_text=True)
    assert not_yet.answer is None


def test_the_lead_sees_family_names_on_the_day_only(app, client, shibuya, venue):
    lead = factories.make_volunteer(shibuya, level=TrainingLevel.LEAD)
    today = factories.make_session(venue, starts_dt=clock.now() + timedelta(minutes=1))
    factories.make_shift(today, lead, role=ShiftRole.LEAD)
    factories.make_booking(today, factories.make_resident(shibuya, family_name="本日"))
    log_in(client, lead)
    page = client.get("/me/shifts").get_data(as_text=True)
    assert "本日さん" in page and "03-5555" not in page  # a name, never a number
    assert "resident.lead_list" in audit_actions()
    app.config["LEAD_SEES_RESIDENT_NAMES"] = False
    assert "本日さん" not in client.get("/me/shifts").get_data(as_text=True)


def test_pages_run_a_fixed_number_of_queries(staff, shibuya, venue, constant_queries):
    session = factories.make_session(venue, capacity=200)
    places = itertools.count(1)

    def add_bookings(count_: int) -> None:
        for _ in range(count_):
            resident = factories.make_resident(shibuya, phones=("+81334631873", "+819012345678"))
            factories.make_booking(session, resident, place=next(places))
            factories.make_follow_up(
                resident, first_attended_on=clock.today() - timedelta(days=95)
            )

    constant_queries(staff, f"/manage/shibuya/sessions/{session.id}/roster", add_bookings)
    constant_queries(staff, f"/manage/shibuya/sessions/{session.id}/sign-in", add_bookings)
    constant_queries(staff, "/manage/shibuya/residents", add_bookings)
    constant_queries(staff, "/manage/shibuya/follow-ups", add_bookings)
    resident = db.session.scalar(sa.select(Resident))

    def add_history(count_: int) -> None:
        for _ in range(count_):
            factories.make_booking(
                factories.make_session(
                    venue, starts_dt=clock.now() + timedelta(days=next(places))
                ),
                resident,
            )

    constant_queries(staff, f"/manage/shibuya/residents/{resident.id}", add_history)


def test_public_pages_say_whether_places_are_left_and_nothing_more(client, shibuya, venue):
    full = factories.make_session(venue, title="満員教室", capacity=1)
    factories.make_booking(full, factories.make_resident(shibuya, family_name="匿名希望"))
    nearly = factories.make_session(
        venue, title="残り教室", capacity=3, starts_dt=clock.now() + timedelta(days=4)
    )
    factories.make_booking(nearly, factories.make_resident(shibuya))
    factories.make_session(
        venue, title="空き教室", capacity=10, starts_dt=clock.now() + timedelta(days=5)
    )
    page = client.get("/w/shibuya").get_data(as_text=True)
    assert "満席です。キャンセル待ちができます。" in page
    assert "残りわずか（あと2人）" in page and "空きがあります。" in page
    assert "匿名希望" not in page
    detail = client.get(f"/w/shibuya/sessions/{full.id}").get_data(as_text=True)
    assert "満席です" in detail and "匿名希望" not in detail


def test_cancelling_a_session_says_how_many_bookings_go(staff, shibuya, venue):
    session = factories.make_session(venue, capacity=1)
    factories.make_booking(session, factories.make_resident(shibuya))
    factories.make_booking(session, factories.make_resident(shibuya), BookingStatus.WAITLISTED)
    page = staff.get(f"/manage/shibuya/sessions/{session.id}/cancel").get_data(as_text=True)
    assert "予約1件とキャンセル待ち1件も取り消されます" in page
    staff.post(f"/manage/shibuya/sessions/{session.id}/cancel", data={"reason": "台風"})
    statuses = db.session.scalars(sa.select(Booking.status)).all()
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.CANCELLED]


def test_the_list_says_whose_consent_to_ask_this_year(staff, users, shibuya):
    asked = factories.make_resident(shibuya, family_name="済")
    factories.make_resident(shibuya, family_name="未")
    services.record_consent(
        users["ward_staff"], asked, [ConsentScope.RECORD], ConsentMethod.PHONE, clock.today()
    )
    rows = staff.get("/manage/shibuya/residents").get_data(as_text=True).split("<tr>")[2:]
    marks = {("済" in row, "今年度の確認が必要" in row, "今年度は済み" in row) for row in rows}
    assert marks == {(True, False, True), (False, True, False)}


def test_the_residents_page_gives_their_place_in_each_queue(staff, shibuya, venue):
    resident = factories.make_resident(shibuya)
    first = factories.make_session(venue, capacity=1, title="一つ目")
    second = factories.make_session(
        venue, capacity=1, title="二つ目", starts_dt=clock.now() + timedelta(days=8)
    )
    for session, ahead in ((first, 0), (second, 2)):
        factories.make_booking(session, factories.make_resident(shibuya))
        for _ in range(ahead):
            factories.make_booking(
                session, factories.make_resident(shibuya), BookingStatus.WAITLISTED
            )
        factories.make_booking(session, resident, BookingStatus.WAITLISTED)
    page = staff.get(f"/manage/shibuya/residents/{resident.id}").get_data(as_text=True)
    assert "キャンセル待ち (1番目)" in page and "キャンセル待ち (3番目)" in page


def test_the_ward_page_says_how_many_follow_up_calls_are_due(client, users, shibuya):
    factories.make_follow_up(
        factories.make_resident(shibuya, family_name="呼出"),
        first_attended_on=clock.today() - timedelta(days=100),
    )
    log_in(client, users["coordinator"])
    page = client.get("/manage/shibuya").get_data(as_text=True)
    assert "予定日を迎えた電話が1件あります。" in page and "呼出" not in page


def test_internal_values_are_said_in_words(staff, shibuya, venue):
    """An age band in words, not a bucket code; no calendar version number; a session that
    needs no volunteers says so instead of 0 of 0."""
    resident = factories.make_resident(shibuya, birth_year=clock.today().year - 80)
    page = staff.get(f"/manage/shibuya/residents/{resident.id}").get_data(as_text=True)
    assert "75〜84歳" in page and "75–84" not in page
    session = factories.make_session(venue, lead_needed=0, assistants_needed=0)
    detail = staff.get(f"/manage/shibuya/sessions/{session.id}").get_data(as_text=True)
    assert "0人中0人" not in detail and "不要" in detail
    assert "カレンダー更新番号" not in detail
