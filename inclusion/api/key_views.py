"""Admins make and revoke the API keys of integrations."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion.api import services
from inclusion.api.forms import ApiKeyForm
from inclusion.api.models import ApiKey, ApiScope
from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.web import ConfirmFirst, form_status, run_button, run_form

bp = Blueprint("api_keys", __name__)


@bp.route("/admin/api-keys", methods=["GET", "POST"])
@require(Role.ADMIN)
def index():
    """Every key with its permissions and last use; a new key's secret is shown once."""
    form = ApiKeyForm()
    made = run_form(
        form,
        lambda: services.create_key(
            current_user,
            form.name.data,
            [ApiScope(value) for value in form.scopes.data or []],
            form.wards.get(form.ward.data),
        ),
        _("The key is made. Copy it now: it is not shown again."),
    )
    return render_template(
        "api/keys.html",
        form=ApiKeyForm(formdata=None) if made else form,
        keys=services.list_keys(),
        secret=made.result[1] if made else None,
        buttons=ButtonForm(),
        scope_labels={scope.value: scope.label for scope in ApiScope},
    ), form_status(form)


@bp.route("/admin/api-keys/<int:key_id>/revoke", methods=["POST"])
@require(Role.ADMIN)
def revoke(key_id: int):
    key = db.get_or_404(ApiKey, key_id)
    run_button(
        ButtonForm(),
        lambda: services.revoke_key(current_user, key),
        _("The key is revoked: it no longer works."),
        ask=lambda: ConfirmFirst(
            _("Revoke the key “%(name)s”?", name=key.name),
            _(
                "The system that uses it stops working with this app at once. This cannot be "
                "undone: a new key would have to be made and given to it."
            ),
            _("Yes, revoke the key"),
        ),
    )
    return redirect(url_for("api_keys.index"))
