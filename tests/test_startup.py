"""Bad configuration stops the real command with one line and no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inclusion.extensions import db
from tests import factories
from tests.conftest import log_in, own_database_app, ready_ward

FLASK = Path(sys.executable).with_name("flask")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DATABASE_URL", "nonsense://"), ("INCLUSION_TIMEZONE", "Tokyo/Shibuya")],
)
def test_bad_setting_stops_the_cli_with_one_line(tmp_path, variable, value):
    environ = {**os.environ, variable: value, "SECRET_KEY": "x"}
    result = subprocess.run(
        [str(FLASK), "--app", "inclusion", "check"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]]
    assert lines[0].startswith(f"inclusion: configuration error: {variable}")


FIRST_REQUEST = """
import os, sys
from inclusion import create_app
app = create_app({"DATABASE_URL": os.environ["DATABASE_URL"], "SECRET_KEY": "first"})
client = app.test_client()
client.set_cookie("session", sys.argv[1])
print(client.get("/me/shifts").status_code)
"""


def test_a_worker_s_first_request_may_be_a_logged_in_one(backend, tmp_path_factory):
    """A new worker's first request loads its person by relationships that exist only
    once the models are configured: it answered 500 when no query had done that before."""
    with own_database_app(backend, tmp_path_factory, SECRET_KEY="first") as app:
        with app.app_context():
            volunteer = factories.make_volunteer(ready_ward("shibuya", "03-3463-1873"))
            db.session.commit()
            client = app.test_client()
            log_in(client, volunteer)
            cookie = client.get_cookie("session").value
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        result = subprocess.run(
            [sys.executable, "-c", FIRST_REQUEST, cookie],
            env={**os.environ, "DATABASE_URL": str(url)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.stdout.split()[-1:] == ["200"], result.stderr[-3000:]
