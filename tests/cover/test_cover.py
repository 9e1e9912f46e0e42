"""Cover: offered in waves through the outbox, taken once, the rest told the truth."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.cover import services
from inclusion.cover.models import CoverOffer, CoverStatus, OfferAnswer
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.reminders import dispatch
from inclusion.reminders.channels import ConsoleChannel
from inclusion.reminders.media import Medium
from inclusion.reminders.models import COVER_DONE, COVER_OFFER, Reminder, ReminderStatus
from inclusion.sessions.models import Topic
from inclusion.volunteers.models import (
    Shift,
    ShiftOrigin,
    ShiftRole,
    ShiftStatus,
    Skill,
    TrainingLevel,
)
from tests import factories
from tests.cover.conftest import calling_time, helped_at, volunteer


def offered(request) -> dict[int, int]:
    """Who was asked (user id → wave)."""
    rows = db.session.execute(
        sa.select(CoverOffer.user_id, CoverOffer.wave).where(CoverOffer.request_id == request.id)
    )
    return dict(rows.all())


def messages(kind: str = COVER_OFFER) -> list[Reminder]:
    return list(db.session.scalars(sa.select(Reminder).where(Reminder.kind == kind)))


def test_those_who_know_the_venue_are_asked_first_then_everyone_qualified(app, scene):
    request = services.request_cover(scene.asker, scene.shift, "孫の運動会です")
    assert request.status == CoverStatus.OPEN and request.wave == services.KNOW_THE_VENUE
    assert offered(request) == {scene.regular.id: 1}
    [message] = messages()
    assert (message.user_id, message.channel, message.to_e164) == (
        scene.regular.id, Medium.EMAIL, f"u{scene.regular.id}",
    )  # fmt: skip
    assert message.shift_id == scene.shift.id and message.status == ReminderStatus.PENDING
    # The shift stays the asker's until someone takes it.
    assert scene.shift.status == ShiftStatus.CLAIMED
    gap = timedelta(minutes=app.config["COVER_WAVE_MINUTES"])
    assert services.advance(request.created_dt + gap - timedelta(minutes=1)).waves == 0
    assert services.advance(request.created_dt + gap + timedelta(minutes=1)).waves == 1
    db.session.refresh(request)
    assert request.wave == services.EVERYONE and request.next_wave_dt is None
    assert offered(request) == {scene.regular.id: 1, scene.newcomer.id: 2}
    # Nobody is asked twice, and no third wave comes.
    assert services.advance(request.created_dt + 3 * gap).waves == 0
    assert len(messages()) == 2


def test_only_the_qualified_are_asked(scene, shibuya, shinagawa):
    session = scene.session
    session.topics = [Topic.LINE]
    scene.newcomer.volunteer_profile.skills = []
    skilled = volunteer(shibuya)
    skilled.volunteer_profile.skills = [Skill.LINE.value]
    scene.regular.volunteer_profile.skills = [Skill.LINE.value]
    untrained = volunteer(shibuya, level=None)
    untrained.volunteer_profile.skills = [Skill.LINE.value]
    paused = volunteer(shibuya)
    paused.volunteer_profile.skills, paused.volunteer_profile.is_paused = [Skill.LINE.value], True
    busy = volunteer(shibuya)
    busy.volunteer_profile.skills = [Skill.LINE.value]
    clash = factories.make_session(factories.make_venue(shibuya), starts_dt=session.starts_dt)
    factories.make_shift(clash, busy)
    unreachable = volunteer(shibuya, by=Medium.SMS)
    unreachable.volunteer_profile.skills = [Skill.LINE.value]
    unreachable.volunteer_profile.mobile_e164 = None
    elsewhere = volunteer(shinagawa)
    elsewhere.volunteer_profile.skills = [Skill.LINE.value]
    db.session.flush()
    request = services.request_cover(scene.asker, scene.shift)
    services.advance(request.created_dt + timedelta(days=1, minutes=-1))
    assert set(offered(request)) == {scene.regular.id, skilled.id}


def test_a_lead_place_is_offered_to_leads_only(scene, shibuya):
    session = scene.session
    session.lead_needed = 1
    lead_shift = factories.make_shift(
        session, volunteer(shibuya, level=TrainingLevel.LEAD), ShiftRole.LEAD
    )
    other_lead = volunteer(shibuya, level=TrainingLevel.LEAD)
    request = services.request_cover(lead_shift.volunteer, lead_shift)
    services.advance(request.created_dt + timedelta(hours=3))
    assert set(offered(request)) == {other_lead.id}


def test_the_first_yes_takes_the_shift_and_the_rest_are_told_the_truth(app, scene):
    request = services.request_cover(scene.asker, scene.shift)
    services.advance(request.created_dt + timedelta(hours=3))
    answer = services.take_cover(scene.newcomer, request)
    assert answer.took_it and "あなたの活動になりました" in answer.message
    new_shift = answer.shift
    assert (new_shift.user_id, new_shift.role, new_shift.origin) == (
        scene.newcomer.id, ShiftRole.ASSISTANT, ShiftOrigin.COVER,
    )  # fmt: skip
    assert new_shift.status == ShiftStatus.CLAIMED and not new_shift.from_pool
    assert scene.shift.status == ShiftStatus.RELEASED
    assert scene.shift.released_by_id == scene.asker.id
    assert (request.status, request.covered_by_id, request.new_shift_id) == (
        CoverStatus.COVERED, scene.newcomer.id, new_shift.id,
    )  # fmt: skip
    late = services.take_cover(scene.regular, request)
    assert late.outcome == OfferAnswer.TOO_LATE and not late.took_it
    assert "ほかの方がすでに引き受けてくださいました" in late.message
    answers = {offer.user_id: offer.answer for offer in request.offers}
    assert answers == {
        scene.regular.id: OfferAnswer.TOO_LATE,
        scene.newcomer.id: OfferAnswer.TAKEN,
    }
    # The offers still waiting go nowhere; the asker hears that someone took it.
    assert [m.status for m in messages()] == [ReminderStatus.CANCELLED] * 2
    [done] = messages(COVER_DONE)
    assert done.user_id == scene.asker.id and done.shift_id == new_shift.id
    assert dispatch.dispatch_once(calling_time(scene.session), ConsoleChannel()).sent == 1
    db.session.refresh(done)
    assert done.status == ReminderStatus.SENT and "代わりの方が見つかりました" in done.body
    assert f"「{scene.session.title}」のアシスタントは" in done.body
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert {"cover.request", "cover.offer", "cover.take", "shift.claim"} <= set(actions)


def test_an_offer_is_refused_to_whoever_it_was_not_made_to(scene, shibuya):
    request = services.request_cover(scene.asker, scene.shift)
    with pytest.raises(RuleViolation, match="あなたにお願いしたものではありません"):
        services.take_cover(scene.newcomer, request)
    with pytest.raises(RuleViolation, match="あなたにお願いしたものではありません"):
        services.take_cover(scene.asker, request)


def test_a_clash_since_the_offer_refuses_the_taker_and_changes_nothing(scene, shibuya):
    request = services.request_cover(scene.asker, scene.shift)
    same_time = factories.make_session(
        factories.make_venue(shibuya), starts_dt=scene.session.starts_dt
    )
    factories.make_shift(same_time, scene.regular)
    with pytest.raises(RuleViolation, match="時間が近すぎます"):
        services.take_cover(scene.regular, request)
    db.session.rollback()


def test_when_the_first_wave_all_decline_the_next_goes_at_once(scene):
    request = services.request_cover(scene.asker, scene.shift)
    answer = services.decline_cover(scene.regular, request)
    assert answer.outcome == OfferAnswer.DECLINED
    assert offered(request) == {scene.regular.id: 1, scene.newcomer.id: 2}
    # Saying no twice changes nothing.
    services.decline_cover(scene.regular, request)
    assert len(messages()) == 2


def test_withdrawing_stops_the_offers_waiting(scene):
    request = services.request_cover(scene.asker, scene.shift)
    services.withdraw_cover(scene.asker, request)
    assert request.status == CoverStatus.WITHDRAWN
    assert [m.status for m in messages()] == [ReminderStatus.CANCELLED]
    told = services.take_cover(scene.regular, request)
    assert not told.took_it and "募集は終わりました" in told.message
    assert scene.shift.status == ShiftStatus.CLAIMED
    with pytest.raises(RuleViolation):
        services.withdraw_cover(scene.regular, request)


def test_asking_twice_finds_the_open_request(scene):
    first = services.request_cover(scene.asker, scene.shift)
    assert services.request_cover(scene.asker, scene.shift) is first
    with pytest.raises(RuleViolation, match="あなたの活動ではありません"):
        services.request_cover(scene.regular, scene.shift)


def test_cancelling_the_session_closes_the_request_and_its_offers(scene):
    from inclusion.sessions.services import cancel_session

    request = services.request_cover(scene.asker, scene.shift)
    cancel_session(factories.make_user(ward=scene.ward), scene.session, "台風のため")
    db.session.flush()
    db.session.refresh(request)
    assert request.status == CoverStatus.CLOSED
    assert [m.status for m in messages()] == [ReminderStatus.CANCELLED]


def test_a_session_that_begins_uncovered_closes_as_unfilled(scene):
    request = services.request_cover(scene.asker, scene.shift)
    assert services.advance(scene.session.starts_dt + timedelta(minutes=1)).closed == 1
    db.session.refresh(request)
    assert request.status == CoverStatus.UNFILLED
    assert scene.shift.status == ShiftStatus.CLAIMED


def test_messages_say_what_is_asked_in_each_medium(app, scene, shibuya):
    scene.regular.volunteer_profile.offers_by = Medium.SMS
    scene.regular.volunteer_profile.mobile_e164 = "+819011112222"
    scene.newcomer.volunteer_profile.offers_by = Medium.VOICE
    scene.newcomer.volunteer_profile.mobile_e164 = "+819033334444"
    helped_at(scene.newcomer, scene.session)
    mailed = volunteer(shibuya)
    helped_at(mailed, scene.session)
    services.request_cover(scene.asker, scene.shift)
    result = dispatch.dispatch_once(calling_time(scene.session), ConsoleChannel())
    assert result.sent == 3
    by_user = {m.user_id: m for m in messages()}
    sms = by_user[scene.regular.id].body
    assert sms.startswith("【渋谷区】代わりの支援員募集") and "代わり・交代" in sms
    assert len(sms) <= 70
    voice = by_user[scene.newcomer.id].body
    assert "代わりの支援員を探しています" in voice and "アシスタント" in voice
    mail = by_user[mailed.id].body
    subject, _, body = mail.partition("\n")
    assert subject.startswith("【渋谷区】代わりの支援員を探しています")
    assert scene.session.title in body and "/me/cover" in body


def test_staff_are_alerted_once_at_the_ward_s_hours_before_the_session(scene, users):
    request = services.request_cover(scene.asker, scene.shift)
    starts = scene.session.starts_dt
    assert services.advance(starts - timedelta(hours=49)).alerted == []
    assert services.advance(starts - timedelta(hours=47)).alerted == [request.id]
    assert services.advance(starts - timedelta(hours=46)).alerted == []
    db.session.refresh(request)
    assert request.alerted_dt == starts - timedelta(hours=47)
    scene.ward.cover_alert_hours = 24
    other = factories.make_shift(scene.session, scene.regular, slot_number=2)
    second = services.request_cover(scene.regular, other)
    assert services.advance(starts - timedelta(hours=25)).alerted == []
    assert services.advance(starts - timedelta(hours=23)).alerted == [second.id]


def test_figures_count_cover_swaps_the_pool_unfilled_places_and_time_to_cover(scene, shibuya):
    from inclusion.cover.figures import cover_figures
    from inclusion.targets.metrics import Scope

    request = services.request_cover(scene.asker, scene.shift)
    services.advance(request.created_dt + timedelta(hours=3))
    request.created_dt = clock.now() - timedelta(hours=5)
    services.take_cover(scene.newcomer, request)
    year = clock.fiscal_year(clock.to_local(scene.session.starts_dt).date())
    table = cover_figures(Scope(year), now=scene.session.starts_dt + timedelta(minutes=1))
    mine = table.of(shibuya.id)
    assert (mine.by_cover, mine.by_swap, mine.from_pool) == (1, 0, 0)
    # Two places needed: one held throughout (asker, then newcomer), one never filled.
    assert (mine.unfilled_48h, mine.unfilled_at_start) == (1, 1)
    assert mine.median_hours == pytest.approx(5, abs=0.05)
    assert table.of(None).by_cover == 1 and table.of(None).median_hours == mine.median_hours


def test_the_outbox_never_sends_an_offer_once_the_shift_is_taken(scene):
    """The offer was claimed by a dispatcher just as someone said yes: the check right before
    sending finds the request no longer open."""
    request = services.request_cover(scene.asker, scene.shift)
    claimed, _ = dispatch.claim(calling_time(scene.session), 10)
    assert [message.reminder_id for message in claimed] == [messages()[0].id]
    services.take_cover(scene.regular, request)
    result = dispatch.DispatchResult()
    assert dispatch.wanted(claimed, calling_time(scene.session), result) == []
    assert result.cancelled == 1


def test_shifts_taken_over_keep_their_place_and_session(scene):
    request = services.request_cover(scene.asker, scene.shift)
    answer = services.take_cover(scene.regular, request)
    held = db.session.scalars(
        sa.select(Shift).where(
            Shift.session_id == scene.session.id, Shift.status != ShiftStatus.RELEASED
        )
    ).all()
    assert [shift.user_id for shift in held] == [scene.regular.id]
    assert answer.shift.slot_number == scene.shift.slot_number


def test_the_command_advances_as_the_scheduler_does(app, scene):
    request = services.request_cover(scene.asker, scene.shift)
    moment = clock.to_local(scene.session.starts_dt - timedelta(hours=47)).isoformat()
    result = app.test_cli_runner().invoke(args=["cover", "advance", "--now", moment])
    assert result.exit_code == 0, result.output
    assert "closed 0, second waves 1, alerted 1" in result.output
    db.session.refresh(request)
    assert request.alerted_dt is not None and request.wave == services.EVERYONE


def test_when_nobody_can_be_asked_staff_are_alerted_at_once(client, scene):
    from tests.conftest import log_in

    scene.regular.is_active = scene.newcomer.is_active = False
    db.session.flush()
    log_in(client, scene.asker)
    told = client.post(f"/me/shifts/{scene.shift.id}/cover", follow_redirects=True)
    assert "区職員に知らせます" in told.get_data(as_text=True)
    request = db.session.scalar(sa.select(services.CoverRequest))
    assert request.offers == [] and request.wave == services.EVERYONE
    assert services.advance(clock.now()).alerted == [request.id]


def test_saying_yes_twice_is_told_it_is_theirs(scene):
    request = services.request_cover(scene.asker, scene.shift)
    first = services.take_cover(scene.regular, request)
    again = services.take_cover(scene.regular, request)
    assert again.took_it and again.shift == first.shift
    assert "あなたの活動になりました" in again.message


def test_a_withdrawn_request_answers_without_calling_it_late(scene):
    request = services.request_cover(scene.asker, scene.shift)
    services.withdraw_cover(scene.asker, request)
    told = services.take_cover(scene.regular, request)
    assert told.outcome == CoverStatus.WITHDRAWN
    assert [offer.answer for offer in request.offers] == [None]


def test_an_answered_offer_is_not_sent_afterwards(scene):
    """Declined on the page while the SMS waited for the morning: it no longer goes."""
    request = services.request_cover(scene.asker, scene.shift)
    services.decline_cover(scene.regular, request)
    dispatch.dispatch_once(calling_time(scene.session), ConsoleChannel())
    statuses = {m.user_id: m.status for m in messages()}
    assert statuses == {scene.regular.id: ReminderStatus.CANCELLED,
                        scene.newcomer.id: ReminderStatus.SENT}  # fmt: skip


def test_asking_again_asks_nobody_twice(scene):
    first = services.request_cover(scene.asker, scene.shift)
    services.decline_cover(scene.regular, first)
    services.withdraw_cover(scene.asker, first)
    again = services.request_cover(scene.asker, scene.shift)
    assert again.id != first.id and again.offers == []
    assert len(messages()) == 2


def test_an_offer_to_a_pool_volunteer_stops_when_the_ward_closes_the_pool(scene, shinagawa):
    from inclusion.volunteers import pool

    outsider = volunteer(shinagawa)
    outsider.volunteer_profile.in_pool = True
    outsider.volunteer_profile.pool_wards = [scene.ward]
    helped_at(outsider, scene.session)
    scene.session.pool_open = True
    db.session.flush()
    request = services.request_cover(scene.asker, scene.shift)
    assert outsider.id in offered(request)
    pool.open_to_pool(scene.asker, scene.session, False)
    dispatch.dispatch_once(calling_time(scene.session), ConsoleChannel())
    statuses = {m.user_id: m.status for m in messages()}
    assert statuses[outsider.id] == ReminderStatus.CANCELLED
    assert statuses[scene.regular.id] == ReminderStatus.SENT
