import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.sessions.models import Series, Session, SessionStatus, Topic
from tests import factories
from tests.conftest import log_in
from tests.sessions.test_series import future_tuesday


@pytest.fixture
def staff_client(client, users):
    log_in(client, users["ward_staff"])
    return client


@pytest.fixture
def venue(shibuya):
    return factories.make_venue(shibuya, name="恵比寿区民会館", capacity=20)


def session_form(place, **fields):
    form = {
        "venue": place.id,
        "kind": "class",
        "title": "はじめてのスマホ",
        "day": future_tuesday().isoformat(),
        "starts_time": "10:00",
        "ends_time": "11:30",
        "capacity": "12",
        "slot_minutes": "30",
        "level": "beginner",
        "topics": ["basics", "line"],
        "room": "",
        "description": "",
    }
    form.update(fields)
    return form


def session_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Session))


def test_staff_add_a_session(staff_client, venue):
    response = staff_client.post("/manage/shibuya/sessions/new", data=session_form(venue))
    assert response.status_code == 302
    session = db.session.scalar(sa.select(Session))
    assert session.title == "はじめてのスマホ" and session.capacity == 12
    assert session.topics == [Topic.BASICS, Topic.LINE]
    assert (session.lead_needed, session.assistants_needed) == (1, 3)
    assert clock.to_local(session.starts_dt).time() == time(10)
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "はじめてのスマホ" in page and "恵比寿区民会館" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_time": "09:00"}, "終了時刻は開始時刻より後にしてください"),
        ({"starts_time": "08:00", "ends_time": "17:30"}, "1回の長さは8時間までです"),
        ({"day": "2020-04-01"}, "この日時はすでに過ぎています"),
        ({"capacity": "25"}, "恵比寿区民会館の定員は20人までです"),
        ({"starts_time": "25:00"}, "10:00 のように時刻を入力してください"),
        ({"ends_time": "10:75"}, "10:00 のように時刻を入力してください"),
        ({"day": "2026-02-30"}, "2026-04-01 のように日付を入力してください"),
        ({"day": ""}, "2026-04-01 のように日付を入力してください"),
        ({"title": "   "}, "入力してください"),
        ({"capacity": "たくさん"}, "20 のように数字を入力してください"),
        ({"capacity": "0"}, "1から1,000までの数字を入力してください"),
        ({"kind": "party"}, "種類"),
        ({"venue": "999999"}, "会場"),
        ({"topics": ["gardening"]}, "内容"),
        ({"kind": "consultation", "slot_minutes": "0"}, "個別相談の1枠の長さを選んでください"),
        ({"kind": "consultation", "ends_time": "11:40"}, "30分の枠でちょうど割り切れる"),
        ({"lead_needed": "9"}, "0から5までの数字を入力してください"),
    ],
)
def test_session_form_refuses_bad_input(staff_client, venue, fields, message):
    response = staff_client.post(
        "/manage/shibuya/sessions/new", data=session_form(venue, **fields)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert session_count() == 0


def test_full_width_digits_are_read(staff_client, venue):
    response = staff_client.post(
        "/manage/shibuya/sessions/new", data=session_form(venue, capacity="１２")
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Session.capacity)) == 12


def test_overlapping_session_in_the_same_room_is_refused(staff_client, venue):
    factories.make_session(
        venue,
        starts_dt=clock.to_utc(future_tuesday(), time(11)),
        title="LINE入門",
        room="第1会議室",
    )
    response = staff_client.post(
        "/manage/shibuya/sessions/new", data=session_form(venue, room="第1会議室")
    )
    assert response.status_code == 422
    assert "この部屋は11:00〜12:30に「LINE入門」で使われています" in response.get_data(
        as_text=True
    )
    other_room = staff_client.post(
        "/manage/shibuya/sessions/new", data=session_form(venue, room="第2会議室")
    )
    assert other_room.status_code == 302


def test_consultation_counts_its_slots(staff_client, venue):
    form = session_form(
        venue, kind="consultation", starts_time="13:00", ends_time="15:00", capacity=""
    )
    assert staff_client.post("/manage/shibuya/sessions/new", data=form).status_code == 302
    session = db.session.scalar(sa.select(Session))
    assert (session.capacity, session.slot_minutes) == (4, 30)


def test_series_preview_shows_skipped_dates_and_saves_nothing(staff_client, venue):
    form = session_form(
        venue, interval_weeks="1", weeks="12", holiday_rule="skip", skip_year_end="y"
    )
    form["preview"] = "日程を確認"
    response = staff_client.post("/manage/shibuya/series/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="series-plan"' in html and "回の日程" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Series)) == 0
    assert session_count() == 0


def test_series_plan_beside_the_form_follows_the_fields(staff_client, venue):
    """What the form fetches as the fields change: each date held, moved or left out."""
    page = staff_client.get("/manage/shibuya/series/new").get_data(as_text=True)
    # The first date proposed is a week ahead, and its plan is already shown.
    assert (clock.today() + timedelta(days=7)).isoformat() in page and "回の日程</h2>" in page
    asked = {"day": "2027-09-20", "starts_time": "10:00", "interval_weeks": "1", "weeks": "2",
             "holiday_rule": "move", "skip_year_end": "y"}  # fmt: skip
    moved = staff_client.get("/manage/shibuya/series/plan", query_string=asked)
    html = moved.get_data(as_text=True)
    assert moved.status_code == 200 and "<html" not in html
    assert "2回の日程" in html and "9月21日" in html and "敬老の日" in html and "移します" in html
    skipped = staff_client.get(
        "/manage/shibuya/series/plan", query_string={**asked, "holiday_rule": "skip"}
    ).get_data(as_text=True)
    assert "1回の日程" in skipped and "この日は開催しません" in skipped
    past = staff_client.get(
        "/manage/shibuya/series/plan", query_string={**asked, "day": "2020-01-06"}
    ).get_data(as_text=True)
    assert "過ぎています" in past
    unfinished = staff_client.get(
        "/manage/shibuya/series/plan", query_string={**asked, "weeks": "abc"}
    )
    shown = unfinished.get_data(as_text=True)
    assert unfinished.status_code == 200 and "日程がここに出ます" in shown
    assert "期間（週）:" in shown  # which field is wrong


def test_series_refused_when_a_date_has_passed(staff_client, venue):
    form = session_form(venue, day="2020-01-07", interval_weeks="1", weeks="4",
                        holiday_rule="skip", skip_year_end="y")  # fmt: skip
    response = staff_client.post("/manage/shibuya/series/new", data=form)
    assert response.status_code == 422 and "過ぎています" in response.get_data(as_text=True)
    assert session_count() == 0


def test_series_created_once_even_when_sent_twice(staff_client, venue):
    form = session_form(
        venue, interval_weeks="1", weeks="12", holiday_rule="skip", skip_year_end="y"
    )
    first = staff_client.post("/manage/shibuya/series/new", data=form)
    assert first.status_code == 302
    created = session_count()
    assert created >= 10
    second = staff_client.post("/manage/shibuya/series/new", data=form, follow_redirects=True)
    assert "すでに登録されています" in second.get_data(as_text=True)
    assert session_count() == created
    listing = staff_client.get(first.headers["Location"]).get_data(as_text=True)
    assert listing.count("はじめてのスマホ") == min(created, 50)


def test_edit_and_cancel_through_the_forms(staff_client, venue):
    session = factories.make_session(venue, starts_dt=clock.to_utc(future_tuesday(), time(10)))
    url = f"/manage/shibuya/sessions/{session.id}"
    assert staff_client.get(f"{url}/edit").status_code == 200
    moved = session_form(venue, title=session.title, starts_time="14:00", ends_time="15:30")
    response = staff_client.post(f"{url}/edit", data=moved)
    assert response.status_code == 422 and "理由" in response.get_data(as_text=True)
    moved["reason"] = "午前は会場が使えないため"
    assert staff_client.post(f"{url}/edit", data=moved).status_code == 302
    assert session.sequence == 1
    assert "午前は会場が使えないため" in staff_client.get(url).get_data(as_text=True)
    assert staff_client.post(f"{url}/cancel", data={"reason": ""}).status_code == 422
    assert session.status == SessionStatus.SCHEDULED
    assert staff_client.post(f"{url}/cancel", data={"reason": "台風のため"}).status_code == 302
    assert session.status == SessionStatus.CANCELLED and session.sequence == 2


def test_mark_held_through_the_form(staff_client, venue):
    past = factories.make_session(venue, starts_dt=clock.now() - timedelta(hours=3))
    url = f"/manage/shibuya/sessions/{past.id}"
    assert "実施済みにする" in staff_client.get(url).get_data(as_text=True)
    staff_client.post(f"{url}/held", data={"headcount": "abc"})
    assert past.status == SessionStatus.SCHEDULED
    staff_client.post(f"{url}/held", data={"headcount": "9"})
    assert past.status == SessionStatus.HELD and past.headcount == 9


def test_list_filters_and_junk_filters(staff_client, venue, shibuya):
    day = future_tuesday()
    factories.make_session(
        venue, starts_dt=clock.to_utc(day, time(10)), title="LINEの教室", topics=(Topic.LINE,)
    )
    factories.make_session(
        venue, starts_dt=clock.to_utc(day, time(13)), title="地図の教室", topics=(Topic.MAPS,)
    )
    html = staff_client.get("/manage/shibuya/sessions?topic=line").get_data(as_text=True)
    assert "LINEの教室" in html and "地図の教室" not in html
    for junk in (
        "venue=abc",
        "kind=x",
        "topic=%FF",
        "date_from=2026-13-40",
        "after=zz-1",
        "after=99999999999999999999-1",
        "status=",
        "date_to=9999-12-31",
    ):
        assert staff_client.get(f"/manage/shibuya/sessions?{junk}").status_code == 200, junk


def test_list_pages_by_cursor(staff_client, venue):
    start = clock.to_utc(future_tuesday(), time(9))
    for number in range(55):
        factories.make_session(
            venue,
            starts_dt=start + timedelta(hours=2 * number),
            title=f"回{number:02d}",
            flush=False,
        )
    db.session.flush()
    first = staff_client.get("/manage/shibuya/sessions").get_data(as_text=True)
    assert "回00" in first and "回49" in first and "回50" not in first
    next_link = first.split('href="?', 2)[-1].split('"', 1)[0].replace("&amp;", "&")
    second = staff_client.get(f"/manage/shibuya/sessions?{next_link}").get_data(as_text=True)
    assert "回50" in second and "回54" in second and "回49" not in second


def test_list_query_count_is_the_same_for_10_and_1000_sessions(
    staff_client, venue, constant_queries
):
    start = clock.to_utc(future_tuesday(), time(9))
    made = [0]

    def add(count: int) -> None:
        for _ in range(count):
            made[0] += 1
            factories.make_session(
                venue,
                starts_dt=start + timedelta(hours=made[0]),
                topics=(Topic.BASICS,),
                flush=False,
            )

    constant_queries(staff_client, "/manage/shibuya/sessions", add, few=10, many=1000)


def test_coordinator_sees_all_wards(client, users, venue, shinagawa):
    factories.make_session(venue, title="渋谷の教室")
    factories.make_session(factories.make_venue(shinagawa), title="品川の教室")
    log_in(client, users["coordinator"])
    html = client.get("/sessions").get_data(as_text=True)
    assert "渋谷の教室" in html and "品川の教室" in html
    html = client.get(f"/sessions?ward={shinagawa.id}").get_data(as_text=True)
    assert "渋谷の教室" not in html and "品川の教室" in html


@pytest.mark.parametrize(
    "args",
    [
        "",
        "?view=month",
        "?view=week&date=2027-01-01",
        "?date=junk",
        "?view=month&date=9999-12-31",
        "?date=0001-01-01",
    ],
)
def test_calendar_views(staff_client, venue, args):
    factories.make_session(venue, title="カレンダーの教室")
    response = staff_client.get(f"/manage/shibuya/calendar{args}")
    assert response.status_code == 200


def test_calendar_shows_the_week(staff_client, venue):
    session = factories.make_session(venue, title="今週の教室")
    day = clock.to_local(session.starts_dt).date()
    html = staff_client.get(f"/manage/shibuya/calendar?date={day.isoformat()}").get_data(
        as_text=True
    )
    assert "今週の教室" in html


def test_the_month_calendar_runs_sunday_to_saturday_with_holidays_and_today(staff_client, venue):
    """It opens on this month; January 2027 shows 元日 and 成人の日, the year-end closure,
    each session once on its own date, and months before and after."""
    page = staff_client.get("/manage/shibuya/calendar").get_data(as_text=True)
    assert clock.today().strftime("%Y年%-m月") in page and 'aria-current="date"' in page
    factories.make_session(venue, starts_dt=clock.to_utc(date(2027, 1, 12), time(10)),
                           title="一月の教室")  # fmt: skip
    page = staff_client.get("/manage/shibuya/calendar?date=2027-01-20").get_data(as_text=True)
    headers = re.findall(r'<th scope="col"[^>]*>(.)</th>', page)
    assert headers == ["日", "月", "火", "水", "木", "金", "土"]
    assert "元日" in page and "成人の日" in page and "年末年始の休み" in page
    assert page.count("一月の教室") == 1 and "2027年1月" in page
    cell = page[page.index("2027年1月12日") :]
    assert cell.index("一月の教室") < cell.index("2027年1月13日")  # on its own date
    assert "?view=month&amp;date=2026-12-01" in page and "?view=month&amp;date=2027-02-01" in page
    week = staff_client.get("/manage/shibuya/calendar?view=week&date=2027-01-13").get_data(
        as_text=True
    )
    assert "2027年1月10日(日) – 2027年1月16日(土)" in week and "一月の教室" in week
    # A week across two months goes back to the month of the day asked for.
    across = staff_client.get("/manage/shibuya/calendar?view=week&date=2027-02-01")
    assert "?view=month&amp;date=2027-02-01" in across.get_data(as_text=True)
