"""Signals for the reminders feature; sent after flush, inside the transaction, with the booking.

The session's own ``session_attendance_recorded`` is sent with the session.
"""

from blinker import Namespace

_signals = Namespace()

#: kwargs: actor. The booking may be seated or on the waiting list.
booking_created = _signals.signal("booking-created")
#: kwargs: actor (None for the system), reason, promoted (the booking that took the place).
booking_cancelled = _signals.signal("booking-cancelled")
#: kwargs: actor. A booking moved from the waiting list to a seat or slot.
booking_promoted = _signals.signal("booking-promoted")
#: Sender: the session. kwargs: actor, booking, attended (count).
session_attendance_recorded = _signals.signal("session-attendance-recorded")
#: Sender: the resident. kwargs: contact. The contact asked for no more messages.
contact_stopped = _signals.signal("contact-stopped")
#: Sender: the resident. kwargs: fields. Their numbers or how they are reached changed.
contacts_changed = _signals.signal("contacts-changed")
