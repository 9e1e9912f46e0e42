"""The 23 wards' pool: a volunteer of one ward takes a shift another ward opened to it; the
host ward sees only what the volunteer shares; hours count for host and home."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.cover import services as cover
from inclusion.cover.figures import cover_figures
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.targets.metrics import Scope, volunteer_hours, volunteers_trained
from inclusion.volunteers import pool, services
from inclusion.volunteers.models import Shift, ShiftRole, ShiftStatus, Skill
from inclusion.wards.services import find_ward
from tests import factories
from tests.conftest import log_in
from tests.cover.conftest import helped_at, volunteer


@pytest.fixture
def lesson(shibuya):
    return factories.make_session(factories.make_venue(shibuya), lead_needed=0)


@pytest.fixture
def helper(shinagawa, shibuya):
    """A Shinagawa volunteer in the pool, offering Shibuya; shares skills, not contact."""
    person = volunteer(shinagawa, display_name="品川 花子")
    profile = person.volunteer_profile
    profile.in_pool, profile.pool_wards, profile.pool_shares_skills = True, [shibuya], True
    profile.skills = [Skill.LINE.value]
    profile.mobile_e164 = "+819087654321"
    profile.languages, profile.availability_notes = "Português", "火曜の午後は通院"
    profile.name_kana = "しながわ はなこ"
    db.session.flush()
    return person


def test_a_pool_shift_is_taken_only_once_the_ward_opens_it(client, users, lesson, helper):
    log_in(client, helper)
    assert lesson.title not in client.get("/shifts").get_data(as_text=True)
    with pytest.raises(RuleViolation):
        services.claim_shift(helper, lesson, ShiftRole.ASSISTANT)
    client.post("/logout")
    log_in(client, users["ward_staff"])
    client.post(f"/manage/shibuya/sessions/{lesson.id}/pool", data={"open": "1"})
    assert lesson.pool_open
    assert "プールへの公開をやめる" in client.get(
        f"/manage/shibuya/sessions/{lesson.id}"
    ).get_data(as_text=True)
    client.post("/logout")
    log_in(client, helper)
    assert lesson.title in client.get("/shifts").get_data(as_text=True)
    client.post(f"/shifts/{lesson.id}/claim", data={"role": "assistant"})
    shift = db.session.scalar(sa.select(Shift).where(Shift.user_id == helper.id))
    assert shift.from_pool and shift.status == ShiftStatus.CLAIMED
    details = db.session.scalar(
        sa.select(AuditLog.details).where(AuditLog.action == "shift.claim")
    )
    assert details["from_pool"] is True
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "session.pool"))


def test_a_ward_not_offered_stays_closed_even_when_opened(client, shinagawa):
    minato = find_ward("minato")
    person = volunteer(shinagawa)
    person.volunteer_profile.in_pool = True
    person.volunteer_profile.pool_wards = [find_ward("shibuya")]
    opened = factories.make_session(factories.make_venue(minato), pool_open=True)
    assert not pool.may_help(person.volunteer_profile, opened)


def test_how_far_they_travel_opens_the_wards_near_their_own(shibuya):
    meguro, edogawa = find_ward("meguro"), find_ward("edogawa")
    near, far = volunteer(meguro), volunteer(edogawa)
    for person in (near, far):
        person.volunteer_profile.in_pool, person.volunteer_profile.pool_max_km = True, 5
    opened = factories.make_session(factories.make_venue(shibuya), pool_open=True)
    assert pool.km_between(meguro, shibuya) == pytest.approx(2.5, abs=1.0)
    assert pool.may_help(near.volunteer_profile, opened)
    assert not pool.may_help(far.volunteer_profile, opened)
    assert shibuya.id in pool.pool_ward_ids(near.volunteer_profile)
    # The SQL form agrees: cover is offered to the near one only.
    asker = volunteer(shibuya)
    shift = factories.make_shift(opened, asker)
    request = cover.request_cover(asker, shift)
    assert {offer.user_id for offer in request.offers} == {near.id}


def test_staff_of_the_host_ward_see_only_what_is_shared(client, users, lesson, helper):
    lesson.pool_open = True
    services.claim_shift(helper, lesson, ShiftRole.ASSISTANT)
    log_in(client, users["ward_staff"])
    detail = client.get(f"/manage/shibuya/sessions/{lesson.id}").get_data(as_text=True)
    assert "品川 花子" in detail and "プールから" in detail
    assert f"/manage/shibuya/pool/{helper.id}" in detail
    page = client.get(f"/manage/shibuya/pool/{helper.id}").get_data(as_text=True)
    # The card itself, not the menu (which links to staff training).
    card = page[page.index("<main") : page.index("</main>")]
    assert "品川 花子" in card and "LINE" in card and "研修" not in card
    for private in ("090-8765-4321", helper.email, "Português", "通院", "しながわ はなこ"):
        assert private not in page
    assert client.get(f"/manage/shibuya/volunteers/{helper.id}").status_code == 404
    viewed = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "volunteer.pool_card"))
    assert viewed.target_id == helper.id and viewed.ward_id == lesson.ward_id
    helper.volunteer_profile.pool_shares_contact = True
    helper.volunteer_profile.pool_shares_skills = False
    db.session.flush()
    shared = client.get(f"/manage/shibuya/pool/{helper.id}").get_data(as_text=True)
    assert "090-8765-4321" in shared and helper.email in shared and "LINE" not in shared
    # Someone who never helped here is not shown at all.
    stranger = volunteer(find_ward("shinagawa"))
    assert client.get(f"/manage/shibuya/pool/{stranger.id}").status_code == 404


def test_hours_count_for_the_host_and_separately_for_home(
    client, users, lesson, helper, shinagawa
):
    lesson.pool_open = True
    shift = services.claim_shift(helper, lesson, ShiftRole.ASSISTANT)
    shift.status = ShiftStatus.ATTENDED
    lesson.starts_dt, lesson.ends_dt = (
        clock.now() - timedelta(hours=3), clock.now() - timedelta(hours=1, minutes=30),
    )  # fmt: skip
    db.session.flush()
    year = clock.fiscal_year(clock.today())
    hours = volunteer_hours(Scope(year))
    assert hours.value(lesson.ward_id) == pytest.approx(1.5)
    assert hours.value(shinagawa.id) is None or hours.value(shinagawa.id) == 0
    figures = cover_figures(Scope(year))
    assert figures.of(shinagawa.id).pool_hours_away == pytest.approx(1.5)
    assert figures.of(lesson.ward_id).from_pool == 1
    assert figures.of(None).pool_hours_away == pytest.approx(1.5)
    # Trained once, in the ward the volunteer belongs to, whatever ward they help in.
    trained = volunteers_trained(Scope(year))
    assert trained.value(shinagawa.id) == 1 and not trained.value(lesson.ward_id)
    assert trained.value(None) == 1
    log_in(client, factories.make_user(ward=shinagawa))
    away = client.get("/manage/shinagawa/volunteers/elsewhere").get_data(as_text=True)
    assert "品川 花子" in away and lesson.title in away and "1.5" in away


def test_joining_the_pool_from_the_profile(client, shinagawa, shibuya):
    person = volunteer(shinagawa)
    log_in(client, person)
    form = client.get("/me/profile").get_data(as_text=True)
    assert "23区の支援員プールに参加する" in form and "渋谷区（約" in form
    base = {"display_name": person.display_name, "wards": [shinagawa.id], "offers_by": "email"}
    refused = client.post("/me/profile", data={**base, "in_pool": "y"})
    assert refused.status_code == 422 and not person.volunteer_profile.in_pool
    saved = client.post(
        "/me/profile",
        data={**base, "in_pool": "y", "pool_wards": [shibuya.id], "pool_max_km": "3",
              "pool_shares_contact": "y"},
    )  # fmt: skip
    assert saved.status_code == 302
    profile = person.volunteer_profile
    assert profile.in_pool and profile.pool_wards == [shibuya] and profile.pool_max_km == 3
    assert profile.pool_shares_contact and not profile.pool_shares_skills
    by_sms = client.post("/me/profile", data={**base, "offers_by": "sms"})
    assert by_sms.status_code == 422 and profile.offers_by == "email"


def test_a_pool_volunteer_is_asked_to_cover_only_where_the_ward_opened(lesson, helper, shibuya):
    asker = volunteer(shibuya)
    shift = factories.make_shift(lesson, asker)
    helped_at(helper, lesson)
    closed = cover.request_cover(asker, shift)
    assert helper.id not in {offer.user_id for offer in closed.offers}
    cover.withdraw_cover(asker, closed)
    lesson.pool_open = True
    db.session.flush()
    opened = cover.request_cover(asker, shift)
    assert helper.id in {offer.user_id for offer in opened.offers}
    answer = cover.take_cover(helper, opened)
    assert answer.shift.from_pool
