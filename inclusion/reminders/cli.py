"""``flask --app inclusion reminders …``"""

from __future__ import annotations

import time
from datetime import datetime

import click
from flask.cli import AppGroup

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders import dispatch, planning

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
