"""A live server on a demo database, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from inclusion.cli import DEMO_PASSWORD
from tests.conftest import make_test_app, migrate_database, scratch_database

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = "Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)"
        if os.environ.get("INCLUSION_REQUIRE_BROWSER") == "1":
            pytest.fail(f"INCLUSION_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(reason=message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def read_whole_file(file, buffer_size: int = 8192) -> list[bytes]:
    """Send a static file from memory, closing it at once.

    Werkzeug's development server skips closing a streamed file when the browser drops
    the connection first (a page left before its favicon arrived), and the unclosed file
    then surfaces as a ResourceWarning in whichever test runs next.
    """
    with file:
        return [file.read()]


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app

        def serve(environ, start_response):
            environ["wsgi.file_wrapper"] = read_whole_file
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, serve, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with CSRF on, serving its own database of demo data."""
    with scratch_database(backend, tmp_path_factory) as url:
        migrate_database(url)
        app = make_test_app(url, TESTING=False, WTF_CSRF_ENABLED=True)
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        with LiveServer(app) as server:
            yield server
        with app.app_context():
            from inclusion.extensions import db

            db.engine.dispose()


@pytest.fixture
def page(browser, live_server: LiveServer):
    """A fresh browser profile per test, in Japanese like a ward office PC."""
    context = browser.new_context(locale="ja-JP", base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()
