"""Administration: the partnership's structure (admins only)."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from partnership.access import requires_role
from partnership.admin import access_log as access_logs
from partnership.admin import holidays, people
from partnership.admin.forms import (
    ROLE_HINTS,
    EditUserForm,
    NeedForm,
    NeighbourhoodForm,
    OrganisationForm,
    TemporaryPasswordForm,
    UserForm,
)
from partnership.auth import history, tokens, two_step
from partnership.auth.passwords import hash_password
from partnership.extensions import db
from partnership.forms import ConfirmForm
from partnership.models import (
    ApiToken,
    NeedCategory,
    Neighbourhood,
    Organisation,
    Role,
    Sector,
    User,
)
from partnership.structure import (
    StructureError,
    charity_number_taken,
    check_need_name,
    check_ons_code,
    check_organisation_codes,
    check_user_role,
    email_taken,
    need_slug,
    neighbourhood_exists,
    ods_code_taken,
    ons_code_taken,
    organisation_exists,
)

admin = Blueprint("admin", __name__, url_prefix="/admin")


@admin.before_request
@requires_role(Role.ADMIN)
def only_admins():
    """Every page here is for administrators; anyone else is told it does not exist."""


def _get_or_404(model, object_id: int):
    return db.session.get(model, object_id) or abort(404)


def _all_neighbourhoods() -> list[Neighbourhood]:
    return list(db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)))


# Neighbourhoods


@admin.route("/neighbourhoods")
def neighbourhoods():
    return render_template("views/admin/neighbourhoods.html", neighbourhoods=_all_neighbourhoods())


@admin.route("/neighbourhoods/new", methods=["GET", "POST"])
@admin.route("/neighbourhoods/<int:neighbourhood_id>/edit", methods=["GET", "POST"])
def edit_neighbourhood(neighbourhood_id: int | None = None):
    neighbourhood = _get_or_404(Neighbourhood, neighbourhood_id) if neighbourhood_id else None
    form = NeighbourhoodForm(obj=neighbourhood)
    if form.validate_on_submit():
        name = form.name.data
        ons_code = check_ons_code(form.ons_code.data)  # the form has checked its format
        if ons_code_taken(ons_code, other_than=neighbourhood):
            form.ons_code.errors.append(f"Another neighbourhood has the ONS code {ons_code}")
        if neighbourhood_exists(name, other_than=neighbourhood):
            form.name.errors.append(f"There is already a neighbourhood called {name}")
        if not form.errors:
            neighbourhood = neighbourhood or Neighbourhood()
            neighbourhood.name, neighbourhood.ons_code = name, ons_code
            db.session.add(neighbourhood)
            db.session.commit()
            flash(f"Saved {name}", "success")
            return redirect(url_for("admin.neighbourhoods"))
    return render_template(
        "views/admin/edit-neighbourhood.html", form=form, neighbourhood=neighbourhood
    )


# Organisations


@admin.route("/organisations")
def organisations():
    rows = db.session.scalars(
        select(Organisation)
        .options(selectinload(Organisation.neighbourhoods))
        .order_by(Organisation.name)
    )
    return render_template("views/admin/organisations.html", organisations=list(rows))


@admin.route("/organisations/new", methods=["GET", "POST"])
@admin.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
def edit_organisation(organisation_id: int | None = None):
    organisation = _get_or_404(Organisation, organisation_id) if organisation_id else None
    form = OrganisationForm(obj=organisation)
    all_neighbourhoods = _all_neighbourhoods()
    form.neighbourhoods.choices = [(n.id, n.name) for n in all_neighbourhoods]
    if request.method == "GET" and organisation:
        form.sector.data = organisation.sector.value
        form.neighbourhoods.data = [n.id for n in organisation.neighbourhoods]
    if form.validate_on_submit():
        name = form.name.data
        sector = Sector(form.sector.data)
        ods_code = charity_number = None
        try:
            ods_code, charity_number = check_organisation_codes(
                sector, form.ods_code.data, form.charity_number.data
            )
        except StructureError as error:
            form[error.field].errors.append(str(error))
        if ods_code_taken(ods_code, other_than=organisation):
            form.ods_code.errors.append(f"Another organisation has the ODS code {ods_code}")
        if charity_number_taken(charity_number, other_than=organisation):
            form.charity_number.errors.append(
                f"Another organisation has the charity number {charity_number}"
            )
        if organisation_exists(name, other_than=organisation):
            form.name.errors.append(f"There is already an organisation called {name}")
        if not form.errors:
            organisation = organisation or Organisation()
            organisation.name, organisation.sector = name, sector
            organisation.ods_code, organisation.charity_number = ods_code, charity_number
            chosen = set(form.neighbourhoods.data or [])
            organisation.neighbourhoods = [n for n in all_neighbourhoods if n.id in chosen]
            db.session.add(organisation)
            db.session.commit()
            flash(f"Saved {name}", "success")
            return redirect(url_for("admin.organisations"))
    return render_template(
        "views/admin/edit-organisation.html", form=form, organisation=organisation
    )


# Users


@admin.route("/users")
def users():
    organisation_id = request.args.get("organisation", type=int)
    query = (
        select(User)
        .options(selectinload(User.organisation))
        .order_by(User.active.desc(), User.name)
    )
    if organisation_id:
        query = query.where(User.organisation_id == organisation_id)
    organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
    return render_template(
        "views/admin/users.html",
        users=list(db.session.scalars(query)),
        organisations=organisations,
        organisation_id=organisation_id,
    )


def _user_form_choices(form) -> list[Neighbourhood]:
    all_neighbourhoods = _all_neighbourhoods()
    form.organisation.choices = [(0, "Select an organisation")] + [
        (o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))
    ]
    form.neighbourhoods.choices = [(n.id, n.name) for n in all_neighbourhoods]
    return all_neighbourhoods


def _apply_user_form(form, user: User | None, all_neighbourhoods) -> User | None:
    """Check the form, and the rules that need the database, all together; return the
    saved user, or None with every error on the form.

    The database rules run even when the form's own checks fail: run only after them, a
    person putting right the errors shown was then told of others, a few at a time.
    """
    if not form.is_submitted():
        return None
    valid = form.validate_on_submit()
    role = Role(form.role.data) if form.role.data in set(Role) else None
    chosen = set(form.neighbourhoods.data or [])
    led = [n for n in all_neighbourhoods if n.id in chosen]
    organisation = db.session.get(Organisation, form.organisation.data or 0)
    if organisation is None and not form.organisation.errors:
        form.organisation.errors.append("Select the user's organisation")
    if form.email.data and not form.email.errors and email_taken(form.email.data, other_than=user):
        form.email.errors.append("There is already a user with this email address")
    # An admin who demoted themself would be locked out of these pages at once.
    if role not in (None, Role.ADMIN) and user is not None and user.id == current_user.id:
        form.role.errors.append("You cannot take away your own admin role")
    if role is not None and not form.neighbourhoods.errors:
        try:
            check_user_role(role, led)
        except StructureError as error:
            form.neighbourhoods.errors.append(str(error))
        if role is Role.LEAD and not led:
            form.neighbourhoods.errors.append("Select at least one neighbourhood for a lead")
    # Read only now: Form.errors is worked out once, and would miss the errors added above.
    if not valid or form.errors or organisation is None or role is None:
        return None
    if user is None:
        user = User(password_hash=hash_password(form.password.data), must_change_password=True)
        db.session.add(user)
    user.name, user.email = form.name.data, form.email.data
    user.organisation, user.role, user.neighbourhoods = organisation, role, led
    db.session.commit()
    return user


@admin.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    all_neighbourhoods = _user_form_choices(form)
    if request.method == "GET" and request.args.get("organisation", type=int):
        form.organisation.data = request.args.get("organisation", type=int)
    if user := _apply_user_form(form, None, all_neighbourhoods):
        flash(
            f"Created {user.name}. They sign in with the temporary password you set, "
            "then choose their own.",
            "success",
        )
        return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "views/admin/edit-user.html", form=form, user=None, role_hints=ROLE_HINTS
    )


@admin.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = _get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    all_neighbourhoods = _user_form_choices(form)
    if request.method == "GET":
        form.organisation.data = user.organisation_id
        form.role.data = user.role.value
        form.neighbourhoods.data = [n.id for n in user.neighbourhoods]
    if _apply_user_form(form, user, all_neighbourhoods):
        flash(f"Saved {user.name}", "success")
        return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "views/admin/edit-user.html", form=form, user=user, role_hints=ROLE_HINTS
    )


@admin.route("/users/<int:user_id>")
def user(user_id: int):
    person = _get_or_404(User, user_id)
    return render_template(
        "views/admin/user.html",
        user=person,
        confirm=ConfirmForm(),
        records=tokens.tokens_of(person),
        token_state=tokens.token_state,
        history=history.history_of(person),
        two_step_on=two_step.is_on(person),
        two_step_required=two_step.required_for(person),
    )


@admin.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(user_id: int, token_id: int):
    record = db.session.get(ApiToken, token_id)
    if record is None or record.user_id != user_id:
        abort(404)
    if ConfirmForm().validate_on_submit() and tokens.revoke_token(record, by=current_user):
        db.session.commit()
        flash(f"Revoked {record.user.name}'s token for {record.name}", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@admin.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    user = _get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        if user.id == current_user.id:
            flash("You cannot deactivate your own account", "error")
        else:
            people.deactivate(user, by=current_user)
            db.session.commit()
            flash(f"Deactivated {user.name}. They have been signed out.", "success")
    return redirect(url_for("admin.user", user_id=user.id))


@admin.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate_user(user_id: int):
    user = _get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        people.reactivate(user, by=current_user)
        db.session.commit()
        flash(f"Reactivated {user.name}", "success")
    return redirect(url_for("admin.user", user_id=user.id))


@admin.route("/users/<int:user_id>/reset-two-step", methods=["POST"])
def reset_two_step(user_id: int):
    user = _get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        # Never one's own: a borrowed admin session must not shed the second step with it.
        if user.id == current_user.id:
            flash("You cannot reset your own two-step sign-in", "error")
        else:
            people.reset_two_step(user, by=current_user)
            db.session.commit()
            flash(f"Reset two-step sign-in for {user.name}. They have been signed out.", "success")
    return redirect(url_for("admin.user", user_id=user.id))


@admin.route("/users/<int:user_id>/temporary-password", methods=["GET", "POST"])
def temporary_password(user_id: int):
    user = _get_or_404(User, user_id)
    form = TemporaryPasswordForm(user)
    if form.validate_on_submit():
        people.set_temporary_password(user, form.password.data, by=current_user)
        db.session.commit()
        flash(
            f"Set a temporary password for {user.name}. "
            "They choose their own when they next sign in.",
            "success",
        )
        return redirect(url_for("admin.user", user_id=user.id))
    return render_template("views/admin/temporary-password.html", form=form, user=user)


# Needs


@admin.route("/needs")
def needs():
    rows = db.session.scalars(select(NeedCategory).order_by(NeedCategory.name))
    return render_template("views/admin/needs.html", needs=list(rows))


@admin.route("/needs/new", methods=["GET", "POST"])
@admin.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
def edit_need(need_id: int | None = None):
    need = _get_or_404(NeedCategory, need_id) if need_id else None
    form = NeedForm(obj=need)
    if form.validate_on_submit():
        name = form.name.data
        try:
            check_need_name(name, other_than=need)
        except StructureError as error:
            form.name.errors.append(str(error))
        else:
            if need is None:
                # The slug is what feeds and links use; it stays put when the name changes.
                need = NeedCategory(slug=need_slug(name))
                db.session.add(need)
            need.name = name
            db.session.commit()
            flash(f"Saved {name}", "success")
            return redirect(url_for("admin.needs"))
    return render_template("views/admin/edit-need.html", form=form, need=need)


# The access log (DESIGN section 4): who looked at residents' data, never the data itself


@admin.route("/access-log")
def access_log():
    email = request.args.get("email", "")
    reference = request.args.get("reference", "")
    log = access_logs.access_log_page(
        email=email, reference=reference, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "views/admin/access-log.html", log=log, email=email.strip(), reference=reference.strip()
    )


# Bank holidays, for counting working days until a referral is overdue


def _bank_holidays_page(errors: dict | None = None, entered: dict | None = None):
    return render_template(
        "views/admin/bank-holidays.html",
        years=holidays.holidays_by_year(),
        errors=errors or {},
        entered=entered or {},
        long_date=holidays.long_date,
    )


@admin.route("/bank-holidays")
def bank_holidays():
    return _bank_holidays_page()


@admin.route("/bank-holidays", methods=["POST"])
def add_bank_holiday():
    entered = {key: request.form.get(key, "") for key in ("day", "month", "year", "name")}
    try:
        day, name = holidays.check_holiday(**entered)
        holidays.add_bank_holiday(day, name)
    except holidays.HolidayError as error:
        return _bank_holidays_page(error.errors, entered)
    db.session.commit()
    flash(f"Added {name}, {holidays.long_date(day)}", "success")
    return redirect(url_for("admin.bank_holidays"))


@admin.route("/bank-holidays/<day>/remove", methods=["POST"])
def remove_bank_holiday(day: str):
    try:
        holiday = holidays.remove_bank_holiday(date.fromisoformat(day))
    except ValueError:
        holiday = None
    if holiday is None:
        abort(404)
    removed = f"Removed {holiday.name}, {holidays.long_date(holiday.day)}"
    db.session.commit()
    flash(removed, "success")
    return redirect(url_for("admin.bank_holidays"))
