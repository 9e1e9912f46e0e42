"""Smartphones the ward lends to residents who have none, and each loan of one."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.residents.models import Resident
from inclusion.wards.models import Ward


class DeviceState(enum.StrEnum):
    IN_STOCK = "in_stock"
    LENT = "lent"
    IN_REPAIR = "in_repair"
    RETIRED = "retired"
    LOST = "lost"

    @property
    def label(self) -> str:
        return str(DEVICE_STATE_LABELS[self])


DEVICE_STATE_LABELS = {
    DeviceState.IN_STOCK: _l("In stock"),
    DeviceState.LENT: _l("Lent"),
    DeviceState.IN_REPAIR: _l("In repair"),
    DeviceState.RETIRED: _l("Retired"),
    DeviceState.LOST: _l("Lost"),
}
#: States staff set by hand; a device becomes lent only by a loan.
SETTABLE_STATES = (DeviceState.IN_STOCK, DeviceState.IN_REPAIR, DeviceState.RETIRED,
                   DeviceState.LOST)  # fmt: skip


class Device(db.Model):
    """A smartphone of a ward's loan stock."""

    __tablename__ = "devices"
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "serial"),
        sa.Index("ix_devices_ward_id_state", "ward_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    #: As staff know it, e.g. "iPhone SE (第3世代)" or "らくらくスマートフォン F-52B".
    model: Mapped[str] = mapped_column(sa.String(100))
    #: The serial number or IMEI written on the box: unique in the ward.
    serial: Mapped[str] = mapped_column(sa.String(50))
    #: The SIM's number (E.164), if it has one.
    sim_e164: Mapped[str | None] = mapped_column(sa.String(20))
    #: The SIM's plan, e.g. "ahamo 20GB" or "データのみ 3GB".
    plan: Mapped[str] = mapped_column(sa.String(100), default="")
    state: Mapped[DeviceState] = mapped_column(
        string_enum(DeviceState, "device_state"), default=DeviceState.IN_STOCK
    )
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Device {self.id} {self.state.value}>"


class ReturnCondition(enum.StrEnum):
    GOOD = "good"
    DAMAGED = "damaged"
    LOST = "lost"

    @property
    def label(self) -> str:
        return str(RETURN_CONDITION_LABELS[self])


RETURN_CONDITION_LABELS = {
    ReturnCondition.GOOD: _l("Returned in good order"),
    ReturnCondition.DAMAGED: _l("Returned damaged (to repair)"),
    ReturnCondition.LOST: _l("Not returned: lost"),
}


class Loan(db.Model):
    """One device lent to one resident, from a day until it came back (or was lost)."""

    __tablename__ = "loans"
    __table_args__ = (
        # A device is with one resident at a time, and a resident has one device at a time.
        sa.Index("uq_loans_device_out", "device_id", unique=True,
                 postgresql_where=sa.text("returned_on IS NULL"),
                 sqlite_where=sa.text("returned_on IS NULL")),
        sa.Index("uq_loans_resident_out", "resident_id", unique=True,
                 postgresql_where=sa.text("returned_on IS NULL"),
                 sqlite_where=sa.text("returned_on IS NULL")),
        sa.Index("ix_loans_ward_id_due_on", "ward_id", "due_on"),
        sa.CheckConstraint("due_on >= starts_on", name="due_after_start"),
        sa.CheckConstraint("returned_on IS NULL OR returned_on >= starts_on",
                           name="returned_after_start"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    device: Mapped[Device] = relationship()
    resident_id: Mapped[int] = mapped_column(
        # Never deleted with the resident: retention anonymises those with loans.
        sa.ForeignKey("residents.id", ondelete="RESTRICT"),
        index=True,
    )
    resident: Mapped[Resident] = relationship()
    starts_on: Mapped[date]
    due_on: Mapped[date]
    #: The day the resident signed the loan agreement (貸与同意書): no loan without it.
    agreement_signed_on: Mapped[date]
    returned_on: Mapped[date | None]
    condition: Mapped[ReturnCondition | None] = mapped_column(
        string_enum(ReturnCondition, "return_condition")
    )
    return_notes: Mapped[str] = mapped_column(sa.Text, default="")
    lent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    lent_by: Mapped[User | None] = relationship(foreign_keys=[lent_by_id])
    returned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_out(self) -> bool:
        return self.returned_on is None

    def is_overdue(self, today: date) -> bool:
        return self.is_out and self.due_on < today

    def __repr__(self) -> str:
        return f"<Loan {self.id} device {self.device_id}>"
