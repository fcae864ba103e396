"""Command-line tasks: `flask --app partnership <command> --help`."""

import click
from flask import Flask
from sqlalchemy import select

from partnership.auth.passwords import hash_password
from partnership.auth.tokens import create_token
from partnership.extensions import db
from partnership.models import Neighbourhood, Organisation, Role, Sector, User
from partnership.models.accounts import normalise_email
from partnership.structure import (
    StructureError,
    check_organisation_codes,
    check_user_role,
    email_taken,
    neighbourhoods_named,
    organisation_exists,
    organisation_named,
)


def _fail(message: str):
    db.session.rollback()
    raise click.ClickException(message)


@click.command("seed-demo")
def seed_demo_command():
    """Load the demo partnership (idempotent) and print one demo login per role."""
    from partnership.demo import demo_password, seed_demo

    logins = seed_demo()
    click.echo("Demo partnership ready. Sign in as any of these, password: " + demo_password())
    for user in logins:
        click.echo(f"  {user.role.value:<12} {user.email:<28} {user.name}, {user.organisation}")


neighbourhoods_cli = click.Group("neighbourhoods", help="The partnership's neighbourhoods.")


@neighbourhoods_cli.command("list")
def list_neighbourhoods():
    """List neighbourhoods with their ONS codes."""
    for n in db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)):
        click.echo(f"{n.name}\t{n.ons_code or '-'}")


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
    sector = Sector(sector)
    try:
        ods_code, charity_number = check_organisation_codes(sector, ods_code, charity_number)
        served = neighbourhoods_named(list(neighbourhoods))
    except StructureError as error:
        _fail(str(error))
    if organisation_exists(name):
        _fail(f"There is already an organisation called {name.strip()}")
    db.session.add(
        Organisation(
            name=name.strip(),
            sector=sector,
            ods_code=ods_code,
            charity_number=charity_number,
            neighbourhoods=served,
        )
    )
    db.session.commit()
    click.echo(f"Created {name.strip()} ({sector.value})")


users_cli = click.Group("users", help="People who sign in.")


@users_cli.command("create")
@click.option("--email", required=True, help="Their work email; they sign in with it.")
@click.option("--name", required=True, help="Their full name.")
@click.option("--organisation", required=True, help="The name of their organisation.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
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
    from partnership.auth.forms import MIN_PASSWORD_LENGTH

    role = Role(role)
    if "@" not in email:
        _fail("Enter an email address like name@example.org")
    if email_taken(email):
        _fail(f"There is already a user with the email {normalise_email(email)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        _fail(f"The password must be {MIN_PASSWORD_LENGTH} characters or more")
    try:
        org = organisation_named(organisation)
        led = neighbourhoods_named(list(neighbourhoods))
        check_user_role(role, led)
    except StructureError as error:
        _fail(str(error))
    user = User(
        email=email,
        name=name.strip(),
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


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. the integration's name.")
def create_api_token(email, name):
    """Create a bearer token for a user; it is printed once and only its hash is kept."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        _fail(f"No active user with the email {normalise_email(email)}")
    token, _record = create_token(user, name)
    db.session.commit()
    click.echo(token)
    click.echo(
        f"Keep this token safe: it will not be shown again. It acts as {user.email}.", err=True
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    for group in (neighbourhoods_cli, organisations_cli, users_cli, tokens_cli):
        app.cli.add_command(group)
