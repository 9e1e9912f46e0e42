import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import refresh

from inclusion.i18n import local_date, local_datetime

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "inclusion" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"


def test_english_from_accept_language(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html
    assert "E-mail address" in html


def test_japanese_when_the_browser_prefers_nothing_we_have(client):
    html = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="ja">' in html


def test_language_cookie_wins_over_the_browser(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/login", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    client.post("/language", data={"lang": "ja"})
    assert '<html lang="ja">' in client.get("/login").get_data(as_text=True)


def test_unknown_language_or_foreign_next_changes_nothing(client):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_dates_in_each_language(app):
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        refresh()  # the locale is cached per app context, which this test keeps open
        assert local_date(date(2026, 4, 1)) == "2026年4月1日(水)"
        # Stored in UTC, shown in Asia/Tokyo: 15:00 UTC on 31 March is midnight on 1 April.
        assert local_datetime(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == "2026年4月1日(水) 0:00"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert local_date(date(2026, 4, 1)) == "Wed 1 Apr 2026"
        assert local_datetime(datetime(2026, 4, 1, 1, 30, tzinfo=UTC)) == "Wed 1 Apr 2026 10:30"


def test_every_ui_string_has_a_japanese_translation(tmp_path):
    """The catalog is current with the code (`make messages`) and nothing is left untranslated."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "--ignore-dirs",
            ".* __pycache__",  # the default also skips _macros
            "-o",
            str(pot),
            "inclusion",
            "templates",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        in_code = {message.id for message in read_po(handle) if message.id}
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    assert len(in_code) > 80, "extraction found too few strings: check babel.cfg"
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    assert in_code - translated == set(), "run `make messages` and translate the new strings"
