"""The reminder texts a ward may rewrite: what each is for, its placeholders, its samples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from jinja2 import Template

from inclusion import clock
from inclusion.reminders import messages
from inclusion.wards.models import Ward

SAMPLE_TITLE = "スマホ入門講座"
SAMPLE_VENUE = "区民会館 第1会議室"
SAMPLE_ROLE = "サポーター"

KIND_LABELS = {
    "two_days_before": _l("Before the session"),
    "morning": _l("On the morning"),
    "day_before": _l("The day before"),
    "promoted": _l("A seat freed for them"),
    "cancelled": _l("Session cancelled"),
    "moved": _l("Session moved"),
}

_COMMON = ("ward.name_ja", "title", "venue", "kind", "course")
_SMS = ("day", "start", "ward_phone", "two_way")
_VOICE = ("when_spoken", "ward_phone_spoken")


@dataclass(frozen=True)
class TextSpec:
    label: object
    is_sms: bool
    kinds: tuple[str, ...]
    placeholders: tuple[str, ...]


EDITABLE = {
    "sms_resident.txt": TextSpec(
        _l("SMS reminder to a resident"), True, ("two_days_before", "morning"), _COMMON + _SMS
    ),
    "voice_resident.txt": TextSpec(
        _l("Reminder call to a resident"),
        False,
        ("two_days_before", "morning"),
        _COMMON + _VOICE,
    ),
    "sms_notice.txt": TextSpec(
        _l("SMS notice to a resident"),
        True,
        ("promoted", "cancelled", "moved"),
        _COMMON + _SMS,
    ),
    "voice_notice.txt": TextSpec(
        _l("Notice call to a resident"),
        False,
        ("promoted", "cancelled", "moved"),
        _COMMON + _VOICE,
    ),
    "sms_volunteer.txt": TextSpec(
        _l("SMS reminder to a volunteer"),
        True,
        ("day_before",),
        (*_COMMON, *_SMS, "role"),
    ),
}


@dataclass(frozen=True)
class Sample:
    kind: str
    text: str

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def length(self) -> int:
        return messages.sms_length(self.text)

    @property
    def segments(self) -> int:
        return messages.sms_segments(self.text)

    @property
    def too_long(self) -> bool:
        return self.length > messages.SMS_LIMIT


def sample_start() -> datetime:
    """Next Thursday at 10:00: what the previews and checks show."""
    today = clock.today()
    return clock.to_utc(today + timedelta(days=(3 - today.weekday()) % 7 or 7), time(10))


def samples(ward: Ward, name: str, template: Template | None = None) -> list[Sample]:
    """The text as sent for each of its kinds; raises Jinja's errors for a bad draft."""
    spec = EDITABLE[name]
    write = messages.sms_text if spec.is_sms else messages.voice_text
    extra = {"role": SAMPLE_ROLE} if "role" in spec.placeholders else {}
    return [
        Sample(
            kind,
            write(
                ward,
                name,
                sample_start(),
                SAMPLE_TITLE,
                SAMPLE_VENUE,
                template=template,
                kind=kind,
                **extra,
            ),
        )
        for kind in spec.kinds
    ]
