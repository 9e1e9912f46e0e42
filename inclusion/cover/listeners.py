"""Close a request for cover at once when its shift or session goes away."""

from __future__ import annotations

from inclusion import clock
from inclusion.cover.services import close_finished
from inclusion.sessions.signals import session_cancelled
from inclusion.volunteers.signals import shift_released


@shift_released.connect
def _shift_released(shift, **_extra) -> None:
    close_finished(clock.now(), [shift.session_id])


@session_cancelled.connect
def _session_cancelled(session, **_extra) -> None:
    close_finished(clock.now(), [session.id])
