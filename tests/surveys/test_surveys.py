"""The surveys behind the 80 % and 95 % measures, through the Twilio fake and the pages: an
automatic call asks with keypad answers (or an SMS links to an answer page where the
sender allows it), under consent, stop and quiet hours; only those it does not reach are
left on the staff's call list; every answer is recorded, and the figures count them."""

import xml.etree.ElementTree as ElementTree
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.extensions import db
from inclusion.reminders import dispatch, planning, replies
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.residents.models import (
    BookingStatus,
    FollowUpAnswer,
    OptOutSource,
    ReminderChannel,
)
from inclusion.residents.queries import count_due_follow_ups, due_follow_ups
from inclusion.residents.services import set_opt_out
from inclusion.surveys import queries, services
from inclusion.surveys.models import SurveyAsk, SurveyKind, SurveyOutcome, SurveyVia
from inclusion.targets import metrics
from inclusion.targets.metrics import Scope
from inclusion.targets.models import Metric
from inclusion.targets.services import enter_survey
from tests import factories
from tests.conftest import log_in
from tests.reminders.fake_twilio import twilio_settings
from tests.reminders.test_planning import at
from tests.reminders.test_webhooks import signed_post

PUBLIC = "https://inclusion.example.lg.jp"
MOBILE = "+819012345678"


@pytest.fixture
def app_config(fake_twilio):
    fake_twilio.reset()
    return twilio_settings(fake_twilio, PUBLIC_BASE_URL=PUBLIC, REMINDER_SMS_PER_SECOND="0",
                           REMINDER_CALLS_PER_SECOND="0")  # fmt: skip


@pytest.fixture
def ward(shibuya):
    shibuya.booking_phone = "03-3463-1873"
    return shibuya


def today():
    return clock.today()


#: Planned in the morning: the automatic ask goes at 14:00 the same day.
def morning():
    return at(today(), 10)


def afternoon(minute: int = 1):
    return at(today(), 14, minute)


def participant(ward, channel=ReminderChannel.VOICE, scopes=("record", "follow_up"), **fields):
    """A resident whose follow-up comes due today, with the consents given."""
    resident = factories.make_resident(ward, phones=(MOBILE,), channel=channel, **fields)
    if scopes:
        factories.make_consent(resident, scopes)
    follow_up = factories.make_follow_up(resident)
    follow_up.due_on = today()
    db.session.flush()
    return follow_up


def ask_rows() -> list[Reminder]:
    return list(db.session.scalars(sa.select(Reminder).where(Reminder.survey_ask_id.is_not(None))))


def twiml(response) -> ElementTree.Element:
    assert response.status_code == 200, response.status_code
    return ElementTree.fromstring(response.data)


def said(element: ElementTree.Element) -> str:
    return "".join(say.text for say in element.iter("Say"))


def audit(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == action)
    )


def test_a_follow_up_come_due_is_asked_by_a_call_answered_with_keys(client, ward, fake_twilio):
    follow_up = participant(ward)
    assert services.plan(morning()) == 1
    [row] = ask_rows()
    ask = row.survey_ask
    year = clock.fiscal_year(today())
    assert (ask.kind, ask.follow_up_id, ask.fiscal_year) == (
        SurveyKind.FOLLOW_UP,
        follow_up.id,
        year,
    )
    assert (row.channel, row.to_e164, row.recipient) == ("voice", MOBILE, Recipient.RESIDENT)
    assert row.due_dt == at(today(), 14) and row.deadline_dt == at(today(), 14) + timedelta(days=3)
    # Planned again (another scheduler, the next run): nothing more.
    assert services.plan(morning()) == 0
    # While the call is to come, staff are not asked to make it.
    assert count_due_follow_ups(ward, today()) == 0
    assert dispatch.dispatch_once(afternoon()).sent == 1
    [placed] = fake_twilio.posted
    assert placed.path.endswith("/Calls.json") and placed.form["To"] == MOBILE

    opening = twiml(signed_post(client, f"/twilio/voice/{row.id}/answered",
                                {"AnsweredBy": "human"}))  # fmt: skip
    words = said(opening)
    assert words.startswith("こちらは渋谷区です。スマホ教室に参加された方に")
    assert "スマホ教室に参加されてから" in words and "1を、まだの方は2" in words
    assert opening.find("Gather").get("action") == f"{PUBLIC}/twilio/survey/{row.id}/0"
    # 9 hears the question again; a key that answers nothing too.
    for key in ("9", "7"):
        again = twiml(signed_post(client, f"/twilio/survey/{row.id}/0", {"Digits": key}))
        assert "スマホ教室に参加されてから" in said(again)
    assert ask.outcome is None
    second = twiml(signed_post(client, f"/twilio/survey/{row.id}/0", {"Digits": "1"}))
    assert "どのくらい満足していますか" in said(second)
    # No key for the first question ends the call saying nothing was taken; for a later
    # one, that the answers so far were.
    assert "お答えがなかったので" in said(opening) and "ここまでのお答え" not in said(opening)
    assert "ここまでのお答えを、受け付けました" in said(second)
    assert second.find("Gather").get("action") == f"{PUBLIC}/twilio/survey/{row.id}/1"
    assert (ask.outcome, ask.via, ask.used_online) == (
        SurveyOutcome.ANSWERED,
        SurveyVia.CALL,
        True,
    )
    # The 80 % measure has its answer, and the follow-up is off the staff's list for good.
    assert follow_up.answer == FollowUpAnswer.YES and follow_up.answered_by_id is None
    # Twilio posts a key again (a slow network): recorded once.
    twiml(signed_post(client, f"/twilio/survey/{row.id}/0", {"Digits": "1"}))
    assert audit("survey.answer") == 1
    thanks = twiml(signed_post(client, f"/twilio/survey/{row.id}/1", {"Digits": "5"}))
    assert "ご協力、ありがとうございました" in said(thanks) and thanks.find("Gather") is None
    assert ask.satisfaction == 5 and row.reply == "answered"
    # No question beyond the survey's last.
    assert signed_post(client, f"/twilio/survey/{row.id}/2", {"Digits": "1"}).status_code == 404
    scope = Scope(*(clock.fiscal_year(today()),) * 2)
    assert metrics.online_procedure_share(scope, clock.now()).value(ward.id) == 100
    assert metrics.satisfaction(scope).value(ward.id) == 100
    assert count_due_follow_ups(ward, today()) == 0


def test_a_call_dropped_after_one_answer_keeps_it(client, ward, fake_twilio):
    participant(ward)
    services.plan(morning())
    dispatch.dispatch_once(afternoon())
    [row] = ask_rows()
    signed_post(client, f"/twilio/survey/{row.id}/0", {"Digits": "2"})
    signed_post(client, f"/twilio/status/{row.id}", {"CallStatus": "completed"})
    ask = row.survey_ask
    assert (ask.outcome, ask.used_online, ask.satisfaction) == (SurveyOutcome.ANSWERED, False,
                                                                None)  # fmt: skip
    scope = Scope(*(clock.fiscal_year(today()),) * 2)
    assert metrics.online_procedure_share(scope, clock.now()).value(ward.id) == 0
    # Asked, but gave no score: in the sample, not among those who answered it.
    satisfaction = metrics.satisfaction(scope)
    assert satisfaction.value(ward.id) is None and satisfaction.count(ward.id) == 1
    # Staff then record what they heard: a key pressed after that is told so, and changes
    # nothing.
    services.record_by_staff(factories.make_user(ward=ward), ask, SurveyOutcome.ANSWERED,
                             {"used_online": True, "satisfaction": 4})  # fmt: skip
    late = twiml(signed_post(client, f"/twilio/survey/{row.id}/1", {"Digits": "1"}))
    assert "もう受け付けを終えています" in said(late)
    assert (ask.via, ask.used_online, ask.satisfaction) == (SurveyVia.STAFF, True, 4)


def test_nobody_answering_is_called_once_more_then_left_to_staff(client, ward, fake_twilio):
    follow_up = participant(ward, proxy_name="長女", proxy_phone_e164="+819087654321",
                            proxy_phone_kind="mobile")  # fmt: skip
    services.plan(morning())
    dispatch.dispatch_once(afternoon())
    [first] = ask_rows()
    signed_post(client, f"/twilio/status/{first.id}", {"CallStatus": "no-answer"})
    assert count_due_follow_ups(ward, today()) == 0
    retry = next(row for row in ask_rows() if row.id != first.id)
    assert retry.to_e164 == MOBILE and retry.deadline_dt == first.deadline_dt
    # An hour later (the retry's wait runs from the real clock: set it to the test's).
    retry.due_dt = at(today(), 15, 1)
    assert dispatch.dispatch_once(at(today(), 15, 2)).sent == 1
    signed_post(client, f"/twilio/status/{retry.id}", {"CallStatus": "no-answer"})
    # Never the contact person: a survey asks the resident alone. Staff call now.
    assert len(ask_rows()) == 2
    assert count_due_follow_ups(ward, today()) == 1
    log_in(client, factories.make_user(ward=ward))
    listed = client.get(f"/manage/{ward.slug}/follow-ups").get_data(as_text=True)
    assert follow_up.resident.name in listed
    surveys = client.get(f"/manage/{ward.slug}/surveys").get_data(as_text=True)
    assert "自動電話" in surveys


def test_an_answer_machine_hears_who_called_and_staff_call_after(client, ward, fake_twilio):
    participant(ward)
    services.plan(morning())
    dispatch.dispatch_once(afternoon())
    [row] = ask_rows()
    machine = twiml(signed_post(client, f"/twilio/voice/{row.id}/answered",
                                {"AnsweredBy": "machine_end_beep"}))  # fmt: skip
    assert "アンケートのお願いについて" in said(machine) and machine.find("Gather") is None
    ended = {"CallStatus": "completed", "AnsweredBy": "machine_end_beep"}
    signed_post(client, f"/twilio/status/{row.id}", ended)
    assert count_due_follow_ups(ward, today()) == 1


def test_without_consent_or_after_stop_nobody_is_called(ward):
    no_consent = participant(ward, scopes=("record", "reminders"))
    stopped = participant(ward)
    set_opt_out(None, stopped.resident, True, OptOutSource.STAFF, reason="電話で申し出")
    silent = participant(ward, channel=ReminderChannel.NONE)
    withdrawn = participant(ward)
    # A later consent without the follow-up withdraws it.
    factories.make_consent(withdrawn.resident, ("record",), given_on=today())
    services.plan(morning())
    assert ask_rows() == []
    # Each is in the sample; staff call only one who agreed and did not stop calls.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAsk)) == 4
    assert [item.id for item in due_follow_ups(ward, today())] == [silent.id]
    summary = queries.summaries(ward, clock.fiscal_year(today()), clock.now())
    follow_ups = summary[SurveyKind.FOLLOW_UP]
    assert (follow_ups.asked, follow_ups.to_call, follow_ups.stopped) == (4, 1, 3)
    assert {no_consent.id, stopped.id, withdrawn.id}


def test_consent_withdrawn_after_the_call_was_planned_stops_it(ward, fake_twilio):
    follow_up = participant(ward)
    services.plan(morning())
    [row] = ask_rows()
    factories.make_consent(follow_up.resident, ("record", "reminders"))
    assert dispatch.dispatch_once(afternoon()).sent == 0 and fake_twilio.posted == []
    assert row.status == ReminderStatus.CANCELLED
    assert due_follow_ups(ward, today()) == []


def test_a_follow_up_not_yet_due_is_not_in_the_sample(ward):
    participant(ward)
    later = participant(ward)
    later.due_on = today() + timedelta(days=20)
    db.session.flush()
    share = metrics.online_procedure_share(Scope(clock.fiscal_year(today())), clock.now())
    assert share.count(ward.id) == 1


def test_a_stop_or_a_staff_answer_before_the_call_cancels_it(ward, fake_twilio):
    stopping = participant(ward)
    answered = participant(ward)
    services.plan(morning())
    assert len(ask_rows()) == 2
    set_opt_out(None, stopping.resident, True, OptOutSource.SMS, reason="停止と返信")
    services.record_follow_up_by_staff(factories.make_user(ward=ward), answered,
                                       FollowUpAnswer.NO, satisfaction=3)  # fmt: skip
    result = dispatch.dispatch_once(afternoon())
    assert result.sent == 0 and fake_twilio.posted == []
    assert {row.status for row in ask_rows()} == {ReminderStatus.CANCELLED}


def test_a_call_due_in_quiet_hours_waits_for_the_morning(ward):
    participant(ward)
    evening = at(today(), 20, 30)
    services.plan(evening)
    [row] = ask_rows()
    assert row.due_dt == evening
    assert dispatch.dispatch_once(evening).deferred == 1
    assert row.due_dt == at(today() + timedelta(days=1), 9)


def test_old_follow_ups_are_left_to_staff(ward, app):
    follow_up = participant(ward)
    follow_up.due_on = today() - timedelta(days=app.config["SURVEY_FOLLOW_UP_WINDOW_DAYS"] + 1)
    services.plan(morning())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAsk)) == 0
    assert count_due_follow_ups(ward, today()) == 1


def test_where_links_are_allowed_an_sms_brings_the_answer_page(client, ward, fake_twilio, app):
    app.config["SURVEY_SMS_LINKS"] = True  # the app is the test's own
    follow_up = participant(ward, channel=ReminderChannel.SMS)
    services.plan(morning())
    [row] = ask_rows()
    assert row.channel == "sms"
    assert dispatch.dispatch_once(afternoon()).sent == 1
    body = fake_twilio.posted[0].form["Body"]
    token = row.survey_ask.link_token
    assert body == f"【渋谷区】スマホ教室のアンケートのお願い {PUBLIC}/s/{token}"
    assert len(body) <= 70
    page = client.get(f"/s/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "スマホ教室" in text
    assert follow_up.resident.family_name not in text and MOBILE not in text
    # Nothing chosen, or a made-up answer: asked again, nothing stored.
    for junk in ({}, {"used_online": "maybe", "satisfaction": "9"}):
        refused = client.post(f"/s/{token}", data=junk)
        assert refused.status_code == 422
    assert row.survey_ask.outcome is None
    # Waiting for the page, nobody calls them.
    assert count_due_follow_ups(ward, today()) == 0
    sent = client.post(f"/s/{token}", data={"used_online": "yes", "satisfaction": "4"})
    assert sent.status_code == 200 and "ありがとうございました" in sent.get_data(as_text=True)
    ask = row.survey_ask
    assert (ask.via, ask.used_online, ask.satisfaction) == (SurveyVia.LINK, True, 4)
    assert follow_up.answer == FollowUpAnswer.YES
    # Sent again: thanked, nothing changed.
    client.post(f"/s/{token}", data={"used_online": "no", "satisfaction": "1"})
    assert (ask.used_online, ask.satisfaction) == (True, 4)
    assert client.get("/s/not-a-token").status_code == 404


def test_the_answer_page_refuses_a_blank_and_says_when_it_is_closed(client, ward):
    ask = factories.make_survey_ask(ward, agreed(ward))
    for blank in ({"used_online": " "}, {"used_online": "", "satisfaction": " "}):
        assert client.post(f"/s/{ask.link_token}", data=blank).status_code == 422
    assert ask.outcome is None
    services.record_by_staff(factories.make_user(ward=ward), ask, SurveyOutcome.DECLINED, {})
    closed = client.get(f"/s/{ask.link_token}").get_data(as_text=True)
    assert "この調査は終わりました" in closed
    assert "回答を受け付けました" not in closed


def test_a_late_answer_on_the_page_replaces_staff_s_not_known(client, ward, users):
    follow_up = participant(ward)
    services.record_follow_up_by_staff(users["ward_staff"], follow_up, FollowUpAnswer.UNKNOWN)
    ask = queries.ask_of_follow_up(follow_up)
    assert ask.outcome == SurveyOutcome.NO_ANSWER
    client.post(f"/s/{ask.link_token}", data={"used_online": "no"})
    assert (ask.outcome, ask.via, follow_up.answer) == (SurveyOutcome.ANSWERED, SurveyVia.LINK,
                                                        FollowUpAnswer.NO)  # fmt: skip


def test_without_links_an_sms_resident_is_called(ward):
    participant(ward, channel=ReminderChannel.SMS)
    services.plan(morning())
    [row] = ask_rows()
    assert (row.channel, row.to_e164) == ("voice", MOBILE)


def test_a_resident_who_changes_to_calls_is_called_not_texted(ward, app):
    app.config["SURVEY_SMS_LINKS"] = True  # the app is the test's own
    follow_up = participant(ward, channel=ReminderChannel.SMS)
    services.plan(morning())
    [row] = ask_rows()
    assert row.channel == "sms"
    follow_up.resident.reminder_channel = ReminderChannel.VOICE
    db.session.flush()
    planning.readdress(clock.now(), follow_up.resident_id)
    assert (row.channel, row.to_e164) == ("voice", MOBILE)


def test_a_reply_to_the_survey_sms_changes_no_booking(ward, fake_twilio, app):
    app.config["SURVEY_SMS_LINKS"] = True
    follow_up = participant(ward, channel=ReminderChannel.SMS)
    session = factories.make_session(factories.make_venue(ward),
                                     starts_dt=clock.now() + timedelta(days=2))  # fmt: skip
    booking = factories.make_booking(session, follow_up.resident)
    factories.make_reminder(booking, channel="sms", to_e164=MOBILE,
                            sent_dt=clock.now() - timedelta(days=1))  # fmt: skip
    services.plan(morning())
    [row] = ask_rows()
    row.status, row.sent_dt = ReminderStatus.SENT, clock.now()
    db.session.flush()
    handled = replies.answer_sms(MOBILE, "2")
    assert handled.outcome.needs_staff and "リンク先" in handled.told
    assert booking.status == BookingStatus.BOOKED


# -- the yearly survey --------------------------------------------------------------------


def agreed(ward, born: int | None = 1950, scopes=("record", "survey")):
    resident = factories.make_resident(ward, birth_year=born)
    factories.make_consent(resident, scopes)
    return resident


def test_those_drawn_are_called_first_staff_call_the_rest(client, ward, users):
    reachable = agreed(ward)
    silent = agreed(ward)
    silent.reminder_channel = ReminderChannel.NONE
    db.session.flush()
    log_in(client, users["ward_staff"])
    client.post(f"/manage/{ward.slug}/surveys/draw", data={"size": "2"})
    # The automatic call is planned with the draw: staff are not told to make it too.
    assert [row.resident_id for row in ask_rows()] == [reachable.id]
    listed = client.get(f"/manage/{ward.slug}/surveys").get_data(as_text=True)
    assert silent.family_name in listed and reachable.family_name not in listed


def test_a_sample_is_drawn_among_those_who_agreed_and_never_twice(client, ward, users):
    chosen = {agreed(ward).id for _ in range(3)}
    young = agreed(ward, born=1990)
    agreed(ward, scopes=("record", "follow_up"))
    stopped = agreed(ward)
    set_opt_out(None, stopped, True, OptOutSource.STAFF, reason="電話で申し出")
    log_in(client, users["ward_staff"])
    page = client.get(f"/manage/{ward.slug}/surveys").get_data(as_text=True)
    assert "5" in page  # those who may be drawn: the three, the young one
    drawn = client.post(f"/manage/{ward.slug}/surveys/draw",
                        data={"size": "２", "older_only": "y"})  # fmt: skip
    assert drawn.status_code == 302
    asks = db.session.scalars(sa.select(SurveyAsk)).all()
    assert len(asks) == 2 and {ask.resident_id for ask in asks} <= chosen
    assert {ask.kind for ask in asks} == {SurveyKind.YEARLY}
    more = client.post(f"/manage/{ward.slug}/surveys/draw", data={"size": "10"})
    assert more.status_code == 302
    drawn_ids = [ask.resident_id for ask in db.session.scalars(sa.select(SurveyAsk))]
    assert sorted(drawn_ids) == sorted(chosen | {young.id})
    for junk in ("0", "abc", "5001", ""):
        refused = client.post(f"/manage/{ward.slug}/surveys/draw", data={"size": junk})
        assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAsk)) == 4
    assert audit("survey.draw") == 2


def test_staff_record_the_yearly_answers_and_the_divide_figure_counts_them(client, ward, users):
    year = clock.fiscal_year(today())
    asks = [factories.make_survey_ask(ward, agreed(ward)) for _ in range(4)]
    log_in(client, users["ward_staff"])
    listed = client.get(f"/manage/{ward.slug}/surveys").get_data(as_text=True)
    assert all(ask.resident.family_name in listed for ask in asks)
    answers = [
        {"outcome": "answered", "used_online": "yes", "resolved": "yes", "satisfaction": "5"},
        {"outcome": "answered", "used_online": "no", "resolved": "no", "satisfaction": "2"},
        {"outcome": "no_answer", "used_online": "yes"},
        {"outcome": "declined"},
    ]
    for ask, form in zip(asks, answers, strict=True):
        saved = client.post(f"/manage/{ward.slug}/surveys/{ask.id}", data={**form, "note": ""})
        assert saved.status_code == 302
    assert [ask.outcome.value for ask in asks] == ["answered", "answered", "no_answer",
                                                   "declined"]  # fmt: skip
    # Not answered: no answer kept, even one chosen by mistake.
    assert asks[2].used_online is None
    refused = client.post(f"/manage/{ward.slug}/surveys/{asks[3].id}",
                          data={"outcome": "answered", "note": ""})  # fmt: skip
    assert refused.status_code == 422 and asks[3].outcome == SurveyOutcome.DECLINED
    assert client.post(f"/manage/{ward.slug}/surveys/{asks[3].id}",
                       data={"outcome": "maybe"}).status_code == 422  # fmt: skip
    scope = Scope(year, year, ward_ids=(ward.id,))
    divide = metrics.figures(Metric.DIVIDE_RESOLUTION_RATE, scope)
    assert divide.value(ward.id) == 50 and divide.count(ward.id) == 4
    # A survey run outside the app, entered, is weighted by its respondents.
    enter_survey(users["ward_staff"], ward, Metric.DIVIDE_RESOLUTION_RATE,
                      today().replace(day=1), "100", 2)  # fmt: skip
    assert metrics.figures(Metric.DIVIDE_RESOLUTION_RATE, scope).value(ward.id) == 75
    summary = queries.summaries(ward, year, clock.now())[SurveyKind.YEARLY]
    assert (summary.asked, summary.answered, summary.no_answer, summary.declined,
            summary.to_call) == (4, 2, 1, 1, 0)  # fmt: skip
    assert summary.response_rate == 50


def test_another_wards_staff_see_none_of_it(client, ward, shinagawa):
    ask = factories.make_survey_ask(ward, agreed(ward))
    log_in(client, factories.make_user(ward=shinagawa))
    assert client.get(f"/manage/{ward.slug}/surveys/{ask.id}").status_code in (403, 404)
    assert client.get(f"/manage/{shinagawa.slug}/surveys/{ask.id}").status_code == 404


def test_the_survey_page_asks_the_same_whatever_the_list(client, ward, users, count_queries):
    log_in(client, users["ward_staff"])
    client.get(f"/manage/{ward.slug}/surveys")
    factories.make_survey_ask(ward, agreed(ward))
    with count_queries() as few:
        client.get(f"/manage/{ward.slug}/surveys")
    for _ in range(5):
        factories.make_survey_ask(ward, agreed(ward))
    with count_queries() as many:
        assert client.get(f"/manage/{ward.slug}/surveys").status_code == 200
    assert len(many) == len(few)


def test_a_follow_up_recorded_by_staff_keeps_the_score(client, ward, users):
    follow_up = participant(ward)
    log_in(client, users["ward_staff"])
    path = f"/manage/{ward.slug}/follow-ups/{follow_up.id}"
    assert "どのくらい満足" in client.get(path).get_data(as_text=True)
    saved = client.post(path, data={"answer": "yes", "procedure": "転出届", "satisfaction": "4",
                                    "note": ""})  # fmt: skip
    assert saved.status_code == 302
    ask = queries.ask_of_follow_up(follow_up)
    assert (ask.outcome, ask.via, ask.used_online, ask.satisfaction) == (
        SurveyOutcome.ANSWERED, SurveyVia.STAFF, True, 4)  # fmt: skip
    assert client.post(path, data={"answer": "yes", "procedure": "転出届",
                                   "satisfaction": "6"}).status_code == 422  # fmt: skip
    # A space is no score: saved without one, never a server error.
    spaced = client.post(path, data={"answer": "no", "procedure": "", "satisfaction": " "})
    assert spaced.status_code == 302 and ask.satisfaction is None
    # A survey's page for a follow-up is its follow-up's form.
    moved = client.get(f"/manage/{ward.slug}/surveys/{ask.id}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(path)
