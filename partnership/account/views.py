"""A person's own account: their details, API tokens and the history of changes to it."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from partnership.account.forms import SCOPE_HINTS, NewTokenForm
from partnership.auth import history, tokens, two_step
from partnership.extensions import db
from partnership.forms import ConfirmForm
from partnership.models import ApiToken, TokenScope

account = Blueprint("account", __name__, url_prefix="/account")


@account.before_request
@login_required
def signed_in_only():
    return None


@account.route("")
def overview():
    user = current_user._get_current_object()
    return render_template(
        "views/account/account.html",
        user=user,
        live_tokens=sum(tokens.is_live(record) for record in tokens.tokens_of(user)),
        two_step_on=two_step.is_on(user),
        history=history.history_of(user, limit=20),
    )


@account.route("/tokens")
def api_tokens():
    return _tokens_page(NewTokenForm())


def _tokens_page(form: NewTokenForm, status: int = 200):
    user = current_user._get_current_object()
    return (
        render_template(
            "views/account/tokens.html",
            form=form,
            hints=SCOPE_HINTS,
            records=tokens.tokens_of(user),
            state=tokens.token_state,
            confirm=ConfirmForm(),
        ),
        status,
    )


@account.route("/tokens", methods=["POST"])
def create_api_token():
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, 400 if form.csrf_token.errors else 200)
    user = current_user._get_current_object()
    token, record = tokens.create_token(
        user, form.name.data, scope=TokenScope(form.scope.data), days=form.days.data, by=user
    )
    db.session.commit()
    # Shown in this answer only (never stored, flashed or put in the cookie); the page is
    # not cached (Cache-Control: no-store on every page).
    return render_template("views/account/new-token.html", token=token, record=record)


@account.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_api_token(token_id: int):
    record = db.session.get(ApiToken, token_id)
    if record is None or record.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit() and tokens.revoke_token(
        record, by=current_user._get_current_object()
    ):
        db.session.commit()
        flash(f"Revoked the token for {record.name}. It no longer works.", "success")
    return redirect(url_for("account.api_tokens"))
