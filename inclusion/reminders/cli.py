"""``flask --app inclusion reminders …``"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders import planning

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
