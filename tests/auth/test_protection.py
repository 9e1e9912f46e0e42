"""CSRF, rate limiting and security headers."""

import pytest

from tests import factories


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    if marker not in html:
        marker = 'name="csrf_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_post_without_csrf_token_is_refused(client, users):
    response = client.post(
        "/login", data={"email": users["admin"].email, "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "有効期限が切れた" in response.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 302


def test_post_with_csrf_token_is_accepted(client, users):
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": users["admin"].email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def test_logged_in_post_needs_token_too(client, users):
    token = csrf_token(client)
    client.post(
        "/login",
        data={"email": users["admin"].email, "password": factories.PASSWORD, "csrf_token": token},
    )
    staff = users["ward_staff"]
    assert client.post(f"/admin/users/{staff.id}/active", data={"active": "0"}).status_code == 400
    assert staff.is_active


def test_sixth_failed_login_within_a_minute_is_refused(client, users):
    email = users["admin"].email
    for _ in range(5):
        token = csrf_token(client)
        response = client.post(
            "/login", data={"email": email, "password": "nope", "csrf_token": token}
        )
        assert response.status_code == 422
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert "試行回数が多すぎます" in response.get_data(as_text=True)


def test_successful_logins_do_not_use_up_the_limit(client, users):
    for _ in range(7):
        token = csrf_token(client)
        response = client.post(
            "/login",
            data={
                "email": users["admin"].email,
                "password": factories.PASSWORD,
                "csrf_token": token,
            },
        )
        assert response.status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_http_only(client, users):
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": users["admin"].email, "password": factories.PASSWORD, "csrf_token": token},
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_or_style_in_pages(client, users):
    log_in_with_token(client, users["admin"])
    for path in ("/login", "/admin/users", "/wards", "/manage/shibuya", "/account"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and "<style" not in html


def log_in_with_token(client, user):
    token = csrf_token(client)
    client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    )


def test_one_person_s_wrong_passwords_lock_their_account_not_the_office(app, client, users):
    """Everyone at a ward office shares one address: five wrong passwords for one account
    pause that account (from any address), not their colleagues; an admin lifts it."""
    locked_out, colleague = users["ward_staff"], users["coordinator"]
    office = {"REMOTE_ADDR": "203.0.113.10"}
    for _ in range(5):
        wrong = {"email": locked_out.email, "password": "nope", "csrf_token": csrf_token(client)}
        assert client.post("/login", environ_base=office, data=wrong).status_code == 422
    elsewhere = app.test_client()
    paused = elsewhere.post("/login", environ_base={"REMOTE_ADDR": "198.51.100.7"}, data={
        "email": locked_out.email, "password": factories.PASSWORD,
        "csrf_token": csrf_token(elsewhere)})  # fmt: skip
    assert paused.status_code == 429 and "試行回数が多すぎます" in paused.get_data(as_text=True)
    fine = client.post("/login", environ_base=office, data={
        "email": colleague.email, "password": factories.PASSWORD,
        "csrf_token": csrf_token(client)})  # fmt: skip
    assert fine.status_code == 302
    admin = app.test_client()
    admin.post("/login", data={"email": users["admin"].email, "password": factories.PASSWORD,
                               "csrf_token": csrf_token(admin)})  # fmt: skip
    page = admin.get(f"/admin/users/{locked_out.id}").get_data(as_text=True)
    assert "パスワードの誤り" in page
    form = {"csrf_token": csrf_token(admin, f"/admin/users/{locked_out.id}")}
    assert admin.post(f"/admin/users/{locked_out.id}/unlock", data=form).status_code == 302
    again = elsewhere.post("/login", environ_base={"REMOTE_ADDR": "198.51.100.7"}, data={
        "email": locked_out.email, "password": factories.PASSWORD,
        "csrf_token": csrf_token(elsewhere)})  # fmt: skip
    assert again.status_code == 302
