from datetime import timedelta

import sqlalchemy as sa

from inclusion.audit.models import AuditLog
from inclusion.auth import services
from inclusion.auth.models import LoginSession, Role, User
from inclusion.extensions import db
from tests import factories
from tests.conftest import log_in, table_scans


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def test_login_page_is_japanese_by_default(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "メールアドレス" in html and "パスワード" in html
    assert 'name="email"' in html and 'name="password"' in html


def test_login_and_logout(client, users):
    staff = users["ward_staff"]
    response = log_in(client, staff)
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/shibuya"
    assert client.get("/manage/shibuya").status_code == 200
    assert db.session.get(User, staff.id).last_login_dt is not None

    assert client.get("/logout").status_code == 200  # a confirmation page; GET changes nothing
    assert client.get("/manage/shibuya").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/manage/shibuya").status_code == 302
    assert actions() == ["auth.login"]


def test_a_copied_session_cookie_stops_working_at_logout(app, users):
    """Someone copied the cookie from a shared ward PC: logging out ends it on the server."""
    owner, thief = app.test_client(), app.test_client()
    log_in(owner, users["ward_staff"])
    cookie = owner.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    assert thief.get("/manage/shibuya").status_code == 200  # a copy works while logged in
    owner.post("/logout")
    assert thief.get("/manage/shibuya").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0


def test_a_log_in_ends_after_the_set_hours(app, users):
    browser = app.test_client()
    log_in(browser, users["ward_staff"])
    login = db.session.scalar(sa.select(LoginSession))
    login.created_dt -= timedelta(hours=app.config["LOGIN_SESSION_HOURS"], minutes=1)
    db.session.commit()
    assert browser.get("/manage/shibuya").status_code == 302


def test_a_new_role_or_ward_ends_that_person_s_log_ins(app, users, shinagawa):
    admin, staff = app.test_client(), app.test_client()
    log_in(admin, users["admin"])
    log_in(staff, users["ward_staff"])
    form = {"display_name": users["ward_staff"].display_name, "role": "ward_staff",
            "ward": shinagawa.id}  # fmt: skip
    assert admin.post(f"/admin/users/{users['ward_staff'].id}", data=form).status_code == 302
    assert staff.get("/manage/shinagawa").status_code == 302  # logs in again, as Shinagawa's
    assert admin.get("/admin/users").status_code == 200


def test_login_redirects_each_role_home(client, users):
    homes = {
        "admin": "/admin/users",
        "coordinator": "/wards",
        "ward_staff": "/manage/shibuya",
        "volunteer": "/me/shifts",
    }
    for name, home in homes.items():
        client.post("/logout")
        assert log_in(client, users[name]).headers["Location"] == home


def test_login_follows_only_local_next(client, users):
    response = client.post(
        "/login",
        data={"email": users["admin"].email, "password": factories.PASSWORD, "next": "/wards"},
    )
    assert response.headers["Location"] == "/wards"
    client.post("/logout")
    hostile_targets = (
        "https://evil.example/", "//evil.example/x", "/\\evil.example",
        # A line break, raw or percent-encoded, must not reach the Location header.
        "/wards\r\nSet-Cookie: x=1", "/wards%0d%0aSet-Cookie:%20x=1", "/wards%0a", "/%7f",
    )  # fmt: skip
    for hostile in hostile_targets:
        response = client.post(
            "/login",
            data={"email": users["admin"].email, "password": factories.PASSWORD, "next": hostile},
        )
        assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
        client.post("/logout")
    # The same through the query string, as a link would carry it.
    response = client.post(
        "/login?next=/wards%0d%0aSet-Cookie:x=1",
        data={"email": users["admin"].email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/admin/users"  # fmt: skip


def test_wrong_password_is_refused_and_audited(client, users):
    response = client.post(
        "/login", data={"email": users["admin"].email, "password": "wrong-password"}
    )
    assert response.status_code == 422
    assert "メールアドレスまたはパスワードが正しくありません" in response.get_data(as_text=True)
    assert actions() == ["auth.login_failed"]
    entry = db.session.scalar(sa.select(AuditLog))
    assert entry.actor_id is None
    assert "wrong-password" not in str(entry.details)


def test_email_is_case_insensitive(client, users):
    response = client.post(
        "/login", data={"email": users["admin"].email.upper(), "password": factories.PASSWORD}
    )
    assert response.status_code == 302


def test_inactive_user_cannot_log_in(client, shibuya):
    user = factories.make_user(role=Role.WARD_STAFF, ward=shibuya, is_active=False)
    assert log_in(client, user).status_code == 422


def test_empty_login_form_shows_linked_errors(client):
    response = client.post("/login", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#email"' in html and 'href="#password"' in html
    assert 'aria-invalid="true"' in html


def test_change_password_ends_other_sessions(app, users):
    user = users["volunteer"]
    first, second = app.test_client(), app.test_client()
    log_in(first, user)
    log_in(second, user)
    response = first.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "a much longer secret",
            "confirm_password": "a much longer secret",
        },
    )
    assert response.status_code == 302
    assert first.get("/account").status_code == 200
    assert second.get("/account").status_code == 302
    first.post("/logout")
    assert log_in(first, user, "a much longer secret").status_code == 302
    assert "user.password_change" in actions()


def test_change_password_rejects_wrong_current_password(client, users):
    log_in(client, users["volunteer"])
    response = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "new_password": "a much longer secret",
            "confirm_password": "a much longer secret",
        },
    )
    assert response.status_code == 422
    assert "現在のパスワードが正しくありません" in response.get_data(as_text=True)
    client.post("/logout")
    assert log_in(client, users["volunteer"]).status_code == 302


def test_change_password_checks_length_and_confirmation(client, users):
    log_in(client, users["volunteer"])
    response = client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "short",
            "confirm_password": "other",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "10文字以上" in html
    assert "一致しません" in html


def new_account(**fields: object) -> dict[str, object]:
    """The account form as an admin fills it in, with ``fields`` changed."""
    form = {
        "email": "x@example.jp",
        "display_name": "x",
        "role": "volunteer",
        "ward": "0",
        "password": "first password 1",
    }
    form.update(fields)
    return form


def test_admin_creates_ward_staff(client, users, shibuya):
    log_in(client, users["admin"])
    form = new_account(
        email=" New.Staff@Example.JP ",
        display_name="新しい 職員",
        role="ward_staff",
        ward=shibuya.id,
    )
    response = client.post("/admin/users/new", data=form)
    assert response.status_code == 302
    created = services.find_user_by_email("new.staff@example.jp")
    assert created.role == Role.WARD_STAFF and created.ward_id == shibuya.id
    assert created.display_name == "新しい 職員"
    assert created.password_hash.startswith("scrypt:")
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.create"))
    assert entry.actor_id == users["admin"].id and entry.ward_id == shibuya.id


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_ward_staff_needs_a_ward(client, users):
    log_in(client, users["admin"])
    before = user_count()
    response = client.post("/admin/users/new", data=new_account(role="ward_staff"))
    assert response.status_code == 422
    assert "所属する区を選んでください" in response.get_data(as_text=True)
    assert user_count() == before


def test_duplicate_email_is_a_message_not_an_error(client, users):
    log_in(client, users["admin"])
    before = user_count()
    response = client.post(
        "/admin/users/new", data=new_account(email=users["volunteer"].email.upper())
    )
    assert response.status_code == 422
    assert "すでにあります" in response.get_data(as_text=True)
    assert user_count() == before


def test_bad_user_form_values_never_500(client, users):
    log_in(client, users["admin"])
    before = user_count()
    for fields in (
        {"email": "not-an-email"},
        {"email": "a@" + "b" * 300 + ".jp"},
        {"role": "emperor"},
        {"ward": "abc"},
        {"ward": "99999"},
        {"display_name": "x" * 500},
        {"display_name": "\u3000"},
        {"password": "short"},
    ):
        assert client.post("/admin/users/new", data=new_account(**fields)).status_code == 422, (
            fields
        )
    assert user_count() == before


def test_deactivating_a_user_logs_them_out(app, users):
    admin_client, staff_client = app.test_client(), app.test_client()
    staff = users["ward_staff"]
    log_in(admin_client, users["admin"])
    log_in(staff_client, staff)
    assert staff_client.get("/manage/shibuya").status_code == 200
    admin_client.post(f"/admin/users/{staff.id}/active", data={"active": "0", "confirmed": "yes"})
    assert staff_client.get("/manage/shibuya").status_code == 302
    assert log_in(staff_client, staff).status_code == 422
    admin_client.post(f"/admin/users/{staff.id}/active", data={"active": "1"})
    assert log_in(staff_client, staff).status_code == 302


def test_admin_cannot_deactivate_themselves(client, users):
    admin = users["admin"]
    log_in(client, admin)
    client.post(f"/admin/users/{admin.id}/active", data={"active": "0", "confirmed": "yes"})
    assert db.session.get(User, admin.id).is_active
    assert client.get("/admin/users").status_code == 200


def test_create_user_service_rejects_short_password(app):
    try:
        services.create_user(
            None, email="a@example.jp", password="short", display_name="a", role=Role.VOLUNTEER
        )
    except services.AccountError as error:
        assert error.field == "password"
    else:
        raise AssertionError("a short password was accepted")


def test_admin_edits_name_role_and_ward(client, users, shinagawa):
    log_in(client, users["admin"])
    volunteer = users["volunteer"]
    assert client.get(f"/admin/users/{volunteer.id}").status_code == 200
    form = {"display_name": "品川 新人", "role": "ward_staff", "ward": shinagawa.id}
    response = client.post(f"/admin/users/{volunteer.id}", data=form)
    assert response.status_code == 302
    assert (volunteer.role, volunteer.ward_id, volunteer.display_name) == (
        Role.WARD_STAFF,
        shinagawa.id,
        "品川 新人",
    )
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.update"))
    assert entry.details["changed"]["role"] == ["volunteer", "ward_staff"]


def test_edit_refuses_ward_staff_without_ward_and_own_role_change(client, users):
    admin = users["admin"]
    log_in(client, admin)
    staff = users["ward_staff"]
    response = client.post(
        f"/admin/users/{staff.id}", data={"display_name": "x", "role": "ward_staff", "ward": "0"}
    )
    assert response.status_code == 422
    assert staff.ward_id is not None
    response = client.post(
        f"/admin/users/{admin.id}", data={"display_name": "x", "role": "volunteer", "ward": "0"}
    )
    assert response.status_code == 422
    assert "自分の役割は変更できません" in response.get_data(as_text=True)
    assert admin.role == Role.ADMIN


def test_admin_sets_a_new_password_and_ends_sessions(app, users):
    admin_client, staff_client = app.test_client(), app.test_client()
    staff = users["ward_staff"]
    log_in(admin_client, users["admin"])
    log_in(staff_client, staff)
    response = admin_client.post(f"/admin/users/{staff.id}/password", data={"new_password": "x"})
    assert response.status_code == 422
    response = admin_client.post(
        f"/admin/users/{staff.id}/password", data={"new_password": "a brand new one"}
    )
    assert response.status_code == 302
    assert staff_client.get("/manage/shibuya").status_code == 302
    assert log_in(staff_client, staff, "a brand new one").status_code == 302
    assert "user.password_reset" in actions()


def test_unknown_user_is_404(client, users):
    log_in(client, users["admin"])
    assert client.get("/admin/users/999999").status_code == 404
    assert (
        client.post(
            "/admin/users/999999/password", data={"new_password": "long enough"}
        ).status_code
        == 404
    )


def test_an_unknown_address_costs_a_password_check_like_a_known_one(app, users, monkeypatch):
    """The time a refusal takes must not tell which e-mail addresses have accounts: an
    unknown address still has a (scrypt) password checked."""
    import werkzeug.security

    checked = []

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return werkzeug.security.check_password_hash(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    monkeypatch.setattr("inclusion.auth.models.check_password_hash", counting)
    assert services.authenticate("nobody@example.jp", "wrong-password") is None
    assert services.authenticate(users["ward_staff"].email, "wrong-password") is None
    # (Test accounts use a cheaper scrypt cost, for speed; the method is the same.)
    assert len(checked) == 2 and all(method.startswith("scrypt:") for method in checked)


def test_a_hash_made_the_old_way_is_made_again_at_log_in(app, client, users):
    """Hashes of before (werkzeug's scrypt default) are replaced by today's method once
    the password is at hand, and the password still works."""
    from werkzeug.security import generate_password_hash

    staff = users["ward_staff"]
    staff.password_hash = generate_password_hash(factories.PASSWORD, method="scrypt:2048:8:1")
    db.session.commit()
    assert not staff.hashed_as_now
    assert log_in(client, staff).status_code == 302
    db.session.refresh(staff)
    assert staff.password_hash.startswith(f"{app.config['PASSWORD_HASH_METHOD']}$")
    client.post("/logout")
    assert log_in(client, staff).status_code == 302


def test_the_person_of_each_request_is_found_by_index_alone(
    app, users, shibuya, shinagawa, query_plans
):
    """Every request loads its log-in, person and (for a volunteer) wards in one statement,
    answerable from indexes, or it reads a whole table at every page (it read the
    volunteer-ward table once, 12 ms at national scale on SQLite)."""
    volunteer = factories.make_volunteer(shibuya, shinagawa)
    db.session.commit()
    log_in(app.test_client(), volunteer)
    token = db.session.scalar(
        sa.select(LoginSession.token).where(LoginSession.user_id == volunteer.id)
    )
    db.session.expunge_all()
    with query_plans("SELECT") as plans:
        found = services.load_user(f"{volunteer.id}:{token}")
        assert {ward.slug for ward in found.volunteer_profile.wards} == {"shibuya", "shinagawa"}
    assert len(plans) == 1, plans
    for statement, plan in plans:
        assert not table_scans(plan), (statement, plan)
