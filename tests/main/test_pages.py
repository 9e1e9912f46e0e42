from inclusion.auth.access import public
from tests.conftest import log_in


def test_start_page_for_visitors_and_home_for_users(client, users):
    html = client.get("/").get_data(as_text=True)
    assert "区民のためのデジタル活用支援" in html and 'href="/login"' in html
    log_in(client, users["coordinator"])
    assert client.get("/").headers["Location"] == "/wards"


def test_not_found_is_a_friendly_japanese_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "このページはありません" in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"]


def test_wrong_method_is_a_friendly_page(client):
    response = client.get("/language")
    assert response.status_code == 405
    assert "この方法では使えません" in response.get_data(as_text=True)
    assert "POST" in response.headers["Allow"]


def test_forbidden_is_a_friendly_page(client, users):
    log_in(client, users["volunteer"])
    response = client.get("/wards")
    assert response.status_code == 403
    assert "権限がありません" in response.get_data(as_text=True)


def test_unexpected_error_is_a_friendly_500(app, client):
    @public
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken-for-test", "broken", broken)
    app.testing = False
    response = client.get("/broken-for-test")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "システムで問題が発生しました" in html and "boom" not in html


def test_oversized_request_is_refused_plainly(client):
    response = client.post("/login", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "大きすぎます" in response.get_data(as_text=True)


def test_nul_characters_are_refused_plainly(client):
    response = client.post("/login", data={"email": "a\x00b@example.jp", "password": "x"})
    assert response.status_code == 400
    assert "リクエストを理解できませんでした" in response.get_data(as_text=True)
    assert client.get("/w/shibuya?x=%00").status_code == 400
