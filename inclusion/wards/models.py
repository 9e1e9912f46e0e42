from __future__ import annotations

import secrets
from datetime import time

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column

from inclusion.extensions import db


class Ward(db.Model):
    """One of Tokyo's special wards; the rows are seeded by the first migration."""

    __tablename__ = "wards"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 全国地方公共団体コード with its check digit, e.g. ``131130`` for Shibuya.
    code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    #: Romanised name used in URLs: ``/w/shibuya``.
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_ja: Mapped[str] = mapped_column(sa.String(40))
    name_kana: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(40))
    #: Where residents book, shown on the public page and flyers.
    booking_phone: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")
    booking_hours: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    booking_counter: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    #: The ward's own quiet hours (JST); null means the REMINDER_CALL_HOURS / _SMS_HOURS setting.
    calls_from: Mapped[time | None]
    calls_until: Mapped[time | None]
    sms_from: Mapped[time | None]
    sms_until: Mapped[time | None]
    #: Where the phone line puts a caller through to staff (E.164); none: callers leave
    #: a message.
    phone_line_forward_e164: Mapped[str | None] = mapped_column(sa.String(20))
    #: When staff answer the phone (JST) on office days: outside these hours the phone
    #: line takes a message instead of putting the caller through.
    desk_opens: Mapped[time] = mapped_column(default=time(8, 30), server_default="08:30:00")
    desk_closes: Mapped[time] = mapped_column(default=time(17, 15), server_default="17:15:00")
    #: The ward office, for the pool's "how far will you travel" (straight-line km).
    office_lat: Mapped[float | None]
    office_lon: Mapped[float | None]
    #: Staff approve a swap of shifts both volunteers agreed to before it takes effect.
    swaps_need_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Hours before a session at which staff are alerted that a shift still needs cover.
    cover_alert_hours: Mapped[int] = mapped_column(default=48, server_default="48")
    #: Replaced by a new random token in the transaction of any change to what the ward's
    #: pages show (``inclusion.caching.versions``); cached pages are keyed by it.
    cache_version: Mapped[str] = mapped_column(
        sa.String(16), default=lambda: secrets.token_hex(8), server_default=""
    )

    @property
    def name(self) -> str:
        """The ward's name in the current UI language."""
        locale = get_locale()
        return self.name_en if locale is not None and locale.language == "en" else self.name_ja

    def __repr__(self) -> str:
        return f"<Ward {self.code} {self.slug}>"
