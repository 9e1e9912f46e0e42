"""Reading cover and swaps: what a volunteer is asked and has asked, what a ward must see.

Each list is a fixed number of queries, whatever its length.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from inclusion import clock
from inclusion.auth.models import User
from inclusion.cover.models import (
    PENDING_SWAP,
    CoverOffer,
    CoverRequest,
    CoverStatus,
    SwapRequest,
    SwapStatus,
)
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionStatus
from inclusion.volunteers import pool
from inclusion.volunteers.models import HOLDING, Shift, ShiftRole, ShiftStatus, TrainingLevel
from inclusion.volunteers.services import training_records
from inclusion.wards.models import Ward

#: How long closed requests and swaps stay on the lists.
RECENT = timedelta(days=30)
#: How far ahead, and how many, shifts are offered to swap with.
SWAP_DAYS, SWAP_CHOICES = 60, 50


def _request_loads():
    return (
        joinedload(CoverRequest.session).joinedload(Session.venue),
        joinedload(CoverRequest.shift),
        joinedload(CoverRequest.requested_by),
        joinedload(CoverRequest.covered_by),
        selectinload(CoverRequest.offers).joinedload(CoverOffer.volunteer),
    )


def offers_to(volunteer_id: int) -> list[tuple[CoverOffer, CoverRequest]]:
    """Offers made to a volunteer: open ones first, then those closed lately."""
    since = clock.now() - RECENT
    rows = db.session.execute(
        sa.select(CoverOffer, CoverRequest)
        .join(CoverRequest, CoverRequest.id == CoverOffer.request_id)
        .join(Session, Session.id == CoverRequest.session_id)
        .options(
            joinedload(CoverRequest.session).joinedload(Session.venue),
            joinedload(CoverRequest.session).joinedload(Session.ward),
            joinedload(CoverRequest.shift),
        )
        .where(
            CoverOffer.user_id == volunteer_id,
            sa.or_(CoverRequest.status == CoverStatus.OPEN, CoverOffer.offered_dt >= since),
        )
        .order_by((CoverRequest.status == CoverStatus.OPEN).desc(), Session.starts_dt)
    ).all()
    return [(offer, request) for offer, request in rows]


def requests_by(volunteer_id: int) -> list[CoverRequest]:
    """A volunteer's own requests: open ones, and those closed lately."""
    since = clock.now() - RECENT
    return list(
        db.session.scalars(
            sa.select(CoverRequest)
            .join(Session, Session.id == CoverRequest.session_id)
            .options(*_request_loads())
            .where(
                CoverRequest.requested_by_id == volunteer_id,
                sa.or_(CoverRequest.status == CoverStatus.OPEN, CoverRequest.created_dt >= since),
            )
            .order_by((CoverRequest.status == CoverStatus.OPEN).desc(), Session.starts_dt)
        )
    )


def open_requests_of_shifts(shift_ids: list[int]) -> dict[int, CoverRequest]:
    """The open request of each of these shifts that has one."""
    if not shift_ids:
        return {}
    return {
        request.shift_id: request
        for request in db.session.scalars(
            sa.select(CoverRequest).where(
                CoverRequest.shift_id.in_(shift_ids), CoverRequest.status == CoverStatus.OPEN
            )
        )
    }


def _swap_loads():
    return (
        joinedload(SwapRequest.offered_shift).joinedload(Shift.session).joinedload(Session.venue),
        joinedload(SwapRequest.wanted_shift).joinedload(Shift.session).joinedload(Session.venue),
        joinedload(SwapRequest.proposer),
        joinedload(SwapRequest.partner),
    )


def swaps_of(volunteer_id: int) -> list[SwapRequest]:
    """Swaps a volunteer proposed or was asked: those on their way, and lately closed."""
    since = clock.now() - RECENT
    return list(
        db.session.scalars(
            sa.select(SwapRequest)
            .options(*_swap_loads())
            .where(
                sa.or_(SwapRequest.proposer_id == volunteer_id,
                       SwapRequest.partner_id == volunteer_id),
                sa.or_(SwapRequest.status.in_(PENDING_SWAP), SwapRequest.created_dt >= since),
            )
            .order_by(SwapRequest.status.in_(PENDING_SWAP).desc(), SwapRequest.id.desc())
        ).unique()
    )  # fmt: skip


def pending_swaps_of_shifts(shift_ids: list[int]) -> dict[int, SwapRequest]:
    """The swap on its way that offers each of these shifts, if any."""
    if not shift_ids:
        return {}
    return {
        swap.offered_shift_id: swap
        for swap in db.session.scalars(
            sa.select(SwapRequest).where(
                SwapRequest.offered_shift_id.in_(shift_ids), SwapRequest.status.in_(PENDING_SWAP)
            )
        )
    }


def swap_choices(volunteer: User) -> list[Shift]:
    """Other volunteers' shifts the volunteer could take in exchange: to come within
    ``SWAP_DAYS``, in a ward they may help in, in a role they are trained for, at a
    session where they hold no place."""
    profile = volunteer.volunteer_profile
    now = clock.now()
    own = [ward.id for ward in profile.wards]
    in_pool = list(pool.pool_ward_ids(profile))
    mine = sa.select(Shift.session_id).where(
        Shift.user_id == volunteer.id, Shift.status.in_(HOLDING)
    )
    shifts = db.session.scalars(
        sa.select(Shift)
        .join(Session, Session.id == Shift.session_id)
        .options(joinedload(Shift.session).joinedload(Session.venue), joinedload(Shift.volunteer))
        .where(
            Shift.status == ShiftStatus.CLAIMED,
            Shift.user_id != volunteer.id,
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_dt > now,
            Session.starts_dt <= now + timedelta(days=SWAP_DAYS),
            Session.id.not_in(mine),
            sa.or_(Session.ward_id.in_(own),
                   sa.and_(Session.pool_open, Session.ward_id.in_(in_pool))),
        )
        .order_by(Session.starts_dt, Shift.id)
        .limit(SWAP_CHOICES)
    ).all()  # fmt: skip
    records = training_records(volunteer)

    def trained_for(shift: Shift) -> bool:
        """Trained on the wanted shift's own day, as a lead for a lead's place."""
        day = clock.to_local(shift.session.starts_dt).date()
        valid = [record for record in records if record.is_valid_on(day)]
        return bool(valid) and (
            shift.role != ShiftRole.LEAD
            or any(record.level == TrainingLevel.LEAD for record in valid)
        )

    return [shift for shift in shifts if trained_for(shift)]


def ward_requests(ward: Ward) -> list[CoverRequest]:
    """A ward's requests for cover: open ones (alerted first, soonest first), then lately
    closed."""
    since = clock.now() - RECENT
    return list(
        db.session.scalars(
            sa.select(CoverRequest)
            .join(Session, Session.id == CoverRequest.session_id)
            .options(*_request_loads())
            .where(
                CoverRequest.ward_id == ward.id,
                sa.or_(CoverRequest.status == CoverStatus.OPEN, CoverRequest.created_dt >= since),
            )
            .order_by(
                (CoverRequest.status == CoverStatus.OPEN).desc(),
                CoverRequest.alerted_dt.is_(None),
                Session.starts_dt,
            )
        ).unique()
    )


def ward_swaps(ward: Ward) -> list[SwapRequest]:
    """Swaps touching a ward's sessions: waiting for approval first, then lately closed."""
    since = clock.now() - RECENT
    sessions = _shifts_in(ward)
    return list(
        db.session.scalars(
            sa.select(SwapRequest)
            .options(*_swap_loads())
            .where(
                sa.or_(SwapRequest.offered_shift_id.in_(sessions),
                       SwapRequest.wanted_shift_id.in_(sessions)),
                sa.or_(SwapRequest.status == SwapStatus.AGREED, SwapRequest.created_dt >= since),
            )
            .order_by((SwapRequest.status == SwapStatus.AGREED).desc(), SwapRequest.id.desc())
        ).unique()
    )  # fmt: skip


def alerts(ward: Ward) -> tuple[list[CoverRequest], int]:
    """For the ward's home page: requests staff were alerted about and still open (whom
    each was offered to, and their answers), and how many swaps wait for approval."""
    alerted = list(
        db.session.scalars(
            sa.select(CoverRequest)
            .join(Session, Session.id == CoverRequest.session_id)
            .options(*_request_loads())
            .where(
                CoverRequest.ward_id == ward.id,
                CoverRequest.status == CoverStatus.OPEN,
                CoverRequest.alerted_dt.is_not(None),
            )
            .order_by(Session.starts_dt, CoverRequest.id)
        ).unique()
    )
    if not ward.swaps_need_approval:
        return alerted, 0
    waiting = db.session.scalar(
        sa.select(sa.func.count()).where(
            SwapRequest.status == SwapStatus.AGREED,
            sa.or_(SwapRequest.offered_shift_id.in_(_shifts_in(ward)),
                   SwapRequest.wanted_shift_id.in_(_shifts_in(ward))),
        )
    )  # fmt: skip
    return alerted, waiting


def _shifts_in(ward: Ward) -> sa.Select:
    return (
        sa.select(Shift.id)
        .join(Session, Session.id == Shift.session_id)
        .where(Session.ward_id == ward.id)
    )
