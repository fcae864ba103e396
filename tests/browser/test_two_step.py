"""Setting up two-step sign-in and signing in with a code, in a real browser, checked by axe."""

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import delete, select

from partnership import clock
from partnership.auth.passwords import hash_password
from partnership.extensions import db
from partnership.models import Organisation, Role, User
from partnership.sample.demo.partners import demo_password
from tests.browser.conftest import sign_in, submit
from tests.browser.test_pages import (
    assert_error_links_lead_to_fields,
    assert_page_is_sound,
    screenshot,
)

EMAIL = "two.step@demo.example"


@pytest.fixture
def person(live_server):
    """A login of its own, so the demo logins other tests use keep their password alone."""
    with live_server.app.app_context():
        organisation = db.session.scalar(select(Organisation).order_by(Organisation.id))
        db.session.add(
            User(
                email=EMAIL,
                name="Tess Twostep",
                organisation=organisation,
                role=Role.CASEWORKER,
                password_hash=hash_password(demo_password()),
            )
        )
        db.session.commit()
        db.session.remove()
    yield EMAIL
    with live_server.app.app_context():
        db.session.execute(delete(User).where(User.email == EMAIL))
        db.session.commit()
        db.session.remove()


def test_setting_up_two_step_sign_in_and_signing_in_with_a_code(page, person):
    sign_in(page, person)
    page.goto("/account/two-step")
    assert_page_is_sound(page)
    page.get_by_role("button", name="Set up two-step sign-in").click()
    page.wait_for_url("**/account/two-step/set-up")
    qr_code = page.get_by_role("img", name="QR code for your authenticator app")
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0")
    screenshot(page, "two-step-set-up")
    assert_page_is_sound(page)

    secret = page.locator("#two-step-key").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)
    code = page.get_by_label("Code from your authenticator app")
    assert code.get_attribute("autocomplete") == "one-time-code"
    assert code.get_attribute("inputmode") == "numeric"
    code.fill(app.at(clock.now()))
    submit(page, "Turn on two-step sign-in")
    assert page.get_by_role("heading", level=1).inner_text() == "Your recovery codes"
    assert page.locator("#recovery-codes li").count() == 10
    screenshot(page, "two-step-recovery-codes")
    assert_page_is_sound(page)

    submit(page, "Sign out")
    sign_in(page, person)
    assert page.url.endswith("/sign-in/code")
    assert_page_is_sound(page)
    page.get_by_label("Code from your authenticator app").fill("000000")
    submit(page, "Continue")
    assert page.title().startswith("Error: ")
    assert_error_links_lead_to_fields(page)
    screenshot(page, "two-step-code-error")
    assert_page_is_sound(page)

    page.get_by_role("link", name="Use a recovery code instead").click()
    page.wait_for_url("**/sign-in/recovery-code")
    assert_page_is_sound(page)
    page.get_by_role("link", name="Back").click()
    page.wait_for_url("**/sign-in/code")

    # The code of the step after the one that turned it on: each code works only once.
    page.get_by_label("Code from your authenticator app").fill(
        app.at(clock.now() + timedelta(seconds=30))
    )
    submit(page, "Continue")
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Tess Twostep"
