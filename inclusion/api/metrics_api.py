"""The programme's figures through the API: the dashboard's, as coordinators see them."""

from __future__ import annotations

from inclusion import clock
from inclusion.api import schemas
from inclusion.api.access import api_key
from inclusion.api.lookups import ward_asked
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.targets import services as target_services

metrics_bp = Blueprint(
    "api_metrics", __name__, url_prefix="/api/v1", description="The programme's figures."
)


@metrics_bp.route("/metrics")
@api_key(ApiScope.METRICS_READ)
@metrics_bp.arguments(schemas.MetricsArgs, location="query", as_kwargs=True)
@metrics_bp.response(200, schemas.Metrics)
def metrics(year: int | None = None, ward: str | None = None):
    """Every metric of a fiscal year against its target, for one ward or all wards."""
    year = year or clock.fiscal_year(clock.today())
    ward_row = ward_asked(ward)
    rows = target_services.dashboard(year, ward_row)
    ward_id = ward_row.id if ward_row else None
    for row in rows:
        row.by_month = target_services.by_month(row.figures, year, ward_row)
        sampled = row.metric.is_sampled
        row.residents_asked = row.figures.asked(ward_id) if sampled else None
        row.response_rate = row.figures.response_rate(ward_id) if sampled else None
    return {"fiscal_year": year, "ward": ward_row.slug if ward_row else None, "figures": rows}
