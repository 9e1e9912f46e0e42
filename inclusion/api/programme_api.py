"""The rest of the programme through the API: loan smartphones, the joint call centre's
calls, staff training dates and where the surveys stand. Residents are named by id only."""

from __future__ import annotations

from inclusion import clock
from inclusion.api import schemas
from inclusion.api.access import api_key
from inclusion.api.lookups import cursor_arg, page, ward_asked
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.calls import queries as call_queries
from inclusion.loans import queries as loan_queries
from inclusion.staff_training import queries as training_queries
from inclusion.surveys import queries as survey_queries
from inclusion.wards.services import list_wards

programme_bp = Blueprint(
    "api_programme", __name__, url_prefix="/api/v1",
    description="Loan smartphones, the call centre, staff training and surveys.",
)  # fmt: skip


def _ward_ids(ward: str | None) -> list[int] | None:
    """The wards a list is about: the one named (or the key's own); None for every ward."""
    ward_row = ward_asked(ward)
    return [ward_row.id] if ward_row else None


@programme_bp.route("/loans")
@api_key(ApiScope.LOANS_READ)
@programme_bp.arguments(schemas.LoanArgs, location="query", as_kwargs=True)
@programme_bp.response(200, schemas.LoanPage)
def list_loans(limit: int, state: str, cursor: str | None = None, ward: str | None = None):
    """Loans of a ward (the key's own unless named) in the order they were made: those
    still out by default, or overdue, returned, all."""
    loans, next_cursor = loan_queries.page_of_loans(_ward_ids(ward), state, cursor_arg(cursor),
                                                    limit)  # fmt: skip
    return page(loans, next_cursor)


@programme_bp.route("/devices")
@api_key(ApiScope.LOANS_READ)
@programme_bp.arguments(schemas.DeviceArgs, location="query", as_kwargs=True)
@programme_bp.response(200, schemas.DevicePage)
def list_devices(limit: int, cursor: str | None = None, ward: str | None = None, state=None):
    """A ward's loan smartphones as they were added, of one state if asked."""
    devices, next_cursor = loan_queries.page_of_devices(_ward_ids(ward), state,
                                                        cursor_arg(cursor), limit)  # fmt: skip
    return page(devices, next_cursor)


@programme_bp.route("/calls")
@api_key(ApiScope.CALLS_READ)
@programme_bp.arguments(schemas.CallArgs, location="query", as_kwargs=True)
@programme_bp.response(200, schemas.CallPage)
def list_calls(limit: int, waiting: bool, cursor: str | None = None, ward: str | None = None):
    """Calls to the joint call centre about a ward, the newest first; ?waiting=true for
    those passed to the ward and not yet taken care of."""
    calls, next_cursor = call_queries.page_of_calls(_ward_ids(ward), waiting, cursor_arg(cursor),
                                                    limit)  # fmt: skip
    return page(calls, next_cursor)


@programme_bp.route("/staff-trainings")
@api_key(ApiScope.SESSIONS_READ)
@programme_bp.arguments(schemas.StaffTrainingArgs, location="query", as_kwargs=True)
@programme_bp.response(200, schemas.StaffTrainingPage)
def list_staff_trainings(limit: int, when: str, cursor: str | None = None,
                         ward: str | None = None):  # fmt: skip
    """Training dates for a ward's staff (its own and every ward's): those to come soonest
    first, or (?when=past) those over most recent first, with the places taken."""
    ward_ids = _ward_ids(ward)
    trainings, next_cursor = training_queries.page_of_trainings(
        ward_ids[0] if ward_ids else None, when == "upcoming", cursor_arg(cursor), limit
    )
    return page(trainings, next_cursor)


@programme_bp.route("/surveys")
@api_key(ApiScope.METRICS_READ)
@programme_bp.arguments(schemas.MetricsArgs, location="query", as_kwargs=True)
@programme_bp.response(200, schemas.Surveys)
def surveys(year: int | None = None, ward: str | None = None):
    """Where the follow-up and the yearly survey stand in a fiscal year, ward by ward:
    residents asked, answered and how, waiting for the automatic call, left to staff."""
    year = year or clock.fiscal_year(clock.today())
    ward_ids = _ward_ids(ward)
    found = survey_queries.summaries_by_ward(ward_ids, year, clock.now())
    wards = [each for each in list_wards() if ward_ids is None or each.id in ward_ids]
    empty = survey_queries.empty_summaries()
    return {
        "fiscal_year": year,
        "wards": [{"ward": each.slug, "surveys": list(found.get(each.id, empty).values())}
                  for each in wards],
    }  # fmt: skip
