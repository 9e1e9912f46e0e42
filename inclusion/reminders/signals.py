"""Signals of the reminders feature (webhooks listen); sent inside the transaction."""

from blinker import Namespace

_signals = Namespace()

#: Sender: the reminder's id. A reminder could not be delivered and is not tried again.
reminder_failed = _signals.signal("reminder-failed")
#: Sender: the reply (one per ward it concerns), flushed.
reply_received = _signals.signal("reply-received")
