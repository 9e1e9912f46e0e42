"""Small helpers that views of every feature share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote, urlsplit

import segno
from flask import abort, current_app, flash, has_request_context, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.routing import IntegerConverter, MapAdapter
from werkzeug.wrappers import Response

from inclusion.auth.models import Role
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward

Model = TypeVar("Model")
Result = TypeVar("Result")


def safe_next_url(target: str | None) -> str | None:
    """Accept only a path on this site, so a link cannot send people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    # A line break (even percent-encoded) must never reach a Location header.
    if any(ord(char) < 32 or ord(char) == 127 for char in unquote(target)):
        return None
    return target


def home_url() -> str:
    """Where a user starts: the page of their role."""
    if not current_user.is_authenticated:
        return url_for("main.index")
    role = current_user.role
    if role == Role.ADMIN:
        return url_for("auth.users")
    if role == Role.COORDINATOR:
        return url_for("wards.index")
    if role == Role.WARD_STAFF:
        return url_for("wards.overview", ward=current_user.ward.slug)
    if role == Role.OPERATOR:
        return url_for("calls.screen")
    return url_for("volunteers.my_shifts")


def public_urls() -> MapAdapter:
    """Builds addresses as users reach them, also outside a request (a mail, a calendar).

    Under ``PUBLIC_BASE_URL`` when set, else under the request's own host.
    """
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        parts = urlsplit(base)
        return current_app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
        )
    if has_request_context():
        return current_app.url_map.bind_to_environ(request.environ)
    return current_app.url_map.bind("localhost")


def twilio_url(url: str) -> str:
    """A URL of ours as Twilio calls it: the path on the configured public address."""
    parts = urlsplit(url)
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def public_url(endpoint: str, **values: object) -> str:
    return public_urls().build(endpoint, values, force_external=True)


def attachment(body: str | bytes, filename: str, mimetype: str = "text/csv") -> Response:
    """A file to save rather than a page to show."""
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def redirect_back(default: str | None = None) -> Response:
    """Go to the form's ``next`` if it is ours, else ``default`` or home."""
    target = safe_next_url(request.form.get("next") or request.args.get("next"))
    return redirect(target or default or home_url())


#: Largest id a URL may carry: beyond it no row exists, and drivers would overflow.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs, limited to ids the database can hold (else 404)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def as_id(value: str | None) -> int | None:
    """A row id written as text, or None if it is not a possible one."""
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and int(value) <= MAX_ID else None


def id_arg(name: str) -> int | None:
    """A row id from the query string, or None if missing or not a possible id."""
    return as_id(request.args.get(name))


def ward_or_404(key: str) -> Ward:
    """The ward a public URL names (romanised name or code), or 404."""
    ward = find_ward(key)
    if ward is None:
        abort(404)
    return ward


def qr_code(data: str, title: str) -> Markup:
    """A QR code of ``data`` as inline SVG, an image with ``title`` as its name."""
    svg = segno.make(data, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", omitsize=True, title=title
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def get_in_ward_or_404(model: type[Model], object_id: int, ward: Ward) -> Model:
    """Load a row of ``ward``; another ward's row is as good as missing."""
    found = db.session.get(model, object_id)
    if found is None or found.ward_id != ward.id:
        abort(404)
    return found


def flash_violation(violation: RuleViolation) -> None:
    """Show a refused rule as a message: for buttons and forms that redirect back."""
    flash(str(violation), "error")


def show_violation(form: FlaskForm, violation: RuleViolation) -> None:
    """Put a refused rule next to its field, or at the top when it has none."""
    if violation.field and violation.field in form:
        form[violation.field].errors.append(str(violation))
    else:
        flash_violation(violation)


class ConfirmFirst(Exception):
    """An action that changes what people were told, or cannot be undone, asks first: the
    app answers with a page naming what will happen and a button that posts it again.

    ``residents`` are those whose names the question shows (the look is audit-logged)."""

    def __init__(
        self,
        question: str,
        consequence: str,
        button: str,
        ward: Ward | None = None,
        residents: tuple[int, ...] = (),
    ) -> None:
        super().__init__(question)
        self.question, self.consequence, self.button = question, consequence, button
        self.ward, self.residents = ward, residents


#: What to ask before an action, made only when it is to be asked (None: nothing to ask).
Ask = Callable[[], "ConfirmFirst | None"]


def confirm_first(ask: Ask) -> None:
    """Go on only when the person has seen what will happen and said yes to it."""
    if request.form.get("confirmed") != "yes":
        asked = ask()
        if asked is not None:
            raise asked


def run_button(
    form: FlaskForm,
    action: Callable[[], Result],
    success: str | Callable[[Result], str],
    ask: Ask | None = None,
) -> Result | None:
    """A POST button: check the form, run the service, commit and say so — or say why not.

    With ``ask``, the person confirms first. A refused rule rolls back, so nothing is
    saved; the action's result is returned on success.
    """
    if not form.validate_on_submit():
        flash_errors(form)
        return None
    if ask is not None:
        confirm_first(ask)
    try:
        result = action()
    except RuleViolation as violation:
        db.session.rollback()
        flash_violation(violation)
        return None
    db.session.commit()
    flash(success(result) if callable(success) else success, "success")
    return result


@dataclass(frozen=True)
class Saved(Generic[Result]):
    """A form's action succeeded (even when it had nothing to change); what it returned."""

    result: Result


def run_form(
    form: FlaskForm,
    action: Callable[[], Result],
    success: str | Callable[[Result], str],
    ask: Ask | None = None,
) -> Saved[Result] | None:
    """A form's POST: if it is valid, run the service, commit and say so; a refused rule
    rolls back and is shown at its field. ``Saved`` with the action's result, else None.

    ``ask`` says, from the valid form, what to confirm first (None: nothing)."""
    if not form.validate_on_submit():
        return None
    if ask is not None:
        confirm_first(ask)
    try:
        result = action()
    except RuleViolation as violation:
        db.session.rollback()
        show_violation(form, violation)
        return None
    db.session.commit()
    flash(success(result) if callable(success) else success, "success")
    return Saved(result)


def form_status(form: FlaskForm) -> int:
    """422 when the form is shown again with errors, so scripts can tell."""
    return 422 if form.errors else 200


def flash_errors(form: FlaskForm) -> None:
    """Show a form's errors as messages: for small forms that redirect back."""
    for errors in form.errors.values():
        flash(" ".join(map(str, errors)), "error")
