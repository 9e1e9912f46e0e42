"""Resident records: find-or-create, changes, consent, opt-out, merge and retention."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time

import jaconv
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.calls.models import Call
from inclusion.db import lock_row
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.line.models import LineLink, LineLinkCode, Unlinked
from inclusion.loans.models import Loan
from inclusion.phones import PhoneKind, parse_phone
from inclusion.reminders.quiet import checked_window
from inclusion.residents.bookings import sync_follow_up
from inclusion.residents.models import (
    ACTIVE,
    Booking,
    BookingStatus,
    Consent,
    ConsentMethod,
    ConsentScope,
    Contact,
    FollowUp,
    OptOutSource,
    ReminderChannel,
    Resident,
    ResidentPhone,
)
from inclusion.residents.signals import contact_stopped, contacts_changed
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

MAX_PHONES = 3
_KANA_RE = re.compile(r"^[ァ-ヶー・ 　]+$")
#: Age bands the programme reports by: (oldest age in the band, the band's code); codes
#: stay the same in the API and the figures.
AGE_BANDS = ((64, "–64"), (74, "65–74"), (84, "75–84"), (None, "85+"))
#: The bands as people say them.
AGE_BAND_LABELS = {
    "–64": _l("64 or younger"),
    "65–74": _l("65 to 74"),
    "75–84": _l("75 to 84"),
    "85+": _l("85 or older"),
}


@dataclass
class ResidentDraft:
    """A resident's record as staff typed it."""

    family_name: str
    family_kana: str
    given_name: str = ""
    given_kana: str = ""
    birth_year: int | None = None
    phones: list[str] = field(default_factory=list)
    #: None: decided by the first number (SMS to a mobile, a call to anything else).
    reminder_channel: ReminderChannel | None = None
    call_from: time | None = None
    call_until: time | None = None
    needs: str = ""
    proxy_name: str = ""
    proxy_relation: str = ""
    proxy_phone: str = ""
    proxy_gets_reminders: bool = False

    @classmethod
    def of(cls, resident: Resident) -> ResidentDraft:
        """A record as it stands, to change some of it."""
        return cls(
            family_name=resident.family_name,
            family_kana=resident.family_kana,
            given_name=resident.given_name,
            given_kana=resident.given_kana,
            birth_year=resident.birth_year,
            phones=[phone.e164 for phone in resident.phones],
            reminder_channel=resident.reminder_channel,
            call_from=resident.call_from,
            call_until=resident.call_until,
            needs=resident.needs,
            proxy_name=resident.proxy_name,
            proxy_relation=resident.proxy_relation,
            proxy_phone=resident.proxy_phone_e164 or "",
            proxy_gets_reminders=resident.proxy_gets_reminders,
        )


class PossibleDuplicate(Exception):
    """Residents already on record share a number or the kana with the new one."""

    def __init__(self, matches: list[Resident]) -> None:
        super().__init__(f"{len(matches)} possible duplicate(s)")
        self.matches = matches


# -- rules --------------------------------------------------------------------------------


def kana_key(text: str) -> str:
    """Kana as compared: full-width katakana without spaces (たなか, ﾀﾅｶ → タナカ)."""
    return "".join(normalise_kana(text).split())


def normalise_kana(text: str) -> str:
    """Half-width and hiragana readings as full-width katakana, spaces tidied."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join(jaconv.hira2kata(text).split())


def _kana(text: str, name: str, required: bool) -> str:
    kana = normalise_kana(text)
    if not kana:
        if required:
            raise RuleViolation(_l("Enter the reading in kana."), name)
        return ""
    if not _KANA_RE.match(kana):
        raise RuleViolation(_l("Enter the reading in kana only, such as タナカ."), name)
    return kana


def age_band(birth_year: int | None, today: date | None = None) -> str:
    """The age band a resident is in this year, e.g. ``75–84``; empty if unknown."""
    if birth_year is None:
        return ""
    age = (today or clock.today()).year - birth_year
    return next(label for oldest, label in AGE_BANDS if oldest is None or age <= oldest)


def _phones(draft: ResidentDraft) -> list[tuple[str, PhoneKind]]:
    parsed: list[tuple[str, PhoneKind]] = []
    for index, text in enumerate(draft.phones[:MAX_PHONES]):
        number = parse_phone(text, f"phone_{index + 1}")
        if number is not None and number[0] not in {e164 for e164, _kind in parsed}:
            parsed.append(number)
    return parsed


def _channel_for(phones: list[tuple[str, PhoneKind]]) -> ReminderChannel:
    """The channel a number suggests: SMS to a mobile, a call to a landline or 050."""
    if not phones:
        return ReminderChannel.NONE
    return ReminderChannel.SMS if phones[0][1].takes_sms else ReminderChannel.VOICE


def _check_channel(channel: ReminderChannel, phones: list[tuple[str, PhoneKind]]) -> None:
    if channel == ReminderChannel.SMS and not any(kind.takes_sms for _e164, kind in phones):
        raise RuleViolation(
            _l("SMS needs a mobile number (070, 080, 090 or 060); choose a phone call."),
            "reminder_channel",
        )
    if channel == ReminderChannel.VOICE and not phones:
        raise RuleViolation(_l("Enter a phone number to call, or choose no reminders."), "phone_1")


def _checked(draft: ResidentDraft) -> dict[str, object]:
    """The columns a draft sets, after every rule; raises RuleViolation on bad input."""
    family_name = draft.family_name.strip()
    if not family_name:
        raise RuleViolation(_l("Enter the family name."), "family_name")
    family_kana = _kana(draft.family_kana, "family_kana", required=True)
    given_kana = _kana(draft.given_kana, "given_kana", required=False)
    this_year = clock.today().year
    if draft.birth_year is not None and not this_year - 120 <= draft.birth_year <= this_year:
        raise RuleViolation(_l("Enter a year of birth such as 1948."), "birth_year")
    phones = _phones(draft)
    channel = draft.reminder_channel or _channel_for(phones)
    _check_channel(channel, phones)
    call_from, call_until = checked_window(
        draft.call_from,
        draft.call_until,
        current_app.config["REMINDER_CALL_HOURS"],
        "call_until",
        outside_field="call_from",
    )
    proxy = parse_phone(draft.proxy_phone, "proxy_phone")
    if draft.proxy_gets_reminders and proxy is None:
        raise RuleViolation(
            _l("Enter the contact's phone number so reminders can reach them."), "proxy_phone"
        )
    return {
        "family_name": family_name,
        "given_name": draft.given_name.strip(),
        "family_kana": family_kana,
        "given_kana": given_kana,
        "kana_key": kana_key(family_kana + given_kana),
        "birth_year": draft.birth_year,
        "reminder_channel": channel,
        "call_from": call_from,
        "call_until": call_until,
        "needs": draft.needs.strip(),
        "proxy_name": draft.proxy_name.strip(),
        "proxy_relation": draft.proxy_relation.strip(),
        "proxy_phone_e164": proxy[0] if proxy else None,
        "proxy_phone_kind": proxy[1] if proxy else None,
        "proxy_gets_reminders": draft.proxy_gets_reminders,
        "phones": phones,
    }


# -- finding ------------------------------------------------------------------------------


def _with_number(*e164s: str):
    """Residents holding one of the numbers: found through the numbers' index."""
    return Resident.id.in_(
        sa.select(ResidentPhone.resident_id).where(ResidentPhone.e164.in_(e164s))
    )


def find_matches(ward: Ward, e164s: list[str], key: str, exclude: int | None = None):
    """Residents of the ward with one of the numbers or the same kana: likely the same person."""
    conditions = []
    if e164s:
        conditions.append(
            _with_number(*e164s),
        )
    if key:
        conditions.append(Resident.kana_key == key)
    if not conditions:
        return []
    query = (
        sa.select(Resident)
        .where(Resident.ward_id == ward.id, Resident.anonymised_dt.is_(None), sa.or_(*conditions))
        .order_by(Resident.kana_key, Resident.id)
        .limit(20)
    )
    if exclude is not None:
        query = query.where(Resident.id != exclude)
    return list(db.session.scalars(query))


def residents_with_number(e164: str, limit: int = 50) -> list[Resident]:
    """Residents of any ward who hold this number (a joint call centre's lookup)."""
    return list(
        db.session.scalars(
            sa.select(Resident)
            .options(joinedload(Resident.ward))
            .where(_with_number(e164), Resident.anonymised_dt.is_(None))
            .order_by(Resident.ward_id, Resident.kana_key, Resident.id)
            .limit(limit)
        )
    )


def search_residents(ward: Ward | None, text: str, limit: int = 50) -> list[Resident]:
    """Residents of the ward (None: of every ward, for the joint call centre) whose kana or
    name starts with, or whose number is, ``text``."""
    text = text.strip()
    query = (
        sa.select(Resident)
        .where(Resident.anonymised_dt.is_(None))
        .order_by(Resident.kana_key, Resident.id)
        .limit(limit)
    )
    if ward is not None:
        query = query.where(Resident.ward_id == ward.id)
    if not text:
        return list(db.session.scalars(query))
    if any(char.isdigit() for char in text):
        try:
            number = parse_phone(text)
        except RuleViolation:
            number = None
        if number is not None:
            # A whole number is looked up by its index, not matched against names.
            return list(db.session.scalars(query.where(_with_number(number[0]))))
    key = kana_key(text)
    if not key:
        return []
    matching = sa.or_(
        Resident.kana_key.startswith(key, autoescape=True),
        Resident.family_name.startswith(text, autoescape=True),
    )
    return list(db.session.scalars(query.where(matching)))


# -- changes ------------------------------------------------------------------------------


def _apply(resident: Resident, values: dict[str, object]) -> dict[str, list[object]]:
    """Set the checked values; return which fields changed (never their contents)."""
    phones = values.pop("phones")
    changed = [name for name, value in values.items() if getattr(resident, name, None) != value]
    for name in changed:
        setattr(resident, name, values[name])
    wanted = [e164 for e164, _kind in phones]
    if [phone.e164 for phone in resident.phones] != wanted:
        changed.append("phones")
        kept = {phone.e164: phone for phone in resident.phones if phone.e164 in wanted}
        resident.phones = [
            kept.get(e164) or ResidentPhone(e164=e164, kind=kind) for e164, kind in phones
        ]
        db.session.flush()
        for position, phone in enumerate(resident.phones):
            phone.position = position
    return changed


def create_resident(
    actor: User | None, ward: Ward, draft: ResidentDraft, confirmed_new: bool = False
) -> Resident:
    """Add a resident, unless one with the same number or kana exists and staff did not confirm.

    The ward's row lock serialises find-or-create, so two staff taking the same
    person's call at once still see each other's record.
    """
    values = _checked(draft)
    lock_row(Ward, ward.id)
    if not confirmed_new:
        matches = find_matches(ward, [e164 for e164, _ in values["phones"]], values["kana_key"])
        if matches:
            raise PossibleDuplicate(matches)
    resident = Resident(ward_id=ward.id, created_by_id=actor.id if actor else None, phones=[])
    db.session.add(resident)
    _apply(resident, values)
    db.session.flush()
    record_event(actor, "resident.create", resident, ward, {"confirmed_new": confirmed_new})
    log.info("resident %s added in ward %s", resident.id, ward.slug)
    return resident


#: Fields that decide where a resident's messages go.
HOW_REACHED = frozenset(
    {"phones", "reminder_channel", "proxy_phone_e164", "proxy_phone_kind", "proxy_gets_reminders"}
)


def update_resident(actor: User, resident: Resident, draft: ResidentDraft) -> Resident:
    """Change a resident's record; the audit log names the fields, not their contents."""
    if resident.is_anonymised:
        raise RuleViolation(_l("This record was anonymised and cannot be changed."))
    changed = _apply(resident, _checked(draft))
    db.session.flush()
    if changed:
        record_event(actor, "resident.update", resident, resident.ward, {"fields": changed})
    if set(changed) & HOW_REACHED:
        contacts_changed.send(resident, fields=changed)
    return resident


def record_consent(
    actor: User | None,
    resident: Resident,
    scopes: list[ConsentScope],
    method: ConsentMethod,
    given_on: date,
) -> Consent:
    """Record what the resident agreed to, for the fiscal year it was given in."""
    if not scopes:
        raise RuleViolation(_l("Choose what the resident agreed to."), "scopes")
    if ConsentScope.RECORD not in scopes:
        raise RuleViolation(
            _l("Without consent to keep their details, take no booking; note nothing."),
            "scopes",
        )
    if given_on > clock.today():
        raise RuleViolation(_l("The date cannot be in the future."), "given_on")
    consent = Consent(
        resident_id=resident.id,
        fiscal_year=clock.fiscal_year(given_on),
        scopes=sorted(scope.value for scope in scopes),
        method=method,
        given_on=given_on,
        recorded_by_id=actor.id if actor else None,
    )
    db.session.add(consent)
    db.session.flush()
    record_event(
        actor,
        "resident.consent",
        resident,
        resident.ward,
        {"scopes": consent.scopes, "method": method.value, "fiscal_year": consent.fiscal_year},
    )
    return consent


def consents_of(resident: Resident) -> list[Consent]:
    return list(
        db.session.scalars(
            sa.select(Consent)
            .where(Consent.resident_id == resident.id)
            .order_by(Consent.given_on.desc(), Consent.id.desc())
        )
    )


@dataclass(frozen=True)
class ContactState:
    contact: Contact
    gets_reminders: bool
    stopped_dt: datetime | None
    stopped_by: OptOutSource | None


@dataclass(frozen=True)
class ConsentState:
    """A resident's consent as staff and integrations read it."""

    resident_id: int
    ward_id: int
    contacts: list[ContactState]
    renewal_due: bool
    records: list[Consent]


def consent_state(resident: Resident) -> ConsentState:
    """Each contact's choice (the contact person only when there is a number for them) and
    the consents given, newest first."""
    records = consents_of(resident)
    contacts = [Contact.RESIDENT] + ([Contact.PROXY] if resident.proxy_phone_e164 else [])
    return ConsentState(
        resident_id=resident.id,
        ward_id=resident.ward_id,
        contacts=[
            ContactState(
                contact,
                resident.stopped_dt(contact) is None,
                resident.stopped_dt(contact),
                resident.stopped_source(contact),
            )
            for contact in contacts
        ],  # fmt: skip
        renewal_due=consent_is_due(records),
        records=records,
    )


def consent_due(latest_year: int | None, today: date | None = None) -> bool:
    """Whether consent must be asked (again): none yet, or none in this fiscal year."""
    return latest_year is None or latest_year < clock.fiscal_year(today or clock.today())


def consent_is_due(consents: list[Consent], today: date | None = None) -> bool:
    return consent_due(max((consent.fiscal_year for consent in consents), default=None), today)


def set_opt_out(
    actor: User | None,
    resident: Resident,
    opted_out: bool,
    source: OptOutSource,
    contact: Contact = Contact.RESIDENT,
    reason: str = "",
) -> bool:
    """Stop (or, by staff, restart) messages to one contact of a resident; honoured at once:
    the contact's waiting messages are cancelled in the same transaction.

    Staff say why (kept in the audit log with who); returns whether anything changed.
    Under the resident's row lock, so two at once change it (and log it) once.
    """
    lock_row(Resident, resident.id)
    db.session.refresh(resident)
    if opted_out == (resident.stopped_dt(contact) is not None):
        return False
    reason = reason.strip()
    if source == OptOutSource.STAFF and not reason:
        raise RuleViolation(
            _l("Say why the reminders change; it is kept in the record."), "reason"
        )
    if contact == Contact.PROXY and resident.proxy_phone_e164 is None:
        raise RuleViolation(_l("This resident has no contact person's number."))
    stamp = (clock.now(), source) if opted_out else (None, None)
    if contact == Contact.RESIDENT:
        resident.opted_out_dt, resident.opted_out_source = stamp
    else:
        resident.proxy_opted_out_dt, resident.proxy_opted_out_source = stamp
    db.session.flush()
    record_event(
        actor,
        "resident.opt_out" if opted_out else "resident.opt_in",
        resident,
        resident.ward,
        {"contact": contact.value, "source": source.value, "reason": reason},
    )
    if opted_out:
        contact_stopped.send(resident, contact=contact)
    return True


def set_reminder_choices(
    actor: User, resident: Resident, stops: dict[Contact, bool], reason: str
) -> list[Contact]:
    """Staff change whether each contact gets messages; returns the contacts changed."""
    return [
        contact
        for contact, opted_out in stops.items()
        if set_opt_out(actor, resident, opted_out, OptOutSource.STAFF, contact, reason)
    ]


def contacts_of_number(e164: str) -> list[tuple[Resident, Contact]]:
    """Every contact, in any ward, that messages to ``e164`` reach: a couple or a care home
    may share a number, and one person may be the contact of several residents."""
    own = sa.select(ResidentPhone.resident_id).where(ResidentPhone.e164 == e164)
    residents = db.session.scalars(
        sa.select(Resident)
        .where(
            sa.or_(Resident.id.in_(own), Resident.proxy_phone_e164 == e164),
            Resident.anonymised_dt.is_(None),
        )
        .order_by(Resident.ward_id, Resident.id)
    )
    found = []
    for resident in residents:
        if any(phone.e164 == e164 for phone in resident.phones):
            found.append((resident, Contact.RESIDENT))
        if resident.proxy_phone_e164 == e164:
            found.append((resident, Contact.PROXY))
    return found


def stop_number(e164: str, source: OptOutSource) -> list[tuple[Resident, Contact]]:
    """The person at ``e164`` asked for no more messages: stop every contact on that number.

    Returns the contacts stopped now (those stopped before are left as they were).
    """
    return [
        (resident, contact)
        for resident, contact in contacts_of_number(e164)
        if set_opt_out(None, resident, True, source, contact)
    ]


def merge_residents(actor: User, keep: Resident, duplicate: Resident) -> Resident:
    """Fold a duplicate record into ``keep``: bookings, numbers, consents and follow-up move.

    Where both were booked into the same session, the duplicate's booking is cancelled.
    """
    if keep.id == duplicate.id:
        raise RuleViolation(_l("Choose a different record to merge."), "duplicate")
    if keep.ward_id != duplicate.ward_id:
        raise RuleViolation(_l("Only records of the same ward can be merged."), "duplicate")
    if keep.is_anonymised or duplicate.is_anonymised:
        raise RuleViolation(_l("An anonymised record cannot be merged."), "duplicate")
    for resident_id in sorted((keep.id, duplicate.id)):
        lock_row(Resident, resident_id)
    out = db.session.scalar(
        sa.select(sa.func.count()).where(
            Loan.resident_id.in_([keep.id, duplicate.id]), Loan.returned_on.is_(None)
        )
    )
    if out > 1:
        raise RuleViolation(
            _l("Both records have a loan smartphone out: record one's return first."),
            "duplicate",
        )
    # The loans move with the person (a device out stays out, now on the kept record).
    db.session.execute(
        sa.update(Loan).where(Loan.resident_id == duplicate.id).values(resident_id=keep.id)
    )
    both = sa.select(Booking.session_id).where(
        Booking.resident_id == keep.id, Booking.status.in_(ACTIVE)
    )
    clashing = db.session.execute(
        sa.update(Booking)
        .where(
            Booking.resident_id == duplicate.id,
            Booking.status.in_(ACTIVE),
            Booking.session_id.in_(both),
        )
        .values(
            status=BookingStatus.CANCELLED,
            place=None,
            cancelled_dt=clock.now(),
            cancel_reason="merged",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    moved = db.session.execute(
        sa.update(Booking)
        .where(Booking.resident_id == duplicate.id)
        .values(resident_id=keep.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        sa.update(Consent).where(Consent.resident_id == duplicate.id).values(resident_id=keep.id)
    )
    _merge_follow_up(keep, duplicate)
    known = {phone.e164 for phone in keep.phones}
    extra = [phone for phone in duplicate.phones if phone.e164 not in known]
    for offset, phone in enumerate(extra, start=len(keep.phones)):
        keep.phones.append(ResidentPhone(e164=phone.e164, kind=phone.kind, position=offset))
    for name in ("given_name", "given_kana", "needs", "proxy_name", "proxy_relation"):
        if not getattr(keep, name) and getattr(duplicate, name):
            setattr(keep, name, getattr(duplicate, name))
    if keep.birth_year is None:
        keep.birth_year = duplicate.birth_year
    if keep.proxy_phone_e164 is None and duplicate.proxy_phone_e164:
        keep.proxy_phone_e164 = duplicate.proxy_phone_e164
        keep.proxy_phone_kind = duplicate.proxy_phone_kind
        keep.proxy_gets_reminders = duplicate.proxy_gets_reminders
    # A stop either record holds is kept: the person asked for it.
    if duplicate.is_opted_out and not keep.is_opted_out:
        keep.opted_out_dt = duplicate.opted_out_dt
        keep.opted_out_source = duplicate.opted_out_source
    same_proxy = keep.proxy_phone_e164 == duplicate.proxy_phone_e164
    if same_proxy and duplicate.proxy_opted_out_dt and not keep.proxy_opted_out_dt:
        keep.proxy_opted_out_dt = duplicate.proxy_opted_out_dt
        keep.proxy_opted_out_source = duplicate.proxy_opted_out_source
    _merge_line_links(keep, duplicate)
    duplicate_id = duplicate.id
    db.session.delete(duplicate)
    db.session.flush()
    db.session.expire(keep)
    record_event(
        actor,
        "resident.merge",
        keep,
        keep.ward,
        {"merged": duplicate_id, "bookings_moved": moved, "bookings_cancelled": clashing},
    )
    return keep


def _merge_line_links(keep: Resident, duplicate: Resident) -> None:
    """The duplicate's LINE links go to the record kept; if both had a LINE linked, the
    kept record's stays and the other ends. A code handed out for the duplicate stops."""
    now = clock.now()
    kept_linked = sa.exists().where(
        LineLink.resident_id == keep.id, LineLink.unlinked_dt.is_(None)
    )
    db.session.execute(
        sa.update(LineLink)
        .where(LineLink.resident_id == duplicate.id, LineLink.unlinked_dt.is_(None), kept_linked)
        .values(unlinked_dt=now, unlinked_why=Unlinked.REPLACED)
    )
    db.session.execute(
        sa.update(LineLink).where(LineLink.resident_id == duplicate.id).values(resident_id=keep.id)
    )
    db.session.execute(
        sa.update(LineLinkCode)
        .where(LineLinkCode.resident_id == duplicate.id, LineLinkCode.closed_dt.is_(None))
        .values(closed_dt=now)
    )


def _merge_follow_up(keep: Resident, duplicate: Resident) -> None:
    """Keep one follow-up: an answered one if any, due from the first session either attended."""
    pair = list(
        db.session.scalars(
            sa.select(FollowUp).where(FollowUp.resident_id.in_((keep.id, duplicate.id)))
        )
    )
    pair.sort(key=lambda row: (row.answer is None, row.first_attended_on))
    for loser in pair[1:]:
        db.session.delete(loser)
    db.session.flush()
    if pair:
        pair[0].resident_id = keep.id
        db.session.flush()
    sync_follow_up(keep.id, keep.ward_id)


# -- retention ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionResult:
    deleted: int
    anonymised: int
    #: Residents last active before this day were affected.
    cutoff: date


def apply_retention(years: int, dry_run: bool = False) -> RetentionResult:
    """Delete residents never booked, and anonymise booked ones, idle for ``years`` fiscal years.

    Bookings, attendance and follow-up answers stay, so the programme's counts stay true.
    """
    first_kept_year = clock.fiscal_year(clock.today()) - years + 1
    cutoff = date(first_kept_year, 4, 1)
    cutoff_dt = clock.to_utc(cutoff, time(0))
    recent = (
        sa.select(Booking.id)
        .join(Session, Session.id == Booking.session_id)
        .where(Booking.resident_id == Resident.id, Session.starts_dt >= cutoff_dt)
    )
    # A loan smartphone out, or back since the cutoff, is activity; any loan, like any
    # booking, is history the counts keep (the record is anonymised, not deleted).
    recent_loan = sa.select(Loan.id).where(
        Loan.resident_id == Resident.id,
        sa.or_(Loan.returned_on.is_(None), Loan.returned_on >= cutoff),
    )
    any_history = sa.or_(
        sa.exists().where(Booking.resident_id == Resident.id),
        sa.exists().where(Loan.resident_id == Resident.id),
    )
    idle = sa.and_(
        Resident.anonymised_dt.is_(None),
        Resident.created_dt < cutoff_dt,
        ~sa.exists(recent),
        ~sa.exists(recent_loan),
    )
    never_booked = sa.select(Resident.id).where(idle, ~any_history)
    to_anonymise = sa.select(Resident.id).where(idle, any_history)
    if dry_run:
        return RetentionResult(
            deleted=db.session.scalar(
                sa.select(sa.func.count()).select_from(never_booked.subquery())
            ),
            anonymised=db.session.scalar(
                sa.select(sa.func.count()).select_from(to_anonymise.subquery())
            ),
            cutoff=cutoff,
        )
    # Materialise the ids first: the updates below change what ``idle`` matches.
    anonymise_ids = list(db.session.scalars(to_anonymise))
    delete_ids = list(db.session.scalars(never_booked))
    for chunk in _chunks(delete_ids):
        db.session.execute(sa.delete(ResidentPhone).where(ResidentPhone.resident_id.in_(chunk)))
        db.session.execute(sa.delete(Consent).where(Consent.resident_id.in_(chunk)))
        db.session.execute(sa.delete(Resident).where(Resident.id.in_(chunk)))
    for chunk in _chunks(anonymise_ids):
        db.session.execute(sa.delete(ResidentPhone).where(ResidentPhone.resident_id.in_(chunk)))
        db.session.execute(
            sa.update(Resident)
            .where(Resident.id.in_(chunk))
            .values(
                family_name="",
                given_name="",
                family_kana="",
                given_kana="",
                kana_key="",
                needs="",
                proxy_name="",
                proxy_relation="",
                proxy_phone_e164=None,
                proxy_phone_kind=None,
                proxy_gets_reminders=False,
                reminder_channel=ReminderChannel.NONE,
                call_from=None,
                call_until=None,
                anonymised_dt=clock.now(),
            )
        )
        db.session.execute(
            sa.update(FollowUp).where(FollowUp.resident_id.in_(chunk)).values(note="")
        )
        # What they told the call centre, and the number they gave, go with their name.
        db.session.execute(
            sa.update(Call).where(Call.resident_id.in_(chunk)).values(note="", caller_e164=None)
        )
        # Their LINE no longer leads to them, and a code handed out links nobody.
        db.session.execute(
            sa.update(LineLink)
            .where(LineLink.resident_id.in_(chunk), LineLink.unlinked_dt.is_(None))
            .values(unlinked_dt=clock.now(), unlinked_why=Unlinked.ANONYMISED)
        )
        db.session.execute(
            sa.update(LineLinkCode)
            .where(LineLinkCode.resident_id.in_(chunk), LineLinkCode.closed_dt.is_(None))
            .values(closed_dt=clock.now())
        )
    _forget_old_calls(cutoff_dt)
    result = RetentionResult(len(delete_ids), len(anonymise_ids), cutoff)
    record_event(
        None,
        "resident.retention",
        details={
            "deleted": result.deleted,
            "anonymised": result.anonymised,
            "cutoff": cutoff.isoformat(),
        },
    )
    db.session.expire_all()
    return result


def _forget_old_calls(cutoff_dt: datetime) -> None:
    """Phone line calls from before the cutoff keep what the figures count, not who called
    or what the line read out to them."""
    from inclusion.phoneline.models import PhoneLineCall, PhoneLineStep

    old = sa.select(PhoneLineCall.id).where(PhoneLineCall.started_dt < cutoff_dt)
    db.session.execute(sa.delete(PhoneLineStep).where(PhoneLineStep.call_id.in_(old)))
    db.session.execute(
        sa.update(PhoneLineCall)
        .where(PhoneLineCall.started_dt < cutoff_dt)
        .values(from_e164=None, resident_id=None)
    )


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
