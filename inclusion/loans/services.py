"""Loan smartphones: the stock, lending one to a resident, and its return. Every change is
audit-logged in the device's ward; a device is lent once at a time (the database's)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.db import lock_row
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.loans.models import (
    SETTABLE_STATES,
    Device,
    DeviceState,
    Loan,
    ReturnCondition,
)
from inclusion.phones import parse_phone
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.reminders.planning import cancel_stale
from inclusion.residents.models import Resident
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: A loan longer than this is a typing mistake (Shibuya lends for up to two years).
LONGEST_LOAN_DAYS = 3 * 366


@dataclass(frozen=True)
class DeviceDraft:
    model: str
    serial: str
    sim_phone: str = ""
    plan: str = ""
    notes: str = ""


def _device_values(draft: DeviceDraft) -> dict:
    if not draft.model.strip():
        raise RuleViolation(_l("Enter the model."), "model")
    if not draft.serial.strip():
        raise RuleViolation(_l("Enter the serial number or IMEI."), "serial")
    parsed = parse_phone(draft.sim_phone, "sim_phone")
    return {
        "model": draft.model.strip(),
        "serial": draft.serial.strip(),
        "sim_e164": parsed[0] if parsed else None,
        "plan": draft.plan.strip(),
        "notes": draft.notes.strip(),
    }


def _saved(device: Device) -> Device:
    """Flush, turning a serial used twice in the ward into a message at its field."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(
            _l("This ward already has a device with this serial number or IMEI."), "serial"
        ) from None
    return device


def add_device(actor: User | None, ward: Ward, draft: DeviceDraft) -> Device:
    """Add a device to the ward's stock, in stock."""
    device = Device(ward_id=ward.id, state=DeviceState.IN_STOCK, **_device_values(draft))
    db.session.add(device)
    _saved(device)
    record_event(actor, "device.create", device, ward, {"model": device.model})
    return device


def update_device(actor: User, device: Device, draft: DeviceDraft, state: DeviceState) -> Device:
    """Change a device's details, or its state by hand (in stock, in repair, retired, lost);
    a device that is lent changes state only when it comes back."""
    lock_row(Device, device.id)
    db.session.refresh(device)
    values = _device_values(draft)
    if state != device.state:
        if device.state == DeviceState.LENT:
            raise RuleViolation(_l("A lent device changes state when it is returned."), "state")
        if state not in SETTABLE_STATES:
            raise RuleViolation(_l("A device is lent from the resident's page."), "state")
        values["state"] = state
    changed = sorted(name for name, value in values.items() if getattr(device, name) != value)
    for name in changed:
        setattr(device, name, values[name])
    _saved(device)
    if changed:
        record_event(actor, "device.update", device, device.ward, {"fields": changed})
    return device


def lend_device(
    actor: User | None,
    device: Device,
    resident: Resident,
    starts_on: date,
    due_on: date,
    agreement_signed_on: date | None,
) -> Loan:
    """Lend a device in stock to a resident of its ward who has signed the agreement. Two
    staff lending the same device at once: one lends it, the other is told."""
    lock_row(Device, device.id)
    db.session.refresh(device)
    if resident.ward_id != device.ward_id or resident.is_anonymised:
        raise RuleViolation(_l("Choose a resident of this ward."), "resident")
    if device.state != DeviceState.IN_STOCK:
        raise Conflict(_l("This device is not in stock: %(state)s.", state=device.state.label))
    if agreement_signed_on is None:
        raise RuleViolation(
            _l("Record the day the resident signed the loan agreement."), "agreement_signed_on"
        )
    if agreement_signed_on > clock.today():
        raise RuleViolation(_l("The agreement cannot be signed in the future."),
                            "agreement_signed_on")  # fmt: skip
    if starts_on > clock.today():
        raise RuleViolation(_l("A loan starts today or earlier: the device is handed over."),
                            "starts_on")  # fmt: skip
    if agreement_signed_on > starts_on:
        raise RuleViolation(_l("The agreement is signed before the device is handed over."),
                            "agreement_signed_on")  # fmt: skip
    if due_on < starts_on:
        raise RuleViolation(_l("The due date must be on or after the first day."), "due_on")
    if (due_on - starts_on).days > LONGEST_LOAN_DAYS:
        raise RuleViolation(_l("A loan lasts at most three years."), "due_on")
    loan = Loan(ward_id=device.ward_id, device_id=device.id, resident_id=resident.id,
                starts_on=starts_on, due_on=due_on, agreement_signed_on=agreement_signed_on,
                lent_by_id=actor.id if actor else None)  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(loan)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(
            _l("This resident already has a device: it must come back before another is lent.")
        ) from None
    device.state = DeviceState.LENT
    db.session.flush()
    details = {"loan": loan.id, "resident": resident.id, "due_on": due_on.isoformat()}
    record_event(actor, "loan.create", device, device.ward, details)
    log.info("device %s lent to resident %s until %s", device.id, resident.id, due_on)
    return loan


def change_due_date(actor: User, loan: Loan, due_on: date) -> Loan:
    """Move a loan's due date (延長, or sooner): messages planned for the old date are
    dropped at once, and the next plan makes those for the new one."""
    lock_row(Device, loan.device_id)
    db.session.refresh(loan)
    if not loan.is_out:
        raise Conflict(_l("This loan has already ended."))
    if due_on < clock.today():
        raise RuleViolation(_l("The new due date is today or later."), "due_on")
    if (due_on - loan.starts_on).days > LONGEST_LOAN_DAYS:
        raise RuleViolation(_l("A loan lasts at most three years."), "due_on")
    if due_on == loan.due_on:
        return loan
    before, loan.due_on = loan.due_on, due_on
    db.session.flush()
    _drop_messages(loan)
    # Those never tried go: moved back to that day, the plan makes them again (their keys
    # name the day).
    db.session.execute(
        sa.delete(Reminder).where(Reminder.loan_id == loan.id, Reminder.attempts == 0,
                                  Reminder.status == ReminderStatus.CANCELLED)
    )  # fmt: skip
    details = {"loan": loan.id, "resident": loan.resident_id, "due_on": due_on.isoformat(),
               "was": before.isoformat()}  # fmt: skip
    record_event(actor, "loan.due_date", loan.device, loan.device.ward, details)
    return loan


def _drop_messages(loan: Loan) -> None:
    """Cancel the loan's waiting messages that no longer hold (back, or due another day)."""
    cancel_stale(clock.now(), resident_id=loan.resident_id)


#: What a device becomes when its loan ends, by how it came back.
STATE_AFTER = {
    ReturnCondition.GOOD: DeviceState.IN_STOCK,
    ReturnCondition.DAMAGED: DeviceState.IN_REPAIR,
    ReturnCondition.LOST: DeviceState.LOST,
}


def return_device(
    actor: User, loan: Loan, returned_on: date, condition: ReturnCondition, notes: str = ""
) -> Loan:
    """End a loan: the device is back in stock, to repair, or recorded as lost."""
    lock_row(Device, loan.device_id)
    db.session.refresh(loan)
    if not loan.is_out:
        raise Conflict(_l("This loan has already ended."))
    if returned_on < loan.starts_on or returned_on > clock.today():
        raise RuleViolation(_l("Enter a day from the loan's first day to today."), "returned_on")
    loan.returned_on, loan.condition = returned_on, condition
    loan.return_notes, loan.returned_by_id = notes.strip(), actor.id if actor else None
    loan.device.state = STATE_AFTER[condition]
    db.session.flush()
    _drop_messages(loan)
    details = {"loan": loan.id, "resident": loan.resident_id, "condition": condition.value}
    record_event(actor, "loan.return", loan.device, loan.device.ward, details)
    return loan
