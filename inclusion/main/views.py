from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from inclusion.api.problems import from_http_exception, is_api_request, problem
from inclusion.audit.services import record_view
from inclusion.auth.access import public
from inclusion.extensions import csrf, db, login_manager
from inclusion.i18n import LANGUAGE_COOKIE
from inclusion.web import ConfirmFirst, home_url, redirect_back, safe_next_url

log = logging.getLogger(__name__)

bp = Blueprint("main", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(home_url())
    return render_template("main/index.html")


@bp.route("/favicon.ico")
@public
def favicon():
    """For browsers and tools that ask at the old address instead of reading the link."""
    return redirect(url_for("static", filename="img/favicon.svg"), 301)


@bp.route("/language", methods=["POST"])
@public
@csrf.exempt  # it sets only the language cookie; the shared public pages carry no token
def set_language():
    language = request.form.get("lang", "")
    response = redirect_back()
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


@bp.app_errorhandler(ConfirmFirst)
def confirm(request_to_confirm: ConfirmFirst):
    """Ask before acting: the same form again, with a yes, or a way back."""
    db.session.rollback()
    fields = [(name, value) for name, value in request.form.items(multi=True)
              if name not in ("csrf_token", "confirmed")]  # fmt: skip
    came_from = urlsplit(request.referrer or "")
    back = (
        safe_next_url(f"{came_from.path}?{came_from.query}" if came_from.query else came_from.path)
        if came_from.netloc == request.host
        else None
    )
    back = back or home_url()
    page = render_template("confirm.html", asked=request_to_confirm, fields=fields, back=back)
    if request_to_confirm.residents:
        record_view("resident.view", None, request_to_confirm.ward, request_to_confirm.residents)
    return page


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    message = _("This form has expired or was sent from elsewhere. Please try again.")
    return render_template("errors/error.html", code=400, message=message), 400


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if is_api_request():
        return from_http_exception(error)
    messages = {
        400: _("The request could not be understood."),
        403: _("You do not have permission to open this page."),
        404: _("This page does not exist. Check the address."),
        405: _("This page cannot be used this way."),
        413: _("What you sent is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
    }
    code = error.code or 500
    message = messages.get(code, _("Something went wrong. Please try again."))
    response = make_response(
        render_template("errors/error.html", code=code, message=message), code
    )
    # Keep what the exception set, such as Retry-After or Allow.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.app_errorhandler(OperationalError)
def database_unavailable(error: OperationalError):
    """The database is down, restarting or read-only: say so, change nothing, retry later."""
    log.warning("database unavailable: %s", str(error.orig or error).splitlines()[0][:200])
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.invalidate()
    retry = {"Retry-After": "30"}
    if is_api_request():
        return problem(503, headers=retry)
    g._login_user = login_manager.anonymous_user()  # the page must not ask the database who
    message = _(
        "The service is briefly unavailable. Nothing was changed: please try again in a minute."
    )
    return render_template("errors/error.html", code=503, message=message), 503, retry


@bp.app_errorhandler(500)
def server_error(error):
    db.session.rollback()
    if is_api_request():
        return problem(500)
    message = _("Something went wrong on our side. Please try again later.")
    return render_template("errors/error.html", code=500, message=message), 500
