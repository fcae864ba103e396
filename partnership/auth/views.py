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

from partnership import clock
from partnership.auth import history, sessions, tokens, two_step
from partnership.auth.forms import (
    ChangePasswordForm,
    RecoveryCodeForm,
    SignInForm,
    TwoStepCodeForm,
)
from partnership.auth.passwords import verify_password
from partnership.auth.sign_in import (
    Refusal,
    SignInResult,
    attempt_code,
    attempt_sign_in,
    change_own_password,
    check_code_of_signed_in,
)
from partnership.extensions import db, limiter, login_manager
from partnership.forms import local_path
from partnership.models import AccountAction, User

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


# Passwords and two-step codes from one address share one budget of attempts.
sign_in_attempts = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_SIGN_IN"], scope="sign-in", methods=["POST"]
)


@auth.route("/sign-in", methods=["GET", "POST"])
@sign_in_attempts
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    refusal = None
    if form.validate_on_submit():
        result = attempt_sign_in(form.email.data, form.password.data)
        if result.awaiting_code:
            session[PENDING] = [result.awaiting_code.id, int(clock.now().timestamp())]
            return redirect(url_for("auth.sign_in_code", next=local_path(request.args.get("next"))))
        if result.user:
            return _finish_sign_in(result.user)
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
@sign_in_attempts  # a wrong current password is a guess like any other
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


# Two-step sign-in: the second step of signing in

# Between a right password and the code the cookie holds only [user id, Unix time then].
PENDING = "two_step_pending"
LOCKED = "Too many failed attempts. You can try again in 15 minutes."


def _finish_sign_in(user: User):
    token = sessions.begin(user)
    db.session.commit()
    session.pop(PENDING, None)
    login_user(user)
    session[sessions.KEY] = token
    return redirect(local_path(request.args.get("next")) or url_for("main.home"))


def _pending_user_id() -> int | None:
    """The user whose password was right, while they have time left to enter the code."""
    pending = session.get(PENDING)
    if not (isinstance(pending, list) and len(pending) == 2):
        return None
    user_id, since = pending
    if not (isinstance(user_id, int) and isinstance(since, int)):
        return None
    if clock.now().timestamp() - since > two_step.CODE_WAIT.total_seconds():
        return None
    return user_id


def _second_step(form, template: str, wrong: str):
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    back_to_sign_in = redirect(url_for("auth.sign_in", next=local_path(request.args.get("next"))))
    user_id = _pending_user_id()
    if user_id is None:
        if session.pop(PENDING, None) is not None:
            flash("You took more than 5 minutes to enter the code. Sign in again.", "info")
        return back_to_sign_in
    if form.validate_on_submit():
        result = attempt_code(user_id, form.code.data)
        if result.user:
            return _finish_sign_in(result.user)
        if result.refusal is not Refusal.WRONG:
            session.pop(PENDING, None)
            if result.refusal is Refusal.LOCKED:
                flash(LOCKED, "error")
            return back_to_sign_in
        form.code.errors.append(wrong)
    return render_template(template, form=form)


@auth.route("/sign-in/code", methods=["GET", "POST"])
@sign_in_attempts
def sign_in_code():
    return _second_step(
        TwoStepCodeForm(),
        "views/auth/sign-in-code.html",
        "Enter the code your authenticator app shows now",
    )


@auth.route("/sign-in/recovery-code", methods=["GET", "POST"])
@sign_in_attempts
def sign_in_recovery_code():
    return _second_step(
        RecoveryCodeForm(),
        "views/auth/sign-in-recovery-code.html",
        "Enter a recovery code you have not used before",
    )


# Two-step sign-in: setting it up, new recovery codes, turning it off (the person's own only)


@auth.route("/account/two-step")
@login_required
def two_step_status():
    user = current_user._get_current_object()
    on = two_step.is_on(user)
    return render_template(
        "views/auth/two-step.html",
        on=on,
        required=two_step.required_for(user),
        codes_left=two_step.recovery_codes_left(user) if on else 0,
    )


@auth.route("/account/two-step/set-up", methods=["GET", "POST"])
@login_required
@sign_in_attempts
def set_up_two_step():
    user = current_user._get_current_object()
    if two_step.is_on(user):
        return redirect(url_for("auth.two_step_status"))
    secret = two_step.candidate_secret(user)
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        codes = two_step.confirm(user, form.code.data)
        if codes:
            history.note(user, AccountAction.TWO_STEP_ON, by=user)
            db.session.commit()
            return render_template("views/auth/recovery-codes.html", codes=codes, first=True)
        form.code.errors.append("Enter the code your authenticator app shows now")
    db.session.commit()  # the secret being set up, kept on the server
    return render_template(
        "views/auth/two-step-set-up.html",
        form=form,
        qr_code=two_step.qr_code_image(two_step.provisioning_uri(user, secret)),
        secret=two_step.secret_in_groups(secret),
    )


def _code_refused(form, result: SignInResult) -> None:
    form.code.errors.append(
        LOCKED
        if result.refusal is Refusal.LOCKED
        else "Enter the code your authenticator app shows now"
    )


@auth.route("/account/two-step/recovery-codes", methods=["GET", "POST"])
@login_required
@sign_in_attempts
def new_recovery_codes():
    user = current_user._get_current_object()
    if not two_step.is_on(user):
        return redirect(url_for("auth.two_step_status"))
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        result = check_code_of_signed_in(user, form.code.data)
        if result.user:
            codes = two_step.new_recovery_codes(user)
            history.note(user, AccountAction.RECOVERY_CODES, by=user)
            db.session.commit()
            return render_template("views/auth/recovery-codes.html", codes=codes, first=False)
        _code_refused(form, result)
    return render_template("views/auth/new-recovery-codes.html", form=form)


@auth.route("/account/two-step/turn-off", methods=["GET", "POST"])
@login_required
@sign_in_attempts
def turn_off_two_step():
    user = current_user._get_current_object()
    if not two_step.is_on(user) or two_step.required_for(user):
        return redirect(url_for("auth.two_step_status"))
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        result = check_code_of_signed_in(user, form.code.data)
        if result.user:
            two_step.turn_off(user)
            history.note(user, AccountAction.TWO_STEP_RESET, by=user, detail="Turned off")
            db.session.commit()
            flash("Two-step sign-in is off", "success")
            return redirect(url_for("auth.two_step_status"))
        _code_refused(form, result)
    return render_template("views/auth/turn-off-two-step.html", form=form)
