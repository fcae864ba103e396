"""Two-step sign-in: the code rules, signing in with a code, setting it up, and who must.

Codes are worked out with pyotp from the secret the database holds, at the pinned clock.
"""

import base64
import hashlib
import json
import os
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import func, select, update

from partnership import clock
from partnership.auth import two_step
from partnership.config import Config, ProductionConfig, TestConfig
from partnership.extensions import db
from partnership.models import (
    AccountAction,
    AccountEvent,
    RecoveryCode,
    Role,
    SignInLockout,
    User,
)
from partnership.models.accounts import SignedInSession
from tests import pinned
from tests.auth.test_sessions import cookie_contents
from tests.auth.test_sign_in import LOCKED, sign_in
from tests.conftest import sign_in_as

WRONG_CODE = "Enter the code your authenticator app shows now"
# Halfway through a 30-second step, so that the clock ticking on during a test stays in it.
MID_STEP = pinned.NOW + timedelta(seconds=15)


def code_for(user, moment=None) -> str:
    """What the person's authenticator app shows at `moment` (default: now)."""
    return pyotp.TOTP(user.two_step_secret).at(moment or clock.now())


def turn_on(user) -> list[str]:
    """Two-step sign-in on for the user, as if they had set it up; their recovery codes."""
    user.two_step_secret = pyotp.random_base32()
    user.two_step_enabled_at = clock.now()
    codes = two_step.new_recovery_codes(user)
    db.session.commit()
    return codes


def reload(user):
    db.session.expire_all()
    return db.session.get(type(user), user.id)


def enter_code(client, code: str, url: str = "/sign-in/code"):
    return client.post_form(url, {"code": code})


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def events(user, action: AccountAction) -> list[AccountEvent]:
    return list(
        db.session.scalars(
            select(AccountEvent).where(
                AccountEvent.user_id == user.id, AccountEvent.action == action
            )
        )
    )


# Who must use it


def test_required_of_admins_where_configured_and_of_everyone_when_the_partnership_says(
    app, partnership, monkeypatch
):
    admin, caseworker = partnership.users[Role.ADMIN], partnership.users[Role.CASEWORKER]
    assert not two_step.required_for(admin)  # the tests' configuration, like the demo's
    monkeypatch.setitem(app.config, "TWO_STEP_FOR_ADMINS", True)
    assert two_step.required_for(admin)
    assert not two_step.required_for(caseworker)
    monkeypatch.setitem(app.config, "PARTNERSHIP_REQUIRE_TWO_STEP", True)
    assert two_step.required_for(caseworker)


def test_production_asks_it_of_admins_always_and_of_everyone_by_default():
    assert Config.TWO_STEP_FOR_ADMINS and ProductionConfig.TWO_STEP_FOR_ADMINS
    assert not TestConfig.TWO_STEP_FOR_ADMINS and not TestConfig.PARTNERSHIP_REQUIRE_TWO_STEP
    if "PARTNERSHIP_REQUIRE_TWO_STEP" not in os.environ:
        assert ProductionConfig.PARTNERSHIP_REQUIRE_TWO_STEP


# The code rules


def test_a_code_works_one_step_either_side_of_now_and_no_further(app, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    clock_at.move_to(MID_STEP)
    assert not two_step.check_code(user, code_for(user, MID_STEP - timedelta(seconds=60)))
    assert not two_step.check_code(user, code_for(user, MID_STEP + timedelta(seconds=60)))
    assert two_step.check_code(user, code_for(user, MID_STEP - timedelta(seconds=30)))
    assert two_step.check_code(user, code_for(user, MID_STEP))
    assert two_step.check_code(user, code_for(user, MID_STEP + timedelta(seconds=30)))


def test_a_code_never_works_twice_nor_one_from_before_the_last_accepted(app, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    clock_at.move_to(MID_STEP)
    now_code = code_for(user, MID_STEP)
    earlier = code_for(user, MID_STEP - timedelta(seconds=30))
    assert two_step.check_code(user, now_code)
    db.session.commit()
    assert not two_step.check_code(reload(user), now_code)
    assert not two_step.check_code(reload(user), earlier)
    step = int(MID_STEP.timestamp()) // 30
    assert reload(user).two_step_last_step == step


def test_two_requests_racing_with_one_code_cannot_both_succeed(app, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    clock_at.move_to(MID_STEP)
    # Another request accepted this step's code just now; this one read the user before.
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(two_step_last_step=int(MID_STEP.timestamp()) // 30)
        .execution_options(synchronize_session=False)
    )
    assert user.two_step_last_step is None
    assert not two_step.check_code(user, code_for(user, MID_STEP))


def test_codes_are_six_digits_spaces_allowed_and_nothing_else(app, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    clock_at.move_to(MID_STEP)
    code = code_for(user)
    arabic_indic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for typed in (arabic_indic, code + "0", code[:5], "", "abcdef"):
        assert not two_step.check_code(user, typed), typed
    assert two_step.check_code(user, f"{code[:3]} {code[3:]}")


def test_recovery_codes_are_ten_kept_only_as_hashes_and_each_works_once(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    codes = turn_on(user)
    assert len(set(codes)) == 10
    stored = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
    assert not any(code in stored for code in codes)

    assert two_step.accept(user, codes[0].upper().replace("-", " "))  # as typed from paper
    db.session.commit()
    assert not two_step.accept(user, codes[0])
    assert two_step.recovery_codes_left(user) == 9
    [used] = db.session.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None)))
    assert used.code_hash == hashlib.sha256(codes[0].replace("-", "").encode()).hexdigest()


def test_another_persons_recovery_code_does_not_work(app, partnership):
    mine, theirs = partnership.users[Role.CASEWORKER], partnership.users[Role.LEAD]
    turn_on(mine)
    their_codes = turn_on(theirs)
    assert not two_step.accept(mine, their_codes[0])


def test_the_qr_code_carries_the_partnership_and_the_email(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    secret = two_step.candidate_secret(user)
    uri = two_step.provisioning_uri(user, secret)
    parsed = urlsplit(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    query = parse_qs(parsed.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == [app.config["PARTNERSHIP_NAME"]]
    assert user.email in parsed.path.replace("%40", "@")
    image = two_step.qr_code_image(uri)
    assert image.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(image.partition(",")[2]).decode()
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg


# Signing in with a code


def test_a_right_password_alone_does_not_sign_in_someone_with_two_step_on(app, client, partnership):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    response = sign_in(client, user.email, partnership.password)
    assert response.headers["Location"] == "/sign-in/code"
    assert not signed_in(client)
    assert db.session.scalar(select(func.count()).select_from(SignedInSession)) == 0
    assert reload(user).last_signed_in_at is None

    page = client.get("/sign-in/code").get_data(as_text=True)
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", page).group(0)
    assert 'autocomplete="one-time-code"' in field and 'inputmode="numeric"' in field

    response = enter_code(client, code_for(user))
    assert response.headers["Location"] == "/"
    assert signed_in(client)
    assert reload(user).last_signed_in_at is not None
    assert db.session.scalar(select(func.count()).select_from(SignedInSession)) == 1


def test_someone_without_two_step_signs_in_with_their_password(client, partnership):
    assert (
        sign_in(client, partnership.users[Role.LEAD].email, partnership.password).headers[
            "Location"
        ]
        == "/"
    )


def test_next_is_kept_through_the_code_and_still_only_on_this_site(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    for asked, lands in (("/inbox", "/inbox"), ("https://evil.example/", "/")):
        client = app.test_client()
        token = client.csrf_token()
        response = client.post(
            f"/sign-in?next={asked}",
            data={"email": user.email, "password": partnership.password, "csrf_token": token},
        )
        code_page = response.headers["Location"]
        assert code_page.startswith("/sign-in/code")
        user.two_step_last_step = None  # a fresh code for each browser
        db.session.commit()
        response = client.post_form(code_page, {"code": code_for(user)})
        assert response.headers["Location"] == lands


def test_a_code_used_to_sign_in_does_not_sign_in_again(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    first, second = app.test_client(), app.test_client()
    sign_in(first, user.email, partnership.password)
    sign_in(second, user.email, partnership.password)
    code = code_for(user)
    assert enter_code(first, code).status_code == 302
    page = enter_code(second, code).get_data(as_text=True)
    assert WRONG_CODE in page
    assert not signed_in(second)


def test_a_recovery_code_signs_in_once(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    codes = turn_on(user)
    client = app.test_client()
    sign_in(client, user.email, partnership.password)
    response = enter_code(client, codes[3], "/sign-in/recovery-code")
    assert response.headers["Location"] == "/"
    assert signed_in(client)

    again = app.test_client()
    sign_in(again, user.email, partnership.password)
    page = enter_code(again, codes[3], "/sign-in/recovery-code").get_data(as_text=True)
    assert "Enter a recovery code you have not used before" in page
    assert not signed_in(again)


def test_the_code_page_asks_for_six_digits_without_counting_a_slip(client, partnership):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    sign_in(client, user.email, partnership.password)
    page = enter_code(client, "12345").get_data(as_text=True)
    assert "Enter the 6-digit code from your authenticator app" in page
    assert db.session.get(SignInLockout, user.email) is None


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, client, partnership):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    sign_in(client, user.email, "wrong password!")
    sign_in(client, user.email, "wrong password!")
    # A right password leads to the code, but the failures so far still count.
    sign_in(client, user.email, partnership.password)
    for _ in range(2):
        assert WRONG_CODE in enter_code(client, "000000").get_data(as_text=True)
    response = enter_code(client, "000000")  # the fifth failure
    assert response.headers["Location"] == "/sign-in"
    assert LOCKED in client.get("/sign-in").get_data(as_text=True)
    # Locked: the password is refused, and so is the right code in a session left pending.
    assert LOCKED in sign_in(client, user.email, partnership.password).get_data(as_text=True)
    other = app.test_client()
    with other.session_transaction() as session:
        session["two_step_pending"] = [user.id, int(clock.now().timestamp())]
    assert enter_code(other, code_for(user)).headers["Location"] == "/sign-in"
    assert not signed_in(other)


def test_a_right_code_clears_the_failures(client, partnership):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    sign_in(client, user.email, partnership.password)
    enter_code(client, "000000")
    assert db.session.get(SignInLockout, user.email).failed_attempts == 1
    enter_code(client, code_for(user))
    db.session.expire_all()
    assert db.session.get(SignInLockout, user.email) is None


def test_the_code_must_come_within_5_minutes_of_the_password(app, client, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    sign_in(client, user.email, partnership.password)
    clock_at.move_to(clock.now() + timedelta(minutes=4, seconds=50))
    token = client.csrf_token("/sign-in/code")  # the code page, still open
    clock_at.move_to(clock.now() + timedelta(seconds=20))
    response = client.post("/sign-in/code", data={"code": code_for(user), "csrf_token": token})
    assert response.headers["Location"] == "/sign-in"
    page = client.get("/sign-in").get_data(as_text=True)
    assert "You took more than 5 minutes to enter the code. Sign in again." in page
    assert not signed_in(client)
    assert "two_step_pending" not in cookie_contents(app, client)


def test_the_code_page_without_a_password_first_sends_people_to_sign_in(client, partnership):
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"
    assert client.get("/sign-in/recovery-code").headers["Location"] == "/sign-in"


def test_codes_and_passwords_share_the_sign_in_rate_limit(app, client, partnership, monkeypatch):
    from partnership.extensions import limiter

    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    monkeypatch.setitem(app.config, "RATELIMIT_SIGN_IN", "3 per minute")
    limiter.reset()
    try:
        statuses = [sign_in(client, user.email, partnership.password).status_code]
        statuses += [enter_code(client, "000000").status_code for _ in range(3)]
    finally:
        limiter.reset()
    assert statuses == [302, 200, 200, 429]


def test_a_deactivated_person_waiting_for_their_code_gets_nowhere(client, partnership):
    from partnership.admin.people import deactivate

    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    sign_in(client, user.email, partnership.password)
    deactivate(user)
    db.session.commit()
    assert enter_code(client, code_for(user)).headers["Location"] == "/sign-in"
    assert not signed_in(client)


# The session cookie


def test_no_secret_or_code_ever_reaches_the_session_cookie(app, client, partnership):
    user = partnership.users[Role.CASEWORKER]
    sign_in_as(client, user)
    page = client.get("/account/two-step/set-up").get_data(as_text=True)
    secret = reload(user).two_step_secret
    assert two_step.secret_in_groups(secret) in page
    seen = [json.dumps(cookie_contents(app, client))]
    code = code_for(user)
    page = client.post_form("/account/two-step/set-up", {"code": code}).get_data(as_text=True)
    recovery = re.findall(r"<li>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</li>", page)
    assert len(recovery) == 10
    seen.append(json.dumps(cookie_contents(app, client)))

    client.post_form("/sign-out", form_page="/")
    sign_in(client, user.email, partnership.password)
    pending = cookie_contents(app, client)
    assert pending["two_step_pending"] == [user.id, pending["two_step_pending"][1]]
    assert set(pending) <= {"two_step_pending", "csrf_token", "_flashes", "_fresh"}
    seen.append(json.dumps(pending))
    enter_code(client, recovery[0], "/sign-in/recovery-code")
    assert signed_in(client)
    seen.append(json.dumps(cookie_contents(app, client)))

    for contents in seen:
        for secret_thing in (secret, code, *recovery, user.email):
            assert secret_thing not in contents


# Setting it up


def test_setting_up_keeps_the_new_secret_on_the_server_until_a_code_confirms_it(
    client, partnership
):
    user = partnership.users[Role.CASEWORKER]
    sign_in_as(client, user)
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "Two-step sign-in is off" in page
    page = client.get("/account/two-step/set-up").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page
    user = reload(user)
    secret = user.two_step_secret
    assert secret and user.two_step_enabled_at is None and not two_step.is_on(user)
    # Seen again, the page shows the same secret: the app may already have it.
    client.get("/account/two-step/set-up")
    assert reload(user).two_step_secret == secret

    page = client.post_form("/account/two-step/set-up", {"code": "000000"}).get_data(as_text=True)
    assert WRONG_CODE in page
    assert not two_step.is_on(reload(user))

    page = client.post_form("/account/two-step/set-up", {"code": code_for(user)}).get_data(
        as_text=True
    )
    assert "Your recovery codes" in page
    user = reload(user)
    assert two_step.is_on(user) and user.two_step_secret == secret
    assert two_step.recovery_codes_left(user) == 10
    [event] = events(user, AccountAction.TWO_STEP_ON)
    assert event.by_user_id == user.id
    assert "On since" in client.get("/account/two-step").get_data(as_text=True)


def test_set_up_sign_in_then_asks_for_the_code(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    client = sign_in_as(app.test_client(), user)
    client.get("/account/two-step/set-up")
    client.post_form("/account/two-step/set-up", {"code": code_for(reload(user))})
    fresh = app.test_client()
    assert sign_in(fresh, user.email, partnership.password).headers["Location"] == "/sign-in/code"


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(client, partnership):
    user = partnership.users[Role.CASEWORKER]
    old = turn_on(user)
    sign_in_as(client, user)
    url = "/account/two-step/recovery-codes"
    assert WRONG_CODE in client.post_form(url, {"code": "000000"}).get_data(as_text=True)
    assert db.session.get(SignInLockout, user.email).failed_attempts == 1
    page = client.post_form(url, {"code": code_for(user)}).get_data(as_text=True)
    new = re.findall(r"<li>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    user = reload(user)
    assert not two_step.accept(user, old[0])
    assert two_step.accept(user, new[0])
    assert len(events(user, AccountAction.RECOVERY_CODES)) == 1


def test_turning_off_needs_a_code_and_is_refused_when_required(
    app, client, partnership, monkeypatch
):
    user = partnership.users[Role.ADMIN]
    turn_on(user)
    sign_in_as(client, user)
    monkeypatch.setitem(app.config, "TWO_STEP_FOR_ADMINS", True)
    assert "Turn off" not in client.get("/account/two-step").get_data(as_text=True)
    response = client.post_form(
        "/account/two-step/turn-off", {"code": code_for(user)}, form_page="/account/two-step"
    )
    assert response.headers["Location"] == "/account/two-step"
    assert two_step.is_on(reload(user))

    monkeypatch.setitem(app.config, "TWO_STEP_FOR_ADMINS", False)
    url = "/account/two-step/turn-off"
    assert WRONG_CODE in client.post_form(url, {"code": "000000"}).get_data(as_text=True)
    response = client.post_form(url, {"code": code_for(user)})
    assert response.headers["Location"] == "/account/two-step"
    user = reload(user)
    assert not two_step.is_on(user) and user.two_step_secret is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    [event] = events(user, AccountAction.TWO_STEP_RESET)
    assert event.by_user_id == user.id and event.detail == "Turned off"


def test_codes_asked_of_someone_signed_in_are_refused_while_they_are_locked_out(
    client, partnership
):
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    sign_in_as(client, user)
    for _ in range(5):
        client.post_form("/account/two-step/turn-off", {"code": "000000"})
    page = client.post_form("/account/two-step/turn-off", {"code": code_for(user)}).get_data(
        as_text=True
    )
    assert LOCKED in page
    assert two_step.is_on(reload(user))


# Who must set it up first


def test_an_admin_who_must_use_it_does_nothing_else_until_it_is_set_up(
    app, client, partnership, monkeypatch
):
    monkeypatch.setitem(app.config, "TWO_STEP_FOR_ADMINS", True)
    admin = partnership.users[Role.ADMIN]
    assert sign_in(client, admin.email, partnership.password).headers["Location"] == "/"
    for path in ("/", "/admin/users", "/admin/access-log", "/live", "/directory"):
        assert client.get(path).headers["Location"] == "/account/two-step", path
    assert client.get("/cookies").status_code == 200  # pages every service has stay open
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "You must use two-step sign-in" in page
    assert "sse-connect" not in page  # no live stream it could not open
    assert "/admin/users" not in page  # no navigation to pages they cannot reach yet
    assert client.get("/account/two-step/set-up").status_code == 200

    client.post_form("/account/two-step/set-up", {"code": code_for(reload(admin))})
    assert client.get("/admin/users").status_code == 200


def test_everyone_must_set_it_up_when_the_partnership_requires_it(
    app, client, partnership, monkeypatch
):
    monkeypatch.setitem(app.config, "PARTNERSHIP_REQUIRE_TWO_STEP", True)
    sign_in(client, partnership.users[Role.LEAD].email, partnership.password)
    assert client.get("/").headers["Location"] == "/account/two-step"
    assert (
        client.post_form("/sign-out", form_page="/account/two-step").headers["Location"]
        == "/sign-in"
    )


def test_a_temporary_password_comes_first_then_two_step(app, client, partnership, monkeypatch):
    from partnership.admin.people import set_temporary_password

    monkeypatch.setitem(app.config, "PARTNERSHIP_REQUIRE_TWO_STEP", True)
    user = partnership.users[Role.LEAD]
    set_temporary_password(user, "temporary password 1")
    db.session.commit()
    sign_in(client, user.email, "temporary password 1")
    assert client.get("/").headers["Location"] == "/change-password"
    assert client.get("/account/two-step").headers["Location"] == "/change-password"
    client.post_form(
        "/change-password",
        {
            "current": "temporary password 1",
            "password": "a new long password",
            "confirm": "a new long password",
        },
    )
    assert client.get("/").headers["Location"] == "/account/two-step"


# Nobody reaches anyone else's


@pytest.mark.parametrize(
    "path",
    [
        "/account/two-step",
        "/account/two-step/set-up",
        "/account/two-step/recovery-codes",
        "/account/two-step/turn-off",
    ],
)
def test_the_pages_are_for_people_signed_in_and_only_about_themselves(
    app, client, partnership, path
):
    assert client.get(path).headers["Location"].startswith("/sign-in?next=")
    # Half signed in (a right password, no code yet) is not signed in.
    user = partnership.users[Role.CASEWORKER]
    turn_on(user)
    sign_in(client, user.email, partnership.password)
    assert client.get(path).headers["Location"].startswith("/sign-in?next=")
    # No address names a person: each page is about whoever is signed in.
    rules = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/account/two-step")]
    assert rules and not any("<" in rule for rule in rules)


def test_someone_setting_it_up_sees_only_their_own_secret(app, partnership):
    mine, theirs = partnership.users[Role.CASEWORKER], partnership.outsider
    sign_in_as(app.test_client(), theirs).get("/account/two-step/set-up")
    their_secret = reload(theirs).two_step_secret
    page = (
        sign_in_as(app.test_client(), mine).get("/account/two-step/set-up").get_data(as_text=True)
    )
    assert two_step.secret_in_groups(their_secret) not in page
    assert two_step.secret_in_groups(reload(mine).two_step_secret) in page


# The demo


def test_seed_demo_gives_the_printed_logins_back_their_password_alone(app):
    from tests.test_cli import demo_logins, run, signs_in_to_home, user_named

    password, logins = demo_logins(run(app, "seed-demo", "--without-referrals").output)
    email, name = logins["admin"]
    turn_on(user_named(email))
    assert not signs_in_to_home(app, email, password, name, "admin")
    run(app, "seed-demo", "--without-referrals")
    assert signs_in_to_home(app, email, password, name, "admin")
