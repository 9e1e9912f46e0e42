"""Forms and fields shared by every feature."""

import unicodedata
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectMultipleField, TimeField
from wtforms.widgets import CheckboxInput, ListWidget


class ButtonForm(FlaskForm):
    """An empty form: a POST button that carries only the CSRF token."""


def strip_whitespace(value: str | None) -> str | None:
    """Drop the spaces people paste around what they type (full-width ones too)."""
    return value.strip() if isinstance(value, str) else value


class _OwnMessage:
    """A field whose unreadable input gets our message, and empty input none (Required says it)."""

    bad_input_message: str = ""

    def __init__(self, *args, bad_input: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bad_input_message = bad_input

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
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
