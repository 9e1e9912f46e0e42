"""A ward's cache version changes in the same transaction as anything its pages show.

Every flush notes the wards whose sessions, venues, series, bookings, enrolments, shifts
or contact details it changed; the commit then gives those wards a new random
``cache_version`` as its last statement (so the ward row is the last lock taken, and no
two transactions wait on each other for it). A page cached under the old version is never
found again, in any worker or on any host: the version is read from the database with the
ward itself. Statements that change many rows at once (``update(Session)…``) and changes
to who volunteers where renew every ward's version.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from inclusion.auth.models import User
from inclusion.courses.models import Enrolment
from inclusion.residents.models import Booking
from inclusion.sessions.models import Series, Session, SessionTopic
from inclusion.venues.models import Venue
from inclusion.volunteers.models import (
    Shift,
    TrainingRecord,
    VolunteerProfile,
    volunteer_pool_wards,
    volunteer_wards,
)
from inclusion.wards.models import Ward

#: ``session.info`` key: ward ids changed in this transaction, or EVERY_WARD.
CHANGED = "inclusion.changed_wards"
EVERY_WARD = "every ward"
#: Marks the statement that renews versions, which must not count as a change itself.
RENEWING = "inclusion_renewing_cache_versions"

_WITH_WARD = (Session, Venue, Series, Booking, Enrolment)
_WITH_SESSION = (Shift, SessionTopic)
#: Who volunteers where, and what they may do: the open-shift lists of many wards.
_EVERY_WARD = (VolunteerProfile, TrainingRecord)
#: What a user may see, which pages cached for their log-in took for granted.
_USER_ACCESS = ("role", "ward_id", "is_active")
_TABLES = frozenset(
    model.__table__.name for model in (*_WITH_WARD, *_WITH_SESSION, *_EVERY_WARD, Ward, User)
) | {volunteer_wards.name, volunteer_pool_wards.name}


def _wards_of(instance: object) -> Iterable[int] | str:
    if isinstance(instance, Ward):
        changed = sa.inspect(instance).attrs
        if any(a.history.has_changes() for a in changed if a.key != "cache_version"):
            return (instance.id,)
        return ()
    if isinstance(instance, _WITH_WARD):
        if instance.ward_id is not None:
            return (instance.ward_id,)
        ward = instance.__dict__.get("ward")  # a new row given its ward, not yet its id
        return (ward.id,) if ward is not None and ward.id is not None else ()
    if isinstance(instance, _WITH_SESSION):  # only with its session at hand (note_changes)
        return (instance.session.ward_id,)
    if isinstance(instance, _EVERY_WARD):
        return EVERY_WARD
    if isinstance(instance, User):  # a new account has no page kept yet
        state = sa.inspect(instance)
        if state.persistent and any(state.attrs[k].history.has_changes() for k in _USER_ACCESS):
            return EVERY_WARD
    return ()


def _note(session: OrmSession, wards: Iterable[int] | str) -> None:
    noted = session.info.get(CHANGED)
    if noted == EVERY_WARD:
        return
    if wards == EVERY_WARD:
        session.info[CHANGED] = EVERY_WARD
    elif wards:
        session.info[CHANGED] = (noted or set()) | set(wards)


@event.listens_for(OrmSession, "before_flush")
def note_changes(session: OrmSession, _context, _instances) -> None:
    sessions_asked: set[int] = set()
    with session.no_autoflush:
        for instance in (*session.new, *session.dirty, *session.deleted):
            if instance in session.dirty and not session.is_modified(instance):
                continue
            # A shift or topic whose session is not loaded: its ward is asked for below,
            # for all of them in one query (the session is set before its id, on a new row).
            if isinstance(instance, _WITH_SESSION) and "session" not in instance.__dict__:
                sessions_asked.add(instance.session_id)
                continue
            _note(session, _wards_of(instance))
        sessions_asked.discard(None)
        if sessions_asked:
            _note(session, session.scalars(
                sa.select(Session.ward_id).where(Session.id.in_(sessions_asked)).distinct()
            ).all())  # fmt: skip


@event.listens_for(OrmSession, "do_orm_execute")
def note_bulk_changes(state: ORMExecuteState) -> None:
    """``update(Session)…``, ``insert(Booking)`` and the like: which wards they touch is
    not known without running them, so every ward's version is renewed."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if state.execution_options.get(RENEWING):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in _TABLES:
        _note(state.session, EVERY_WARD)


@event.listens_for(OrmSession, "before_commit")
def renew_versions(session: OrmSession) -> None:
    if session.in_nested_transaction():
        # A savepoint's release: the ward row is locked at the real commit, last.
        return
    session.flush()  # the changes still pending are noted too
    changed = session.info.pop(CHANGED, None)
    if not changed:
        return
    statement = sa.update(Ward).values(cache_version=secrets.token_hex(8))
    if changed != EVERY_WARD:
        statement = statement.where(Ward.id.in_(sorted(changed)))
    session.execute(statement, execution_options={RENEWING: True, "synchronize_session": False})


@event.listens_for(OrmSession, "after_soft_rollback")
def forget_changes(session: OrmSession, previous) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(CHANGED, None)
