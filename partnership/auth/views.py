"""Signing in and out."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from partnership.auth import sessions
from partnership.auth.forms import ChangePasswordForm, SignInForm
from partnership.auth.passwords import verify_password
from partnership.auth.sign_in import Refusal, attempt_sign_in, set_password
from partnership.extensions import db, limiter, login_manager
from partnership.forms import local_path
from partnership.models import User

auth = Blueprint("auth", __name__)

login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue"
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_key: str) -> User | None:
    """Only a session whose record is open, of an active user at the same session version."""
    return sessions.signed_in_user(user_key, session.get(sessions.KEY))


@auth.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGN_IN"], methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    refusal = None
    if form.validate_on_submit():
        result = attempt_sign_in(form.email.data, form.password.data)
        if result.user:
            token = sessions.begin(result.user)
            db.session.commit()
            login_user(result.user)
            session[sessions.KEY] = token
            return redirect(local_path(request.args.get("next")) or url_for("main.home"))
        refusal = result.refusal
        message = (
            "Too many failed attempts. You can try again in 15 minutes."
            if refusal is Refusal.LOCKED
            else "Enter a correct email address and password"
        )
        form.email.errors.append(message)
    return render_template("views/auth/sign-in.html", form=form, refusal=refusal)


@auth.route("/sign-out", methods=["POST"])
def sign_out():
    """End this session's record, so that a copy of the cookie no longer works either, and
    forget everything the cookie held."""
    sessions.end(session.get(sessions.KEY))
    db.session.commit()
    session.clear()
    logout_user()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"))


@auth.route("/change-password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if verify_password(current_user.password_hash, form.password.data):
            form.password.errors.append("Choose a password different from your current one")
        else:
            set_password(current_user, form.password.data, temporary=False)
            db.session.commit()
            # The session version moved on: carry this session along with it.
            login_user(current_user._get_current_object())
            flash("Your password has been changed", "success")
            return redirect(url_for("main.home"))
    return render_template("views/auth/change-password.html", form=form)
