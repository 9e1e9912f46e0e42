"""Language choice and how dates and times are written in each language."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_time, get_locale, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Request

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}
LOGIN_REQUIRED_MESSAGE = _l("Please log in to see this page.")

#: 2026年4月1日(水) and Wed 1 Apr 2026.
DATE_PATTERNS = {"ja": "y年M月d日(E)", "en": "EEE d MMM y"}
TIME_PATTERNS = {"ja": "H:mm", "en": "H:mm"}
MONTH_PATTERNS = {"ja": "y年M月", "en": "MMMM y"}


#: Sentences the app itself stores (why a message did not go, why a booking was
#: cancelled), by the English stored; readers see them in their language. Features add
#: their own. Anything not here (what a person typed, a provider's text) is shown as is.
STORED_TEXTS: dict[str, object] = {}


def stored_text(value: str) -> str:
    label = STORED_TEXTS.get(value)
    return str(label) if label is not None else value


def select_locale() -> str:
    """The language cookie if set, else the browser's best match, else Japanese."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return locale_of(request, current_app.config)


def locale_of(asked: Request, config) -> str:
    """The language a request is answered in (also before Flask, see caching.front)."""
    languages = config["LANGUAGES"]
    chosen = asked.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return asked.accept_languages.best_match(languages) or config["BABEL_DEFAULT_LOCALE"]


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in DATE_PATTERNS else "ja"


def local_date(value: date | datetime | None) -> str:
    """A date as people write it in the UI language; datetimes in the app's time zone."""
    if value is None:
        return ""
    return format_date(value, DATE_PATTERNS[_language()])


def local_weekday(value: date) -> str:
    """The day of the week, short: 日 … 土, or Sun … Sat."""
    return format_date(value, "EEE")


def local_month(value: date) -> str:
    return format_date(value, MONTH_PATTERNS[_language()])


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_time(value, TIME_PATTERNS[_language()])


def local_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    language = _language()
    return format_datetime(value, f"{DATE_PATTERNS[language]} {TIME_PATTERNS[language]}")


def translated(text: str) -> str:
    """Words that come from elsewhere (the API description), in the page's language: plain
    text, escaped like any other value, never formatted with ``%``."""
    return gettext(text) if text else ""


def init_app(app: Flask) -> None:
    app.add_template_filter(translated, "translated")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(local_time, "time")
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_month, "month")
    app.add_template_filter(local_weekday, "weekday")
    app.add_template_filter(stored_text, "stored")

    @app.context_processor
    def language_context() -> dict[str, object]:
        return {"current_language": _language(), "language_names": LANGUAGE_NAMES}
