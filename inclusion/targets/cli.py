"""``flask --app inclusion targets …``: the programme's figures on the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from inclusion import clock
from inclusion.targets import metrics
from inclusion.targets.metrics import Scope
from inclusion.targets.models import Metric, Unit
from inclusion.wards.services import find_ward

targets_cli = AppGroup("targets", help="Targets and the figures measured against them.")


@targets_cli.command("report")
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=None,
    help="Fiscal year (年度), named by the year it starts in; default: this one.",
)
@click.option("--ward", "ward_key", default=None, help="Ward code or romanised name.")
def report_command(year: int | None, ward_key: str | None) -> None:
    """Print every metric for a fiscal year, for one ward or all wards."""
    year = year or clock.fiscal_year(clock.today())
    ward_ids: tuple[int, ...] = ()
    if ward_key:
        ward = find_ward(ward_key)
        if ward is None:
            raise click.ClickException(f"no ward {ward_key!r}")
        ward_ids = (ward.id,)
    scope = Scope(year, ward_ids=ward_ids)
    click.echo(f"FY{year} ({ward_key or 'all wards'})")
    for metric in Metric:
        value = metrics.figures(metric, scope).value()
        click.echo(f"{metric.value:<26} {_shown(value, metric.unit)}")


def _shown(value: float | None, unit: Unit) -> str:
    if value is None:
        return "—"
    if unit == Unit.COUNT:
        return f"{value:,.0f}"
    return f"{value:,.1f}" + (" %" if unit == Unit.PERCENT else " h")
