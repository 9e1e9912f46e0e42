"""Japanese phone numbers: parsed and classified by ``phonenumbers``, stored in E.164."""

from __future__ import annotations

import enum
import re

import phonenumbers
from flask_babel import lazy_gettext as _l

from inclusion.errors import RuleViolation


class PhoneKind(enum.StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    IP = "ip"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(PHONE_KIND_LABELS[self])

    @property
    def takes_sms(self) -> bool:
        return self == PhoneKind.MOBILE


PHONE_KIND_LABELS = {
    PhoneKind.MOBILE: _l("Mobile"),
    PhoneKind.LANDLINE: _l("Landline"),
    PhoneKind.IP: _l("IP phone (050)"),
    PhoneKind.OTHER: _l("Other number"),
}

_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: PhoneKind.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE: PhoneKind.LANDLINE,
    phonenumbers.PhoneNumberType.VOIP: PhoneKind.IP,
}

INVALID = _l("Enter a Japanese phone number such as 03-1234-5678 or 090-1234-5678.")


def parse_phone(text: str, field: str = "phone") -> tuple[str, PhoneKind] | None:
    """A Japanese number as (E.164, kind): 03-3463-1873 → (+81334631873, landline).

    Empty text gives None; anything else that is not a valid, callable Japanese
    number is refused with a message for ``field``.
    """
    text = text.strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        raise RuleViolation(INVALID, field) from None
    if not phonenumbers.is_valid_number(number):
        raise RuleViolation(INVALID, field)
    if phonenumbers.region_code_for_number(number) != "JP":
        raise RuleViolation(_l("Only Japanese phone numbers can be called or texted."), field)
    number_type = phonenumbers.number_type(number)
    if number_type == phonenumbers.PhoneNumberType.PREMIUM_RATE:
        raise RuleViolation(_l("A premium-rate number cannot be used."), field)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, _KINDS.get(number_type, PhoneKind.OTHER)


def display_phone(e164: str | None) -> str:
    """A stored number as Japanese people write it: +81334631873 → 03-3463-1873."""
    if not e164:
        return ""
    return phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )


def masked(e164: str | None) -> str:
    """A number fit for a log line: its last four digits only, +81******1873."""
    if not e164:
        return ""
    return e164[:3] + "*" * max(len(e164) - 7, 0) + e164[-4:]


#: A run of digits long enough to be a phone number, however written (valid or not).
_DIGIT_RUN = re.compile(r"\+?\d[\d\s()\-－ー]{5,}\d")


def without_numbers(text: str) -> str:
    """``text`` with every run of digits that could be a phone number replaced by "…": a
    provider's error message goes into logs and API answers, which must not carry a
    resident's number, even a mistyped one. Short codes (Twilio's 21211) stay."""
    return _DIGIT_RUN.sub("…", text)
