"""Forms and fields shared by every feature."""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Self

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectMultipleField, SubmitField, TimeField
from wtforms.fields.core import UnboundField
from wtforms.widgets import CheckboxInput, ListWidget

from inclusion.extensions import db


class ButtonForm(FlaskForm):
    """An empty form: a POST button that carries only the CSRF token."""


def unix_lines(text: str) -> str:
    """Line breaks as stored (LF): browsers send a text area's as CR LF, and so may APIs."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


#: Control characters nobody types: they would break a calendar file, a CSV or a log line.
_CONTROLS = dict.fromkeys(
    [code for code in range(0x20) if chr(code) not in "\n\t"] + list(range(0x7F, 0xA0))
)


def plain_text(text: str) -> str:
    """Text as stored, whichever way it came: LF line breaks, no other control characters."""
    return unix_lines(text).translate(_CONTROLS)


def strip_whitespace(value: str | None) -> str | None:
    """Drop the spaces people paste around what they type (full-width ones too); line
    breaks as stored, control characters gone."""
    return plain_text(value).strip() if isinstance(value, str) else value


def form_value(value: Any) -> Any:
    """A stored value as a field holds it: a choice's code, a row's id, a list of them."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, db.Model):
        return value.id
    if isinstance(value, list | tuple | set | frozenset):
        return [form_value(item) for item in value]
    if isinstance(value, datetime):
        raise TypeError("show an instant as its local date and time fields, not as a datetime")
    return value


class EditForm(FlaskForm):
    """A form that changes a stored record: ``Form.of(record)`` shows it as stored.

    Which value a field shows is decided here and nowhere else: what was submitted, else
    what is stored, else (only for ``unstored`` fields, or a new record) the field's
    default. WTForms' own ``obj=`` is refused, by name or by position: it hands fields
    model values (rows, enums, UTC instants) where they expect ids, codes and local times,
    and it beats ``data=``, so an unchanged save could quietly change the record. A form
    that adds a new record is built with the plain constructor, and shows the defaults.
    """

    #: Fields the record does not hold (why it changes, how far): they show their defaults.
    unstored: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *args, stored: Mapping[str, Any] | None = None, **kwargs) -> None:
        given = kwargs.keys() - {"formdata", "prefix", "meta"}
        if given or len(args) > 1:
            shown = given or "a record given by position"
            raise TypeError(f"{type(self).__name__}: show a record with .of(record), not {shown}")
        super().__init__(*args, data=stored, **kwargs)
        if stored is not None:
            missing = self.stored_fields() - stored.keys()
            if missing:
                raise TypeError(f"{type(self).__name__}.stored_values leaves out {missing}")

    @classmethod
    def stored_fields(cls) -> set[str]:
        """The fields that show what the record holds: all but buttons, the CSRF token and
        ``unstored``."""
        return {
            name
            for name in dir(cls)
            if isinstance(field := getattr(cls, name, None), UnboundField)
            and field.field_class is not SubmitField
            and name not in cls.unstored | {"csrf_token"}
        }

    @classmethod
    def of(cls, record: Any, *args, **kwargs) -> Self:
        """The form for changing ``record``, showing what is stored."""
        stored = {name: form_value(value) for name, value in cls.stored_values(record).items()}
        return cls(*args, stored=stored, **kwargs)

    @classmethod
    def stored_values(cls, record: Any) -> Mapping[str, Any]:
        """The record as the fields show it; by default its attributes of the same names.

        Override for what reads differently: a phone number as written, an instant as its
        local date and time, a flag shown as a choice.
        """
        return {name: getattr(record, name) for name in cls.stored_fields()}


class _OwnMessage:
    """A field whose unreadable input gets our message, and empty input none (Required says it)."""

    bad_input_message: str = ""

    def __init__(self, *args, bad_input: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bad_input_message = bad_input

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            # Spaces are no answer: InputRequired, which reads the raw input, must say so.
            self.data, self.raw_data = None, []
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(self.bad_input_message)) from None


#: Dates people mean; farther ones are typos, and would overflow as UTC instants.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def plausible_date(text: str) -> date | None:
    """A YYYY-MM-DD date between 2000 and 2100, or None."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


class LocalDateField(_OwnMessage, DateField):
    """A date as YYYY-MM-DD (what ``<input type=date>`` sends), between 2000 and 2100."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not EARLIEST_DAY <= self.data <= LATEST_DAY:
            self.data = None
            raise ValueError(str(self.bad_input_message))


class LocalTimeField(_OwnMessage, TimeField):
    """A time as HH:MM; 25:00 and 10:75 are refused."""


class WholeNumberField(_OwnMessage, IntegerField):
    """A whole number; full-width digits (２０) are read as ordinary ones."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata([unicodedata.normalize("NFKC", value) for value in valuelist])


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FilterForm(FlaskForm):
    """Filters of a list, read from the URL: no CSRF, and a bad value is just ignored."""

    class Meta:
        csrf = False

    def value(self, name: str):
        """A filter's value, or None if empty or invalid."""
        field = self[name]
        data = field.data.strip() if isinstance(field.data, str) else field.data
        return None if field.errors or not data else data
