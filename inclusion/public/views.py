"""Pages for residents and families, no login: the URL wards print on flyers."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, abort, render_template, request

from inclusion import clock
from inclusion.auth.access import public
from inclusion.caching import pages
from inclusion.caching.front import answer_before_flask
from inclusion.courses.services import course_dates, course_of, places_left
from inclusion.extensions import db, limiter
from inclusion.sessions.models import Session, SessionStatus
from inclusion.sessions.queries import upcoming_public_sessions
from inclusion.wards.models import Ward
from inclusion.wards.services import ward_version
from inclusion.web import get_in_ward_or_404, ward_or_404

bp = Blueprint("public", __name__, url_prefix="/w/<ward>")


@limiter.request_filter
def _unlimited() -> bool:
    """No limits here: a ward's own website and flyers send residents to these pages.
    (A filter, not ``exempt``: the limiter then does no work at all for them.)"""
    return request.blueprint == bp.name


def _by_day(sessions: list[Session]):
    return [
        (day, list(group))
        for day, group in groupby(sessions, key=lambda s: clock.to_local(s.starts_dt).date())
    ]


def _ward_listing(ward: str, printable: bool):
    version = ward_version(ward)
    if version is None:
        abort(404)

    def build():
        ward_row = db.session.get(Ward, version.id)
        if printable:
            sessions = upcoming_public_sessions(ward_row.id, days=31)
        else:
            sessions = upcoming_public_sessions(ward_row.id)
        return render_template(
            "public/ward.html",
            ward=ward_row,
            days=_by_day(sessions),
            places_left=places_left(sessions),
            printable=printable,
        )

    return pages.serve([version], build, reads_query=False)


def _wards_of(args: dict) -> list | None:
    version = ward_version(args["ward"])
    return None if version is None else [version]


answer_before_flask("public.ward_page", _wards_of)
answer_before_flask("public.ward_print", _wards_of)


@bp.route("")
@public
def ward_page(ward: str):
    return _ward_listing(ward, printable=False)


@bp.route("/print")
@public
def ward_print(ward: str):
    return _ward_listing(ward, printable=True)


@bp.route("/sessions/<int:session_id>")
@public
def session_page(ward: str, session_id: int):
    ward_row = ward_or_404(ward)
    session = get_in_ward_or_404(Session, session_id, ward_row)
    course = course_of(session)
    return render_template(
        "public/session.html",
        ward=ward_row,
        session=session,
        course_dates=course_dates(course, upcoming=False) if course else [],
        places_left=places_left([session]),
        is_past=session.ends_dt <= clock.now() or session.status == SessionStatus.HELD,
    )
