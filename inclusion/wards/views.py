from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from inclusion.auth.access import require
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.wards.models import Ward
from inclusion.wards.services import list_wards

bp = Blueprint("wards", __name__)

STAFF_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.WARD_STAFF)


@bp.route("/wards")
@require(Role.ADMIN, Role.COORDINATOR)
def index():
    staff_counts = dict(
        db.session.execute(
            sa.select(User.ward_id, sa.func.count())
            .where(User.role == Role.WARD_STAFF, User.is_active)
            .group_by(User.ward_id)
        ).all()
    )
    return render_template("wards/index.html", wards=list_wards(), staff_counts=staff_counts)


@bp.route("/manage/<ward>")
@require(*STAFF_ROLES)
def overview(ward: Ward):
    staff = db.session.scalars(
        sa.select(User).where(User.ward_id == ward.id).order_by(User.display_name)
    ).all()
    return render_template("wards/overview.html", ward=ward, staff=staff)
