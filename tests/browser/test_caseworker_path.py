"""The caseworker's path in a browser: refer from the directory with the service filled in,
check the answers and change them through their Change links, search the boxes and
correct a resident; every new page accessible.
"""

import re

from sqlalchemy import select

from partnership.extensions import db
from partnership.models import CapacityStatus, NeedCategory, Referral, Resident, Service, User
from tests.browser.conftest import sign_in, submit
from tests.browser.test_pages import assert_page_is_sound, screenshot

CASEWORKER = "caseworker@demo.example"


def _choices(live_server) -> dict:
    """A food service that takes anyone, and a resident the caseworker's organisation
    recorded and has no open referral to it."""
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == CASEWORKER))
        food = db.session.scalar(select(NeedCategory).where(NeedCategory.slug == "food"))
        services = db.session.scalars(
            select(Service)
            .where(
                Service.needs.contains(food),
                Service.min_age.is_(None),
                Service.max_age.is_(None),
                Service.capacity_status != CapacityStatus.CLOSED,
            )
            .order_by(Service.id)
        ).all()
        service = services[0]
        resident = db.session.scalar(
            select(Resident)
            .where(
                Resident.created_by_organisation_id == user.organisation_id,
                ~Resident.id.in_(select(Referral.resident_id)),
            )
            .order_by(Resident.id)
        )
        found = {
            "service": service.name,
            "service_id": service.id,
            "need": food.id,
            "resident": resident.id,
            "name": resident.full_name,
            "family": resident.family_name,
            "born": resident.date_of_birth,
        }
        db.session.remove()
        return found


def test_refer_from_the_directory_then_change_answers_from_check_answers(page, live_server):
    chosen = _choices(live_server)
    sign_in(page, CASEWORKER)
    page.goto(f"/directory?need={chosen['need']}&words={chosen['service']}")
    assert_page_is_sound(page)
    refer = page.locator(f'a[href*="?service={chosen["service_id"]}&"]').first
    assert refer.inner_text().startswith("Refer to this service")
    with page.expect_navigation():
        refer.click()

    # The service and need are filled in: only the resident is asked for.
    assert page.url.endswith("/referrals/new/resident")
    page.get_by_text(f"You are referring them to {chosen['service']}").wait_for()
    assert "/directory" in page.get_by_role("link", name="Back").get_attribute("href")
    assert_page_is_sound(page)
    page.get_by_label("Search by name, NHS number or postcode").fill(chosen["family"])
    submit(page, "Search")
    submit(page, f"Choose {chosen['name']}")

    assert page.url.endswith("/referrals/new/consent")
    page.get_by_role("radio", name="The resident", exact=True).check()
    page.get_by_label("What does the consent cover?").fill("Sharing their details with the service")
    page.get_by_label("I confirm the resident").check()
    submit(page, "Continue")

    assert page.url.endswith("/referrals/new/details")
    page.get_by_role("radio", name="Routine", exact=True).check()
    page.get_by_label("Why are you referring them?").fill("Short of food until payday")
    page.get_by_label("Phone number (optional)").fill("abc")
    page.get_by_label("Email address (optional)").fill("")
    page.get_by_role("radio", name="Email", exact=True).check()
    page.get_by_label("What language do they prefer?").fill("English")
    page.locator("input[name=interpreter_needed][value=no]").check()
    submit(page, "Continue")
    # Both contact mistakes are named at once, each on its own field.
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter a UK phone number" in summary
    assert_page_is_sound(page)
    page.get_by_label("Phone number (optional)").fill("0113 496 0555")
    submit(page, "Continue")
    assert (
        "Enter an email address, or choose another way"
        in page.locator(".govuk-error-summary").inner_text()
    )
    page.get_by_label("Email address (optional)").fill("resident@email.example")
    submit(page, "Continue")

    assert page.url.endswith("/referrals/new/check")
    main = page.locator("main")
    for shown in (chosen["service"], "0113 496 0555", "resident@email.example"):
        assert shown in main.inner_text(), shown
    assert_page_is_sound(page)
    screenshot(page, "check-answers")

    # Every answer has its Change link, date of birth, NHS number and postcode included.
    for what in ("date of birth", "NHS number", "postcode", "phone", "email", "need", "service"):
        assert page.get_by_role("link", name=f"Change {what}", exact=True).count() == 1, what

    # Date of birth: corrected on their record, then back to check answers.
    with page.expect_navigation():
        page.get_by_role("link", name="Change date of birth", exact=True).click()
    assert_page_is_sound(page)
    born = chosen["born"]
    page.get_by_label("Day").fill(str(born.day))
    page.get_by_label("Month").fill(str(born.month))
    page.get_by_label("Year").fill(str(born.year - 1))
    submit(page, "Save")
    assert page.url.endswith("/referrals/new/check")
    assert f"{born.day} {born.strftime('%B')} {born.year - 1}" in main.inner_text()

    # NHS number: a mistyped one is refused, then the page goes back without a change.
    with page.expect_navigation():
        page.get_by_role("link", name="Change NHS number", exact=True).click()
    page.get_by_label("What is their NHS number? (optional)").fill("943 476 5918")
    submit(page, "Save")
    assert "not a valid NHS number" in page.locator(".govuk-error-summary").inner_text()
    assert_page_is_sound(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Back").click()
    assert page.url.endswith("/referrals/new/check")

    # Postcode: corrected, back to check answers.
    with page.expect_navigation():
        page.get_by_role("link", name="Change postcode", exact=True).click()
    page.get_by_label("Postcode (optional)").fill("nv1 1aa")
    submit(page, "Save")
    assert page.url.endswith("/referrals/new/check")
    assert "NV1 1AA" in main.inner_text()

    # Phone: the details page, then straight back to check answers.
    with page.expect_navigation():
        page.get_by_role("link", name="Change phone", exact=True).click()
    assert page.url.endswith("/referrals/new/details?change=1")
    page.get_by_label("Phone number (optional)").fill("+44 113 496 0556")
    submit(page, "Continue")
    assert page.url.endswith("/referrals/new/check")
    assert "0113 496 0556" in main.inner_text()

    submit(page, "Send referral")
    assert "/referrals/new/sent/" in page.url
    assert_page_is_sound(page)
    # Put their date of birth back for the other tests on the demo partnership.
    with live_server.app.app_context():
        db.session.get(Resident, chosen["resident"]).date_of_birth = born
        db.session.commit()
        db.session.remove()


def test_box_search_and_the_resident_s_record_are_accessible(page, live_server):
    sign_in(page, CASEWORKER)
    page.goto("/outbox")
    reference = page.locator("#outbox-referrals tbody a.govuk-link").first.inner_text()
    page.get_by_label("Search by reference, or the resident's name or NHS number").fill(
        reference[-6:]
    )
    submit(page, "Search")
    assert page.locator("#outbox-referrals tbody tr").count() == 1
    assert page.locator("#outbox-referrals th", has_text="Resident").count() == 1
    assert_page_is_sound(page)
    screenshot(page, "outbox-search")

    # The referral's back link returns to this very search.
    with page.expect_navigation():
        page.get_by_role("link", name=reference).click()
    assert re.search(r"back=/outbox\?q", page.url.replace("%3F", "?").replace("%3D", "="))
    with page.expect_navigation():
        page.get_by_role("link", name="Correct their details, or see their other referrals").click()
    assert_page_is_sound(page)
    screenshot(page, "resident")
    with page.expect_navigation():
        page.get_by_role("link", name="Change phone", exact=True).click()
    assert_page_is_sound(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Back").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Back").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Back").click()
    assert "/outbox" in page.url and "q=" in page.url
    assert (
        page.get_by_label("Search by reference, or the resident's name or NHS number").input_value()
        == reference[-6:]
    )

    page.goto("/inbox?q=zzzz-no-one")
    assert_page_is_sound(page)
    page.goto("/inbox?q=" + "a" * 101)
    assert_page_is_sound(page)
