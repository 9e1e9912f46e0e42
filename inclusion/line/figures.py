"""How residents were reached, by channel, and what it cost: residents linked to LINE,
messages sent by LINE, SMS and calls, the SMS and calls sent because LINE did not reach
someone, and the cost per reminder at the unit prices the settings give.

The counts read the outbox of a fiscal year, so they are kept for the dashboard's
refresh time (``TARGETS_REFRESH_MINUTES``) rather than counted on every view.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from inclusion.extensions import cache, db
from inclusion.line.models import LineLink
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.reminders.planning import PHONE_SUFFIX
from inclusion.targets.metrics import Scope, WardTable

#: Messages that left for the person: sent, delivered, or a call that rang unanswered.
LEFT = (ReminderStatus.SENT, ReminderStatus.DELIVERED, ReminderStatus.NO_ANSWER)
#: The settings that price one message of each channel, in yen.
PRICES = {Medium.LINE: "COST_PER_LINE_YEN", Medium.SMS: "COST_PER_SMS_YEN",
          Medium.VOICE: "COST_PER_CALL_YEN"}  # fmt: skip


@dataclass
class ChannelFigures:
    #: Residents whose LINE is linked now.
    linked: int = 0
    line: int = 0
    sms: int = 0
    calls: int = 0
    #: SMS and calls that went because LINE did not reach the resident.
    fallbacks: int = 0
    #: Messages that reached someone by one channel or another, each counted once.
    reminders: int = 0

    def cost(self, medium: Medium) -> float:
        count = {Medium.LINE: self.line, Medium.SMS: self.sms, Medium.VOICE: self.calls}[medium]
        return count * current_app.config[PRICES[medium]]

    @property
    def total_cost(self) -> float:
        return sum(self.cost(medium) for medium in PRICES)

    @property
    def cost_per_reminder(self) -> float | None:
        """What reaching a resident once cost: a fallback adds to its reminder's cost."""
        return self.total_cost / self.reminders if self.reminders else None


ChannelTable = WardTable[ChannelFigures]


def _counts(scope: Scope) -> dict[str, list[tuple[int, int]]]:
    in_wards = [Reminder.ward_id.in_(scope.ward_ids)] if scope.ward_ids else []
    by_phone = Reminder.key.endswith(PHONE_SUFFIX)
    left = [
        # The outbox's index on (status, due time) reads only the year's sent rows.
        Reminder.status.in_(LEFT),
        Reminder.due_dt >= scope.start_dt,
        Reminder.due_dt < scope.end_dt,
        Reminder.recipient != Recipient.VOLUNTEER,
        Reminder.channel.in_(tuple(PRICES)),
        *in_wards,
    ]
    sent = (
        sa.select(Reminder.ward_id, Reminder.channel, sa.func.count(),
                  sa.func.sum(sa.case((by_phone, 1), else_=0)))
        .where(*left)
        .group_by(Reminder.ward_id, Reminder.channel)
    )  # fmt: skip
    # A message and the SMS or call that followed it by phone are one reminder.
    own_key = sa.case(
        (
            by_phone,
            sa.func.substr(Reminder.key, 1, sa.func.length(Reminder.key) - len(PHONE_SUFFIX)),
        ),
        else_=Reminder.key,
    )
    reminders = (
        sa.select(Reminder.ward_id, sa.func.count(sa.distinct(own_key)))
        .where(*left)
        .group_by(Reminder.ward_id)
    )
    field = {Medium.LINE: "line", Medium.SMS: "sms", Medium.VOICE: "calls"}
    counts: dict[str, dict[int, int]] = {name: {} for name in (*field.values(), "fallbacks")}
    for ward_id, channel, count, fallbacks in db.session.execute(sent):
        counts[field[Medium(channel)]][ward_id] = count
        counts["fallbacks"][ward_id] = counts["fallbacks"].get(ward_id, 0) + int(fallbacks or 0)
    linked = (
        sa.select(LineLink.ward_id, sa.func.count())
        .where(LineLink.unlinked_dt.is_(None),
               *([LineLink.ward_id.in_(scope.ward_ids)] if scope.ward_ids else []))
        .group_by(LineLink.ward_id)
    )  # fmt: skip
    found = {name: list(values.items()) for name, values in counts.items()}
    found["reminders"] = [(ward_id, count) for ward_id, count in db.session.execute(reminders)]
    found["linked"] = [(ward_id, count) for ward_id, count in db.session.execute(linked)]
    return found


def channel_figures(scope: Scope) -> ChannelTable:
    key = f"channel-figures:{scope.years}:{sorted(scope.ward_ids)}"
    counts = cache.get(key)
    if counts is None:
        counts = _counts(scope)
        cache.set(key, counts, timeout=current_app.config["TARGETS_REFRESH_MINUTES"] * 60)
    table = ChannelTable(ChannelFigures)
    for name, rows in counts.items():
        table.set_each(name, rows)
    return table
