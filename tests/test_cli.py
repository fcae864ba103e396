"""The command line: the demo partnership, neighbourhoods, organisations, users and tokens."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partnership import clock
from partnership.admin.people import deactivate, reactivate, set_temporary_password
from partnership.auth.passwords import verify_password
from partnership.auth.tokens import revoke_token, token_for_call
from partnership.extensions import db
from partnership.models import (
    AccountAction,
    AccountEvent,
    ApiToken,
    DraftReferral,
    Organisation,
    Role,
    Sector,
    SignInLockout,
    TokenScope,
    User,
)

LOGIN = re.compile(r"^\s+(caseworker|coordinator|lead|admin)\s+(\S+@\S+)\s+(.+?), (.+)$")
NEW_PASSWORD = "a long enough password"
# What tells each role's home page apart.
HOME_PAGE = {
    "caseworker": "You refer residents",
    "coordinator": "You keep your services",
    "lead": "Neighbourhood lead",
    "admin": "Partnership administrator",
}


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def demo_logins(output: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """The password and the {role: (email, name)} that seed-demo printed."""
    password = re.search(r"password: (\S+)$", output, re.MULTILINE).group(1)
    logins = {}
    for line in output.splitlines():
        if match := LOGIN.match(line):
            role, email, name, _organisation = match.groups()
            assert role not in logins, f"{role} printed twice"
            logins[role] = (email, name)
    return password, logins


def sign_in(client, email, password):
    return client.post_form("/sign-in", {"email": email, "password": password})


def signs_in_to_home(app, email, password, name, role="caseworker") -> bool:
    """A fresh browser signs in and lands on the role's home page."""
    client = app.test_client()
    response = sign_in(client, email, password)
    if response.status_code != 302 or response.headers["Location"] != "/":
        return False
    page = client.get("/").get_data(as_text=True)
    return f"Hello, {name}" in page and HOME_PAGE[role] in page


def with_defaults(defaults: dict[str, str], options) -> list[str]:
    """The options given, plus each default option they leave out."""
    given = set(options[::2])
    left_out = [item for pair in defaults.items() if pair[0] not in given for item in pair]
    return left_out + list(options)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def user_named(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def refused(result, message: str) -> bool:
    """Exited non-zero with a message in words, not a traceback."""
    return (
        result.exit_code != 0
        and message in result.output
        and isinstance(result.exception, SystemExit)
        and "Traceback" not in result.output
    )


# seed-demo


def test_seed_demo_twice_changes_nothing_and_prints_one_login_per_role(app):
    first = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    counts = row_counts()
    second = run(app, "seed-demo")
    assert second.exit_code == 0, second.output
    assert row_counts() == counts

    assert counts["neighbourhoods"] == 6
    assert counts["organisations"] == 12
    assert set(db.session.scalars(select(Organisation.sector))) == set(Sector)
    assert counts["need_categories"] >= 12
    for result in (first, second):
        _password, logins = demo_logins(result.output)
        assert sorted(logins) == sorted(r.value for r in Role)


def test_each_printed_demo_login_signs_in_to_its_home_page(app):
    password, logins = demo_logins(run(app, "seed-demo", "--without-referrals").output)
    for role, (email, name) in logins.items():
        assert signs_in_to_home(app, email, password, name, role), role


def test_seed_demo_repairs_demo_logins_that_stopped_working(app):
    password, logins = demo_logins(run(app, "seed-demo", "--without-referrals").output)
    caseworker, coordinator, lead, admin = (
        user_named(logins[r.value][0])
        for r in (Role.CASEWORKER, Role.COORDINATOR, Role.LEAD, Role.ADMIN)
    )
    deactivate(admin)
    set_temporary_password(caseworker, "someone else's password")
    coordinator.role = Role.CASEWORKER
    locked_until = clock.now() + timedelta(minutes=15)
    db.session.add(SignInLockout(email=lead.email, failed_attempts=5, locked_until=locked_until))
    db.session.commit()
    for user, role in ((caseworker, "caseworker"), (lead, "lead"), (admin, "admin")):
        assert not signs_in_to_home(app, user.email, password, user.name, role)
    assert not signs_in_to_home(app, coordinator.email, password, coordinator.name, "coordinator")

    assert run(app, "seed-demo", "--without-referrals").exit_code == 0
    for role, (email, name) in logins.items():
        assert signs_in_to_home(app, email, password, name, role), role


def test_seed_demo_leaves_working_demo_sessions_alone(app):
    password, logins = demo_logins(run(app, "seed-demo", "--without-referrals").output)
    client = app.test_client()
    assert sign_in(client, logins["lead"][0], password).status_code == 302
    assert run(app, "seed-demo", "--without-referrals").exit_code == 0
    assert client.get("/").status_code == 200


def test_seed_demo_keeps_an_administrators_renamed_records(app):
    run(app, "seed-demo", "--without-referrals")
    food_bank = db.session.scalar(
        select(Organisation).where(Organisation.name == "Calder Bank Food Bank")
    )
    food_bank.name = "Calder bank food bank"
    db.session.commit()
    counts = row_counts()
    result = run(app, "seed-demo", "--without-referrals")
    assert result.exit_code == 0, result.output
    assert row_counts() == counts


# neighbourhoods and organisations


def test_neighbourhoods_list(app, partnership):
    output = run(app, "neighbourhoods", "list").output
    assert output.splitlines() == ["Northside\tE05000001", "Southside\tE05000002"]


def test_neighbourhoods_recount_repairs_the_dashboards_daily_counts(app, partnership):
    from partnership.models import NeighbourhoodDay, ReferralStatus
    from tests import factories

    factories.referral(partnership, status=ReferralStatus.COMPLETED, sent_days_ago=9)
    factories.referral(partnership)
    db.session.execute(NeighbourhoodDay.__table__.update().values(made=99))  # changed by hand
    db.session.commit()
    assert (
        "Counted the referrals again: 2 neighbourhood days."
        in run(app, "neighbourhoods", "recount").output
    )
    db.session.expire_all()
    days = db.session.scalars(select(NeighbourhoodDay).order_by(NeighbourhoodDay.day)).all()
    assert [(d.made, d.completed) for d in days] == [(1, 1), (1, 0)]


def test_organisations_list_shows_sector_and_neighbourhoods_served(app, partnership):
    lines = run(app, "organisations", "list").output.splitlines()
    assert "Southside Pantry\tvcse\tNorthside, Southside" in lines
    assert "Northside Surgery\tnhs\tNorthside" in lines
    assert len(lines) == 3


def test_organisations_create(app, partnership):
    result = run(
        app,
        "organisations",
        "create",
        "--name",
        "Northside Health Centre",
        "--sector",
        "nhs",
        "--neighbourhood",
        "Northside",
        "--neighbourhood",
        "southside",
        "--neighbourhood",
        "NORTHSIDE",
        "--ods-code",
        "y 00002",
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    created = db.session.scalar(
        select(Organisation).where(Organisation.name == "Northside Health Centre")
    )
    assert created.sector is Sector.NHS
    assert created.ods_code == "Y00002"
    assert [n.name for n in created.neighbourhoods] == ["Northside", "Southside"]
    listed = run(app, "organisations", "list").output.splitlines()
    assert "Northside Health Centre\tnhs\tNorthside, Southside" in listed


def test_organisations_create_with_a_charity_number(app, partnership):
    result = run(
        app, "organisations", "create", "--name", "Northside Men's Shed", "--sector", "vcse",
        "--charity-number", "1100001",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    created = db.session.scalar(
        select(Organisation).where(Organisation.name == "Northside Men's Shed")
    )
    assert created.charity_number == "1100001"
    assert created.neighbourhoods == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--neighbourhood", "Westside"], "No neighbourhood called Westside"),
        (["--ods-code", "not-a-code"], "Enter an ODS code of 3 to 6 letters and numbers"),
        (["--ods-code", "Y00001"], "Another organisation has the ODS code Y00001"),
        (["--name", "northside SURGERY"], "There is already an organisation called"),
        (["--name", "   "], "Enter the organisation's name"),
        (["--sector", "vcse", "--ods-code", "Y00009"], "Only NHS organisations have an ODS code"),
        (
            ["--sector", "vcse", "--charity-number", "1234567"],
            "Another organisation has the charity number 1234567",
        ),
    ],
)
def test_organisations_create_refuses_mistakes_and_creates_nothing(
    app, partnership, options, message
):
    defaults = {"--name": "Northside Health Centre", "--sector": "nhs"}
    before = row_counts()
    result = run(app, "organisations", "create", *with_defaults(defaults, options))
    assert refused(result, message), result.output
    db.session.expire_all()
    assert row_counts() == before


# users


def create_user(app, *options, input=None):
    defaults = {
        "--email": "new.worker@example.org",
        "--name": "Nina Worker",
        "--organisation": "Southside Pantry",
        "--role": "caseworker",
    }
    return run(app, "users", "create", *with_defaults(defaults, options), input=input)


def test_users_create_with_a_password_and_they_can_sign_in(app, partnership):
    result = create_user(app, "--email", " New.Worker@Example.org ", "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    user = user_named("new.worker@example.org")
    assert user.name == "Nina Worker"
    assert user.organisation.name == "Southside Pantry"
    assert user.role is Role.CASEWORKER
    assert user.active and not user.must_change_password
    assert NEW_PASSWORD not in user.password_hash
    assert signs_in_to_home(app, "new.worker@example.org", NEW_PASSWORD, "Nina Worker")


def test_users_create_asks_for_the_password_hidden_and_twice(app, partnership):
    result = create_user(
        app, "--organisation", "southside pantry", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output
    assert "Repeat for confirmation: " in result.output
    assert NEW_PASSWORD not in result.output
    assert verify_password(user_named("new.worker@example.org").password_hash, NEW_PASSWORD)
    assert signs_in_to_home(app, "new.worker@example.org", NEW_PASSWORD, "Nina Worker")


def test_users_create_refuses_passwords_that_do_not_match(app, partnership):
    result = create_user(app, input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}!\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert user_named("new.worker@example.org") is None


def test_users_create_refuses_a_short_password_from_the_prompt(app, partnership):
    result = create_user(app, input="pw\npw\n")
    assert refused(result, "Password must be 12 characters or more"), result.output
    assert user_named("new.worker@example.org") is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--email", "CASEWORKER@example.ORG"], "There is already a user with the email"),
        (["--email", "not an email"], "Enter an email address"),
        (["--organisation", "Westside Pantry"], "No organisation called Westside Pantry"),
        (["--password", "too short"], "Password must be 12 characters or more"),
        (["--password", "passwordpassword"], "Password is too easy to guess"),
        (["--password", "new.worker@example.org 1"], "must not contain the email address"),
        (["--name", " "], "Enter their name"),
        (["--neighbourhood", "Northside"], "Only neighbourhood leads are given neighbourhoods"),
        (["--role", "lead"], "Give a lead at least one neighbourhood"),
        (["--role", "lead", "--neighbourhood", "Westside"], "No neighbourhood called Westside"),
    ],
)
def test_users_create_refuses_mistakes_and_creates_nothing(app, partnership, options, message):
    if "--password" not in options:
        options = [*options, "--password", NEW_PASSWORD]
    before = count(User)
    result = create_user(app, *options)
    assert refused(result, message), result.output
    db.session.expire_all()
    assert count(User) == before


def test_users_create_gives_leads_their_neighbourhoods(app, partnership):
    result = create_user(
        app, "--role", "lead", "--neighbourhood", "southside", "--neighbourhood", "Southside",
        "--neighbourhood", "Northside", "--password", NEW_PASSWORD,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = user_named("new.worker@example.org")
    assert user.role is Role.LEAD
    assert [n.name for n in user.neighbourhoods] == ["Northside", "Southside"]
    assert signs_in_to_home(app, user.email, NEW_PASSWORD, "Nina Worker", "lead")


def test_users_deactivate_ends_their_session_on_the_next_request(app, client, partnership):
    user = partnership.users[Role.CASEWORKER]
    assert sign_in(client, user.email, partnership.password).status_code == 302
    assert client.get("/").status_code == 200

    result = run(app, "users", "deactivate", "Caseworker@Example.org")
    assert result.exit_code == 0, result.output
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert not user_named(user.email).active
    assert not signs_in_to_home(app, user.email, partnership.password, user.name)
    assert user_named(partnership.users[Role.LEAD].email).active


def test_users_deactivate_an_unknown_email_fails_cleanly(app, partnership):
    result = run(app, "users", "deactivate", "nobody@example.org")
    assert refused(result, "No user with the email nobody@example.org"), result.output
    assert db.session.scalar(select(func.count()).where(User.active.is_(False))) == 0


# tokens


def create_token(app, email, name="Case management system", *options):
    result = run(app, "tokens", "create", email, "--name", name, *options)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def token_user(token):
    record = token_for_call(token)
    return record.user if record else None


def test_tokens_create_prints_a_token_that_resolves_to_the_user(app, partnership):
    user = partnership.users[Role.COORDINATOR]
    token = create_token(app, "Coordinator@Example.org")
    assert token.startswith("pt_")
    assert len(token) > 40
    assert token_user(token) is user
    assert token_user(token + "x") is None
    assert create_token(app, user.email) != token


def test_a_token_is_read_only_and_expires_in_ninety_days_unless_asked(app, partnership):
    create_token(app, partnership.users[Role.CASEWORKER].email)
    create_token(
        app, partnership.users[Role.CASEWORKER].email, "Sync", "--scope", "write", "--days", "7"
    )
    read, write = db.session.scalars(select(ApiToken).order_by(ApiToken.id))
    assert read.scope is TokenScope.READ
    assert read.expires_at - read.created_at == timedelta(days=90)
    assert write.scope is TokenScope.WRITE
    assert write.expires_at - write.created_at == timedelta(days=7)


def test_an_expired_token_resolves_to_nobody(app, partnership, clock_at):
    token = create_token(app, partnership.users[Role.CASEWORKER].email, "Sync", "--days", "7")
    clock_at.move_to(clock.now() + timedelta(days=7, seconds=1))
    assert token_user(token) is None


def test_tokens_are_stored_only_as_their_hash(app, partnership):
    token = create_token(app, partnership.users[Role.CASEWORKER].email)
    rows = db.session.execute(select(ApiToken.__table__)).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert rows[0].name == "Case management system"
    for value in rows[0]:
        assert token not in str(value)


def test_tokens_list_shows_every_token_and_whether_it_works(app, partnership):
    create_token(app, partnership.users[Role.CASEWORKER].email, "Case system")
    create_token(app, partnership.users[Role.LEAD].email, "Board pack", "--scope", "write")
    revoke_token(db.session.scalars(select(ApiToken).order_by(ApiToken.id)).first())
    db.session.commit()
    result = run(app, "tokens", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    caseworker = next(line for line in lines if "caseworker@" in line).split("\t")
    assert caseworker[3:5] == ["Case system", "read"]
    assert caseworker[-2:] == ["last used never", "revoked"]
    lead = next(line for line in lines if "lead@" in line).split("\t")
    assert lead[3:5] == ["Board pack", "write"]
    assert lead[-1] == "works"
    only = run(app, "tokens", "list", "--email", "Lead@example.org")
    assert only.stdout.count("\n") == 1


def test_tokens_revoke_ends_a_token_for_good_and_notes_it(app, partnership):
    token = create_token(app, partnership.users[Role.CASEWORKER].email)
    record = db.session.scalar(select(ApiToken))
    result = run(app, "tokens", "revoke", str(record.id))
    assert result.exit_code == 0, result.output
    assert token_user(token) is None
    assert refused(run(app, "tokens", "revoke", str(record.id)), "already revoked")
    assert refused(run(app, "tokens", "revoke", "999"), "No token with the id 999")
    assert run(app, "tokens", "revoke", "99999999999").exit_code == 2
    actions = [event.action for event in db.session.scalars(select(AccountEvent))]
    assert actions.count(AccountAction.TOKEN_REVOKED) == 1


def test_a_revoked_token_resolves_to_nobody(app, partnership):
    token = create_token(app, partnership.users[Role.CASEWORKER].email)
    revoke_token(db.session.scalar(select(ApiToken)))
    db.session.commit()
    assert token_user(token) is None


def test_a_deactivated_users_token_stays_ended_after_reactivation(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    token = create_token(app, user.email)
    assert run(app, "users", "deactivate", user.email).exit_code == 0
    assert token_user(token) is None
    reactivate(user)
    db.session.commit()
    assert user.active
    assert token_user(token) is None


def test_a_temporary_password_ends_every_token(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    tokens = [create_token(app, user.email, name) for name in ("One", "Two")]
    set_temporary_password(user, NEW_PASSWORD)
    db.session.commit()
    assert [token_user(token) for token in tokens] == [None, None]


@pytest.mark.parametrize(
    ("email", "name", "message"),
    [
        ("nobody@example.org", "Integration", "No active user with the email nobody@example.org"),
        ("caseworker@example.org", " ", "Enter what the token is for"),
    ],
)
def test_tokens_create_refuses_mistakes(app, partnership, email, name, message):
    result = run(app, "tokens", "create", email, "--name", name)
    assert refused(result, message), result.output
    assert result.stdout == ""
    assert count(ApiToken) == 0


def test_tokens_create_refuses_a_deactivated_user(app, partnership):
    deactivate(partnership.outsider)
    db.session.commit()
    result = run(app, "tokens", "create", "outsider@example.org", "--name", "Integration")
    assert refused(result, "No active user with the email outsider@example.org"), result.output
    assert count(ApiToken) == 0


# help


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["seed-demo"], "demo login per role"),
        (["neighbourhoods"], "list"),
        (["neighbourhoods", "list"], "ONS codes"),
        (["organisations"], "create"),
        (["organisations", "list"], "neighbourhoods each serves"),
        (["organisations", "create"], "--charity-number"),
        (["users"], "deactivate"),
        (["users", "create"], "--neighbourhood"),
        (["users", "deactivate"], "sign them out everywhere"),
        (["tokens"], "create"),
        (["tokens", "create"], "Create a bearer token"),
    ],
)
def test_every_command_answers_help(app, command, expected):
    result = run(app, *command, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert expected in result.output


def test_the_command_list_names_every_command(app):
    output = run(app, "--help").output
    for command in ("seed-demo", "neighbourhoods", "organisations", "users", "tokens"):
        assert re.search(rf"^\s+{command}\s+\S", output, re.MULTILINE), command


def test_seed_demo_refuses_production_without_its_own_password(app, monkeypatch):
    monkeypatch.setitem(app.config, "PARTNERSHIP_ENV", "production")
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "set DEMO_PASSWORD" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# Drafts left part made


def left_draft(user) -> DraftReferral:
    """A referral someone started making, as the draft pages keep it."""
    draft = DraftReferral(
        user_id=user.id,
        organisation_id=user.organisation_id,
        answers={"new_resident": {"given_name": "Bea", "family_name": "Quennell"}},
    )
    db.session.add(draft)
    db.session.commit()
    return draft


def draft_ids() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(DraftReferral.id)))


def test_drafts_remove_abandoned_removes_drafts_unchanged_for_the_days_kept(
    app, partnership, clock_at
):
    started = clock.now()
    caseworker = partnership.users[Role.CASEWORKER]
    left = left_draft(caseworker)
    clock_at.move_to(started + timedelta(days=20))
    recent = left_draft(partnership.users[Role.COORDINATOR])

    clock_at.move_to(started + timedelta(days=29, hours=23))
    result = run(app, "drafts", "remove-abandoned")
    assert result.exit_code == 0, result.output
    assert result.output == "Removed 0 draft referrals unchanged for 30 days.\n"
    assert draft_ids() == {left.id, recent.id}

    clock_at.move_to(started + timedelta(days=30, minutes=1))
    result = run(app, "drafts", "remove-abandoned")
    assert result.output == "Removed 1 draft referral unchanged for 30 days.\n"
    assert draft_ids() == {recent.id}

    result = run(app, "drafts", "remove-abandoned", "--days", "10")
    assert result.exit_code == 0, result.output
    assert result.output == "Removed 1 draft referral unchanged for 10 days.\n"
    assert draft_ids() == set()


def test_drafts_are_kept_for_draft_keep_days(app, partnership, clock_at, monkeypatch):
    started = clock.now()
    left_draft(partnership.users[Role.CASEWORKER])
    left_draft(partnership.users[Role.CASEWORKER])
    monkeypatch.setitem(app.config, "DRAFT_KEEP_DAYS", 5)
    clock_at.move_to(started + timedelta(days=4))
    assert run(app, "drafts", "remove-abandoned").output.startswith("Removed 0 ")
    clock_at.move_to(started + timedelta(days=6))
    result = run(app, "drafts", "remove-abandoned")
    assert result.output == "Removed 2 draft referrals unchanged for 5 days.\n"
    assert draft_ids() == set()


@pytest.mark.parametrize("days", ["0", "-3", "soon", "1000000", "99999999999999999999"])
def test_drafts_remove_abandoned_refuses_days_out_of_range(app, partnership, days):
    kept = left_draft(partnership.users[Role.CASEWORKER])
    result = run(app, "drafts", "remove-abandoned", "--days", days)
    assert result.exit_code == 2
    assert "--days" in result.output
    assert draft_ids() == {kept.id}


def test_drafts_remove_abandoned_answers_help(app):
    assert "remove-abandoned" in run(app, "drafts", "--help").output
    result = run(app, "drafts", "remove-abandoned", "--help")
    assert result.exit_code == 0
    assert "--days" in result.output and "DRAFT_KEEP_DAYS" in result.output
    assert re.search(r"^\s+drafts\s+\S", run(app, "--help").output, re.MULTILINE)
