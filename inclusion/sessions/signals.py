"""In-process signals that other features (reminders, calendar) listen to.

Each is sent after the change is flushed, inside the same transaction, with the
session as sender.
"""

from blinker import Namespace

_signals = Namespace()

#: kwargs: actor. A session was added (on its own or as a date of a series).
session_created = _signals.signal("session-created")
#: kwargs: actor, changes ({field: [old, new]}), reason, moved (time or place changed).
session_changed = _signals.signal("session-changed")
#: kwargs: actor, reason.
session_cancelled = _signals.signal("session-cancelled")
