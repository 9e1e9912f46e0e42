"""``flask --app inclusion reminders …``"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders import digests, dispatch, messages, planning
from inclusion.reminders.channels import call_twiml
from inclusion.reminders.models import Audience, Recipient, Reminder, ReminderStep
from inclusion.residents.models import Booking, ReminderChannel

reminders_cli = AppGroup("reminders", help="Reminder planning and sending.")


class Moment(click.ParamType):
    """An ISO 8601 moment with its offset, e.g. 2026-12-01T09:00+09:00."""

    name = "moment"

    def convert(self, value, param, ctx) -> datetime:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a moment such as 2026-12-01T09:00+09:00", param, ctx)
        if moment.tzinfo is None:
            self.fail(f"{value!r} needs its offset, e.g. +09:00", param, ctx)
        return moment


NOW_HELP = "Act as if it were this moment (ISO 8601 with offset), e.g. to rehearse a morning."


@reminders_cli.command("plan")
@click.option("--now", "now", type=Moment(), default=None, help=NOW_HELP)
def plan_command(now: datetime | None) -> None:
    """Create missing reminder rows, re-time moved ones, cancel stale ones."""
    result = planning.plan(now or clock.now())
    db.session.commit()
    click.echo(
        f"planned {result.planned}, re-timed {result.retimed}, cancelled {result.cancelled}"
    )


@reminders_cli.command("dispatch")
@click.option("--once", is_flag=True, help="Send what is due now, then return.")
@click.option("--now", "now", type=Moment(), default=None, help=NOW_HELP)
@click.option("--every", type=click.IntRange(min=1), default=5, help="Seconds between rounds.")
def dispatch_command(once: bool, now: datetime | None, every: int) -> None:
    """Send due reminders (several dispatchers may run at once); Ctrl-C stops."""
    while True:
        result = dispatch.dispatch_once(now or clock.now())
        click.echo(
            f"sent {result.sent}, retried {result.retried}, failed {result.failed}, "
            f"unknown {result.unknown + len(result.expired)}, deferred {result.deferred}, "
            f"skipped {result.skipped}"
        )
        if once:
            return
        time.sleep(every)


@reminders_cli.command("digest")
@click.option("--now", "now", type=Moment(), default=None, help=NOW_HELP)
def digest_command(now: datetime | None) -> None:
    """Mail each ward's staff the follow-up calls due today (once a day per ward)."""
    result = digests.send_follow_up_digests(now or clock.now())
    click.echo(f"sent {len(result.sent)}, failed {len(result.failed)}")
    for slug in result.failed:
        click.echo(f"failed: {slug}", err=True)


@reminders_cli.command("preview")
@click.argument("booking_id", type=click.IntRange(min=1, max=2**31 - 1))
def preview_command(booking_id: int) -> None:
    """Show what a booking's reminders would say: the SMS and the call's TwiML."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise click.ClickException(f"no booking {booking_id}")
    resident, session = booking.resident, booking.session
    steps = db.session.scalars(
        sa.select(ReminderStep).where(
            ReminderStep.ward_id == session.ward_id,
            ReminderStep.audience == Audience.RESIDENT,
            ReminderStep.is_active,
        )
    ).all()
    channel = resident.reminder_channel.value
    click.echo(f"booking {booking.id}: {resident.name}, {session.title}, by {channel}")
    for step in steps:
        for channel in (ReminderChannel.SMS, ReminderChannel.VOICE):
            text = dispatch.message_text(session, channel, Recipient.RESIDENT, step.code)
            if channel == ReminderChannel.SMS:
                length, parts = messages.sms_length(text), messages.sms_segments(text)
                click.echo(f"\n[{step.code}, sms, {length} characters, {parts} SMS]")
                click.echo(text)
            else:
                click.echo(f"\n[{step.code}, voice, {len(text)} characters]")
                keypad = f"{current_app.config['PUBLIC_BASE_URL'] or ''}/twilio/voice/<id>"
                click.echo(call_twiml(text, current_app.config["REMINDER_VOICE"], keypad))


@reminders_cli.command("stats")
@click.option("--days", type=click.IntRange(min=1, max=366), default=7, help="Days back.")
def stats_command(days: int) -> None:
    """Count reminders by channel and status, due in the last DAYS days and from now on."""
    since = clock.now() - timedelta(days=days)
    rows = db.session.execute(
        sa.select(Reminder.channel, Reminder.status, sa.func.count())
        .where(Reminder.due_dt >= since)
        .group_by(Reminder.channel, Reminder.status)
        .order_by(Reminder.channel, Reminder.status)
    ).all()
    if not rows:
        click.echo(f"no reminders due since {since:%Y-%m-%d}")
    for channel, status, count in rows:
        click.echo(f"{channel.value:<6} {status.value:<10} {count:>8}")
