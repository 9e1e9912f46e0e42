from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from inclusion.audit.models import READ_ACTIONS, AuditLog
from inclusion.auth.models import User
from inclusion.extensions import db
from inclusion.wards.models import Ward


def record_event(
    actor: User | None,
    action: str,
    target: Any = None,
    ward: Ward | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit entry to the current transaction."""
    entry = AuditLog(
        actor=actor,
        action=action,
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None,
        ward=ward,
        ip_address=request.remote_addr if has_request_context() else None,
        details=details or {},
    )
    db.session.add(entry)
    return entry


def record_view(
    action: str,
    target: Any,
    ward: Ward | None,
    residents: Iterable[int | None] = (),
    **details: Any,
) -> None:
    """Record who saw personal data, and whose (the residents' ids), committed with the
    page (the view is ``writes_on_read``)."""
    from flask_login import current_user

    if action not in READ_ACTIONS:
        raise ValueError(f"{action} records a change, not a read")
    shown = sorted({resident_id for resident_id in residents if resident_id is not None})
    if shown:
        details |= {"shown": len(shown), "residents": shown}
    record_event(current_user, action, target, ward, details)
    db.session.commit()


def list_events(ward: Ward | None = None, before_id: int | None = None, limit: int = 50):
    """Newest entries first, optionally of one ward, paged by id."""
    query = sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if ward is not None:
        query = query.where(AuditLog.ward_id == ward.id)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    return list(db.session.scalars(query))
