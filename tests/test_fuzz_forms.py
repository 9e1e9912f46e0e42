"""Hypothesis posts random and hostile data to every form: an answer below 500 always,
and a refusal stores nothing."""

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inclusion.extensions import db
from tests.auth.test_access_matrix import URL_SAMPLES, routes
from tests.conftest import log_in
from tests.test_bad_input import form_names

#: Per form; the same examples every run, so CI is repeatable.
EXAMPLES = 8
HOSTILE = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="０１２３４５６７８９－：／", max_size=12),  # full-width digits and signs
    st.sampled_from([
        "'; DROP TABLE sessions; --", "<script>alert(1)</script>", "🙂" * 50, "x" * 10_000,
        "-1", "-999999", "1e309", "NaN", "2026-02-30", "2026-13-01", "0000-00-00", "24:00",
        "99:99", "\u202e", "%00", "../../etc/passwd", "null", "true", "[]", "{}",
    ]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)  # fmt: skip
#: What a refused form must leave as it was.
TABLES = ("sessions", "venues", "residents", "bookings", "shifts", "targets", "survey_figures",
          "api_keys", "users", "series", "reminder_texts", "training_records")  # fmt: skip
REFUSED = (400, 404, 409, 422)


def row_counts() -> dict[str, int]:
    return {name: db.session.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
            for name in TABLES}  # fmt: skip


def fuzz(client, path: str, names: set[str], failures: list[str]) -> None:
    """Post ``EXAMPLES`` hostile forms to ``path``, noting what went wrong."""

    @given(data=st.fixed_dictionaries({name: HOSTILE for name in sorted(names)}))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def post(data):
        before = row_counts()
        status = client.post(path, data=data).status_code
        if status >= 500:
            failures.append(f"POST {path} {data!r:.200}: {status}")
        elif status in REFUSED and row_counts() != before:
            failures.append(f"POST {path} refused ({status}) but stored: {data!r:.200}")

    post()


@pytest.mark.parametrize("persona", ["admin", "ward_staff"])
def test_hostile_data_in_every_form(app, users, shibuya, persona, scheduler_running):
    user = users[persona]
    client = app.test_client()
    log_in(client, user)
    failures: list[str] = []
    for rule in routes(app):
        if "POST" not in rule.methods or rule.endpoint in ("auth.logout", "auth.set_active"):
            continue
        if rule.rule.startswith("/api/") or rule.rule.startswith("/twilio/"):
            continue  # schemathesis and the webhook tests send them theirs
        values = {arg: shibuya.slug if arg == "ward" else URL_SAMPLES[arg](shibuya)
                  for arg in rule.arguments}  # fmt: skip
        path = rule.build(values)[1]
        names = (
            form_names(client.get(path).get_data(as_text=True)) if "GET" in rule.methods else set()
        )
        names |= {"reason", "headcount", "attended", "minutes", "role", "volunteer"}

        fuzz(client, path, names, failures)
        log_in(client, user)  # a form may have changed the password or ended the session
    assert not failures, "\n".join(failures[:20])
