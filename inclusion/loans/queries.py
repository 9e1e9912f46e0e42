"""Reading the loan stock: lists a fixed number of queries long, whatever their length."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from inclusion.extensions import db
from inclusion.loans.models import Device, DeviceState, Loan
from inclusion.residents.models import Resident
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
