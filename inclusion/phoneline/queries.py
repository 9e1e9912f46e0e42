"""Reading the phone line's log: a fixed number of queries, whatever its length."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inclusion.extensions import db
from inclusion.phoneline.models import PhoneLineCall
from inclusion.wards.models import Ward

#: Calls the log page lists.
SHOWN = 50


def recent_calls(ward: Ward, limit: int = SHOWN) -> list[PhoneLineCall]:
    """The ward's latest calls, newest first, with whom they were about."""
    return list(
        db.session.scalars(
            sa.select(PhoneLineCall)
            .options(joinedload(PhoneLineCall.resident))
            .where(PhoneLineCall.ward_id == ward.id)
            .order_by(PhoneLineCall.started_dt.desc(), PhoneLineCall.id.desc())
            .limit(limit)
        )
    )
