"""How an outbox row reaches its person; kept apart from the models so that the
volunteers' profile can name a volunteer's choice without importing the outbox."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Medium(enum.StrEnum):
    """A resident is reached by SMS, a call or LINE; a volunteer's offer to cover may also
    go by mail. The values are those of ``ReminderChannel`` where they meet."""

    SMS = "sms"
    VOICE = "voice"
    EMAIL = "email"
    LINE = "line"

    @property
    def label(self) -> str:
        return str(MEDIUM_LABELS[self])


MEDIUM_LABELS = {
    Medium.EMAIL: _l("Email"),
    Medium.SMS: _l("SMS"),
    Medium.VOICE: _l("Phone call"),
    Medium.LINE: _l("LINE"),
}
