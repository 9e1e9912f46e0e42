"""``flask --app inclusion targets …``: the programme's figures on the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from inclusion import clock
from inclusion.targets import metrics, report, services
from inclusion.targets.metrics import Scope
from inclusion.targets.models import Metric
from inclusion.wards.services import find_ward

targets_cli = AppGroup("targets", help="Targets and the figures measured against them.")


def year_option(help_text: str):
    """``--year``: a fiscal year (年度), named by the year it starts in."""
    return click.option("--year", type=click.IntRange(2000, 2100), default=None, help=help_text)


@targets_cli.command("report")
@year_option("Fiscal year (年度), named by the year it starts in; default: this one.")
@click.option("--ward", "ward_key", default=None, help="Ward code or romanised name.")
@click.option(
    "--xlsx", "xlsx_path", type=click.Path(dir_okay=False, writable=True), default=None,
    help="Write the fiscal year's report as a spreadsheet here instead: a sheet for all "
    "wards, then one per ward (or the ward's only).",
)  # fmt: skip
def report_command(year: int | None, ward_key: str | None, xlsx_path: str | None) -> None:
    """Print every metric for a fiscal year, for one ward or all wards."""
    year = year or clock.fiscal_year(clock.today())
    ward = None
    if ward_key:
        ward = find_ward(ward_key)
        if ward is None:
            raise click.ClickException(f"no ward {ward_key!r}")
    if xlsx_path:
        with open(xlsx_path, "wb") as file:
            file.write(report.workbook(report.fiscal_report(year, ward)))
        click.echo(f"FY{year} report ({ward_key or 'all wards'}) written to {xlsx_path}")
        return
    scope = Scope(year, ward_ids=(ward.id,) if ward else ())
    click.echo(f"FY{year} ({ward_key or 'all wards'})")
    for metric in Metric:
        value = metrics.figures(metric, scope).value()
        click.echo(f"{metric.value:<26} {metric.unit.written(value)}")


@targets_cli.command("refresh")
@year_option("Count this fiscal year again now; default: what is older than the setting.")
def refresh_command(year: int | None) -> None:
    """Count the dashboard's figures again and store them (the scheduler does it too)."""
    if year is None:
        stored = services.refresh_due()
    else:
        stored = services.refresh_figures(services.snapshot_keys(year))
    click.echo(f"{stored} figure(s) counted and stored")
