from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from inclusion.auth import lockout, services
from inclusion.auth.access import public, require
from inclusion.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    PasswordResetForm,
    UserCreateForm,
    UserEditForm,
)
from inclusion.auth.models import PERSON_ROLES, Role, User
from inclusion.extensions import db, limiter
from inclusion.forms import ButtonForm
from inclusion.wards.models import Ward
from inclusion.web import (
    ConfirmFirst,
    confirm_first,
    flash_violation,
    form_status,
    home_url,
    redirect_back,
    show_violation,
)

bp = Blueprint("auth", __name__)


def _failed_login(response) -> bool:
    """Count a log-in attempt against the limit only when it did not succeed."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(
    lockout.account_rate,
    scope=lockout.ACCOUNT_SCOPE,
    key_func=lockout.account_key,
    methods=["POST"],
    deduct_when=_failed_login,
)
@limiter.limit(lockout.address_rate, methods=["POST"], deduct_when=_failed_login)
@public
def login():
    if current_user.is_authenticated:
        return redirect(home_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        db.session.commit()
        if user is not None:
            login_user(services.start_login(user))
            db.session.commit()
            return redirect_back()
        form.password.errors.append(_("The e-mail address or password is not correct."))
    return render_template("auth/login.html", form=form), form_status(form)


@bp.route("/logout", methods=["GET", "POST"])
@require()
def logout():
    form = ButtonForm()
    if form.validate_on_submit():
        services.end_login(current_user)
        db.session.commit()
        logout_user()
        flash(_("You have logged out."), "success")
        return redirect(url_for("main.index"))
    return render_template("auth/logout.html", form=form)


@bp.route("/account")
@require()
def account():
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@require()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except services.AccountError as error:
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form), form_status(form)


@bp.route("/admin/users")
@require(Role.ADMIN)
def users():
    # An API key's account is managed with its key, on the API keys page.
    query = sa.select(User).where(User.role.in_(PERSON_ROLES)).order_by(User.role, User.email)
    role = request.args.get("role", "")
    if role in {r.value for r in PERSON_ROLES}:
        query = query.where(User.role == Role(role))
    accounts = db.session.scalars(query).all()
    return render_template("auth/users.html", users=accounts, roles=PERSON_ROLES, role=role)


def person_or_404(user_id: int) -> User:
    """A person's account; an API key's own account is not edited here."""
    user = db.get_or_404(User, user_id)
    if user.role not in PERSON_ROLES:
        abort(404)
    return user


def _chosen_ward(form: UserEditForm) -> Ward | None:
    return db.session.get(Ward, form.ward.data) if form.ward.data else None


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require(Role.ADMIN)
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user,
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                ward=_chosen_ward(form),
            )
        except services.AccountError as error:
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_new.html", form=form), form_status(form)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@require(Role.ADMIN)
def edit_user(user_id: int):
    user = person_or_404(user_id)
    form = UserEditForm.of(user)
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                user,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                ward=_chosen_ward(form),
            )
        except services.AccountError as error:
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Account %(email)s saved.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    status = form_status(form)
    return render_template(
        "auth/user_edit.html", user=user, form=form, password_form=PasswordResetForm(),
        locked=lockout.is_locked(user),
    ), status  # fmt: skip


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@require(Role.ADMIN)
def reset_password(user_id: int):
    user = person_or_404(user_id)
    password_form = PasswordResetForm()
    if password_form.validate_on_submit():
        services.reset_password(current_user, user, password_form.new_password.data)
        db.session.commit()
        flash(_("A new password is set for %(email)s.", email=user.email), "success")
        return redirect(url_for("auth.users"))
    form = UserEditForm.of(user)
    return render_template(
        "auth/user_edit.html", user=user, form=form, password_form=password_form,
        locked=lockout.is_locked(user),
    ), 422  # fmt: skip


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@require(Role.ADMIN)
def unlock(user_id: int):
    """Someone locked out by wrong passwords called the help desk: they may try now."""
    user = person_or_404(user_id)
    if ButtonForm().validate_on_submit():
        lockout.unlock(current_user, user)
        db.session.commit()
        flash(_("%(email)s can try to log in again now.", email=user.email), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@require(Role.ADMIN)
def set_active(user_id: int):
    user = person_or_404(user_id)
    form = ButtonForm()
    if form.validate_on_submit():
        make_active = request.form.get("active") == "1"
        if not make_active:
            confirm_first(lambda: ConfirmFirst(
                _("Stop %(name)s's account?", name=user.display_name),
                _("%(email)s can no longer log in, and is logged out everywhere now. The "
                  "account and its history stay; it can be started again.", email=user.email),
                _("Yes, stop the account"),
            ))  # fmt: skip
        try:
            services.set_user_active(current_user, user, make_active)
        except services.AccountError as error:
            flash_violation(error)
        else:
            db.session.commit()
            if make_active:
                flash(_("%(email)s can log in again.", email=user.email), "success")
            else:
                flash(_("%(email)s can no longer log in.", email=user.email), "success")
    return redirect(url_for("auth.users"))
