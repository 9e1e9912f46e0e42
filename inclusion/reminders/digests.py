"""The morning mail that tells a ward's staff how many follow-up calls are due.

Sent on office days from ``FOLLOW_UP_DIGEST_AT``, once per ward and day, only when some
are due. It holds a count and a link, never a name: mail leaves the ward's systems.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.exc import IntegrityError

from inclusion import clock
from inclusion.db import utcnow
from inclusion.extensions import db
from inclusion.mail import MailNotSent, send_mail
from inclusion.reminders.messages import WEEKDAYS
from inclusion.reminders.models import StaffDigest
from inclusion.residents.queries import due_follow_up_counts
from inclusion.wards.models import Ward
from inclusion.wards.services import staff_addresses
from inclusion.web import public_url

log = logging.getLogger(__name__)

FOLLOW_UP_CALLS = "follow_up_calls"


@dataclass
class DigestResult:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def long_day(day: date) -> str:
    """12月10日(木)"""
    return f"{day.month}月{day.day}日({WEEKDAYS[day.weekday()]})"


def send_follow_up_digests(now: datetime) -> DigestResult:
    """Mail each ward with follow-up calls due, unless it has had today's mail."""
    result = DigestResult()
    local = clock.to_local(now)
    today = local.date()
    if not clock.is_office_day(today) or local.time() < current_app.config["FOLLOW_UP_DIGEST_AT"]:
        return result
    done = set(
        db.session.scalars(
            sa.select(StaffDigest.ward_id).where(
                StaffDigest.kind == FOLLOW_UP_CALLS, StaffDigest.day == today
            )
        )
    )
    due = {
        ward_id: figures
        for ward_id, figures in due_follow_up_counts(today).items()
        if ward_id not in done
    }
    wards = db.session.scalars(sa.select(Ward).where(Ward.id.in_(due))).all() if due else []
    db.session.rollback()  # end the read, so each claim below is its own short write
    for ward in wards:
        count, oldest = due[ward.id]
        digest = _claim(ward, today, count)
        if digest is None:
            continue
        try:
            _send(digest, ward, today, oldest)
        except MailNotSent:
            result.failed.append(ward.slug)
        else:
            result.sent.append(ward.slug)
    return result


def _claim(ward: Ward, today: date, count: int) -> StaffDigest | None:
    """Insert today's row for the ward; None when another scheduler already did."""
    digest = StaffDigest(ward_id=ward.id, kind=FOLLOW_UP_CALLS, day=today, item_count=count)
    db.session.add(digest)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return digest


def _send(digest: StaffDigest, ward: Ward, today: date, oldest: date) -> None:
    recipients = staff_addresses(ward)
    digest.recipient_count = len(recipients)
    if not recipients:
        digest.error = "no active staff account in this ward"
        db.session.commit()
        return
    subject, _newline, body = (
        render_template(
            "reminders/mail_follow_up_digest.txt",
            ward=ward,
            count=digest.item_count,
            today=long_day(today),
            oldest=long_day(oldest),
            url=public_url("residents.follow_ups", ward=ward.slug),
        )
        .strip()
        .partition("\n")
    )
    try:
        send_mail(recipients, subject, body.strip() + "\n")
    except MailNotSent as error:
        # Give the claim back: the next run, minutes later, tries again.
        log.warning("follow-up digest for %s not sent: %s", ward.slug, error)
        db.session.delete(digest)
        db.session.commit()
        raise
    digest.sent_dt = utcnow()
    db.session.commit()
