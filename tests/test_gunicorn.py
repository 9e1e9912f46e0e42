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


def listening(port: int) -> None:
    """Wait until gunicorn's master has bound ``port``; requests then queue for a worker.

    Only a refused connection is tried again: a request that timed out may still have been
    answered, and counted (a loaded machine once made 20 requests count 21)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


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
            listening(port)
            pages = []
            for _ in range(4):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=60) as r:
                    pages.append((r.status, r.read().decode()))
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
            listening(port)
            for _ in range(20):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=60):
                    pass
            # Production: /metrics answers only with the token.
            scrape = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics",
                headers={"Authorization": "Bearer scrape-secret"},
            )
            with urllib.request.urlopen(scrape, timeout=60) as r:
                text = r.read().decode()
            line = next(line for line in text.splitlines() if line.startswith(
                'inclusion_http_requests_total{endpoint="ops.healthz"'))  # fmt: skip
            assert float(line.rsplit(" ", 1)[1]) == 20  # whichever worker answered each
        finally:
            process.terminate()
            _out, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors.decode()[-2000:]
