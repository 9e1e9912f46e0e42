"""No input a user can type answers 500: every form, sent back with junk in every field."""

import re

import pytest

from tests import factories
from tests.auth.test_access_matrix import URL_SAMPLES, routes
from tests.conftest import log_in

JUNK = [
    "", " ", "\x00", "-1", "99999999999999999999", "２０", "25:00", "2026-02-30",
    "<script>", "x" * 5000, "null", "0",
]  # fmt: skip
QUERY_KEYS = (
    "after", "date", "view", "ward", "venue", "kind", "topic", "status",
    "date_from", "date_to", "from", "to", "before", "role", "series", "next",
)  # fmt: skip
NAME = re.compile(r'name="([^"]+)"')


def form_names(html: str) -> set[str]:
    return set(NAME.findall(html)) - {"csrf_token", "next"}


@pytest.mark.parametrize("persona", ["admin", "ward_staff", "volunteer"])
def test_junk_in_every_form_never_gives_500(app, users, shibuya, persona, scheduler_running):
    user = users[persona]
    client = app.test_client()
    log_in(client, user)
    failures = []
    for rule in routes(app):
        if "POST" not in rule.methods or rule.endpoint in ("auth.logout",):
            continue
        values = {
            arg: shibuya.slug if arg == "ward" else URL_SAMPLES[arg](shibuya)
            for arg in rule.arguments
        }
        path = rule.build(values)[1]
        names = (
            form_names(client.get(path).get_data(as_text=True)) if "GET" in rule.methods else set()
        )
        names |= {
            "role",
            "reason",
            "headcount",
            "attended",
            "minutes",
            "volunteer",
            "lang",
            "active",
        }
        for junk in JUNK:
            data = {name: junk for name in names}
            status = client.post(path, data=data).status_code
            if status >= 500:
                failures.append(f"POST {path} with {junk[:20]!r}: {status}")
        if not user.is_active:  # a junk "active=0" may have deactivated the user: log in again
            user.is_active = True
        log_in(client, user)
    assert not failures, "\n".join(failures)


def test_junk_in_every_query_string_never_gives_500(app, users, shibuya, scheduler_running):
    client = app.test_client()
    log_in(client, users["admin"])
    factories.make_volunteer(shibuya, email="junk@example.jp")
    for rule in routes(app):
        if "GET" not in rule.methods:
            continue
        values = {
            arg: shibuya.slug if arg == "ward" else URL_SAMPLES[arg](shibuya)
            for arg in rule.arguments
        }
        path = rule.build(values)[1]
        for junk in JUNK[:9]:
            query = "&".join(f"{key}={junk}" for key in QUERY_KEYS)
            assert client.get(f"{path}?{query}").status_code < 500, f"GET {path}?{query}"


def test_huge_ids_in_urls_are_404(client, users):
    log_in(client, users["admin"])
    for path in ("/admin/users/99999999999999999999", "/manage/shibuya/sessions/2147483648"):
        assert client.get(path).status_code == 404
