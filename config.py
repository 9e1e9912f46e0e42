"""Settings read from the environment, with safe defaults.

Every setting an operator may change is listed in README.md ("Settings").
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(SystemExit):
    """A setting that stops start-up; shown as one line, never a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"inclusion: configuration error: {message}")
        self.message = message


class Config:
    """Defaults that no environment variable changes."""

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_PROTECTION = "strong"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    #: scrypt as OWASP lists it at 8 MiB (N=2^13, r=8, p=10), as strong as its 2^17
    #: default; werkzeug's own (N=2^15, p=1) is weaker and holds 32 MiB of a web worker
    #: per log-in. Older hashes are made again at the next log-in.
    PASSWORD_HASH_METHOD = "scrypt:8192:8:10"
    BABEL_DEFAULT_LOCALE = "ja"
    LANGUAGES = ("ja", "en")
    RATELIMIT_HEADERS_ENABLED = True
    #: If Redis is down, limit in memory per process rather than refuse every log-in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    #: How long a cached page may be shown: its lists start "from now", and the forms
    #: in it carry a CSRF token that must stay fresh. Any change shows at once.
    PAGE_CACHE_SECONDS = 60
    #: What each process keeps of cached pages and feeds (compressed: a 10,000-event
    #: calendar takes about 1 MB), least recently used out first, and of calendar events
    #: (a changed feed is made again from those it still holds).
    LOCAL_CACHE_BYTES = 8 * 1024 * 1024
    LOCAL_PIECES_BYTES = 10 * 1024 * 1024


_CLOCK_RE = re.compile(r"(\d{1,2}):(\d{2})")


def parse_clock(name: str, value: str, example: str = "08:30", whole: str = "") -> time:
    """Parse a time of day such as ``08:30`` (``whole`` is the setting it came from)."""
    shown = whole or value
    match = _CLOCK_RE.fullmatch(value.strip())
    if not match:
        raise ConfigError(f"{name} must look like {example}, not {shown!r}")
    if int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(f"{name} has an impossible time: {shown!r}")
    return time(int(match[1]), int(match[2]))


def parse_hours(name: str, value: str) -> tuple[time, time]:
    """Parse an allowed window such as ``09:00-20:00`` into two times."""
    start_text, _dash, end_text = value.partition("-")
    start, end = (
        parse_clock(name, text, example="09:00-20:00", whole=value)
        for text in (start_text, end_text)
    )
    if start >= end:
        raise ConfigError(f"{name} must start before it ends: {value!r}")
    return start, end


def parse_database_url(value: str) -> str:
    """Check a database URL and pick the psycopg 3 driver for PostgreSQL."""
    try:
        url: URL = make_url(value)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {value!r}") from None
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(f"DATABASE_URL must be sqlite or postgresql, not {backend!r}")
    return url.render_as_string(hide_password=False)


def parse_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"INCLUSION_TIMEZONE is not a known time zone: {value!r}") from None
    return value


def parse_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) URL, not {value!r}")
    return value.rstrip("/")


def parse_int(name: str, value: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    return number


def parse_rate(name: str, value: str) -> float:
    """Messages per second; 0 means unpaced."""
    try:
        rate = float(value)
    except ValueError:
        raise ConfigError(
            f"{name} must be a number of messages per second, not {value!r}"
        ) from None
    if not 0 <= rate <= 1000:
        raise ConfigError(f"{name} must be from 0 (unpaced) to 1000, not {value!r}")
    return rate


def parse_yen(name: str, value: str) -> float:
    """A price in yen, such as 3 or 2.5."""
    try:
        price = float(value)
    except ValueError:
        raise ConfigError(
            f"{name} must be an amount in yen, such as 3 or 2.5, not {value!r}"
        ) from None
    if not 0 <= price <= 10_000:
        raise ConfigError(f"{name} must be from 0 to 10000 yen, not {value!r}")
    return price


def parse_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def calendar_settings(get: Callable[..., str], base_url: str) -> dict[str, object]:
    """Feed UIDs' domain, alarms, and where rendered feeds are cached."""
    domain = get("CALENDAR_DOMAIN") or (urlsplit(base_url).hostname if base_url else "")
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,200}", domain or "inclusion.invalid"):
        raise ConfigError(f"CALENDAR_DOMAIN must be a host name, not {domain!r}")
    cache_url = get("CACHE_URL", "memory://")
    if cache_url == "memory://":
        cache = {"CACHE_TYPE": "SimpleCache"}
    elif cache_url.startswith(("redis://", "rediss://")):
        cache = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": cache_url}
    else:
        raise ConfigError(f"CACHE_URL must be memory:// or redis://…, not {cache_url!r}")
    return {
        "CALENDAR_DOMAIN": domain or "inclusion.invalid",
        "CALENDAR_ALARM_MINUTES": parse_int(
            "CALENDAR_ALARM_MINUTES", get("CALENDAR_ALARM_MINUTES", "60")
        ),
        "CALENDAR_PUBLIC_ALARM_MINUTES": parse_int(
            "CALENDAR_PUBLIC_ALARM_MINUTES", get("CALENDAR_PUBLIC_ALARM_MINUTES", "0")
        ),
        "CACHE_DEFAULT_TIMEOUT": 24 * 3600,
        "CACHE_KEY_PREFIX": "inclusion:",
        **cache,
    }


#: Japanese voices Twilio can speak with (Amazon Polly and Google), as its ``voice`` names.
JAPANESE_VOICES = frozenset(
    {"Polly.Mizuki", "Polly.Takumi", "Polly.Kazuha-Neural", "Polly.Tomoko-Neural",
     "Polly.Takumi-Neural"}
    | {f"Google.ja-JP-{kind}-{letter}" for kind in ("Standard", "Wavenet") for letter in "ABCD"}
    | {f"Google.ja-JP-Neural2-{letter}" for letter in "BCD"}
)  # fmt: skip
#: Twilio's regions and the edge each must be reached through.
TWILIO_REGIONS = {"us1": "ashburn", "ie1": "dublin", "au1": "sydney", "jp1": "tokyo"}


def telephony_settings(get: Callable[..., str]) -> dict[str, object]:
    """How messages leave through Twilio in Japan: the SMS sender, replies, region and voice."""
    settings: dict[str, object] = {}
    service = get("TWILIO_MESSAGING_SERVICE_SID")
    if service and not re.fullmatch(r"MG[0-9a-f]{32}", service):
        raise ConfigError(
            "TWILIO_MESSAGING_SERVICE_SID must look like MG followed by 32 hex digits"
        )
    settings["TWILIO_MESSAGING_SERVICE_SID"] = service or None
    sender = get("TWILIO_SMS_FROM")
    if sender and not (
        re.fullmatch(r"\+[1-9][0-9]{6,14}", sender)
        or re.fullmatch(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}", sender)
    ):
        raise ConfigError(
            "TWILIO_SMS_FROM must be a number like +815012345678 or an alphanumeric sender ID "
            f"of at most 11 letters and digits (not only digits), not {sender!r}"
        )
    settings["TWILIO_SMS_FROM"] = sender or None
    settings["TWILIO_VOICE_FROM"] = get("TWILIO_VOICE_FROM") or None
    # Residents can answer an SMS only when it comes from a number that can send one: an
    # alphanumeric sender is one-way, and a Japanese number sends no SMS at all. A Messaging
    # Service says nothing of its senders, so it is set by hand.
    from_number = bool(sender and sender.startswith("+") and not sender.startswith("+81"))
    two_way = get("REMINDER_SMS_TWO_WAY")
    settings["REMINDER_SMS_TWO_WAY"] = (
        parse_bool("REMINDER_SMS_TWO_WAY", two_way) if two_way else from_number
    )
    if settings["REMINDER_SMS_TWO_WAY"] and sender and not from_number and not service:
        raise ConfigError(
            "REMINDER_SMS_TWO_WAY=true, but TWILIO_SMS_FROM is an alphanumeric sender ID: "
            "residents cannot answer it. Use a number, or leave REMINDER_SMS_TWO_WAY unset"
        )
    region, edge = get("TWILIO_REGION"), get("TWILIO_EDGE")
    if region and region not in TWILIO_REGIONS:
        raise ConfigError(f"TWILIO_REGION must be one of {sorted(TWILIO_REGIONS)}, not {region!r}")
    if region and edge != TWILIO_REGIONS[region]:
        raise ConfigError(
            f"TWILIO_REGION={region} is reached through TWILIO_EDGE={TWILIO_REGIONS[region]}"
        )
    if edge and not region:
        raise ConfigError("TWILIO_EDGE needs TWILIO_REGION too (jp1 with tokyo)")
    settings["TWILIO_REGION"], settings["TWILIO_EDGE"] = region or None, edge or None
    voice = get("REMINDER_VOICE", "Polly.Mizuki")
    if voice not in JAPANESE_VOICES:
        raise ConfigError(
            f"REMINDER_VOICE must be a Japanese voice such as Polly.Mizuki or "
            f"Google.ja-JP-Neural2-B, not {voice!r}"
        )
    settings["REMINDER_VOICE"] = voice
    line_voice = get("PHONE_LINE_VOICE", voice)
    if line_voice not in JAPANESE_VOICES:
        raise ConfigError(
            f"PHONE_LINE_VOICE must be a Japanese voice such as Polly.Mizuki, not {line_voice!r}"
        )
    settings["PHONE_LINE_VOICE"] = line_voice
    english = get("PHONE_LINE_ENGLISH_VOICE", "Polly.Joanna")
    if not re.fullmatch(r"(Polly|Google)\.[A-Za-z0-9-]+", english):
        raise ConfigError(
            "PHONE_LINE_ENGLISH_VOICE must be a Twilio voice such as Polly.Joanna, "
            f"not {english!r}"
        )
    settings["PHONE_LINE_ENGLISH_VOICE"] = english
    rate = get("PHONE_LINE_RATE", "90")
    settings["PHONE_LINE_RATE"] = parse_int("PHONE_LINE_RATE", rate.rstrip("%"), minimum=50)
    if settings["PHONE_LINE_RATE"] > 150:
        raise ConfigError(f"PHONE_LINE_RATE must be from 50 to 150 (per cent), not {rate!r}")
    return settings


def telephony_warnings(config: Mapping[str, object]) -> list[str]:
    """Combinations that run, but will not work well in Japan, in plain words for `check`."""
    if config["REMINDER_CHANNEL"] != "twilio":
        return ["REMINDER_CHANNEL=console: reminders are written to the log, not sent to anyone"]
    warnings = []
    if not (config["TWILIO_MESSAGING_SERVICE_SID"] or config["TWILIO_SMS_FROM"]):
        warnings.append("no SMS sender: set TWILIO_MESSAGING_SERVICE_SID (or TWILIO_SMS_FROM)")
    elif config["TWILIO_SMS_FROM"] and str(config["TWILIO_SMS_FROM"]).startswith("+81"):
        warnings.append(
            "TWILIO_SMS_FROM is a Japanese number: Japanese numbers cannot send SMS; use an "
            "alphanumeric sender ID or an international number"
        )
    if not config["REMINDER_SMS_TWO_WAY"]:
        warnings.append(
            "SMS is one-way: residents cannot answer a text; they confirm or cancel on a "
            "reminder call (keypad) or by calling the ward"
        )
    if not config["TWILIO_VOICE_FROM"]:
        warnings.append("no TWILIO_VOICE_FROM: reminder calls cannot be made")
    elif str(config["TWILIO_VOICE_FROM"]).startswith("+81") and config["TWILIO_EDGE"] != "tokyo":
        warnings.append(
            "calls from a Japanese number should go through the Tokyo edge "
            "(TWILIO_REGION=jp1, TWILIO_EDGE=tokyo), or residents may see no caller ID"
        )
    return warnings


#: The name of the one LINE account that serves every ward without its own.
SHARED_LINE_ACCOUNT = "shared"
_LINE_SECRET_RE = re.compile(r"[0-9a-f]{32}")
_LINE_BASIC_ID_RE = re.compile(r"@[0-9a-z._-]{3,30}")
_WARD_SLUG_RE = re.compile(r"[a-z][a-z0-9-]{0,29}")


def line_settings(get: Callable[..., str]) -> dict[str, object]:
    """LINE official accounts: one shared by every ward (``LINE_CHANNEL_SECRET``,
    ``LINE_CHANNEL_ACCESS_TOKEN``, ``LINE_BASIC_ID``), and one per ward named in
    ``LINE_WARD_ACCOUNTS`` (the same three, ending ``_<SLUG>``). Tokens stay here, never in
    the database."""
    names = [name.strip() for name in get("LINE_WARD_ACCOUNTS").split(",") if name.strip()]
    for name in names:
        if not _WARD_SLUG_RE.fullmatch(name) or name == SHARED_LINE_ACCOUNT:
            raise ConfigError(f"LINE_WARD_ACCOUNTS holds ward slugs such as shibuya, not {name!r}")
    accounts: dict[str, dict[str, str]] = {}
    for name, suffix in (
        (SHARED_LINE_ACCOUNT, ""),
        *((n, f"_{n.upper().replace('-', '_')}") for n in names),
    ):
        secret = get(f"LINE_CHANNEL_SECRET{suffix}")
        token = get(f"LINE_CHANNEL_ACCESS_TOKEN{suffix}")
        basic_id = get(f"LINE_BASIC_ID{suffix}")
        if name == SHARED_LINE_ACCOUNT and not (secret or token or basic_id):
            continue
        if not (secret and token and basic_id):
            raise ConfigError(
                f"a LINE account needs LINE_CHANNEL_SECRET{suffix}, "
                f"LINE_CHANNEL_ACCESS_TOKEN{suffix} and LINE_BASIC_ID{suffix}"
            )
        if not _LINE_SECRET_RE.fullmatch(secret):
            raise ConfigError(f"LINE_CHANNEL_SECRET{suffix} is 32 hex digits (the channel secret)")
        if not _LINE_BASIC_ID_RE.fullmatch(basic_id):
            raise ConfigError(
                f"LINE_BASIC_ID{suffix} looks like @123abcde (the account's basic ID)"
            )
        accounts[name] = {"secret": secret, "token": token, "basic_id": basic_id}
    api_base = get("LINE_API_BASE_URL")
    return {
        "LINE_ACCOUNTS": accounts,
        "LINE_API_BASE_URL": parse_base_url(api_base) if api_base else None,
        "LINE_TIMEOUT_SECONDS": parse_rate(
            "LINE_TIMEOUT_SECONDS", get("LINE_TIMEOUT_SECONDS", "10")
        )
        or 10.0,
        # A reminder sent by LINE and not answered with a button by this many hours before
        # the session goes by SMS or a call as well (0: only when LINE did not take it).
        "LINE_FALLBACK_UNANSWERED_HOURS": parse_int(
            "LINE_FALLBACK_UNANSWERED_HOURS", get("LINE_FALLBACK_UNANSWERED_HOURS", "0")
        ),
        # What one message costs, for the dashboard's cost per reminder: a ward sets its own
        # contract's prices (LINE's additional messages, Twilio's rates to Japan).
        **{
            name: parse_yen(name, get(name, default))
            for name, default in (
                ("COST_PER_LINE_YEN", "3"),
                ("COST_PER_SMS_YEN", "12"),
                ("COST_PER_CALL_YEN", "20"),
            )
        },  # fmt: skip
        "LINE_LINK_CODE_DAYS": parse_int(
            "LINE_LINK_CODE_DAYS", get("LINE_LINK_CODE_DAYS", "14"), minimum=1
        ),
    }


def instance_secret_key(instance_path: Path) -> str:
    """Read the instance folder's secret key, creating it on first start."""
    key_file = instance_path / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting together must agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


#: libpq's TCP keepalives: an idle connection is probed after 30 s, then every 10 s, and
#: given up after 3 unanswered probes; they also keep a firewall's or NAT's idle timer
#: from dropping it.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
              "keepalives_count": 3}  # fmt: skip


def settings_from_env(environ: Mapping[str, str], instance_path: Path) -> dict[str, object]:
    """Build the settings that come from environment variables."""

    def get(name: str, default: str = "") -> str:
        return environ.get(name, "").strip() or default

    settings: dict[str, object] = {}
    settings["SECRET_KEY"] = get("SECRET_KEY") or instance_secret_key(instance_path)
    sqlite_default = f"sqlite:///{instance_path / 'inclusion.sqlite3'}"
    settings["SQLALCHEMY_DATABASE_URI"] = parse_database_url(get("DATABASE_URL", sqlite_default))
    # A connection the server closed is found before use without a round trip (db.py);
    # one the network dropped is found by TCP keepalives within a minute of silence.
    options: dict[str, object] = {"pool_pre_ping": False}
    if not str(settings["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        options["connect_args"] = KEEPALIVES
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = options
    timezone = parse_timezone(get("INCLUSION_TIMEZONE", "Asia/Tokyo"))
    settings["INCLUSION_TIMEZONE"] = timezone
    settings["BABEL_DEFAULT_TIMEZONE"] = timezone

    base_url = get("PUBLIC_BASE_URL")
    settings["PUBLIC_BASE_URL"] = parse_base_url(base_url) if base_url else None
    secure = bool(base_url) and base_url.startswith("https://")
    settings["SESSION_COOKIE_SECURE"] = secure
    settings["REMEMBER_COOKIE_SECURE"] = secure
    settings["PROXY_FIX_HOPS"] = parse_int("PROXY_FIX_HOPS", get("PROXY_FIX_HOPS", "0"))

    settings["RATELIMIT_STORAGE_URI"] = get("RATELIMIT_STORAGE_URI", "memory://")
    settings["LOGIN_RATE_LIMIT"] = get("LOGIN_RATE_LIMIT", "5 per minute")
    settings["LOGIN_ADDRESS_RATE_LIMIT"] = get("LOGIN_ADDRESS_RATE_LIMIT", "60 per minute")
    settings["IMPORT_MAX_ROWS"] = parse_int(
        "IMPORT_MAX_ROWS", get("IMPORT_MAX_ROWS", "2000"), minimum=1
    )
    settings["LOGIN_SESSION_HOURS"] = parse_int(
        "LOGIN_SESSION_HOURS", get("LOGIN_SESSION_HOURS", "12"), minimum=1
    )
    settings["API_RATE_LIMIT"] = get("API_RATE_LIMIT", "600 per minute")
    settings["METRICS_TOKEN"] = get("METRICS_TOKEN") or None
    settings["WEBHOOK_ALLOW_LOOPBACK"] = parse_bool(
        "WEBHOOK_ALLOW_LOOPBACK", get("WEBHOOK_ALLOW_LOOPBACK", "false")
    )
    settings["WEBHOOK_TIMEOUT_SECONDS"] = parse_int(
        "WEBHOOK_TIMEOUT_SECONDS", get("WEBHOOK_TIMEOUT_SECONDS", "10"), minimum=1
    )
    log_format = get("LOG_FORMAT", "text")
    if log_format not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be text or json, not {log_format!r}")
    settings["LOG_FORMAT"] = log_format
    settings["SCHEDULER_HEARTBEAT_MAX_AGE_SECONDS"] = parse_int(
        "SCHEDULER_HEARTBEAT_MAX_AGE_SECONDS",
        get("SCHEDULER_HEARTBEAT_MAX_AGE_SECONDS", "120"),
        minimum=30,
    )

    account_sid, auth_token = get("TWILIO_ACCOUNT_SID"), get("TWILIO_AUTH_TOKEN")
    settings["TWILIO_ACCOUNT_SID"] = account_sid or None
    settings["TWILIO_AUTH_TOKEN"] = auth_token or None
    settings.update(telephony_settings(get))
    api_base = get("TWILIO_API_BASE_URL")
    settings["TWILIO_API_BASE_URL"] = parse_base_url(api_base) if api_base else None
    has_twilio = bool(account_sid and auth_token)
    channel = get("REMINDER_CHANNEL", "twilio" if has_twilio else "console")
    if channel not in ("console", "twilio"):
        raise ConfigError(f"REMINDER_CHANNEL must be console or twilio, not {channel!r}")
    if channel == "twilio" and not has_twilio:
        raise ConfigError("REMINDER_CHANNEL=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    if channel == "twilio" and not base_url:
        raise ConfigError("REMINDER_CHANNEL=twilio needs PUBLIC_BASE_URL: Twilio calls back to it")
    settings["REMINDER_CHANNEL"] = channel
    settings.update(line_settings(get))

    settings["PARTICIPANTS_PER_ASSISTANT"] = parse_int(
        "PARTICIPANTS_PER_ASSISTANT", get("PARTICIPANTS_PER_ASSISTANT", "4"), minimum=1
    )
    # A seat freed this near the session is offered to everyone waiting (first to say yes
    # takes it) instead of given to the first in line; 0: always the first in line.
    settings["WAITLIST_OFFER_HOURS"] = parse_int(
        "WAITLIST_OFFER_HOURS", get("WAITLIST_OFFER_HOURS", "24")
    )
    settings["SHIFT_RELEASE_CUTOFF_HOURS"] = parse_int(
        "SHIFT_RELEASE_CUTOFF_HOURS", get("SHIFT_RELEASE_CUTOFF_HOURS", "24")
    )
    settings["SHIFT_TRAVEL_BUFFER_MINUTES"] = parse_int(
        "SHIFT_TRAVEL_BUFFER_MINUTES", get("SHIFT_TRAVEL_BUFFER_MINUTES", "30")
    )
    # How long the volunteers who know a venue have a shift to themselves before everyone
    # qualified is asked to take it over.
    settings["COVER_WAVE_MINUTES"] = parse_int(
        "COVER_WAVE_MINUTES", get("COVER_WAVE_MINUTES", "120"), minimum=0
    )
    # When a resident with a loan smartphone is told of its due date: days before it, and
    # days after it while it is still out (0: not at all).
    for name, default in (("LOAN_REMINDER_DAYS_BEFORE", "7"), ("LOAN_OVERDUE_DAYS_AFTER", "1")):
        settings[name] = parse_int(name, get(name, default))
    # Surveys: the automatic first ask has this many days before staff call instead; it is
    # made for follow-ups that came due within the window (older ones are staff's).
    settings["SURVEY_AUTO_DAYS"] = parse_int(
        "SURVEY_AUTO_DAYS", get("SURVEY_AUTO_DAYS", "3"), minimum=1
    )
    settings["SURVEY_FOLLOW_UP_WINDOW_DAYS"] = parse_int(
        "SURVEY_FOLLOW_UP_WINDOW_DAYS", get("SURVEY_FOLLOW_UP_WINDOW_DAYS", "14")
    )
    # Carriers in Japan may drop an SMS with a link from an international sender: only
    # when the ward's sender is known to get through does a survey go by SMS link.
    settings["SURVEY_SMS_LINKS"] = parse_bool("SURVEY_SMS_LINKS", get("SURVEY_SMS_LINKS", "false"))
    if settings["SURVEY_SMS_LINKS"] and not base_url:
        raise ConfigError("SURVEY_SMS_LINKS=true needs PUBLIC_BASE_URL: the link points there")
    settings["REMINDER_CALL_HOURS"] = parse_hours(
        "REMINDER_CALL_HOURS", get("REMINDER_CALL_HOURS", "09:00-20:00")
    )
    settings["REMINDER_SMS_HOURS"] = parse_hours(
        "REMINDER_SMS_HOURS", get("REMINDER_SMS_HOURS", "08:00-21:00")
    )
    settings["TWILIO_TIMEOUT_SECONDS"] = (
        parse_rate("TWILIO_TIMEOUT_SECONDS", get("TWILIO_TIMEOUT_SECONDS", "10")) or 10.0
    )
    for name in ("REMINDER_SMS_PER_SECOND", "REMINDER_CALLS_PER_SECOND"):
        settings[name] = parse_rate(name, get(name, "1"))
    # LINE takes thousands of pushes a second: unpaced unless a ward's contract says less.
    settings["REMINDER_LINE_PER_SECOND"] = parse_rate(
        "REMINDER_LINE_PER_SECOND", get("REMINDER_LINE_PER_SECOND", "0")
    )
    settings.update(calendar_settings(get, base_url))
    settings["FOLLOW_UP_DIGEST_AT"] = parse_clock(
        "FOLLOW_UP_DIGEST_AT", get("FOLLOW_UP_DIGEST_AT", "08:30")
    )
    settings["MAIL_SERVER"] = get("MAIL_SERVER") or None
    settings["MAIL_PORT"] = parse_int("MAIL_PORT", get("MAIL_PORT", "25"), minimum=1)
    settings["MAIL_STARTTLS"] = parse_bool("MAIL_STARTTLS", get("MAIL_STARTTLS", "false"))
    settings["MAIL_USERNAME"] = get("MAIL_USERNAME") or None
    settings["MAIL_PASSWORD"] = get("MAIL_PASSWORD") or None
    settings["MAIL_FROM"] = get("MAIL_FROM") or None
    if settings["MAIL_SERVER"] and not settings["MAIL_FROM"]:
        raise ConfigError("MAIL_SERVER needs MAIL_FROM, the address staff see mail come from")
    settings["MAIL_TIMEOUT_SECONDS"] = parse_int(
        "MAIL_TIMEOUT_SECONDS", get("MAIL_TIMEOUT_SECONDS", "10"), minimum=1
    )
    settings["REMINDER_NO_ANSWER_RETRY_MINUTES"] = parse_int(
        "REMINDER_NO_ANSWER_RETRY_MINUTES",
        get("REMINDER_NO_ANSWER_RETRY_MINUTES", "60"),
        minimum=1,
    )
    settings["COURSE_COMPLETION_PERCENT"] = parse_int(
        "COURSE_COMPLETION_PERCENT", get("COURSE_COMPLETION_PERCENT", "75"), minimum=1
    )
    if settings["COURSE_COMPLETION_PERCENT"] > 100:
        raise ConfigError("COURSE_COMPLETION_PERCENT is a share of a course's dates: 1 to 100")
    settings["TARGETS_REFRESH_MINUTES"] = parse_int(
        "TARGETS_REFRESH_MINUTES", get("TARGETS_REFRESH_MINUTES", "10"), minimum=1
    )
    settings["RESIDENT_RETENTION_YEARS"] = parse_int(
        "RESIDENT_RETENTION_YEARS", get("RESIDENT_RETENTION_YEARS", "3"), minimum=1
    )
    settings["LEAD_SEES_RESIDENT_NAMES"] = parse_bool(
        "LEAD_SEES_RESIDENT_NAMES", get("LEAD_SEES_RESIDENT_NAMES", "true")
    )
    return settings
