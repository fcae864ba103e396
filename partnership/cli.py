"""Command-line tasks: `flask --app partnership <command> --help`."""

import os
from datetime import datetime
from typing import NoReturn

import click
from flask import Flask
from sqlalchemy import select

from partnership.auth.passwords import hash_password, password_problem
from partnership.auth.tokens import LIFETIMES, create_token, describe, revoke_token, token_state
from partnership.clock import uk_date
from partnership.columns import LARGEST_ID
from partnership.extensions import db
from partnership.models import ApiToken, Neighbourhood, Organisation, Role, Sector, TokenScope, User
from partnership.models.accounts import normalise_email
from partnership.structure import (
    StructureError,
    charity_number_taken,
    check_organisation_codes,
    check_user_role,
    email_taken,
    neighbourhoods_named,
    ods_code_taken,
    organisation_exists,
    organisation_named,
)


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    raise click.ClickException(message)


def _check_name(name: str, what: str, longest: int) -> str:
    """The web forms refuse blank and overlong names; so does the command line."""
    name = name.strip()
    if not name:
        _fail(f"Enter {what}")
    if len(name) > longest:
        _fail(f"{what.capitalize()} must be {longest} characters or fewer")
    return name


def _neighbourhoods(names: tuple[str, ...]) -> list[Neighbourhood]:
    """Each named neighbourhood once, however often or in whatever case it was typed."""
    return list(dict.fromkeys(neighbourhoods_named(list(names))))


@click.command("seed-demo")
@click.option(
    "--without-referrals",
    is_flag=True,
    help="Only the structure, users and services: skip six months of demo referrals.",
)
def seed_demo_command(without_referrals: bool):
    """Load the demo partnership (idempotent) and print one demo login per role."""
    from flask import current_app

    from partnership.sample.demo import seed_demo
    from partnership.sample.demo.partners import demo_password

    if current_app.config["PARTNERSHIP_ENV"] == "production" and not os.environ.get(
        "DEMO_PASSWORD"
    ):
        _fail("In production, set DEMO_PASSWORD: the default demo password is public")
    logins = seed_demo(with_referrals=not without_referrals)
    click.echo("Demo partnership ready. Sign in as any of these, password: " + demo_password())
    for user in logins:
        click.echo(f"  {user.role.value:<12} {user.email:<28} {user.name}, {user.organisation}")


neighbourhoods_cli = click.Group("neighbourhoods", help="The partnership's neighbourhoods.")


@neighbourhoods_cli.command("list")
def list_neighbourhoods():
    """List neighbourhoods with their ONS codes."""
    for n in db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)):
        click.echo(f"{n.name}\t{n.ons_code or '-'}")


@neighbourhoods_cli.command("recount")
def recount_neighbourhoods():
    """Work the dashboards' daily counts out again from the referrals.

    The app keeps them current itself; this repairs them after referrals were changed
    outside it (by hand in the database, or restored from a backup)."""
    from partnership.referrals import daily_summary

    days = daily_summary.recount()
    db.session.commit()
    click.echo(f"Counted the referrals again: {days} neighbourhood days.")


organisations_cli = click.Group("organisations", help="Member organisations.")


@organisations_cli.command("list")
def list_organisations():
    """List organisations: name, sector and the neighbourhoods each serves."""
    for o in db.session.scalars(select(Organisation).order_by(Organisation.name)):
        served = ", ".join(n.name for n in o.neighbourhoods) or "-"
        click.echo(f"{o.name}\t{o.sector.value}\t{served}")


@organisations_cli.command("create")
@click.option("--name", required=True, help="The organisation's name, as residents know it.")
@click.option(
    "--sector", required=True, type=click.Choice([s.value for s in Sector]), help="Its sector."
)
@click.option(
    "--neighbourhood",
    "neighbourhoods",
    multiple=True,
    help="A neighbourhood it serves (repeat for several).",
)
@click.option("--ods-code", help="NHS organisations: the ODS code.")
@click.option("--charity-number", help="Voluntary sector: the registered charity number.")
def create_organisation(name, sector, neighbourhoods, ods_code, charity_number):
    """Add a member organisation."""
    name = _check_name(name, "the organisation's name", 200)
    sector = Sector(sector)
    try:
        ods_code, charity_number = check_organisation_codes(sector, ods_code, charity_number)
        served = _neighbourhoods(neighbourhoods)
    except StructureError as error:
        _fail(str(error))
    if organisation_exists(name):
        _fail(f"There is already an organisation called {name}")
    if ods_code_taken(ods_code):
        _fail(f"Another organisation has the ODS code {ods_code}")
    if charity_number_taken(charity_number):
        _fail(f"Another organisation has the charity number {charity_number}")
    db.session.add(
        Organisation(
            name=name,
            sector=sector,
            ods_code=ods_code,
            charity_number=charity_number,
            neighbourhoods=served,
        )
    )
    db.session.commit()
    click.echo(f"Created {name} ({sector.value})")


users_cli = click.Group("users", help="People who sign in.")


@users_cli.command("create")
@click.option("--email", required=True, help="Their work email; they sign in with it.")
@click.option("--name", required=True, help="Their full name.")
@click.option("--organisation", required=True, help="The name of their organisation.")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="What they do: coordinators can also do all a caseworker can.",
)
@click.option(
    "--neighbourhood",
    "neighbourhoods",
    multiple=True,
    help="Leads only: a neighbourhood they lead (repeat for several).",
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Their password (asked for when left out).",
)
def create_user(email, name, organisation, role, neighbourhoods, password):
    """Add a user to an organisation with a role."""
    role = Role(role)
    name = _check_name(name, "their name", 120)
    if "@" not in email or len(email.strip()) > 254:
        _fail("Enter an email address like name@example.org")
    if email_taken(email):
        _fail(f"There is already a user with the email {normalise_email(email)}")
    problem = password_problem(password, email=email.strip(), name=name)
    if problem:
        _fail(problem)
    try:
        org = organisation_named(organisation)
        led = _neighbourhoods(neighbourhoods)
        check_user_role(role, led)
    except StructureError as error:
        _fail(str(error))
    if role is Role.LEAD and not led:
        _fail("Give a lead at least one neighbourhood with --neighbourhood")
    user = User(
        email=email,
        name=name,
        organisation=org,
        role=role,
        neighbourhoods=led,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {user.email}: {role.value} at {org.name}")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user(email):
    """Stop a user signing in, and sign them out everywhere."""
    from partnership.admin.people import deactivate

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        _fail(f"No user with the email {normalise_email(email)}")
    deactivate(user)
    db.session.commit()
    click.echo(f"Deactivated {user.email}")


tokens_cli = click.Group("tokens", help="API bearer tokens.")


def _active_user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        _fail(f"No active user with the email {normalise_email(email)}")
    return user


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. the integration's name.")
@click.option(
    "--scope",
    type=click.Choice([scope.value for scope in TokenScope]),
    default=TokenScope.READ.value,
    show_default=True,
    help="read: it may only read; write: it may also send and change referrals.",
)
@click.option(
    "--days",
    type=click.Choice([str(days) for days in LIFETIMES]),
    default=None,
    help="How many days it works for (the configured default, 90, when left out).",
)
def create_api_token(email, name, scope, days):
    """Create a bearer token for a user; it is printed once and only its hash is kept."""
    name = _check_name(name, "what the token is for", 120)
    user = _active_user(email)
    token, record = create_token(
        user, name, scope=TokenScope(scope), days=int(days) if days else None
    )
    db.session.commit()
    click.echo(token)
    click.echo(
        f"Keep this token safe: it will not be shown again. It acts as {user.email}, "
        f"{record.scope.label.lower()}, until {uk_date(record.expires_at):%-d %B %Y}.",
        err=True,
    )


@tokens_cli.command("list")
@click.option("--email", default=None, help="Only this person's tokens.")
def list_api_tokens(email):
    """Every token: its id, owner, name, scope, expiry, last use and whether it still works."""
    query = select(ApiToken).join(ApiToken.user).order_by(User.email, ApiToken.id)
    if email is not None:
        query = query.where(User.email == normalise_email(email))
    for record in db.session.scalars(query):
        click.echo(
            "\t".join(
                [
                    str(record.id),
                    record.user.email,
                    record.prefix + "…",
                    record.name,
                    record.scope.value,
                    f"expires {uk_date(record.expires_at).isoformat()}",
                    "last used "
                    + (
                        uk_date(record.last_used_at).isoformat() if record.last_used_at else "never"
                    ),
                    token_state(record),
                ]
            )
        )


def _day_or_never(moment: datetime | None) -> str:
    return uk_date(moment).isoformat() if moment else "never"


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, LARGEST_ID))
def revoke_api_token(token_id):
    """Revoke a token by the id `tokens list` shows; it stops working at once, for good."""
    record = db.session.get(ApiToken, token_id)
    if record is None:
        _fail(f"No token with the id {token_id}")
    if not revoke_token(record):
        _fail(f"Token {token_id} was already revoked")
    db.session.commit()
    click.echo(f"Revoked {describe(record)} of {record.user.email}")


drafts_cli = click.Group("drafts", help="Referrals people started making.")


# Ten years: far beyond any retention policy, and well inside what dates can count back.
DRAFT_DAYS_AT_MOST = 3650


@drafts_cli.command("remove-abandoned")
@click.option(
    "--days",
    type=click.IntRange(min=1, max=DRAFT_DAYS_AT_MOST),
    help="Remove drafts with no answer for this many days (default: DRAFT_KEEP_DAYS, 30).",
)
def remove_abandoned_drafts(days):
    """Remove referrals left part made, with the personal data typed into them; for cron."""
    from flask import current_app

    from partnership.referrals.draft import remove_abandoned

    days = days or current_app.config["DRAFT_KEEP_DAYS"]
    if not 1 <= days <= DRAFT_DAYS_AT_MOST:
        _fail(f"DRAFT_KEEP_DAYS must be from 1 to {DRAFT_DAYS_AT_MOST:,}")
    removed = remove_abandoned(days)
    db.session.commit()
    click.echo(
        f"Removed {_counted(removed, 'draft referral')} unchanged for {_counted(days, 'day')}."
    )


def _counted(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def init_app(app: Flask) -> None:
    from partnership.openreferral.commands import directory_cli
    from partnership.sample.bench import bench_data_command

    app.cli.add_command(bench_data_command)
    app.cli.add_command(directory_cli)
    app.cli.add_command(seed_demo_command)
    for group in (drafts_cli, neighbourhoods_cli, organisations_cli, users_cli, tokens_cli):
        app.cli.add_command(group)
