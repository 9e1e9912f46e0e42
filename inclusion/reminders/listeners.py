"""Reflect the other features' changes in the outbox at once, not at the next plan."""

from __future__ import annotations

from inclusion import clock
from inclusion.reminders import notices, planning
from inclusion.residents.bookings import SESSION_CANCELLED
from inclusion.residents.signals import (
    booking_cancelled,
    booking_promoted,
    contact_stopped,
    contacts_changed,
)
from inclusion.sessions.signals import session_cancelled, session_changed
from inclusion.volunteers.signals import shift_released


@booking_cancelled.connect
def _booking_cancelled(booking, reason: str = "", offered: bool = False, **_extra) -> None:
    planning.cancel_stale(clock.now(), [booking.session_id])
    if reason == SESSION_CANCELLED:
        notices.add_notice(booking, notices.CANCELLED, notices.CANCELLED)
    if offered:
        notices.add_offers(booking)


@contact_stopped.connect
def _contact_stopped(resident, **_extra) -> None:
    planning.cancel_stale(clock.now(), resident_id=resident.id)


@contacts_changed.connect
def _contacts_changed(resident, **_extra) -> None:
    now = clock.now()
    planning.readdress(now, resident.id)
    planning.cancel_stale(now, resident_id=resident.id)


@booking_promoted.connect
def _booking_promoted(booking, offered: bool = False, **_extra) -> None:
    if offered:
        # They said yes to the seat, and were told so: the others' offers are stale now.
        planning.cancel_stale(clock.now(), [booking.session_id])
        return
    notices.add_notice(booking, notices.PROMOTED, notices.PROMOTED)


@shift_released.connect
def _shift_released(shift, **_extra) -> None:
    planning.cancel_stale(clock.now(), [shift.session_id])


@session_cancelled.connect
def _session_cancelled(session, **_extra) -> None:
    planning.cancel_stale(clock.now(), [session.id])


@session_changed.connect
def _session_changed(session, moved: bool = False, **_extra) -> None:
    if moved:
        planning.retime(clock.now(), [session.id])
        for booking in notices.seated_bookings(session.id):
            notices.add_notice(booking, notices.MOVED, f"{notices.MOVED}{session.sequence}")
