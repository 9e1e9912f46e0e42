"""Every edit form round-trips: open it, submit exactly what it shows, and nothing stored
changes and no audit entry claims a change.

The forms come from the route table: every route that takes a POST or a PATCH is either
an edit form with a case in ``CASES`` (a record with a non-default value in every field),
or listed in ``NOT_EDIT_FORMS`` with why it cannot be round-tripped. A new route that is
neither fails ``test_every_form_route_is_round_tripped_or_explained``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import MultiDict

from inclusion import clock
from inclusion.api import schemas
from inclusion.api.models import ApiScope
from inclusion.api.services import create_key
from inclusion.audit.models import READ_ACTIONS, AuditLog
from inclusion.auth.models import Role
from inclusion.extensions import db
from inclusion.loans import services as loan_services
from inclusion.loans.models import DeviceState
from inclusion.phoneline import services as phone_line_services
from inclusion.reminders import services as reminder_services
from inclusion.reminders.models import ReminderStep
from inclusion.residents import bookings
from inclusion.residents import services as resident_services
from inclusion.residents.models import Contact, FollowUpAnswer, OptOutSource, ReminderChannel
from inclusion.sessions import services as session_services
from inclusion.sessions.models import (
    HolidayRule,
    Level,
    Session,
    SessionKind,
    SessionStatus,
    Topic,
)
from inclusion.surveys import services as survey_services
from inclusion.surveys.models import SurveyOutcome
from inclusion.venues import services as venue_services
from inclusion.venues.models import VenueKind
from inclusion.volunteers import services as volunteer_services
from inclusion.volunteers.models import ShiftStatus, Skill
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward, update_cover_rules, update_ward_contact
from inclusion.webhooks import services as webhook_services
from tests import factories
from tests.auth.test_access_matrix import routes
from tests.conftest import log_in

#: Routes that take a POST or PATCH but show no stored record to change, and why.
NOT_EDIT_FORMS = {
    "api_keys.index": "makes a new key; a key is never edited, only revoked",
    "api_keys.revoke": "a button",
    "webhooks.index": "adds a new endpoint",
    "webhooks.send_test": "a button",
    "webhooks.rotate": "a button",
    "webhooks.delete": "a button",
    "webhooks.replay": "a button",
    "api_residents.attendance": "records an answer the call sends",
    "api_residents.create_course": "adds a course",
    "api_residents.change_reminders": "stops or restarts reminders: an action, with a reason",
    "api_residents.record_consent": "records a year's consent",
    "api_wards.create_venue": "adds a venue",
    "api_wards.archive_venue": "archives a venue",
    "api_residents.book": "makes a booking",
    "api_residents.cancel_booking": "cancels a booking",
    "api_residents.create_resident": "adds a resident",
    "api_residents.enrol": "books a course",
    "api_residents.cancel_enrolment": "cancels a course",
    "api_sessions.cancel_session": "cancels a session",
    "api_sessions.claim_shift": "gives a volunteer a place",
    "api_sessions.create_session": "adds a session",
    "api_sessions.release_shift": "frees a place",
    "auth.change_password": "asks for a new password; a password is never shown",
    "auth.create_user": "adds an account",
    "auth.login": "signs in",
    "auth.logout": "a button",
    "auth.reset_password": "sets a new password; a password is never shown",
    "auth.set_active": "a button",
    "auth.unlock": "a button",
    "calendar.import_file": "uploads a file",
    "calendar.import_preview": "confirms an upload",
    "calendar.issue": "a button",
    "reminders.preview_text": "shows draft wording as it would read; saves nothing",
    "calendar.revoke": "a button",
    "cover.answer_swap": "a button per answer",
    "loans.lend": "lends a device",
    "loans.new_device": "adds a device",
    "loans.return_loan": "records a return",
    "calls.screen": "logs a new call each time",
    "calls.mark_done": "a button: marks a call passed to the ward as taken care of",
    "staff_training.new": "adds a training",
    "staff_training.enrol": "a button",
    "staff_training.leave": "a button",
    "staff_training.cancel": "a button",
    "staff_training.attendance": "a button per answer",
    "staff_training.add_staff": "gives a staff member a place",
    "cover.ask": "asks for cover: only a note for whoever is asked",
    "cover.decide_swap": "a button per decision",
    "cover.decline": "a button",
    "cover.staff_withdraw": "a button",
    "cover.swap": "asks another volunteer for a swap",
    "cover.take": "a button",
    "cover.withdraw": "a button",
    "main.set_language": "a button per language",
    "reminders.handle_reply": "a button",
    "reminders.handle_unmatched_reply": "a button",
    "reminders.resend": "a button",
    "reminders.reset_text": "a button",
    "residents.attendance": "two buttons, one per answer (pressing the recorded one is tested)",
    "residents.book": "makes a booking",
    "residents.cancel_booking": "a button",
    "residents.cancel_enrolment": "a confirmation: only a reason, which nothing stores to show",
    "residents.consent": "records a new dated consent; earlier ones stay as they were",
    "residents.create": "adds a resident",
    "residents.export": "downloads a list",
    "residents.merge": "folds one record into another",
    "residents.walk_in": "records someone who came",
    "sessions.cancel": "cancels a session",
    "sessions.create": "adds a session",
    "sessions.create_series": "adds a series",
    "targets.delete": "a button",
    "targets.recount": "a button",
    "targets.split": "a button",
    "targets.settings": "sets a new target; stored targets are listed, not edited",
    "targets.survey": "enters a month's figure; entered figures are listed",
    "targets.ward_recount": "a button",
    "twilio.answered": "Twilio's webhook",
    "survey_calls.keypad": "Twilio's webhook",
    "surveys.answer": "the resident's answer page: answered once, then it only thanks",
    "surveys.draw": "draws residents for the survey",
    "line.webhook": "LINE's webhook",
    "phoneline.incoming": "Twilio's webhook: a call comes in",
    "phoneline.step": "Twilio's webhook: a key pressed on a call",
    "phoneline.status": "Twilio's webhook: a call ended",
    "phoneline_staff.confirm": "a button that confirms a provisional record",
    "line_links.new_code": "makes a new LINE code: nothing is edited",
    "line_links.unlink": "a button that ends a LINE link",
    "twilio.inbound_sms": "Twilio's webhook",
    "twilio.keypad": "Twilio's webhook",
    "twilio.status": "Twilio's webhook",
    "venues.create": "adds a venue",
    "volunteers.add_training": "adds a training record",
    "volunteers.assign": "puts a volunteer on a session",
    "volunteers.claim": "a button",
    "volunteers.import_roster": "uploads a file",
    "volunteers.pool": "a button: open to the pool, or close to it",
    "volunteers.release": "a button",
    "volunteers.unassign": "a button",
}

#: Columns that record a use, not a change.
USE_COLUMNS = {("api_keys", "last_used_dt")}


@dataclass
class Case:
    """An edit form: who opens it, and the record it shows (made by ``build``)."""

    persona: str
    #: Makes the record; returns the page's path and the path the form posts to.
    build: Callable[..., tuple[str, str]]
    #: Fields that show nothing on purpose: not stored (the reason for a change), or a
    #: box left unticked because ticked is its default.
    shown_empty: frozenset[str] = field(default_factory=frozenset)


def later(days: int, at: time):
    return clock.to_utc(clock.today() + timedelta(days=days), at)


# -- the records, each with a non-default value in every field ---------------------------


def volunteer_profile(users, shibuya, shinagawa) -> tuple[str, str]:
    volunteer = users["volunteer"]
    volunteer_services.update_profile(
        volunteer,
        volunteer,
        {
            "display_name": "山田 花子",
            "name_kana": "ヤマダ ハナコ",
            "wards": [shibuya, shinagawa],
            "mobile": "090-1234-5678",
            "wants_sms": True,
            "skills": [Skill.LINE, Skill.MY_NUMBER_CARD],
            "languages": "日本語, English",
            "availability_notes": "平日の午前\n土曜の午後（月2回）",
            "is_paused": True,
            "offers_by": "voice",
            "in_pool": True,
            "pool_wards": [find_ward("minato")],
            "pool_max_km": 7,
            "pool_shares_skills": True,
            "pool_shares_contact": True,
        },
    )
    return "/me/profile", "/me/profile"


def cover_rules(users, shibuya, shinagawa) -> tuple[str, str]:
    update_cover_rules(users["ward_staff"], shibuya, True, 72)
    return "/manage/shibuya/settings", "/manage/shibuya/settings/cover"


def device(users, shibuya, shinagawa) -> tuple[str, str]:
    made = loan_services.add_device(users["ward_staff"], shibuya, loan_services.DeviceDraft(
        model="iPhone SE（第3世代）", serial="IMEI 35-209900-176148-1", sim_phone="070-1234-5678",
        plan="データのみ 3GB", notes="充電器つき\n画面に保護フィルム"))  # fmt: skip
    same = loan_services.DeviceDraft(made.model, made.serial, "070-1234-5678", made.plan,
                                     made.notes)  # fmt: skip
    loan_services.update_device(users["ward_staff"], made, same, DeviceState.IN_REPAIR)
    path = f"/manage/shibuya/devices/{made.id}"
    return path, path


def loan(users, shibuya, shinagawa) -> tuple[str, str]:
    made = factories.make_loan(shibuya)
    loan_services.change_due_date(users["ward_staff"], made, clock.today() + timedelta(days=400))
    path = f"/manage/shibuya/loans/{made.id}"
    return path, path


def user_account(users, shibuya, shinagawa) -> tuple[str, str]:
    user = factories.make_user(role=Role.WARD_STAFF, ward=shinagawa)
    return f"/admin/users/{user.id}", f"/admin/users/{user.id}"


def ward_contact(users, shibuya, shinagawa) -> tuple[str, str]:
    update_ward_contact(
        users["ward_staff"], shibuya, "03-3463-1211", "平日 9:00〜17:00", "区役所 2階\n窓口 5番"
    )
    return "/manage/shibuya/settings", "/manage/shibuya/settings"


def webhook_endpoint(users, shibuya, shinagawa) -> tuple[str, str]:
    endpoint = webhook_services.register_endpoint(
        users["admin"], shinagawa, "https://example.jp/hooks?ward=品川",
        ["booking.created", "reply.received"], ["residents:read"], "コールセンター",
    )  # fmt: skip
    endpoint.is_active = False
    path = f"/admin/webhooks/{endpoint.id}"
    return path, path


def venue(users, shibuya, shinagawa) -> tuple[str, str]:
    place = venue_services.create_venue(
        users["ward_staff"],
        shibuya,
        {
            "name": "中央図書館",
            "kind": "library",
            "address": "渋谷区神宮前1-1-1",
            "default_capacity": 24,
            "has_step_free_access": True,
            "has_lift": True,
            "has_hearing_loop": True,
            "access_notes": "駅から徒歩5分\n正面入口のスロープから",
            "is_active": False,
        },
    )
    return f"/manage/shibuya/venues/{place.id}", f"/manage/shibuya/venues/{place.id}"


def session(users, shibuya, shinagawa) -> tuple[str, str]:
    made = _consultation(users, shibuya)
    path = f"/manage/shibuya/sessions/{made.id}/edit"
    return path, path


def _consultation(users, shibuya):
    # Listed before the session's own venue: a select that shows its first option is caught.
    factories.make_venue(shibuya, name="あいうえお会館")
    return session_services.create_session(
        users["ward_staff"],
        session_services.SessionDraft(
            venue=factories.make_venue(shibuya, capacity=40),
            kind=SessionKind.CONSULTATION,
            title="スマホ個別相談会",
            # 13:30 in Tokyo is 04:30 UTC: the form must show the local time.
            day=clock.today() + timedelta(days=10),
            starts_time=time(13, 30),
            ends_time=time(15),
            topics=[Topic.LINE, Topic.MAPS],
            level=Level.INTERMEDIATE,
            description="一人ずつご相談を受けます。\nスマホをお持ちください。",
            room="第2会議室",
            slot_minutes=45,
            lead_needed=2,
            assistants_needed=5,
            has_device_loan=True,
        ),
    )


def course(users, shibuya, shinagawa) -> tuple[str, str]:
    draft = session_services.SessionDraft(
        venue=factories.make_venue(shibuya), kind=SessionKind.CLASS, title="スマホ講座 全4回",
        day=clock.today() + timedelta(days=7), starts_time=time(10), ends_time=time(12),
    )  # fmt: skip
    series, _created = session_services.create_series(
        users["ward_staff"], draft, interval_weeks=1, weeks=4, holiday_rule=HolidayRule.HOLD,
        skip_year_end=False, is_course=True,
    )  # fmt: skip
    first = min(series_sessions(series), key=lambda session: session.starts_dt)
    return f"/manage/shibuya/sessions/{first.id}", f"/manage/shibuya/series/{series.id}/course"


def series_sessions(series):
    return db.session.scalars(sa.select(Session).where(Session.series_id == series.id)).all()


def held_session(users, shibuya, shinagawa) -> tuple[str, str]:
    past = factories.make_session(
        factories.make_venue(shibuya), starts_dt=later(-2, time(10)), status=SessionStatus.HELD
    )
    past.headcount = 12
    base = f"/manage/shibuya/sessions/{past.id}"
    return base, f"{base}/held"


def shift_attendance(users, shibuya, shinagawa, attended: bool = True) -> tuple[str, str]:
    past = factories.make_session(factories.make_venue(shibuya), starts_dt=later(-2, time(10)))
    shift = factories.make_shift(
        past, factories.make_volunteer(shibuya), status=ShiftStatus.CLAIMED
    )
    minutes = 75 if attended else None
    volunteer_services.record_attendance(users["ward_staff"], shift, attended, minutes)
    return f"/manage/shibuya/sessions/{past.id}", f"/manage/shibuya/shifts/{shift.id}/attendance"


def shift_no_show(users, shibuya, shinagawa) -> tuple[str, str]:
    return shift_attendance(users, shibuya, shinagawa, attended=False)


def resident(users, shibuya, shinagawa) -> tuple[str, str]:
    person = _resident(users, shibuya)
    path = f"/manage/shibuya/residents/{person.id}/edit"
    return path, path


def _resident(users, shibuya):
    return resident_services.create_resident(
        users["ward_staff"],
        shibuya,
        resident_services.ResidentDraft(
            family_name="往復",
            family_kana="オウフク",
            given_name="花子",
            given_kana="ハナコ",
            birth_year=1944,
            phones=["03-5555-0101", "090-5555-0102", "050-5555-0103"],
            reminder_channel=ReminderChannel.VOICE,
            call_from=time(10),
            call_until=time(16, 30),
            needs="補聴器を使っています。\n大きな字で。",
            proxy_name="往復 一郎",
            proxy_relation="長男",
            proxy_phone="080-5555-0104",
            proxy_gets_reminders=True,
        ),
        confirmed_new=True,
    )


def opted_out_resident(users, shibuya, shinagawa) -> tuple[str, str]:
    person = _resident(users, shibuya)
    for contact in Contact:
        resident_services.set_opt_out(
            users["ward_staff"], person, True, OptOutSource.STAFF, contact, "本人から電話で"
        )
    base = f"/manage/shibuya/residents/{person.id}"
    return base, f"{base}/opt-out"


def reminded_resident(users, shibuya, shinagawa) -> tuple[str, str]:
    base = f"/manage/shibuya/residents/{_resident(users, shibuya).id}"
    return base, f"{base}/opt-out"


def follow_up(users, shibuya, shinagawa) -> tuple[str, str]:
    answered = factories.make_follow_up(_resident(users, shibuya))
    survey_services.record_follow_up_by_staff(
        users["ward_staff"],
        answered,
        FollowUpAnswer.YES,
        "マイナポータルで転出届",
        "娘さんと一緒に\nできた",
        satisfaction=4,
    )
    path = f"/manage/shibuya/follow-ups/{answered.id}"
    return path, path


def survey_answer(users, shibuya, shinagawa) -> tuple[str, str]:
    ask = factories.make_survey_ask(shibuya, _resident(users, shibuya))
    survey_services.record_by_staff(
        users["ward_staff"],
        ask,
        SurveyOutcome.ANSWERED,
        {"used_online": False, "resolved": False, "satisfaction": 2},
        "電話で\n聞き取り",
    )
    path = f"/manage/shibuya/surveys/{ask.id}"
    return path, path


def quiet_hours(users, shibuya, shinagawa) -> tuple[str, str]:
    reminder_services.update_quiet_hours(
        users["ward_staff"], shibuya, (time(10), time(18, 30)), (time(9, 15), time(19))
    )
    return "/manage/shibuya/reminders", "/manage/shibuya/reminders"


def reminder_step(users, shibuya, shinagawa) -> tuple[str, str]:
    step = db.session.scalar(
        sa.select(ReminderStep).where(ReminderStep.ward_id == shibuya.id).limit(1)
    )
    reminder_services.update_step(users["ward_staff"], step, 3, time(11, 15), True)
    return "/manage/shibuya/reminders", f"/manage/shibuya/reminders/steps/{step.id}"


def own_text(users, shibuya, shinagawa) -> tuple[str, str]:
    path = "/manage/shibuya/reminders/texts/sms_resident.txt"
    reminder_services.update_text(
        users["ward_staff"], shibuya, "sms_resident.txt",
        {"two_days_before": "{日時} {名前}\nよろしく", "morning": "本日{日時}"},
    )  # fmt: skip
    return path, path


def feed_choice(users, shibuya, shinagawa) -> tuple[str, str]:
    from inclusion.calendar import services as calendar_services
    from inclusion.calendar.models import FeedKind

    venue = factories.make_venue(shibuya)
    chosen = {"ward": ["shibuya"], "venue": [str(venue.id)], "kind": ["class"], "topic": ["line"]}
    calendar_services.issue_token(users["coordinator"], FeedKind.COORDINATOR, chosen)
    return "/me/calendar", "/me/calendar/coordinator/choice"


def phone_line(users, shibuya, shinagawa) -> tuple[str, str]:
    phone_line_services.update_phone_line(
        users["ward_staff"], shibuya, "03-3463-1000", time(9, 15), time(16, 45)
    )
    return "/manage/shibuya/phone-line", "/manage/shibuya/phone-line"


def standard_text(users, shibuya, shinagawa) -> tuple[str, str]:
    path = "/manage/shibuya/reminders/texts/sms_resident.txt"
    return path, path


CASES: dict[str, list[Case]] = {
    "volunteers.profile": [Case("volunteer", volunteer_profile)],
    "auth.edit_user": [Case("admin", user_account)],
    "wards.settings": [Case("ward_staff", ward_contact)],
    "wards.cover_rules": [Case("ward_staff", cover_rules)],
    "loans.device": [Case("ward_staff", device)],
    "loans.loan": [Case("ward_staff", loan)],
    "venues.edit": [Case("ward_staff", venue, frozenset({"is_active"}))],
    "webhooks.endpoint": [Case("admin", webhook_endpoint, frozenset({"is_active"}))],
    "sessions.edit": [Case("ward_staff", session, frozenset({"reason"}))],
    "sessions.mark_held": [Case("ward_staff", held_session)],
    "sessions.mark_course": [Case("ward_staff", course)],
    "volunteers.attendance": [
        Case("ward_staff", shift_attendance),
        Case("ward_staff", shift_no_show, frozenset({"minutes"})),
    ],
    "residents.edit": [Case("ward_staff", resident)],
    "residents.opt_out": [
        Case("ward_staff", opted_out_resident, frozenset({"reason"})),
        Case("ward_staff", reminded_resident, frozenset({"reason"})),
    ],
    "residents.record_follow_up": [Case("ward_staff", follow_up)],
    "surveys.record": [Case("ward_staff", survey_answer)],
    "reminders.policy": [Case("ward_staff", quiet_hours)],
    "reminders.update_step": [Case("ward_staff", reminder_step)],
    "reminders.edit_text": [Case("ward_staff", own_text), Case("ward_staff", standard_text)],
    "calendar.choose": [Case("coordinator", feed_choice)],
    "phoneline_staff.calls": [Case("ward_staff", phone_line)],
}


# -- what a browser sends ----------------------------------------------------------------


def form_posting_to(html: str, page: str, action: str) -> lxml.html.FormElement:
    forms = [
        form
        for form in lxml.html.fromstring(html).forms
        if form.get("method", "get").lower() == "post"
        and (form.get("action") or page) == action  # no action: the page itself
    ]
    assert len(forms) == 1, f"{len(forms)} forms post to {action}"
    return forms[0]


def submitted(form: lxml.html.FormElement) -> list[tuple[str, str]]:
    """What a browser sends when the form's first button is pressed, untouched."""
    textareas = {element.name for element in form.iter("textarea")}
    pairs = []
    for name, value in form.form_values():
        if name in textareas and value.startswith("\n"):
            value = value[1:]  # HTML drops the line break right after <textarea>
        # Browsers send every line break as CR LF.
        pairs.append((name, re.sub(r"\r\n|\r|\n", "\r\n", value)))
    buttons = form.xpath(".//input[@type='submit'][@name] | .//button[@name]")
    if buttons:
        pairs.append((buttons[0].get("name"), buttons[0].get("value", "")))
    return pairs


def without_token(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in pairs if name != "csrf_token"]


def empty_fields(form: lxml.html.FormElement, shown_empty: frozenset[str]) -> list[str]:
    """Fields showing nothing: the case's record would not test them."""
    sent = {name for name, value in submitted(form) if value.strip() not in ("", "0")}
    named = {
        element.name
        for element in form.xpath(".//input|.//select|.//textarea")
        if element.name and element.get("type") not in ("submit", "hidden")
    }
    return sorted(
        name
        for name in named - sent
        if name.rsplit("-", 1)[-1] not in shown_empty  # prefixed names end with the field's
    )


# -- what is stored ----------------------------------------------------------------------


def stored_rows() -> dict[str, list]:
    """Every row of every table but the audit log, which ``claimed_changes`` reads."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name == "audit_log":
            continue
        columns = [
            column for column in table.columns if (table.name, column.name) not in USE_COLUMNS
        ]
        found = db.session.execute(sa.select(*columns)).all()
        rows[table.name] = sorted((tuple(row) for row in found), key=repr)
    return rows


def last_audit_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditLog.id))) or 0


def claimed_changes(after_id: int) -> list[str]:
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.id > after_id))
    return [action for action in actions if action not in READ_ACTIONS]


# -- the tests -----------------------------------------------------------------------------


def test_every_form_route_is_round_tripped_or_explained(app: Flask):
    taking_input = {
        rule.endpoint for rule in routes(app) if rule.methods & {"POST", "PATCH", "PUT"}
    }
    unknown = taking_input - CASES.keys() - NOT_EDIT_FORMS.keys() - API_CASES.keys()
    assert not unknown, f"add a round-trip case, or say why not, for: {sorted(unknown)}"
    gone = (CASES.keys() | NOT_EDIT_FORMS.keys() | API_CASES.keys()) - taking_input
    assert not gone, f"no such route any more: {sorted(gone)}"


@pytest.mark.parametrize(
    ("endpoint", "number"),
    [(endpoint, number) for endpoint, cases in CASES.items() for number in range(len(cases))],
)
def test_saving_a_form_unchanged_changes_nothing(app, users, shibuya, shinagawa, endpoint, number):
    case = CASES[endpoint][number]
    page, action = case.build(users, shibuya, shinagawa)
    db.session.commit()
    client = app.test_client()
    log_in(client, users[case.persona])

    shown = client.get(page)
    assert shown.status_code == 200
    form = form_posting_to(shown.get_data(as_text=True), page, action)
    assert not empty_fields(form, case.shown_empty), "the record leaves fields at their default"
    sent = submitted(form)

    before, audited = stored_rows(), last_audit_id()
    answer = client.post(action, data=MultiDict(sent))
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:2000]
    assert stored_rows() == before
    assert claimed_changes(audited) == []

    again = form_posting_to(client.get(page).get_data(as_text=True), page, action)
    # The same fields and values; the CSRF token is signed anew with the time.
    assert without_token(submitted(again)) == without_token(sent)


# -- the API: GET a record, PATCH back what it says ------------------------------------


@dataclass
class ApiCase:
    """A PATCH route: the record it changes, and how its GET reads as the PATCH's fields.

    Fields shown under their own name are sent back as shown, so a new one is covered by
    itself; a field the GET shows otherwise, or not at all, must be named here.
    """

    #: Makes the record; returns its path.
    build: Callable[..., str]
    schema: type
    #: Fields the GET shows under another name or shape, and how to read them from it.
    renamed: dict[str, Callable[[dict], object]]
    #: Fields the GET does not show, and why.
    not_shown: dict[str, str]

    def as_change(self, shown: dict) -> dict:
        fields = self.schema().fields
        unknown = fields.keys() - shown.keys() - self.renamed.keys() - self.not_shown.keys()
        assert not unknown, f"say how the GET shows {sorted(unknown)}, or why it does not"
        same = {name: shown[name] for name in fields if name in shown}
        return same | {name: read(shown) for name, read in self.renamed.items()}


def _ward_with_contact(ward: Ward) -> str:
    ward.booking_phone, ward.booking_hours = "03-5555-1130", "平日 9時〜17時"
    ward.booking_counter = "区役所 2階\n窓口 5番"
    db.session.commit()
    return f"/api/v1/wards/{ward.slug}"


def _venue_of(ward: Ward) -> str:
    venue = factories.make_venue(ward, "中央図書館", capacity=12, kind=VenueKind.LIBRARY,
                                 has_step_free_access=True, has_lift=True, has_hearing_loop=True,
                                 access_notes="正面入口にスロープ\n2階の奥")  # fmt: skip
    db.session.commit()
    return f"/api/v1/venues/{venue.id}"


API_CASES = {
    "api_wards.update_ward": ApiCase(
        build=lambda _users, ward, _other: _ward_with_contact(ward),
        schema=schemas.WardChange,
        renamed={},
        not_shown={},
    ),
    "api_wards.update_venue": ApiCase(
        build=lambda _users, ward, _other: _venue_of(ward),
        schema=schemas.VenueChange,
        renamed={},
        not_shown={},
    ),
    "api_residents.update_resident": ApiCase(
        build=lambda users, ward, _other: f"/api/v1/residents/{_resident(users, ward).id}",
        schema=schemas.ResidentChange,
        renamed={"phones": lambda shown: [phone["e164"] for phone in shown["phones"]]},
        not_shown={
            "ward": "the record's ward, never changed by a PATCH",
            "birth_year": "only the age band is shown",
            "confirmed_new": "a question to answer when adding, not a field of the record",
        },
    ),
    "api_sessions.update_session": ApiCase(
        build=lambda users, ward, _other: f"/api/v1/sessions/{_consultation(users, ward).id}",
        schema=schemas.SessionChange,
        renamed={
            "venue_id": lambda shown: shown["venue"]["id"],
            "date": lambda shown: shown["starts_at"][:10],
            "starts_time": lambda shown: shown["starts_at"][11:16],
            "ends_time": lambda shown: shown["ends_at"][11:16],
        },
        not_shown={"reason": "why it changes, asked for each change"},
    ),
}


@pytest.mark.parametrize("endpoint", sorted(API_CASES))
def test_patching_what_the_api_gives_changes_nothing(app, users, shibuya, shinagawa, endpoint):
    case = API_CASES[endpoint]
    path = case.build(users, shibuya, shinagawa)
    _key, secret = create_key(users["admin"], "round trip", list(ApiScope), shibuya)
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()

    shown = client.get(path, headers=headers)
    assert shown.status_code == 200
    before, audited = stored_rows(), last_audit_id()
    answer = client.patch(
        path,
        json=case.as_change(shown.json),
        headers=headers | {"If-Match": shown.headers["ETag"]},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json == shown.json
    assert stored_rows() == before
    assert claimed_changes(audited) == []


def test_pressing_the_recorded_attendance_again_changes_nothing(app, users, shibuya):
    past = factories.make_session(factories.make_venue(shibuya), starts_dt=later(-1, time(10)))
    booking = factories.make_booking(past, factories.make_resident(shibuya))
    bookings.record_attendance(users["ward_staff"], booking, True)
    db.session.commit()
    client = app.test_client()
    log_in(client, users["ward_staff"])
    before, audited = stored_rows(), last_audit_id()
    answer = client.post(
        f"/manage/shibuya/bookings/{booking.id}/attendance", data={"attended": "yes"}
    )
    assert answer.status_code in (302, 303)
    assert stored_rows() == before
    assert claimed_changes(audited) == []
