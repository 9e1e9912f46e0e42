"""Administrators register webhook endpoints, and see and replay their deliveries."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inclusion.auth.access import require
from inclusion.auth.models import Role
from inclusion.extensions import db
from inclusion.forms import ButtonForm
from inclusion.web import ConfirmFirst, form_status, run_button, run_form
from inclusion.webhooks import services
from inclusion.webhooks.forms import EndpointForm
from inclusion.webhooks.models import WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__)


@bp.route("/admin/webhooks", methods=["GET", "POST"])
@require(Role.ADMIN)
def index():
    """Every endpoint, and a form to add one."""
    form = EndpointForm()
    made = run_form(
        form,
        lambda: services.register_endpoint(
            current_user,
            form.wards.get(form.ward.data),
            form.url.data,
            form.events.data or [],
            form.scopes.data or [],
            form.description.data or "",
        ),  # fmt: skip
        _("The endpoint is added. Give its signing secret to the receiving system."),
    )
    if made:
        return redirect(url_for("webhooks.endpoint", endpoint_id=made.result.id))
    return render_template(
        "webhooks/index.html", form=form, endpoints=services.list_endpoints()
    ), form_status(form)


@bp.route("/admin/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@require(Role.ADMIN)
def endpoint(endpoint_id: int):
    """One endpoint: its settings, its secret, and its latest deliveries with the answers."""
    found = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EndpointForm.of(found)
    saved = run_form(
        form,
        lambda: services.update_endpoint(
            current_user,
            found,
            form.wards.get(form.ward.data),
            form.url.data,
            form.events.data or [],
            form.scopes.data or [],
            form.description.data or "",
            form.is_active.data,
        ),  # fmt: skip
        lambda changed: _("Saved.") if changed else _("Nothing was changed."),
    )
    if saved:
        return redirect(url_for("webhooks.endpoint", endpoint_id=found.id))
    return render_template(
        "webhooks/endpoint.html", endpoint=found, form=form, buttons=ButtonForm(),
        deliveries=services.recent_deliveries(found),
    ), form_status(form)  # fmt: skip


@bp.route("/admin/webhooks/<int:endpoint_id>/test", methods=["POST"])
@require(Role.ADMIN)
def send_test(endpoint_id: int):
    found = db.get_or_404(WebhookEndpoint, endpoint_id)
    run_button(ButtonForm(), lambda: services.send_test(current_user, found),
               _("A test message is on its way; its answer shows below in a moment."))  # fmt: skip
    return redirect(url_for("webhooks.endpoint", endpoint_id=found.id))


@bp.route("/admin/webhooks/<int:endpoint_id>/rotate", methods=["POST"])
@require(Role.ADMIN)
def rotate(endpoint_id: int):
    found = db.get_or_404(WebhookEndpoint, endpoint_id)
    run_button(
        ButtonForm(),
        lambda: services.rotate_secret(current_user, found),
        _("A new secret is made. Give it to the receiving system."),
        ask=lambda: ConfirmFirst(
            _("Make a new signing secret?"),
            _(
                "From now on messages are signed with the new secret: the receiving system "
                "refuses them until it has it."
            ),
            _("Yes, make a new secret"),
        ),  # fmt: skip
    )
    return redirect(url_for("webhooks.endpoint", endpoint_id=found.id))


@bp.route("/admin/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@require(Role.ADMIN)
def delete(endpoint_id: int):
    found = db.get_or_404(WebhookEndpoint, endpoint_id)
    deleted = run_button(
        ButtonForm(),
        lambda: services.delete_endpoint(current_user, found),
        _("The endpoint is deleted, with its deliveries."),
        ask=lambda: ConfirmFirst(
            _("Delete the endpoint %(url)s?", url=found.url),
            _("Nothing more is sent to it, and its deliveries are deleted."),
            _("Yes, delete it"),
        ),
    )
    if deleted:
        return redirect(url_for("webhooks.index"))
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.route("/admin/webhooks/deliveries/<int:delivery_id>/replay", methods=["POST"])
@require(Role.ADMIN)
def replay(delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    run_button(ButtonForm(), lambda: services.replay(current_user, delivery),
               _("The message is sent again, as it was."))  # fmt: skip
    return redirect(url_for("webhooks.endpoint", endpoint_id=delivery.endpoint_id))
