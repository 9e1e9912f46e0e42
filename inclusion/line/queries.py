"""Reads of LINE links that other features share."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from inclusion import clock
from inclusion.db import among
from inclusion.extensions import db
from inclusion.line.accounts import LineAccount, account_for
from inclusion.line.models import LineFriend, LineLink, LineLinkCode, link_ref
from inclusion.residents.models import Resident


def link_id(ref: str) -> int | None:
    """12 for ``L12``; None for anything else."""
    digits = ref[1:] if ref.startswith("L") else ""
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


def line_users(refs: set[str]) -> dict[str, tuple[str, str]]:
    """For each link ``refs`` names that still lasts: (LINE user, account)."""
    ids = {found for ref in refs if (found := link_id(ref)) is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(LineLink.id, LineFriend.line_user_id, LineFriend.account)
        .join(LineFriend, LineFriend.id == LineLink.friend_id)
        .where(among(LineLink.id, ids), LineLink.unlinked_dt.is_(None),
               LineFriend.blocked_dt.is_(None))
    )  # fmt: skip
    return {link_ref(row.id): (row.line_user_id, row.account) for row in rows}


def active_link(resident_id: int) -> LineLink | None:
    return db.session.scalar(
        sa.select(LineLink).where(
            LineLink.resident_id == resident_id, LineLink.unlinked_dt.is_(None)
        )
    )


def links_of(friend: LineFriend) -> list[LineLink]:
    """The residents a LINE user is linked to now (a couple may share one LINE)."""
    return list(
        db.session.scalars(
            sa.select(LineLink)
            .where(LineLink.friend_id == friend.id, LineLink.unlinked_dt.is_(None))
            .order_by(LineLink.id)
        )
    )


@dataclass(frozen=True)
class LineState:
    """What a resident's page shows of LINE."""

    #: The account their ward's residents link to; None when the ward has none.
    account: LineAccount | None
    link: LineLink | None
    #: Links that ended, newest first.
    ended: list[LineLink]
    #: A code handed out and not used yet.
    code: LineLinkCode | None


#: Ended links a resident's page lists.
ENDED_SHOWN = 3


def line_state(resident: Resident) -> LineState:
    links = list(
        db.session.scalars(
            sa.select(LineLink)
            .where(LineLink.resident_id == resident.id)
            .order_by(LineLink.linked_dt.desc(), LineLink.id.desc())
            .limit(ENDED_SHOWN + 1)
        )
    )
    current = next((link for link in links if link.unlinked_dt is None), None)
    ended = [link for link in links if link.unlinked_dt is not None][:ENDED_SHOWN]
    return LineState(account_for(resident.ward), current, ended, open_code(resident))


def open_code(resident: Resident) -> LineLinkCode | None:
    """The code handed out to the resident that still works."""
    return db.session.scalar(
        sa.select(LineLinkCode).where(
            LineLinkCode.resident_id == resident.id,
            LineLinkCode.closed_dt.is_(None),
            LineLinkCode.expires_dt > clock.now(),
        )
    )
