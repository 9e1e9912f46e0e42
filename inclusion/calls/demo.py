"""Demo calls to the joint call centre: one answered, one passed to each ward and waiting."""

from __future__ import annotations

import sqlalchemy as sa

from inclusion.auth.models import Role, User
from inclusion.calls import services
from inclusion.calls.models import Call, CallOutcome, CallTopic
from inclusion.extensions import db
from inclusion.residents.models import Resident
from inclusion.wards.services import find_ward


def add_demo_calls() -> int:
    """Log a few calls by the demo operator, once. Returns how many were logged."""
    operator = db.session.scalar(sa.select(User).where(User.role == Role.OPERATOR).limit(1))
    if operator is None or db.session.scalar(sa.select(sa.exists().where(Call.id > 0))):
        return 0
    logged = 0
    for slug in ("shibuya", "shinagawa"):
        ward = find_ward(slug)
        caller = db.session.scalar(
            sa.select(Resident).where(Resident.ward_id == ward.id).order_by(Resident.id.desc())
        )
        drafts = (
            services.CallDraft(caller, None, CallTopic.PHONE_USE, CallOutcome.ANSWERED, True,
                               "LINEの通知音の消し方を説明した"),
            services.CallDraft(None, ward, CallTopic.ONLINE_PROCEDURES, CallOutcome.PASSED,
                               False, "マイナポータルでの転出届について、区の窓口から折り返し希望",
                               "03-5555-0199"),
        )  # fmt: skip
        for draft in drafts:
            services.log_call(operator, draft)
            logged += 1
    return logged
