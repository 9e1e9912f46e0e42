from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.models import READ_ACTIONS, AuditLog
from inclusion.auth.models import User
from inclusion.extensions import db
from inclusion.residents.models import Resident
from inclusion.sessions.models import Series, Session
from inclusion.venues.models import Venue
from inclusion.wards.models import Ward


def record_event(
    actor: User | None,
    action: str,
    target: Any = None,
    ward: Ward | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit entry to the current transaction."""
    entry = AuditLog(
        actor=actor,
        action=action,
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None,
        ward=ward,
        ip_address=request.remote_addr if has_request_context() else None,
        details=details or {},
    )
    db.session.add(entry)
    return entry


def record_resident_reads(
    actor_id: int, residents: dict[int, int], details: dict[str, Any]
) -> None:
    """One ``resident.view`` entry per resident (id → ward id), by ids alone: for a caller
    whose loaded records a rollback has expired."""
    db.session.add_all(
        AuditLog(actor_id=actor_id, action="resident.view", target_type=Resident.__tablename__,
                 target_id=resident_id, ward_id=ward_id,
                 ip_address=request.remote_addr if has_request_context() else None,
                 details=details)
        for resident_id, ward_id in residents.items()
    )  # fmt: skip


def record_view(
    action: str,
    target: Any,
    ward: Ward | None,
    residents: Iterable[int | None] = (),
    **details: Any,
) -> None:
    """Record who saw personal data, and whose (the residents' ids), committed with the
    page (the view is ``writes_on_read``)."""
    from flask_login import current_user

    if action not in READ_ACTIONS:
        raise ValueError(f"{action} records a change, not a read")
    shown = sorted({resident_id for resident_id in residents if resident_id is not None})
    if shown:
        details |= {"shown": len(shown), "residents": shown}
    record_event(current_user, action, target, ward, details)
    db.session.commit()


@dataclass(frozen=True)
class EventFilter:
    ward_id: int | None = None
    person: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def list_events(filters: EventFilter, before_id: int | None = None, limit: int = 50):
    """Newest entries first, filtered, paged by id."""
    query = sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if filters.ward_id is not None:
        query = query.where(AuditLog.ward_id == filters.ward_id)
    if filters.person:
        query = query.where(
            AuditLog.actor_id.in_(
                sa.select(User.id).where(
                    sa.or_(
                        User.display_name.icontains(filters.person, autoescape=True),
                        User.email.icontains(filters.person, autoescape=True),
                    )
                )
            )
        )
    if filters.action:
        query = query.where(AuditLog.action == filters.action)
    if filters.date_from or filters.date_to:
        starts, ends = clock.local_day_bounds(
            filters.date_from or date(2000, 1, 1), filters.date_to or date(2100, 12, 31)
        )
        query = query.where(AuditLog.created_dt >= starts, AuditLog.created_dt < ends)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    return list(db.session.scalars(query))


#: What each kind of record is called, for people reading the log.
RECORD_LABELS = {
    "residents": _l("Resident"), "sessions": _l("Session"), "series": _l("Series"),
    "users": _l("Account"), "venues": _l("Venue"), "targets": _l("Target"),
    "api_keys": _l("API key"), "bookings": _l("Booking"), "shifts": _l("Shift"),
    "wards": _l("Ward"), "reminder_texts": _l("Reminder wording"),
    "reminder_steps": _l("Reminder timing"), "course_enrolments": _l("Course booking"),
    "survey_figures": _l("Survey figure"), "calendar_tokens": _l("Calendar address"),
    "calendar_imports": _l("Calendar import"), "replies": _l("Reply from a resident"),
    "training_records": _l("Training record"), "follow_ups": _l("Follow-up call"),
    "devices": _l("Device"), "loans": _l("Loan"), "calls": _l("Call"),
    "staff_trainings": _l("Staff training"),
}  # fmt: skip


@dataclass(frozen=True)
class RecordName:
    kind: str
    name: str | None = None
    #: (endpoint, values) of the record's page, if it has one the reader may open.
    page: tuple[str, dict] | None = None


def record_names(events: list[AuditLog], names_residents: bool) -> dict[tuple, RecordName]:
    """What each entry's record is, by name (one query per kind of record on the page);
    residents by name only for someone who may see them."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.target_type and event.target_id is not None:
            wanted.setdefault(event.target_type, set()).add(event.target_id)
    found: dict[tuple, RecordName] = {}
    for kind, ids in wanted.items():
        label = str(RECORD_LABELS.get(kind, _l("Record")))
        for record_id, (name, page) in _named(kind, ids, names_residents).items():
            found[(kind, record_id)] = RecordName(label, name, page)
        for record_id in ids:
            found.setdefault((kind, record_id), RecordName(label))
    return found


#: Records the log names: (model, its name, its page, the page's id argument, whether the
#: page is under its ward's address).
NAMED = {
    "residents": (Resident, Resident.family_name + " " + Resident.given_name,
                  "residents.detail", "resident_id", True),
    "sessions": (Session, Session.title, "sessions.detail", "session_id", True),
    "venues": (Venue, Venue.name, "venues.edit", "venue_id", True),
    "series": (Series, Series.title, None, None, False),
    "users": (User, User.display_name, "auth.edit_user", "user_id", False),
}  # fmt: skip


def _named(kind: str, ids: set[int], names_residents: bool) -> dict[int, tuple[str, tuple]]:
    if kind not in NAMED or (kind == "residents" and not names_residents):
        return {}
    model, name, endpoint, id_argument, under_ward = NAMED[kind]
    rows = db.session.execute(
        sa.select(model.id, name, Ward.slug)
        .outerjoin(Ward, Ward.id == model.ward_id)
        .where(model.id.in_(ids))
    )
    found = {}
    for id_, label, slug in rows:
        values = {id_argument: id_, **({"ward": slug} if under_ward else {})}
        found[id_] = (label.strip(), (endpoint, values) if endpoint else None)
    return found
