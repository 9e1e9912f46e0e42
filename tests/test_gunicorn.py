"""The production entry point: gunicorn with several workers on one database."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import migrate_database, scratch_database

# Processes or many connections of its own: one such test at a time (PostgreSQL takes 100).
pytestmark = pytest.mark.xdist_group("heavy")

GUNICORN = Path(sys.executable).with_name("gunicorn")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_workers_serve_the_app(backend, tmp_path_factory, tmp_path):
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        port = free_port()
        environ = {**os.environ, "DATABASE_URL": url}
        environ.pop("SECRET_KEY", None)
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            pages = []
            deadline = time.monotonic() + 60
            while len(pages) < 4 and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                        pages.append((r.status, r.read().decode()))
                except OSError:
                    time.sleep(0.3)
            assert len(pages) == 4
            for status, html in pages:
                assert status == 200 and 'name="csrf_token"' in html and "ログイン" in html
        finally:
            process.terminate()
            _out, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors.decode()[-2000:]


def test_the_production_config_adds_up_every_workers_counts(backend, tmp_path_factory, tmp_path):
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        port = free_port()
        environ = {**os.environ, "DATABASE_URL": url, "WEB_BIND": f"127.0.0.1:{port}",
                   "WEB_WORKERS": "2", "WEB_THREADS": "2", "METRICS_TOKEN": "scrape-secret",
                   "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}  # fmt: skip
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            answered = 0
            deadline = time.monotonic() + 60
            while answered < 20 and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                        answered += 1
                except OSError:
                    time.sleep(0.3)
            assert answered == 20
            # Production: /metrics answers only with the token.
            scrape = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics",
                headers={"Authorization": "Bearer scrape-secret"},
            )
            with urllib.request.urlopen(scrape, timeout=5) as r:
                text = r.read().decode()
            line = next(line for line in text.splitlines() if line.startswith(
                'inclusion_http_requests_total{endpoint="ops.healthz"'))  # fmt: skip
            assert float(line.rsplit(" ", 1)[1]) == 20  # whichever worker answered each
        finally:
            process.terminate()
            _out, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors.decode()[-2000:]
