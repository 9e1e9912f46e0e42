from datetime import time
from pathlib import Path

import pytest

from config import ConfigError, settings_from_env


def settings(tmp_path: Path, **environ: str) -> dict:
    return settings_from_env(environ, tmp_path)


def test_defaults(tmp_path):
    config = settings(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inclusion.sqlite3'}"
    assert config["INCLUSION_TIMEZONE"] == "Asia/Tokyo"
    assert config["REMINDER_CHANNEL"] == "console"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["REMINDER_CALL_HOURS"] == (time(9), time(20))
    assert config["REMINDER_SMS_HOURS"] == (time(8), time(21))
    assert config["PUBLIC_BASE_URL"] is None
    assert config["SESSION_COOKIE_SECURE"] is False


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = settings(tmp_path)["SECRET_KEY"]
    assert len(first) == 64
    assert settings(tmp_path)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert settings(tmp_path, SECRET_KEY="from-env")["SECRET_KEY"] == "from-env"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://app@db/inclusion", "postgresql+psycopg://app@db/inclusion"),
        ("postgres://app:pw@db:5433/x", "postgresql+psycopg://app:pw@db:5433/x"),
        ("postgresql+psycopg://app@db/inclusion", "postgresql+psycopg://app@db/inclusion"),
        ("sqlite:////var/lib/inclusion.db", "sqlite:////var/lib/inclusion.db"),
    ],
)
def test_database_url(tmp_path, given, expected):
    assert settings(tmp_path, DATABASE_URL=given)["SQLALCHEMY_DATABASE_URI"] == expected


def test_https_base_url_makes_cookies_secure(tmp_path):
    config = settings(tmp_path, PUBLIC_BASE_URL="https://inclusion.example.jp/")
    assert config["PUBLIC_BASE_URL"] == "https://inclusion.example.jp"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_twilio_credentials_choose_the_twilio_channel(tmp_path):
    config = settings(
        tmp_path,
        TWILIO_ACCOUNT_SID="AC123",
        TWILIO_AUTH_TOKEN="secret",
        PUBLIC_BASE_URL="https://inclusion.example.lg.jp",
    )
    assert config["REMINDER_CHANNEL"] == "twilio"
    forced = settings(
        tmp_path, TWILIO_ACCOUNT_SID="AC123", TWILIO_AUTH_TOKEN="x", REMINDER_CHANNEL="console"
    )
    assert forced["REMINDER_CHANNEL"] == "console"


def test_line_accounts_shared_and_per_ward(tmp_path):
    config = settings(
        tmp_path,
        LINE_CHANNEL_SECRET="a" * 32, LINE_CHANNEL_ACCESS_TOKEN="shared-token",
        LINE_BASIC_ID="@shared1", LINE_WARD_ACCOUNTS="shibuya",
        LINE_CHANNEL_SECRET_SHIBUYA="b" * 32, LINE_CHANNEL_ACCESS_TOKEN_SHIBUYA="shibuya-token",
        LINE_BASIC_ID_SHIBUYA="@shibuya1",
    )  # fmt: skip
    assert config["LINE_ACCOUNTS"] == {
        "shared": {"secret": "a" * 32, "token": "shared-token", "basic_id": "@shared1"},
        "shibuya": {"secret": "b" * 32, "token": "shibuya-token", "basic_id": "@shibuya1"},
    }
    assert settings(tmp_path)["LINE_ACCOUNTS"] == {}


def test_quiet_hours_are_configurable(tmp_path):
    config = settings(tmp_path, REMINDER_CALL_HOURS="10:00-18:30")
    assert config["REMINDER_CALL_HOURS"] == (time(10), time(18, 30))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_URL": "mysql://root@db/x"}, "must be sqlite or postgresql"),
        ({"INCLUSION_TIMEZONE": "Asia/Nowhere"}, "not a known time zone"),
        ({"INCLUSION_TIMEZONE": "../../etc/passwd"}, "not a known time zone"),
        ({"PUBLIC_BASE_URL": "inclusion.example.jp"}, "PUBLIC_BASE_URL must be an http(s) URL"),
        ({"REMINDER_CHANNEL": "pigeon"}, "REMINDER_CHANNEL must be console or twilio"),
        ({"REMINDER_CHANNEL": "twilio"}, "needs TWILIO_ACCOUNT_SID"),
        ({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"}, "needs PUBLIC_BASE_URL"),
        ({"REMINDER_SMS_PER_SECOND": "fast"}, "REMINDER_SMS_PER_SECOND must be a number"),
        ({"REMINDER_CALLS_PER_SECOND": "-1"}, "from 0 (unpaced) to 1000"),
        ({"LEAD_SEES_RESIDENT_NAMES": "maybe"}, "must be true or false"),
        ({"REMINDER_CALL_HOURS": "9-20"}, "must look like 09:00-20:00"),
        ({"REMINDER_SMS_HOURS": "21:00-08:00"}, "must start before it ends"),
        ({"REMINDER_SMS_HOURS": "08:00-25:00"}, "impossible time"),
        ({"PROXY_FIX_HOPS": "one"}, "must be a whole number"),
        ({"FOLLOW_UP_DIGEST_AT": "half past eight"}, "must look like 08:30"),
        ({"FOLLOW_UP_DIGEST_AT": "24:00"}, "impossible time"),
        ({"MAIL_SERVER": "smtp.city.example.lg.jp"}, "MAIL_SERVER needs MAIL_FROM"),
        ({"CACHE_URL": "memcached://x"}, "CACHE_URL must be memory:// or redis://"),
        ({"CALENDAR_DOMAIN": "bad domain/"}, "CALENDAR_DOMAIN must be a host name"),
        ({"CALENDAR_ALARM_MINUTES": "soon"}, "must be a whole number"),
        ({"LINE_CHANNEL_SECRET": "0" * 32}, "needs LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS"),
        (
            {
                "LINE_CHANNEL_SECRET": "secret",
                "LINE_CHANNEL_ACCESS_TOKEN": "t",
                "LINE_BASIC_ID": "@abc123",
            },
            "LINE_CHANNEL_SECRET is 32 hex digits",
        ),  # fmt: skip
        (
            {
                "LINE_CHANNEL_SECRET": "0" * 32,
                "LINE_CHANNEL_ACCESS_TOKEN": "t",
                "LINE_BASIC_ID": "abc",
            },
            "LINE_BASIC_ID looks like @123abcde",
        ),  # fmt: skip
        ({"LINE_WARD_ACCOUNTS": "shibuya"}, "needs LINE_CHANNEL_SECRET_SHIBUYA"),
        ({"LINE_WARD_ACCOUNTS": "Shibuya Ward"}, "LINE_WARD_ACCOUNTS holds ward slugs"),
        ({"COST_PER_SMS_YEN": "twelve"}, "COST_PER_SMS_YEN must be an amount in yen"),
    ],
)
def test_bad_configuration_is_one_clear_line(tmp_path, environ, message):
    with pytest.raises(ConfigError) as raised:
        settings(tmp_path, **environ)
    assert message in raised.value.message
    assert str(raised.value.code).startswith("inclusion: configuration error: ")
    assert "\n" not in str(raised.value.code)
