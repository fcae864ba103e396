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

from partnership.auth import sessions, tokens
from partnership.auth.forms import ChangePasswordForm, SignInForm
from partnership.auth.passwords import verify_password
from partnership.auth.sign_in import Refusal, attempt_sign_in, change_own_password
from partnership.extensions import db, limiter, login_manager
from partnership.forms import local_path
from partnership.models import User

auth = Blueprint("auth", __name__)

login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue"
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_key: str) -> User | None:
    """Only a session whose record is open and not idle or too old, of an active user at the
    same session version. A session that has ended is forgotten entirely, not just its user."""
    token = session.get(sessions.KEY)
    user = sessions.signed_in_user(user_key, token)
    if user is None or not isinstance(token, str):
        session.clear()
        return None
    if _made_by_the_person() and not (db.session.new or db.session.dirty):
        sessions.note_request(token)
    return user


def _made_by_the_person() -> bool:
    """Requests a person makes keep their session from idling; the live stream and the
    fragments pages fetch by themselves when something changes do not."""
    if request.endpoint == "live.stream":
        return False
    return not (request.method == "GET" and request.headers.get("HX-Request") == "true")


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
    user = current_user._get_current_object()
    form = ChangePasswordForm(user)
    live_tokens = [record for record in tokens.tokens_of(user) if tokens.is_live(record)]
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current.data):
            form.current.errors.append("Your current password is not right")
        elif verify_password(user.password_hash, form.password.data):
            form.password.errors.append("Choose a password different from your current one")
        else:
            change_own_password(user, form.password.data, end_tokens=form.end_tokens.data)
            # Every session ended, this one too: carry on in a new one.
            session.clear()
            token = sessions.begin(user)
            db.session.commit()
            login_user(user)
            session[sessions.KEY] = token
            flash("Your password has been changed. You are signed out everywhere else.", "success")
            return redirect(url_for("main.home"))
    return render_template(
        "views/auth/change-password.html", form=form, live_tokens=len(live_tokens)
    )
