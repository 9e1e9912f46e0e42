"""The 23 wards' pool (広域人材プール): volunteers who help beyond their own wards.

A volunteer in the pool names the other wards they will help in, or how far they will
travel (straight-line km between ward offices), or both; a ward opens a session's places
to the pool. Training counts in every ward: it is the volunteer's, not a ward's.
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionStatus
from inclusion.volunteers.models import VolunteerProfile, volunteer_pool_wards, volunteer_wards
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards

EARTH_KM = 6371.0


def km_between(first: Ward, second: Ward) -> float | None:
    """Straight-line km between two ward offices (None when one is not known)."""
    if None in (first.office_lat, first.office_lon, second.office_lat, second.office_lon):
        return None
    lat1, lon1, lat2, lon2 = map(
        math.radians, (first.office_lat, first.office_lon, second.office_lat, second.office_lon)
    )
    half = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(math.sqrt(half))


def distance_from_home(profile: VolunteerProfile, ward: Ward) -> float | None:
    """How far ``ward`` is from the nearest of the volunteer's own wards."""
    found = [km for home in profile.wards if (km := km_between(home, ward)) is not None]
    return min(found) if found else None


def pool_ward_ids(profile: VolunteerProfile) -> set[int]:
    """The wards, other than their own, whose pool shifts the volunteer may take."""
    if not profile.in_pool:
        return set()
    own = {ward.id for ward in profile.wards}
    chosen = {ward.id for ward in profile.pool_wards}
    if profile.pool_max_km is not None:
        for ward in list_wards():
            km = distance_from_home(profile, ward)
            if km is not None and km <= profile.pool_max_km:
                chosen.add(ward.id)
    return chosen - own


def is_pool_help(profile: VolunteerProfile, session: Session) -> bool:
    """Whether helping at ``session`` would be helping outside the volunteer's own wards."""
    return session.ward_id not in {ward.id for ward in profile.wards}


def may_help(profile: VolunteerProfile, session: Session) -> bool:
    """A session of their own wards, or one opened to the pool in a ward they offered."""
    if not is_pool_help(profile, session):
        return True
    return session.pool_open and session.ward_id in pool_ward_ids(profile)


def may_help_sql(session: Session) -> sa.ColumnElement[bool]:
    """``may_help`` for every ``VolunteerProfile`` of a query at once (one session): their
    own ward, or the pool by name or by distance. The distances from the session's ward
    are the 23 known ones, written into the statement."""
    own = sa.exists().where(
        volunteer_wards.c.user_id == VolunteerProfile.user_id,
        volunteer_wards.c.ward_id == session.ward_id,
    )
    if not session.pool_open:
        return own
    by_name = sa.exists().where(
        volunteer_pool_wards.c.user_id == VolunteerProfile.user_id,
        volunteer_pool_wards.c.ward_id == session.ward_id,
    )
    distances = {
        home.id: km for home in list_wards() if (km := km_between(home, session.ward)) is not None
    }
    conditions = [by_name]
    if distances:
        home_km = sa.case(distances, value=volunteer_wards.c.ward_id)
        conditions.append(
            sa.exists().where(
                volunteer_wards.c.user_id == VolunteerProfile.user_id,
                VolunteerProfile.pool_max_km.is_not(None),
                home_km <= VolunteerProfile.pool_max_km,
            )
        )
    return sa.or_(own, sa.and_(VolunteerProfile.in_pool, sa.or_(*conditions)))


def open_to_pool(actor: User, session: Session, is_open: bool) -> Session:
    """Let volunteers of other wards who joined the pool take the session's places (or
    no longer: those who already took one keep it)."""
    if is_open and session.status != SessionStatus.SCHEDULED:
        raise RuleViolation(_l("This session is cancelled or over."))
    if session.pool_open == is_open:
        return session
    session.pool_open = is_open
    db.session.flush()
    record_event(actor, "session.pool", session, session.ward, {"open": is_open})
    return session
