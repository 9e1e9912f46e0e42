"""``flask --app inclusion residents …``"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from inclusion.extensions import db
from inclusion.residents.services import apply_retention

residents_cli = AppGroup("residents", help="Residents' personal data.")


@residents_cli.command("retention")
@click.option(
    "--years",
    type=click.IntRange(min=1),
    default=None,
    help="Fiscal years without a booking (default: RESIDENT_RETENTION_YEARS).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would change.")
def retention_command(years: int | None, dry_run: bool) -> None:
    """Delete never-booked residents and anonymise booked ones idle for N fiscal years."""
    years = years or current_app.config["RESIDENT_RETENTION_YEARS"]
    result = apply_retention(years, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would be" if dry_run else "were"
    click.echo(
        f"residents last active before {result.cutoff.isoformat()}: "
        f"{result.deleted} {verb} deleted, {result.anonymised} {verb} anonymised"
    )
