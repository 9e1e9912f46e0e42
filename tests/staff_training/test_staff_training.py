"""Digital training for ward staff through its pages: adding a date, staff taking a place,
attendance as completion, the ward's list of who has yet to complete the mandatory course,
and the two figures on the targets dashboard."""

import threading
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.auth.models import User
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.staff_training import services
from inclusion.staff_training.models import (
    EnrolmentStatus,
    StaffCourse,
    StaffEnrolment,
    StaffTraining,
)
from inclusion.targets.metrics import Scope, dx_leaders, staff_literacy
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import log_in, own_database_app


def text(response) -> str:
    assert response.status_code in (200, 422), response.status_code
    return response.get_data(as_text=True)


def form(day_offset: int = 14, **changes) -> dict:
    day = clock.today() + timedelta(days=day_offset)
    return {"course": "literacy", "title": "デジタルリテラシー研修（基礎）", "ward": "0",
            "place": "区役所 第1研修室", "day": day.isoformat(), "starts": "14:00",
            "ends": "16:00", "capacity": "30", **changes}  # fmt: skip


def test_the_office_adds_a_training_for_every_ward_and_staff_take_places(client, users):
    log_in(client, users["coordinator"])
    assert client.post("/staff-training/new", data=form(day_offset=-1)).status_code == 422
    assert "終了" in text(client.post("/staff-training/new", data=form(ends="13:00")))
    assert client.post("/staff-training/new", data=form(capacity="0")).status_code == 422
    added = client.post("/staff-training/new", data=form())
    assert added.status_code == 302
    training = db.session.scalar(sa.select(StaffTraining))
    assert training.ward_id is None and training.course == StaffCourse.LITERACY
    client.post("/logout")
    log_in(client, users["ward_staff"])
    listed = text(client.get("/staff-training"))
    assert "デジタルリテラシー研修（基礎）" in listed and "全区" in listed
    path = f"/staff-training/{training.id}"
    assert (
        client.post(f"{path}/enrol", data={"next": "list"})
        .headers["Location"]
        .endswith("/staff-training")
    )
    again = client.post(f"{path}/enrol", follow_redirects=True)
    assert "すでに申し込んでいます" in text(again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffEnrolment)) == 1
    client.post(f"{path}/leave")
    client.post(f"{path}/enrol")
    statuses = db.session.scalars(sa.select(StaffEnrolment.status).order_by(StaffEnrolment.id))
    assert list(statuses) == [EnrolmentStatus.CANCELLED, EnrolmentStatus.ENROLLED]
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"staff_training.create", "staff_training.enrol", "staff_training.leave"} <= actions


def test_ward_staff_organise_their_own_ward_s_only(client, users, shibuya, shinagawa):
    log_in(client, users["ward_staff"])  # Shibuya's
    refused = client.post("/staff-training/new", data=form(ward=str(shinagawa.id)))
    assert refused.status_code == 422
    assert client.post("/staff-training/new", data=form(ward=str(shibuya.id))).status_code == 302
    own = db.session.scalar(sa.select(StaffTraining))
    assert own.ward_id == shibuya.id
    client.post("/logout")
    log_in(client, users["other_ward_staff"])
    assert client.get(f"/staff-training/{own.id}").status_code == 404
    assert client.post(f"/staff-training/{own.id}/enrol").status_code == 404
    assert "デジタルリテラシー研修（基礎）" not in text(client.get("/staff-training"))


def started_training(ward=None, course=StaffCourse.LITERACY, capacity=30) -> StaffTraining:
    """A training that ended an hour ago (rows only)."""
    starts = clock.now() - timedelta(hours=3)
    training = StaffTraining(course=course, title=course.label, place="研修室",
                             ward_id=ward.id if ward else None, starts_dt=starts,
                             ends_dt=starts + timedelta(hours=2), capacity=capacity)  # fmt: skip
    db.session.add(training)
    db.session.flush()
    return training


def test_attendance_is_completion_and_the_ward_sees_who_is_yet_to_complete(client, users,
                                                                           shibuya):  # fmt: skip
    training = started_training(shibuya)
    done = factories.make_user(ward=shibuya, display_name="修了 花子")
    late = factories.make_user(ward=shibuya, display_name="未受講 次郎")
    came = factories.make_user(ward=shibuya, display_name="飛込 三郎", email="walkin@example.jp")
    organiser = users["ward_staff"]
    places = {user.id: StaffEnrolment(training_id=training.id, user_id=user.id)
              for user in (done, late, organiser)}  # fmt: skip
    db.session.add_all(places.values())
    db.session.flush()
    log_in(client, organiser)
    # Held, it is listed for its organisers to record attendance.
    assert "最近開催した研修" in text(client.get("/staff-training"))
    page = f"/staff-training/{training.id}"
    assert "出席" in text(client.get(page))
    client.post(f"{page}/places/{places[done.id].id}", data={"attended": "yes"})
    client.post(f"{page}/places/{places[late.id].id}", data={"attended": "no"})
    # Junk changes nothing; one's own attendance is for another organiser to record.
    junk = client.post(f"{page}/places/{places[done.id].id}", data={"attended": "maybe"},
                       follow_redirects=True)  # fmt: skip
    assert "出席か欠席を選んでください" in text(junk)
    own = client.post(f"{page}/places/{places[organiser.id].id}", data={"attended": "yes"},
                      follow_redirects=True)  # fmt: skip
    assert "ほかの主催者" in text(own) and places[organiser.id].completed_on is None
    # Someone who came without a place is added, then marked.
    added = client.post(f"{page}/add", data={"email": "WALKIN@example.jp"}, follow_redirects=True)
    assert "飛込 三郎さんを申込みに加えました" in text(added)
    walk_in = db.session.scalar(sa.select(StaffEnrolment).where(StaffEnrolment.user_id == came.id))
    client.post(f"{page}/places/{walk_in.id}", data={"attended": "yes"})
    assert walk_in.status == EnrolmentStatus.ATTENDED
    assert places[done.id].completed_on == clock.to_local(training.starts_dt).date()
    assert places[late.id].status == EnrolmentStatus.ABSENT
    assert places[late.id].completed_on is None
    progress = text(client.get("/manage/shibuya/staff-training"))
    before, after = progress.split("必須研修の修了者", 1)
    assert "未受講 次郎" in before and done.display_name in after and "飛込 三郎" in after
    assert "職員4人のうち2人" in progress
    # Another ward's staff cannot record it, even for a training of every ward.
    every = started_training()
    theirs = StaffEnrolment(training_id=every.id, user_id=done.id)
    db.session.add(theirs)
    db.session.flush()
    with pytest.raises(RuleViolation):
        services.record_attendance(users["other_ward_staff"], theirs, True)


def test_cancelling_a_training_asks_first_and_gives_up_its_places(client, users):
    log_in(client, users["coordinator"])
    client.post("/staff-training/new", data=form())
    training = db.session.scalar(sa.select(StaffTraining))
    services.enrol(users["ward_staff"], training)
    path = f"/staff-training/{training.id}/cancel"
    asked = client.post(path)
    assert asked.status_code == 200 and 'name="confirmed"' in asked.get_data(as_text=True)
    assert training.cancelled_dt is None
    assert client.post(path, data={"confirmed": "yes"}).status_code == 302
    assert training.is_cancelled
    assert db.session.scalar(sa.select(StaffEnrolment.status)) == EnrolmentStatus.CANCELLED


def test_the_two_figures_per_ward_and_in_all(client, users, shibuya, shinagawa):
    literacy, leaders = started_training(), started_training(course=StaffCourse.DX_LEADER)
    other = factories.make_user(ward=shibuya)
    away = factories.make_user(ward=shinagawa)
    for training, user in ((literacy, users["ward_staff"]), (leaders, users["ward_staff"]),
                           (leaders, away)):  # fmt: skip
        db.session.add(StaffEnrolment(training_id=training.id, user_id=user.id,
                                      status=EnrolmentStatus.ATTENDED,
                                      completed_on=clock.today()))  # fmt: skip
    db.session.flush()
    scope = Scope(clock.fiscal_year(clock.today()))
    shares = staff_literacy(scope)
    # Shibuya: 1 of 2 active staff (the fixture's and ``other``); Shinagawa: 0 of 2.
    assert shares.value(shibuya.id) == 50 and shares.value(shinagawa.id) == 0
    assert shares.value(None) == 25
    assert other.id and dx_leaders(scope).value(None) == 2
    log_in(client, users["coordinator"])
    page = text(client.get("/targets"))
    assert "デジタルリテラシー研修を修了した職員" in page and "DX推進リーダー" in page


def test_the_ward_page_keeps_its_query_count(client, users, shibuya, constant_queries):
    def more(count: int) -> None:
        for _ in range(count):
            factories.make_user(ward=shibuya)

    log_in(client, users["ward_staff"])
    constant_queries(client, "/manage/shibuya/staff-training", more)
    constant_queries(client, "/staff-training", lambda count: [
        started_training(shibuya) for _ in range(count)])  # fmt: skip


@pytest.fixture(scope="module")
def race_app(backend, tmp_path_factory):
    with own_database_app(
        backend, tmp_path_factory, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 15}
    ) as app:
        with app.app_context():
            ward = find_ward("shibuya")
            starts = clock.to_utc(clock.today() + timedelta(days=7), time(14))
            training = StaffTraining(course=StaffCourse.LITERACY, title="最後の1席", ward_id=None,
                                     place="研修室", starts_dt=starts,
                                     ends_dt=starts + timedelta(hours=2), capacity=1)  # fmt: skip
            db.session.add(training)
            staff = [factories.make_user(ward=ward).id for _ in range(10)]
            db.session.commit()
            app.config["race"] = (training.id, staff)
        yield app


@pytest.mark.xdist_group("heavy")
def test_ten_staff_for_the_last_place_at_once_one_gets_it(race_app):
    training_id, staff = race_app.config["race"]
    barrier = threading.Barrier(len(staff))
    outcomes: list[str] = []

    def take(user_id: int) -> None:
        with race_app.app_context():
            barrier.wait(timeout=60)
            try:
                services.enrol(db.session.get(User, user_id),
                               db.session.get(StaffTraining, training_id))  # fmt: skip
                db.session.commit()
                outcomes.append("taken")
            except RuleViolation:
                db.session.rollback()
                outcomes.append("full")
            except Exception as error:  # anything else fails the test
                db.session.rollback()
                outcomes.append(f"error: {error!r}")

    threads = [threading.Thread(target=take, args=(user_id,)) for user_id in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["full"] * 9 + ["taken"]
    with race_app.app_context():
        held = db.session.scalar(
            sa.select(sa.func.count()).where(StaffEnrolment.training_id == training_id)
        )
        assert held == 1
