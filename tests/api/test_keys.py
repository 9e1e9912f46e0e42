"""Admins make keys per integration; only the hash is kept; revoking stops a key at once."""

import re

import pytest
import sqlalchemy as sa

from inclusion.api import services
from inclusion.api.models import ApiKey, ApiScope
from inclusion.auth.models import Role, User
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.tokens import digest
from tests.conftest import log_in


def test_an_admin_makes_a_key_and_sees_its_secret_once(client, users, shibuya):
    log_in(client, users["admin"])
    page = client.post(
        "/admin/api-keys",
        data={"name": "23区共同コールセンター", "scopes": ["bookings:write", "residents:read"],
              "ward": str(shibuya.id)},
    )  # fmt: skip
    assert page.status_code == 200
    secret = re.search(r"incl_[A-Za-z0-9_-]{40,}", page.get_data(as_text=True))[0]
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "23区共同コールセンター"))
    assert key.token_hash == digest(secret) and secret not in str(key.__dict__)
    assert key.scopes == ["bookings:write", "residents:read"] and key.ward_id == shibuya.id
    assert key.user.role == Role.INTEGRATION and key.user.display_name.startswith("API: ")
    listing = client.get("/admin/api-keys").get_data(as_text=True)
    assert secret not in listing and key.prefix in listing  # shown once, then only its start
    response = client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403  # a key without sessions:read
    assert response.json["code"] == "missing-scope"


def test_a_revoked_key_answers_401_at_once(client, users, make_key):
    headers = make_key(ApiScope.SESSIONS_READ)
    assert client.get("/api/v1/sessions", headers=headers).status_code == 200
    key = db.session.scalar(sa.select(ApiKey).order_by(ApiKey.id.desc()))
    log_in(client, users["admin"])
    client.post(f"/admin/api-keys/{key.id}/revoke", data={"confirmed": "yes"})
    db.session.refresh(key)
    assert key.is_revoked and not key.user.is_active
    response = client.get("/api/v1/sessions", headers=headers)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith(
        "Bearer"
    )
    with pytest.raises(RuleViolation):
        services.revoke_key(users["admin"], key)


def test_only_admins_reach_the_keys_page(client, users):
    for role in ("coordinator", "ward_staff", "volunteer"):
        log_in(client, users[role])
        assert client.get("/admin/api-keys").status_code == 403


@pytest.mark.parametrize(
    ("name", "scopes", "message"),
    [("", ["metrics:read"], "入力してください"), ("x" * 101, ["metrics:read"], "100 文字"),
     ("報告ツール", [], "権限を1つ以上")],
)  # fmt: skip
def test_a_bad_key_request_changes_nothing(client, users, name, scopes, message):
    log_in(client, users["admin"])
    page = client.post("/admin/api-keys", data={"name": name, "scopes": scopes, "ward": "0"})
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 0


def test_two_keys_cannot_share_a_name(users):
    services.create_key(users["admin"], "区のホームページ", [ApiScope.SESSIONS_READ], None)
    with pytest.raises(RuleViolation) as refused:
        services.create_key(users["admin"], "区のホームページ", [ApiScope.SESSIONS_READ], None)
    assert refused.value.field == "name"


def test_a_keys_account_never_logs_in_nor_shows_among_people(client, users, make_key):
    make_key(ApiScope.METRICS_READ)
    account = db.session.scalar(sa.select(User).where(User.role == Role.INTEGRATION))
    account.set_password("a long enough password")  # even if someone gave it one
    db.session.commit()
    response = client.post("/login", data={"email": account.email,
                                           "password": "a long enough password"})  # fmt: skip
    assert response.status_code != 302
    log_in(client, users["admin"])
    assert account.email not in client.get("/admin/users").get_data(as_text=True)
    assert client.get(f"/admin/users/{account.id}").status_code == 404


def test_a_browser_session_does_not_authenticate_the_api(client, users):
    log_in(client, users["admin"])
    response = client.get("/api/v1/sessions")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_use_is_noted_at_most_once_a_minute(client, make_key, count_queries):
    headers = make_key(ApiScope.SESSIONS_READ)
    client.get("/api/v1/sessions", headers=headers)
    key = db.session.scalar(sa.select(ApiKey).order_by(ApiKey.id.desc()))
    first = key.last_used_dt
    assert first is not None
    with count_queries() as statements:
        client.get("/api/v1/sessions", headers=headers)
    assert not [statement for statement in statements if statement.startswith("UPDATE api_keys")]
    db.session.refresh(key)
    assert key.last_used_dt == first
