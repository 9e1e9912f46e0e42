"""Cover and swaps through the pages, as volunteers and staff use them."""

from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from inclusion.audit.models import AuditLog
from inclusion.calendar import services as calendar_services
from inclusion.calendar.models import FeedKind
from inclusion.cover import services
from inclusion.cover.models import CoverRequest, CoverStatus, SwapRequest, SwapStatus
from inclusion.extensions import db
from inclusion.volunteers.models import Shift, ShiftOrigin, ShiftStatus
from tests import factories
from tests.conftest import log_in
from tests.cover.conftest import volunteer


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def uids(client, user) -> set[str]:
    raw = calendar_services.issue_token(user, FeedKind.VOLUNTEER)
    calendar = icalendar.Calendar.from_ical(client.get(f"/calendar/v/{raw}.ics").get_data())
    return {str(event["UID"]) for event in calendar.events}


def test_asking_for_cover_and_taking_it_through_the_pages(app, client, scene):
    log_in(client, scene.asker)
    shifts = page(client, "/me/shifts")
    assert f"/me/shifts/{scene.shift.id}/cover" in shifts and "代わりを頼む" in shifts
    assert "代わりを頼む" in page(client, f"/me/shifts/{scene.shift.id}/cover")
    asked = client.post(f"/me/shifts/{scene.shift.id}/cover", data={"note": "孫の運動会"},
                        follow_redirects=True)  # fmt: skip
    text = asked.get_data(as_text=True)
    assert "1人の支援員にお願いしました" in text and "代わりを募集中" in text
    assert "代わりを募集中です" in page(client, "/me/shifts")
    request = db.session.scalar(sa.select(CoverRequest))
    assert request.note == "孫の運動会"
    asker_feed = uids(client, scene.asker)
    assert f"shift-{scene.shift.id}@inclusion.invalid" in asker_feed

    client.post("/logout")
    log_in(client, scene.regular)
    offers = page(client, "/me/cover")
    assert scene.session.title in offers and "引き受ける" in offers and "孫の運動会" in offers
    took = client.post(f"/me/cover/{request.id}/take", follow_redirects=True)
    assert "あなたの活動になりました" in took.get_data(as_text=True)
    new_shift = db.session.get(Shift, request.new_shift_id)
    assert new_shift.user_id == scene.regular.id and new_shift.origin == ShiftOrigin.COVER
    # Both calendars follow: the shift left the asker's and joined the taker's.
    assert f"shift-{scene.shift.id}@inclusion.invalid" not in uids(client, scene.asker)
    assert f"shift-{new_shift.id}@inclusion.invalid" in uids(client, scene.regular)

    client.post("/logout")
    log_in(client, scene.asker)
    mine = page(client, "/me/cover")
    assert "代わりが決定" in mine and scene.regular.display_name in mine


def test_a_volunteer_sees_and_answers_only_offers_made_to_them(client, scene):
    request = services.request_cover(scene.asker, scene.shift)
    log_in(client, scene.newcomer)  # second wave: not asked yet
    assert scene.session.title not in page(client, "/me/cover")
    assert client.post(f"/me/cover/{request.id}/take").status_code == 404
    assert client.post(f"/me/cover/{request.id}/withdraw").status_code == 404
    assert client.get(f"/me/shifts/{scene.shift.id}/cover").status_code == 404
    assert request.status == CoverStatus.OPEN


def test_declining_and_withdrawing_through_the_pages(client, scene):
    request = services.request_cover(scene.asker, scene.shift)
    log_in(client, scene.regular)
    said = client.post(f"/me/cover/{request.id}/decline", follow_redirects=True)
    assert "お返事ありがとうございました" in said.get_data(as_text=True)
    client.post("/logout")
    log_in(client, scene.asker)
    assert "2人にお願いしました" in page(client, "/me/cover")
    client.post(f"/me/cover/{request.id}/withdraw")
    assert request.status == CoverStatus.WITHDRAWN and scene.shift.status == ShiftStatus.CLAIMED


def test_staff_see_who_was_asked_and_who_declined(client, users, scene):
    request = services.request_cover(scene.asker, scene.shift)
    services.decline_cover(scene.regular, request)
    log_in(client, users["ward_staff"])
    listed = page(client, "/manage/shibuya/cover")
    assert scene.asker.display_name in listed
    assert scene.regular.display_name in listed and "断った" in listed
    assert scene.newcomer.display_name in listed and "返事なし" in listed
    client.post(f"/manage/shibuya/cover/{request.id}/withdraw")
    assert request.status == CoverStatus.WITHDRAWN
    client.post("/logout")
    log_in(client, users["other_ward_staff"])
    assert client.get("/manage/shibuya/cover").status_code == 403
    assert client.post(f"/manage/shinagawa/cover/{request.id}/withdraw").status_code == 404


def test_the_home_page_alerts_staff_with_who_was_asked(client, users, scene):
    request = services.request_cover(scene.asker, scene.shift)
    services.decline_cover(scene.regular, request)
    log_in(client, users["ward_staff"])
    assert "代わりが見つからない" not in page(client, "/manage/shibuya")
    services.advance(scene.session.starts_dt - timedelta(hours=47))
    home = page(client, "/manage/shibuya")
    assert "回が近いのに代わりが見つからない活動が1件あります" in home
    assert f"{scene.regular.display_name}（断った）" in home
    assert f"{scene.newcomer.display_name}（返事なし）" in home
    assert request.alerted_dt is not None


def test_the_home_page_keeps_its_query_count_with_alerts(client, users, scene, shibuya,
                                                          constant_queries):  # fmt: skip
    days = iter(range(1, 200))

    def more(count: int) -> None:
        for _ in range(count):
            person = volunteer(shibuya)
            starts = scene.session.starts_dt + timedelta(days=next(days))
            session = factories.make_session(scene.session.venue, starts, lead_needed=0)
            request = services.request_cover(person, factories.make_shift(session, person))
            request.alerted_dt = request.created_dt

    log_in(client, users["ward_staff"])
    client.get("/manage/shibuya")  # the year's figures are counted once, then read
    constant_queries(client, "/manage/shibuya", more)


def test_a_swap_without_approval_takes_effect_when_the_other_agrees(client, scene, shibuya):
    later = factories.make_session(
        scene.session.venue, starts_dt=scene.session.starts_dt + timedelta(days=7)
    )
    theirs = factories.make_shift(later, scene.regular)
    log_in(client, scene.asker)
    form = page(client, f"/me/shifts/{scene.shift.id}/swap")
    assert later.title in form and scene.regular.display_name in form
    client.post(
        f"/me/shifts/{scene.shift.id}/swap", data={"wanted": theirs.id, "note": "すみません"}
    )
    swap = db.session.scalar(sa.select(SwapRequest))
    assert swap.status == SwapStatus.PROPOSED and swap.partner_id == scene.regular.id
    client.post("/logout")
    log_in(client, scene.regular)
    assert "交代のお願い" in page(client, "/me/cover")
    done = client.post(f"/me/swaps/{swap.id}/agree", follow_redirects=True)
    assert "交代しました" in done.get_data(as_text=True)
    assert swap.status == SwapStatus.DONE
    held = dict(
        db.session.execute(
            sa.select(Shift.session_id, Shift.user_id).where(Shift.status == ShiftStatus.CLAIMED)
        ).all()
    )
    assert held == {scene.session.id: scene.regular.id, later.id: scene.asker.id}
    origins = db.session.scalars(
        sa.select(Shift.origin).where(Shift.status == ShiftStatus.CLAIMED)
    ).all()
    assert origins == [ShiftOrigin.SWAP, ShiftOrigin.SWAP]
    assert db.session.scalar(
        sa.select(sa.func.count()).where(AuditLog.action == "swap.done")
    ) == 2  # fmt: skip


def test_a_swap_waits_for_staff_where_the_ward_asks(client, users, scene, shibuya):
    shibuya.swaps_need_approval = True
    later = factories.make_session(
        scene.session.venue, starts_dt=scene.session.starts_dt + timedelta(days=7)
    )
    theirs = factories.make_shift(later, scene.regular)
    swap = services.propose_swap(scene.asker, scene.shift, theirs)
    log_in(client, scene.regular)
    agreed = client.post(f"/me/swaps/{swap.id}/agree", follow_redirects=True)
    assert "区職員が承認すると交代します" in agreed.get_data(as_text=True)
    assert swap.status == SwapStatus.AGREED and scene.shift.user_id == scene.asker.id
    client.post("/logout")
    log_in(client, users["ward_staff"])
    assert "承認待ちの交代が1件あります" in page(client, "/manage/shibuya")
    assert "交代を承認する" in page(client, "/manage/shibuya/cover")
    client.post(f"/manage/shibuya/swaps/{swap.id}/approve")
    assert swap.status == SwapStatus.DONE and swap.decided_by_id == users["ward_staff"].id
    assert scene.shift.status == ShiftStatus.RELEASED and theirs.status == ShiftStatus.RELEASED


def test_staff_may_refuse_a_swap_and_nothing_changes(client, users, scene, shibuya):
    shibuya.swaps_need_approval = True
    later = factories.make_session(
        scene.session.venue, starts_dt=scene.session.starts_dt + timedelta(days=7)
    )
    theirs = factories.make_shift(later, scene.regular)
    swap = services.propose_swap(scene.asker, scene.shift, theirs)
    services.agree_swap(scene.regular, swap)
    log_in(client, users["ward_staff"])
    client.post(f"/manage/shibuya/swaps/{swap.id}/refuse")
    assert swap.status == SwapStatus.REFUSED
    assert scene.shift.status == ShiftStatus.CLAIMED and theirs.status == ShiftStatus.CLAIMED


def test_a_swap_is_refused_when_one_could_not_take_the_other_s_place(client, scene, shinagawa):
    stranger = volunteer(shinagawa)
    far = factories.make_session(factories.make_venue(shinagawa))
    theirs = factories.make_shift(far, stranger)
    with pytest.raises(services.RuleViolation):
        services.propose_swap(scene.asker, scene.shift, theirs)


def test_a_volunteer_answers_only_swaps_asked_of_them(client, scene, shibuya):
    later = factories.make_session(
        scene.session.venue, starts_dt=scene.session.starts_dt + timedelta(days=7)
    )
    swap = services.propose_swap(
        scene.asker, scene.shift, factories.make_shift(later, scene.regular)
    )
    log_in(client, scene.newcomer)
    assert client.post(f"/me/swaps/{swap.id}/agree").status_code == 404
    client.post("/logout")
    log_in(client, scene.asker)  # the proposer cannot agree in the partner's stead
    client.post(f"/me/swaps/{swap.id}/agree")
    assert swap.status == SwapStatus.PROPOSED


def test_the_ward_sets_its_rules_for_cover(client, users, shibuya):
    log_in(client, users["ward_staff"])
    assert "支援員：代わり・交代" in page(client, "/manage/shibuya/settings")
    bad = client.post("/manage/shibuya/settings/cover", data={"cover_alert_hours": "999"})
    assert bad.status_code == 422 and shibuya.cover_alert_hours == 48
    client.post(
        "/manage/shibuya/settings/cover",
        data={"swaps_need_approval": "y", "cover_alert_hours": "72"},
    )
    assert (shibuya.swaps_need_approval, shibuya.cover_alert_hours) == (True, 72)
    assert db.session.scalar(
        sa.select(AuditLog.action).where(AuditLog.action == "ward.cover_rules")
    )


def test_pages_of_cover_keep_their_query_count(client, users, scene, shibuya, constant_queries):
    """However many requests, offers and swaps: the ward's list and the volunteer's page."""

    days = iter(range(1, 200))

    def more(count: int) -> None:
        for _ in range(count):
            person = volunteer(shibuya)
            # A day each: the regular is free for every one of them.
            starts = scene.session.starts_dt + timedelta(days=next(days))
            session = factories.make_session(scene.session.venue, starts, lead_needed=0)
            request = services.request_cover(person, factories.make_shift(session, person))
            services.decline_cover(scene.regular, request)
            later = factories.make_session(
                scene.session.venue, starts + timedelta(hours=3), lead_needed=0
            )
            offered = factories.make_shift(later, person)
            wanted = factories.make_shift(later, scene.regular, slot_number=2)
            services.propose_swap(person, offered, wanted)

    log_in(client, users["ward_staff"])
    constant_queries(client, "/manage/shibuya/cover", more)
    client.post("/logout")
    log_in(client, scene.regular)
    constant_queries(client, "/me/cover", more)


def test_cover_pages_are_a_volunteer_s_own(client, users):
    log_in(client, users["ward_staff"])
    assert client.get("/me/cover").status_code == 403


def test_the_targets_dashboard_shows_cover_and_the_pool(client, users, scene, shibuya):
    request = services.request_cover(scene.asker, scene.shift)
    services.take_cover(scene.regular, request)
    log_in(client, users["ward_staff"])
    ward_page = page(client, "/manage/shibuya/targets")
    assert "代わりとプール" in ward_page and "代わりが決まるまで（中央値）" in ward_page
    client.post("/logout")
    log_in(client, users["coordinator"])
    all_wards = page(client, "/targets")
    section = all_wards[all_wards.index('id="cover-title"') :]
    section = section[: section.index("</section>")]
    assert "渋谷区" in section and "品川区" in section and "全区" in section
    row = section[section.index("渋谷区") :]
    assert '<td data-label="代わり">1</td>' in row[: row.index("</tr>")]


def swap_pair(scene):
    later = factories.make_session(
        scene.session.venue, starts_dt=scene.session.starts_dt + timedelta(days=7)
    )
    theirs = factories.make_shift(later, scene.regular)
    return services.propose_swap(scene.asker, scene.shift, theirs), theirs


def test_a_swap_asked_is_not_sent_once_withdrawn(scene):
    from inclusion.reminders import dispatch
    from inclusion.reminders.channels import ConsoleChannel
    from inclusion.reminders.models import SWAP_ASKED, Reminder, ReminderStatus
    from tests.cover.conftest import calling_time

    swap, _theirs = swap_pair(scene)
    services.close_swap(scene.asker, swap, SwapStatus.WITHDRAWN)
    dispatch.dispatch_once(calling_time(scene.session), ConsoleChannel())
    [asked] = db.session.scalars(sa.select(Reminder).where(Reminder.kind == SWAP_ASKED)).all()
    assert asked.user_id == scene.regular.id and asked.status == ReminderStatus.CANCELLED


def test_a_swap_lapses_when_one_of_its_shifts_is_given_up(client, users, scene, shibuya):
    from inclusion.volunteers.services import release_shift

    shibuya.swaps_need_approval = True
    swap, theirs = swap_pair(scene)
    services.agree_swap(scene.regular, swap)
    release_shift(users["ward_staff"], theirs)
    assert swap.status == SwapStatus.LAPSED
    log_in(client, users["ward_staff"])
    assert "承認待ちの交代" not in page(client, "/manage/shibuya")


def test_a_refusal_in_a_swap_names_whom_it_is_about(scene, shibuya):
    swap, theirs = swap_pair(scene)
    same_time = factories.make_session(
        factories.make_venue(shibuya), starts_dt=theirs.session.starts_dt
    )
    factories.make_shift(same_time, scene.asker)
    with pytest.raises(services.RuleViolation) as refused:
        services.agree_swap(scene.regular, swap)
    assert scene.asker.display_name in str(refused.value)


def test_only_a_ward_that_asks_for_approval_approves(client, scene, shibuya, shinagawa):
    shinagawa.swaps_need_approval = True
    stranger = volunteer(shinagawa)
    stranger.volunteer_profile.in_pool = True
    stranger.volunteer_profile.pool_wards = [shibuya]
    scene.session.pool_open = True
    far = factories.make_session(
        factories.make_venue(shinagawa), starts_dt=scene.session.starts_dt + timedelta(days=2)
    )
    scene.asker.volunteer_profile.in_pool = True
    scene.asker.volunteer_profile.pool_wards = [shinagawa]
    far.pool_open = True
    db.session.flush()
    swap = services.propose_swap(scene.asker, scene.shift, factories.make_shift(far, stranger))
    services.agree_swap(stranger, swap)
    assert swap.status == SwapStatus.AGREED
    shibuya_staff = factories.make_user(ward=shibuya)
    log_in(client, shibuya_staff)
    assert "交代を承認する" not in page(client, "/manage/shibuya/cover")
    assert client.post(f"/manage/shibuya/swaps/{swap.id}/approve").status_code == 404
    with pytest.raises(services.RuleViolation):
        services.approve_swap(shibuya_staff, swap)
    services.approve_swap(factories.make_user(ward=shinagawa), swap)
    assert swap.status == SwapStatus.DONE
