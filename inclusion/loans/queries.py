"""Reading the loan stock: lists a fixed number of queries long, whatever their length."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from inclusion import clock
from inclusion.extensions import db
from inclusion.loans.models import Device, DeviceState, Loan
from inclusion.reminders.models import Reminder
from inclusion.residents.models import SEATED, Booking, Resident
from inclusion.sessions.models import Session
from inclusion.sessions.queries import Cursor, keyset_page
from inclusion.wards.models import Ward

#: Rows a list shows at most; the figures count them all.
SHOWN = 500


def devices_of(ward: Ward, state: DeviceState | None = None) -> list[tuple[Device, Loan | None]]:
    """A ward's devices (of one state, if asked), each with its loan now out, if any."""
    out = sa.orm.aliased(Loan)
    query = (
        sa.select(Device, out)
        .outerjoin(out, sa.and_(out.device_id == Device.id, out.returned_on.is_(None)))
        .options(joinedload(out.resident))
        .where(Device.ward_id == ward.id)
        .order_by(Device.model, Device.serial)
        .limit(SHOWN)
    )
    if state is not None:
        query = query.where(Device.state == state)
    return [(device, loan) for device, loan in db.session.execute(query).all()]


def state_counts(ward: Ward) -> dict[DeviceState, int]:
    rows = db.session.execute(
        sa.select(Device.state, sa.func.count()).where(Device.ward_id == ward.id)
        .group_by(Device.state)
    ).all()  # fmt: skip
    return {state: count for state, count in rows}


def loans_of_device(device: Device) -> list[Loan]:
    return list(
        db.session.scalars(
            sa.select(Loan)
            .options(joinedload(Loan.resident), joinedload(Loan.lent_by))
            .where(Loan.device_id == device.id)
            .order_by(Loan.starts_on.desc(), Loan.id.desc())
        )
    )


def loans_of_resident(resident: Resident) -> list[Loan]:
    return list(
        db.session.scalars(
            sa.select(Loan)
            .options(joinedload(Loan.device))
            .where(Loan.resident_id == resident.id)
            .order_by(Loan.starts_on.desc(), Loan.id.desc())
        )
    )


def loans_out(ward: Ward) -> list[Loan]:
    """Loans not yet ended, the longest overdue first, then by due date."""
    return list(
        db.session.scalars(
            sa.select(Loan)
            .join(Device, Device.id == Loan.device_id)
            .join(Resident, Resident.id == Loan.resident_id)
            .options(contains_eager(Loan.device), contains_eager(Loan.resident))
            .where(Loan.ward_id == ward.id, Loan.returned_on.is_(None))
            .order_by(Loan.due_on, Loan.id)
            .limit(SHOWN)
        )
    )


def devices_in_stock(ward: Ward) -> list[Device]:
    return list(
        db.session.scalars(
            sa.select(Device)
            .where(Device.ward_id == ward.id, Device.state == DeviceState.IN_STOCK)
            .order_by(Device.model, Device.serial)
            .limit(SHOWN)
        )
    )


def classes_during(loan: Loan) -> list[Booking]:
    """The resident's seats at the ward's sessions while the device is with them (from the
    first day to its return, or on to every session booked ahead): what the loan is for."""
    since, until = clock.local_day_bounds(loan.starts_on, loan.returned_on or loan.starts_on)
    query = (
        sa.select(Booking)
        .join(Session, Session.id == Booking.session_id)
        .options(contains_eager(Booking.session))
        .where(Booking.resident_id == loan.resident_id, Booking.status.in_(SEATED),
               Session.starts_dt >= since)
        .order_by(Session.starts_dt, Booking.id)
        .limit(SHOWN)
    )  # fmt: skip
    if loan.returned_on is not None:
        query = query.where(Session.starts_dt < until)
    return list(db.session.scalars(query))


def messages_of(loan: Loan) -> list[Reminder]:
    """What the resident (and their contact) were sent about the loan, in order."""
    return list(
        db.session.scalars(
            sa.select(Reminder).where(Reminder.loan_id == loan.id)
            .order_by(Reminder.due_dt, Reminder.id)
        )
    )  # fmt: skip


#: Which loans a list asks for: still out, out past their due date, back, or all.
LOAN_STATES = ("out", "overdue", "returned", "all")


def page_of_loans(
    ward_ids: list[int] | None, state: str, after: Cursor | None, size: int
) -> tuple[list[Loan], Cursor | None]:
    """Loans of the wards (None: every ward) in the order they were made, with their
    device; ``state`` one of ``LOAN_STATES``."""
    query = (
        sa.select(Loan)
        .join(Device, Device.id == Loan.device_id)
        .options(contains_eager(Loan.device), joinedload(Loan.ward))
    )
    if ward_ids is not None:
        query = query.where(Loan.ward_id.in_(ward_ids))
    if state in ("out", "overdue"):
        query = query.where(Loan.returned_on.is_(None))
    if state == "overdue":
        query = query.where(Loan.due_on < clock.today())
    if state == "returned":
        query = query.where(Loan.returned_on.is_not(None))
    rows, next_cursor = keyset_page(query, after, size, key=(Loan.created_dt, Loan.id))
    return [row[0] for row in rows], next_cursor


def page_of_devices(
    ward_ids: list[int] | None, state: DeviceState | None, after: Cursor | None, size: int
) -> tuple[list[Device], Cursor | None]:
    """Devices of the wards (None: every ward), of one state if asked, as they were added."""
    query = sa.select(Device).options(joinedload(Device.ward))
    if ward_ids is not None:
        query = query.where(Device.ward_id.in_(ward_ids))
    if state is not None:
        query = query.where(Device.state == state)
    rows, next_cursor = keyset_page(query, after, size, key=(Device.created_dt, Device.id))
    return [row[0] for row in rows], next_cursor
