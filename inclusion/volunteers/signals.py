"""Signals for the reminders and calendar features; sent after flush, with the shift."""

from blinker import Namespace

_signals = Namespace()

#: kwargs: actor (the volunteer, or staff who assigned).
shift_claimed = _signals.signal("shift-claimed")
#: kwargs: actor, by_staff, session_short (the session now lacks volunteers).
shift_released = _signals.signal("shift-released")
