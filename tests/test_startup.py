"""Bad configuration stops the real command with one line and no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
