"""Resident records: numbers, channels, find-or-create, consent, opt-out, merge, retention."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.phones import PhoneKind, display_phone, parse_phone
from inclusion.residents import bookings, services
from inclusion.residents.models import (
    Booking,
    BookingStatus,
    Consent,
    ConsentMethod,
    ConsentScope,
    FollowUp,
    FollowUpAnswer,
    OptOutSource,
    ReminderChannel,
    Resident,
    ResidentPhone,
)
from inclusion.sessions.models import SessionStatus
from tests import factories


@pytest.mark.parametrize(
    ("typed", "e164", "kind"),
    [
        ("03-3463-1873", "+81334631873", PhoneKind.LANDLINE),
        ("045-123-4567", "+81451234567", PhoneKind.LANDLINE),
        ("0422-12-3456", "+81422123456", PhoneKind.LANDLINE),
        ("090-1234-5678", "+819012345678", PhoneKind.MOBILE),
        ("080-1111-2222", "+818011112222", PhoneKind.MOBILE),
        ("070-1111-0303", "+817011110303", PhoneKind.MOBILE),
        ("060-1234-5678", "+816012345678", PhoneKind.MOBILE),
        ("050-1234-5678", "+815012345678", PhoneKind.IP),
        ("0120-123-456", "+81120123456", PhoneKind.OTHER),
        ("0570-123-456", "+81570123456", PhoneKind.OTHER),
        ("020-1234-5678", "+812012345678", PhoneKind.OTHER),
        ("０９０－１２３４－５６７８", "+819012345678", PhoneKind.MOBILE),
        ("(03) 3463 1873", "+81334631873", PhoneKind.LANDLINE),
        ("+81 90 1234 5678", "+819012345678", PhoneKind.MOBILE),
        ("0334631873", "+81334631873", PhoneKind.LANDLINE),
    ],
)
def test_every_japanese_number_type_is_stored_in_e164_with_its_kind(app, typed, e164, kind):
    assert parse_phone(typed) == (e164, kind)


def test_numbers_are_shown_as_people_write_them(app):
    assert display_phone("+81334631873") == "03-3463-1873"
    assert display_phone("+819012345678") == "090-1234-5678"
    assert display_phone(None) == ""


@pytest.mark.parametrize(
    "typed",
    ["090-0000-1234", "12345", "電話番号", "03-1234", "+1 650 253 0000", "+44 20 7946 0958",
     "0990-123-456", "090-1234-5678-9999"],
)  # fmt: skip
def test_unusable_numbers_are_refused_with_a_message(app, typed):
    with pytest.raises(RuleViolation) as refused:
        parse_phone(typed, "phone_1")
    assert refused.value.field == "phone_1"
    assert str(refused.value)


def test_empty_number_is_no_number(app):
    assert parse_phone("  ") is None


def draft(**fields) -> services.ResidentDraft:
    values = {
        "family_name": "山田",
        "given_name": "花子",
        "family_kana": "やまだ",
        "given_kana": "ﾊﾅｺ",
        "birth_year": 1946,
        "phones": ["03-3463-1873"],
        "reminder_channel": ReminderChannel.VOICE,
    }
    values.update(fields)
    return services.ResidentDraft(**values)


def test_create_stores_katakana_e164_and_audits(shibuya, users):
    resident = services.create_resident(users["ward_staff"], shibuya, draft())
    assert (resident.family_kana, resident.given_kana, resident.kana_key) == (
        "ヤマダ",
        "ハナコ",
        "ヤマダハナコ",
    )
    assert [(p.e164, p.kind) for p in resident.phones] == [("+81334631873", PhoneKind.LANDLINE)]
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "resident.create"))
    assert (entry.target_id, entry.ward_id, entry.actor_id) == (
        resident.id,
        shibuya.id,
        users["ward_staff"].id,
    )
    # The log says what happened, never the personal data itself.
    assert "山田" not in str(entry.details) and "3463" not in str(entry.details)


def test_sms_needs_a_mobile(shibuya, users):
    with pytest.raises(RuleViolation) as refused:
        services.create_resident(
            users["ward_staff"], shibuya, draft(reminder_channel=ReminderChannel.SMS)
        )
    assert refused.value.field == "reminder_channel"
    for ip_number in (["050-1234-5678"], ["0120-123-456"]):
        with pytest.raises(RuleViolation):
            services.create_resident(
                users["ward_staff"],
                shibuya,
                draft(phones=ip_number, reminder_channel=ReminderChannel.SMS),
            )
    resident = services.create_resident(
        users["ward_staff"],
        shibuya,
        draft(phones=["03-3463-1873", "060-1234-5678"], reminder_channel=ReminderChannel.SMS),
    )
    assert [p.kind for p in resident.phones] == [PhoneKind.LANDLINE, PhoneKind.MOBILE]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 1


def test_a_call_needs_a_number_and_none_needs_none(shibuya, users):
    with pytest.raises(RuleViolation) as refused:
        services.create_resident(users["ward_staff"], shibuya, draft(phones=[]))
    assert refused.value.field == "phone_1"
    resident = services.create_resident(
        users["ward_staff"], shibuya, draft(phones=[], reminder_channel=ReminderChannel.NONE)
    )
    assert resident.phones == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"family_name": " "}, "family_name"),
        ({"family_kana": ""}, "family_kana"),
        ({"family_kana": "Yamada"}, "family_kana"),
        ({"given_kana": "花子"}, "given_kana"),
        ({"birth_year": 1850}, "birth_year"),
        ({"birth_year": 2999}, "birth_year"),
        ({"phones": ["+1 650 253 0000"]}, "phone_1"),
        ({"phones": ["03-3463-1873", "090-0000-1234"]}, "phone_2"),
        ({"call_from": time(10)}, "call_until"),
        ({"call_from": time(12), "call_until": time(11)}, "call_until"),
        ({"call_from": time(7), "call_until": time(11)}, "call_from"),
        ({"call_from": time(10), "call_until": time(22)}, "call_from"),
        ({"proxy_gets_reminders": True}, "proxy_phone"),
        ({"proxy_phone": "99999"}, "proxy_phone"),
    ],
)
def test_bad_records_are_refused_and_nothing_is_saved(shibuya, users, fields, field):
    with pytest.raises(RuleViolation) as refused:
        services.create_resident(users["ward_staff"], shibuya, draft(**fields))
    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 0


def test_call_window_and_proxy_are_kept(shibuya, users):
    resident = services.create_resident(
        users["ward_staff"],
        shibuya,
        draft(
            call_from=time(10),
            call_until=time(12),
            proxy_name="山田 一郎",
            proxy_relation="長男",
            proxy_phone="090-1111-0111",
            proxy_gets_reminders=True,
        ),
    )
    assert (resident.call_from, resident.call_until) == (time(10), time(12))
    assert (resident.proxy_phone_e164, resident.proxy_gets_reminders) == ("+819011110111", True)


def test_find_or_create_finds_the_same_number_or_kana(shibuya, shinagawa, users):
    first = services.create_resident(users["ward_staff"], shibuya, draft())
    with pytest.raises(services.PossibleDuplicate) as by_number:
        services.create_resident(
            users["ward_staff"], shibuya, draft(family_kana="ヤマモト", phones=["0334631873"])
        )
    assert by_number.value.matches == [first]
    with pytest.raises(services.PossibleDuplicate) as by_kana:
        services.create_resident(
            users["ward_staff"], shibuya, draft(family_kana="ﾔﾏﾀﾞ", phones=["090-1234-5678"])
        )
    assert by_kana.value.matches == [first]
    # Another ward's resident is another ward's business.
    services.create_resident(users["admin"], shinagawa, draft())
    # A couple sharing a landline: staff confirm it is someone else.
    partner = services.create_resident(
        users["ward_staff"], shibuya, draft(given_name="太郎", given_kana="タロウ"), True
    )
    assert partner.id != first.id
    # In kana order: ヤマダタロウ before ヤマダハナコ.
    assert services.search_residents(shibuya, "03-3463-1873") == [partner, first]
    assert services.search_residents(shibuya, "やまだは") == [first]
    assert services.search_residents(shibuya, "%") == []


def test_update_audits_field_names_only(shibuya, users):
    resident = services.create_resident(users["ward_staff"], shibuya, draft())
    services.update_resident(
        users["ward_staff"],
        resident,
        draft(needs="補聴器", phones=["090-1234-5678", "03-3463-1873"]),
    )
    assert [p.e164 for p in resident.phones] == ["+819012345678", "+81334631873"]
    assert [p.position for p in resident.phones] == [0, 1]
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "resident.update"))
    assert sorted(entry.details["fields"]) == ["needs", "phones"]


def test_age_band_not_birth_date(app):
    today = date(2026, 11, 26)
    assert services.age_band(1946, today) == "75–84"
    assert services.age_band(1941, today) == "85+"
    assert services.age_band(1961, today) == "65–74"
    assert services.age_band(1990, today) == "–64"
    assert services.age_band(None, today) == ""


def test_consent_is_due_again_each_fiscal_year(shibuya, users):
    resident = factories.make_resident(shibuya)
    assert services.consent_is_due([], date(2026, 5, 1))
    consent = services.record_consent(
        users["ward_staff"],
        resident,
        [ConsentScope.RECORD, ConsentScope.REMINDERS],
        ConsentMethod.PHONE,
        date(2026, 3, 31),
    )
    assert consent.fiscal_year == 2025
    assert not services.consent_is_due([consent], date(2026, 3, 31))
    assert services.consent_is_due([consent], date(2026, 4, 1))
    with pytest.raises(RuleViolation):
        services.record_consent(
            users["ward_staff"],
            resident,
            [ConsentScope.REMINDERS],
            ConsentMethod.PAPER,
            date.today(),
        )
    with pytest.raises(RuleViolation):
        services.record_consent(
            users["ward_staff"],
            resident,
            [ConsentScope.RECORD],
            ConsentMethod.PAPER,
            clock.today() + timedelta(days=1),
        )


def test_opt_out_is_kept_with_date_and_source(shibuya, users):
    resident = factories.make_resident(shibuya)
    services.set_opt_out(None, resident, True, OptOutSource.SMS)
    assert resident.is_opted_out and resident.opted_out_source == OptOutSource.SMS
    # Asking again changes nothing and logs nothing more.
    assert not services.set_opt_out(users["ward_staff"], resident, True, OptOutSource.STAFF)
    assert resident.opted_out_source == OptOutSource.SMS
    # Staff undo it only saying why.
    with pytest.raises(RuleViolation, match="理由"):
        services.set_opt_out(users["ward_staff"], resident, False, OptOutSource.STAFF)
    assert resident.is_opted_out
    assert services.set_opt_out(
        users["ward_staff"], resident, False, OptOutSource.STAFF, reason="本人から電話"
    )
    assert not resident.is_opted_out
    entries = db.session.execute(
        sa.select(AuditLog.action, AuditLog.actor_id, AuditLog.details)
        .where(AuditLog.action.like("resident.opt%"))
        .order_by(AuditLog.id)
    ).all()
    assert [(action, actor) for action, actor, _details in entries] == [
        ("resident.opt_out", None),
        ("resident.opt_in", users["ward_staff"].id),
    ]
    assert entries[1].details == {
        "contact": "resident",
        "source": "staff",
        "reason": "本人から電話",
    }


def test_merge_moves_bookings_numbers_consent_and_follow_up(shibuya, users):
    venue = factories.make_venue(shibuya)
    keep = factories.make_resident(shibuya, phones=("+81334631873",))
    duplicate = factories.make_resident(
        shibuya, phones=("+81334631873", "+819012345678"), needs="車いす", birth_year=1940
    )
    shared = factories.make_session(venue)
    other = factories.make_session(venue, starts_dt=clock.now() - timedelta(days=40))
    factories.make_booking(shared, keep, place=1)
    clash = factories.make_booking(shared, duplicate, place=2)
    moved = factories.make_booking(other, duplicate, place=1, status=BookingStatus.ATTENDED)
    db.session.add(
        Consent(
            resident_id=duplicate.id,
            fiscal_year=2026,
            scopes=["record"],
            method=ConsentMethod.COUNTER,
            given_on=date(2026, 5, 1),
        )
    )
    bookings.sync_follow_up(duplicate.id, shibuya.id)
    duplicate_id = duplicate.id
    services.merge_residents(users["ward_staff"], keep, duplicate)
    db.session.expire_all()
    assert db.session.get(Resident, duplicate_id) is None
    assert db.session.get(Booking, moved.id).resident_id == keep.id
    assert db.session.get(Booking, clash.id).status == BookingStatus.CANCELLED
    assert [p.e164 for p in keep.phones] == ["+81334631873", "+819012345678"]
    assert (keep.needs, keep.birth_year) == ("車いす", 1940)
    assert services.consents_of(keep)[0].method == ConsentMethod.COUNTER
    follow_up = db.session.scalar(sa.select(FollowUp))
    first_day = clock.to_local(other.starts_dt).date()
    assert (follow_up.resident_id, follow_up.first_attended_on) == (keep.id, first_day)
    assert follow_up.due_on == bookings.follow_up_due_on(first_day)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "resident.merge"))
    assert entry.details == {"merged": duplicate_id, "bookings_moved": 2, "bookings_cancelled": 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResidentPhone)) == 2


def test_merge_refuses_itself_and_other_wards(shibuya, shinagawa, users):
    here = factories.make_resident(shibuya)
    there = factories.make_resident(shinagawa)
    for keep, duplicate in ((here, here), (here, there)):
        with pytest.raises(RuleViolation):
            services.merge_residents(users["admin"], keep, duplicate)


def test_retention_anonymises_booked_and_deletes_unbooked_keeping_counts(shibuya, users):
    venue = factories.make_venue(shibuya)
    long_ago = clock.now() - timedelta(days=5 * 365)
    old_session = factories.make_session(
        venue, starts_dt=long_ago, status=SessionStatus.HELD, headcount=1
    )
    attended = factories.make_resident(
        shibuya, created_dt=long_ago, needs="補聴器", birth_year=1944
    )
    factories.make_booking(old_session, attended, status=BookingStatus.ATTENDED)
    bookings.sync_follow_up(attended.id, shibuya.id)
    follow_up = db.session.scalar(sa.select(FollowUp))
    bookings.record_follow_up(users["ward_staff"], follow_up, FollowUpAnswer.YES, "e-Tax", "メモ")
    never_booked = factories.make_resident(shibuya, created_dt=long_ago)
    recent = factories.make_resident(shibuya)
    active_old = factories.make_resident(shibuya, created_dt=long_ago)
    factories.make_booking(factories.make_session(venue), active_old)

    counted = services.apply_retention(3, dry_run=True)
    assert (counted.deleted, counted.anonymised) == (1, 1)
    assert db.session.get(Resident, never_booked.id) is not None

    result = services.apply_retention(3)
    assert (result.deleted, result.anonymised) == (1, 1)
    assert result.cutoff == date(clock.fiscal_year(clock.today()) - 2, 4, 1)
    assert db.session.get(Resident, never_booked.id) is None
    anonymised = db.session.get(Resident, attended.id)
    assert anonymised.is_anonymised
    assert (anonymised.family_name, anonymised.needs, anonymised.phones) == ("", "", [])
    assert anonymised.birth_year == 1944  # the age band still counts
    # What the KPIs count stays: the attendance and the follow-up answer.
    assert db.session.scalar(
        sa.select(sa.func.count()).where(
            Booking.resident_id == attended.id, Booking.status == BookingStatus.ATTENDED
        )
    )
    kept = db.session.scalar(sa.select(FollowUp))
    assert (kept.answer, kept.procedure, kept.note) == (FollowUpAnswer.YES, "e-Tax", "")
    assert db.session.get(Resident, recent.id).family_name
    assert db.session.get(Resident, active_old.id).family_name
    # Running again finds nothing more.
    again = services.apply_retention(3)
    assert (again.deleted, again.anonymised) == (0, 0)
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "resident.retention"))


@pytest.mark.parametrize(
    ("phones", "channel"),
    [
        (["03-3463-1873"], ReminderChannel.VOICE),
        (["050-1234-5678"], ReminderChannel.VOICE),
        (["090-1234-5678", "03-3463-1873"], ReminderChannel.SMS),
        (["03-3463-1873", "090-1234-5678"], ReminderChannel.VOICE),
        ([], ReminderChannel.NONE),
    ],
)
def test_the_first_number_decides_the_channel_unless_staff_choose(shibuya, users, phones, channel):
    resident = services.create_resident(
        users["ward_staff"], shibuya, draft(phones=phones, reminder_channel=None)
    )
    assert resident.reminder_channel == channel


def test_merge_keeps_the_answered_follow_up(shibuya, users):
    venue = factories.make_venue(shibuya)
    keep, duplicate = factories.make_resident(shibuya), factories.make_resident(shibuya)
    recent = factories.make_session(venue, starts_dt=clock.now() - timedelta(days=20))
    older = factories.make_session(
        factories.make_venue(shibuya), starts_dt=clock.now() - timedelta(days=120)
    )
    factories.make_booking(recent, keep, status=BookingStatus.ATTENDED)
    factories.make_booking(older, duplicate, status=BookingStatus.ATTENDED)
    bookings.sync_follow_up(keep.id, shibuya.id)
    answered = bookings.sync_follow_up(duplicate.id, shibuya.id)
    bookings.record_follow_up(users["ward_staff"], answered, FollowUpAnswer.NO)
    services.merge_residents(users["ward_staff"], keep, duplicate)
    rows = db.session.scalars(sa.select(FollowUp)).all()
    assert [(row.id, row.resident_id, row.answer) for row in rows] == [
        (answered.id, keep.id, FollowUpAnswer.NO)
    ]
