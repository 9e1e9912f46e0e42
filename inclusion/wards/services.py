from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion.audit.services import record_event
from inclusion.auth.models import Role, User
from inclusion.db import read_one
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.phones import display_phone, parse_phone
from inclusion.wards.models import Ward

_KEY = sa.bindparam("key")
_WARDS = Ward.__table__
#: Built once, on the table: a kept public page needs no more than a ward's id and version.
_VERSION_BY_KEY = sa.select(_WARDS.c.id, _WARDS.c.cache_version).where(
    sa.or_(_WARDS.c.slug == _KEY, _WARDS.c.code == _KEY)
)


def find_ward(key: str) -> Ward | None:
    """Find a ward by its romanised name (``shibuya``) or official code (``131130``)."""
    key = key.strip().lower()
    if not key:
        return None
    return db.session.scalar(sa.select(Ward).where(sa.or_(Ward.slug == key, Ward.code == key)))


def ward_version(key: str) -> sa.Row | None:
    """A ward's ``id`` and ``cache_version`` by its name or code, without loading it."""
    key = key.strip().lower()
    if not key:
        return None
    return read_one(_VERSION_BY_KEY, {"key": key})


def staff_addresses(ward: Ward) -> list[str]:
    """Where mail to a ward's staff goes: each active staff account's address."""
    return list(
        db.session.scalars(
            sa.select(User.email)
            .where(User.ward_id == ward.id, User.role == Role.WARD_STAFF, User.is_active)
            .order_by(User.id)
        )
    )


def list_wards() -> list[Ward]:
    return list(db.session.scalars(sa.select(Ward).order_by(Ward.code)))


def update_ward_contact(
    actor: User | None, ward: Ward, phone: str, hours: str, counter: str
) -> Ward:
    """Change how residents book with a ward; audited. Every reminder tells residents to
    call this number, so it must be one that can be called; it is kept as people write it
    (03-1234-5678)."""
    if phone != ward.booking_phone:  # one kept from before is not refused on other changes
        parsed = parse_phone(phone, "booking_phone")
        phone = display_phone(parsed[0]) if parsed else ""
    before = [ward.booking_phone, ward.booking_hours, ward.booking_counter]
    ward.booking_phone, ward.booking_hours, ward.booking_counter = phone, hours, counter
    if before != [phone, hours, counter]:
        record_event(actor, "ward.update_contact", ward, ward, {"before": before})
    return ward


def update_cover_rules(
    actor: User, ward: Ward, swaps_need_approval: bool, alert_hours: int
) -> Ward:
    """Whether staff approve swaps, and how long before a session they hear that nobody has
    taken over a shift; audited."""
    if not 1 <= alert_hours <= 336:
        raise RuleViolation(_l("Enter a number from 1 to 336 (two weeks)."), "cover_alert_hours")
    before = [ward.swaps_need_approval, ward.cover_alert_hours]
    ward.swaps_need_approval, ward.cover_alert_hours = swaps_need_approval, alert_hours
    if before != [swaps_need_approval, alert_hours]:
        record_event(actor, "ward.cover_rules", ward, ward, {"before": before})
    return ward
