from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import utcnow
from inclusion.extensions import db
from inclusion.wards.models import Ward

#: What each recorded action means, for people reading the log.
ACTION_LABELS = {
    "auth.login": _l("Logged in"),
    "auth.login_failed": _l("Failed log-in"),
    "user.create": _l("Account created"),
    "user.update": _l("Account changed"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "user.unlock": _l("Log-in let through after wrong passwords"),
    "user.password_change": _l("Password changed"),
    "user.password_reset": _l("Password set by an administrator"),
    "ward.update_contact": _l("Booking details changed"),
    "ward.cover_rules": _l("Rules for cover and swaps changed"),
    "venue.create": _l("Venue added"),
    "venue.update": _l("Venue changed"),
    "session.create": _l("Session added"),
    "series.create": _l("Series added"),
    "series.course": _l("Series made a course, or separate dates again"),
    "course.enrol": _l("Resident booked on every date of a course"),
    "course.waitlist": _l("Resident put on a course's waiting list"),
    "course.promote": _l("Moved up from a course's waiting list"),
    "course.cancel": _l("Course booking cancelled"),
    "session.update": _l("Session changed"),
    "session.move": _l("Session moved"),
    "session.cancel": _l("Session cancelled"),
    "session.held": _l("Recorded as held"),
    "volunteer.update": _l("Volunteer profile changed"),
    "training.add": _l("Training record added"),
    "shift.claim": _l("Volunteer signed up"),
    "shift.assign": _l("Volunteer assigned by staff"),
    "shift.release": _l("Volunteer withdrew"),
    "shift.unassign": _l("Volunteer removed by staff"),
    "shift.attendance": _l("Volunteer attendance recorded"),
    "session.pool": _l("Volunteer places opened to the pool, or closed to it"),
    "cover.request": _l("Volunteer asked for cover"),
    "cover.offer": _l("Volunteers asked to take over a shift"),
    "cover.take": _l("Volunteer took over a shift"),
    "cover.decline": _l("Volunteer declined to take over a shift"),
    "cover.withdraw": _l("Request for cover withdrawn"),
    "cover.alert": _l("Staff alerted: nobody has taken over a shift"),
    "swap.propose": _l("Volunteer asked to swap shifts"),
    "swap.agree": _l("Volunteer agreed to a swap (waiting for approval)"),
    "swap.done": _l("Shifts swapped"),
    "swap.declined": _l("Swap declined"),
    "swap.withdrawn": _l("Swap withdrawn"),
    "swap.refused": _l("Swap not approved"),
    "volunteer.pool_card": _l("Pool volunteer's shared details viewed"),
    "resident.create": _l("Resident added"),
    "resident.update": _l("Resident's record changed"),
    "resident.consent": _l("Resident's consent recorded"),
    "resident.opt_out": _l("Reminders stopped"),
    "resident.opt_in": _l("Reminders restarted"),
    "resident.merge": _l("Duplicate resident merged"),
    "resident.retention": _l("Old residents' records deleted or anonymised"),
    "resident.view": _l("Resident's record viewed"),
    "resident.search": _l("Residents listed or searched"),
    "resident.export": _l("Residents exported"),
    "resident.roster": _l("Participant list viewed"),
    "resident.sign_in_sheet": _l("Sign-in sheet printed"),
    "resident.follow_up_list": _l("Follow-up call list viewed"),
    "resident.lead_list": _l("Lead volunteer saw the participants' names"),
    "booking.create": _l("Resident booked"),
    "booking.waitlist": _l("Resident put on the waiting list"),
    "booking.cancel": _l("Booking cancelled"),
    "booking.promote": _l("Moved up from the waiting list"),
    "booking.attendance": _l("Resident's attendance recorded"),
    "follow_up.record": _l("Follow-up answer recorded"),
    "device.create": _l("Loan smartphone added"),
    "device.update": _l("Loan smartphone changed"),
    "loan.create": _l("Smartphone lent to a resident"),
    "loan.return": _l("Lent smartphone returned"),
    "loan.list": _l("Loan smartphones and their borrowers viewed"),
    "loan.due_date": _l("Lent smartphone's due date moved"),
    "call.create": _l("Call to the call centre logged"),
    "call.handled": _l("Call passed to the ward taken care of"),
    "call.search": _l("Callers looked up by the call centre"),
    "call.list": _l("Calls and their callers viewed"),
    "phone_line.call": _l("Call to the phone line"),
    "phone_line.bookings_heard": _l("Bookings read out on the phone line"),
    "phone_line.list": _l("Phone line calls viewed"),
    "ward.phone_line": _l("Phone line settings changed"),
    "resident.confirm": _l("Provisional record confirmed"),
    "staff_training.create": _l("Staff training added"),
    "staff_training.cancel": _l("Staff training cancelled"),
    "staff_training.enrol": _l("Place taken at a staff training"),
    "staff_training.leave": _l("Place at a staff training given up"),
    "staff_training.attendance": _l("Staff training attendance recorded"),
    "reminder.resend": _l("Reminder sent again by hand"),
    "reminder.log": _l("Reminder log viewed"),
    "reminder.hours": _l("Calling hours changed"),
    "reminder.policy": _l("Reminder policy changed"),
    "reminder.text": _l("Reminder wording changed"),
    "reminder.text.reset": _l("Reminder wording back to the standard"),
    "reply.list": _l("Replies from residents viewed"),
    "reply.handle": _l("Reply from a resident followed up"),
    "calendar.token_create": _l("Calendar address made"),
    "calendar.token_rotate": _l("Calendar address replaced"),
    "calendar.filters": _l("Calendar contents chosen"),
    "calendar.token_revoke": _l("Calendar address stopped"),
    "calendar.import": _l("Sessions imported from a calendar file"),
    "target.set": _l("Target set"),
    "target.delete": _l("Target removed"),
    "survey.enter": _l("Survey figure entered"),
    "survey.draw": _l("Yearly survey's sample drawn"),
    "survey.answer": _l("Survey answer recorded"),
    "survey.list": _l("Survey residents to call viewed"),
    "line.code": _l("LINE code made"),
    "line.link": _l("LINE linked by the resident"),
    "line.unlink": _l("LINE link ended"),
    "api_key.create": _l("API key made"),
    "api_key.revoke": _l("API key revoked"),
    "webhook.create": _l("Webhook endpoint added"),
    "webhook.update": _l("Webhook endpoint changed"),
    "webhook.rotate": _l("Webhook signing secret replaced"),
    "webhook.delete": _l("Webhook endpoint deleted"),
    "webhook.test": _l("Webhook test sent"),
    "webhook.replay": _l("Webhook message sent again"),
}

#: Actions that record who read personal data; every other action records a change.
READ_ACTIONS = frozenset(
    {
        "resident.view",
        "resident.search",
        "resident.roster",
        "resident.sign_in_sheet",
        "resident.follow_up_list",
        "resident.lead_list",
        "resident.export",
        "reminder.log",
        "reply.list",
        "volunteer.pool_card",
        "loan.list",
        "call.search",
        "call.list",
        "phone_line.list",
        "phone_line.bookings_heard",
        "survey.list",
    }
)


class AuditLog(db.Model):
    """Who did what to which record, and when. Rows are never changed."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_ward_id_id", "ward_id", "id"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Null for the system itself (CLI, scheduler) or an unknown person at log-in.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[User | None] = relationship(lazy="joined")
    #: Dotted verb such as ``user.create`` or ``auth.login_failed``.
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[int | None]
    #: The ward whose data was touched; staff of that ward may read the entry.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward | None] = relationship(lazy="joined")
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    #: What changed; never passwords or other secrets.
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    @property
    def action_label(self) -> str:
        label = ACTION_LABELS.get(self.action)
        return str(label) if label is not None else self.action

    def __repr__(self) -> str:
        return f"<AuditLog {self.id} {self.action}>"
