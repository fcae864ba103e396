"""The pages people use, in a real browser: sign-in, accessibility, CSP and the look.

axe-core (from axe-playwright-python, loaded by the `page` fixture) checks WCAG 2.2 AA;
each page must also run GOV.UK Frontend's JavaScript with no console error, no uncaught
exception and no Content-Security-Policy violation.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from partnership.config import Config
from partnership.sample.demo.partners import DEMO_USERS
from tests.browser.conftest import sign_in, submit

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
DEMO_LOGINS = {user.role.value: user for user in DEMO_USERS if user.shown_at_start}
ADMIN = DEMO_LOGINS["admin"]
# Set BROWSER_SCREENSHOTS to a folder to keep screenshots of the main pages to look at.
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS")


def violations_report(violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
    return "\n".join(lines)


def assert_page_is_sound(page, *, expected_errors: tuple[str, ...] = ()) -> None:
    """No accessibility violation, console error or CSP violation; GOV.UK Frontend started."""
    violations = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)["violations"]
    if violations:
        pytest.fail(f"{page.url}\n{violations_report(violations)}", pytrace=False)
    assert page.evaluate("window.__cspViolations") == [], page.url
    problems = [p for p in page.problems if not any(e in p for e in expected_errors)]
    assert problems == [], page.url
    classes = page.locator("body").get_attribute("class").split()
    assert "govuk-frontend-supported" in classes, f"GOV.UK Frontend did not start on {page.url}"
    # Each component that GOV.UK or MOJ Frontend's initAll() starts marks itself started.
    not_started = page.locator("[data-module]").evaluate_all(
        "nodes => nodes.filter(n => !n.hasAttribute(`data-${n.dataset.module}-init`))"
        ".map(n => n.dataset.module)"
    )
    assert not_started == [], f"components not started on {page.url}"


def assert_error_links_lead_to_fields(page) -> None:
    """Each link in the error summary moves to a field on the page."""
    targets = page.locator(".govuk-error-summary a").evaluate_all(
        "links => links.map(link => [link.hash, !!document.querySelector(link.hash)])"
    )
    assert targets, "the error summary lists no errors"
    assert [hash for hash, found in targets if not found] == []


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(SCREENSHOTS) / f"{name}.png", full_page=True)


@pytest.fixture(scope="session")
def admin_session(browser, live_server) -> dict:
    """The cookies of one admin sign-in, so admin pages need not sign in each time."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    sign_in(page, ADMIN.email)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def admin_page(admin_session, page):
    """A fresh page, signed in as the demo admin."""
    page.context.add_cookies(admin_session["cookies"])
    return page


@pytest.mark.parametrize("role", list(DEMO_LOGINS))
def test_each_role_signs_in_to_an_accessible_home_page(page, role):
    user = DEMO_LOGINS[role]
    sign_in(page, user.email)
    assert page.url.endswith("/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Hello, {user.name}"
    navigation = page.get_by_role("navigation", name="Main")
    home = navigation.get_by_role("link", name="Home")
    assert home.get_attribute("aria-current") == "page"
    assert navigation.get_by_role("button", name="Sign out").is_visible()
    assert f"{user.name}, {user.organisation}" in navigation.inner_text()
    if role == "admin":
        for area in ("Neighbourhoods", "Organisations", "Users", "Needs"):
            assert navigation.get_by_role("link", name=area).is_visible()
        screenshot(page, "admin-home")
    assert_page_is_sound(page)


def test_sign_in_page_is_accessible(page):
    page.goto("/")
    assert page.url.endswith("/sign-in")
    # GOV.UK Frontend's password input shows its "Show" button only once its JavaScript runs.
    assert page.get_by_role("button", name="Show password").is_visible()
    screenshot(page, "sign-in")
    assert_page_is_sound(page)


def test_sign_in_error_summary_is_accessible_and_takes_focus(page):
    sign_in(page, "nobody@demo.example", "not the password")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "Enter a correct email address and password" in summary.inner_text()
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    assert_error_links_lead_to_fields(page)
    screenshot(page, "sign-in-error")
    assert_page_is_sound(page)


@pytest.mark.parametrize(
    "path, heading",
    [
        ("/admin/neighbourhoods", "Neighbourhoods"),
        ("/admin/organisations", "Member organisations"),
        ("/admin/users", "Users"),
        ("/admin/users/new", "Add a user"),
        ("/admin/needs", "Need categories"),
    ],
)
def test_admin_pages_are_accessible(admin_page, path, heading):
    admin_page.goto(path)
    assert admin_page.get_by_role("heading", level=1).inner_text() == heading
    assert_page_is_sound(admin_page)


def test_new_user_form_with_errors_is_accessible(admin_page):
    admin_page.goto("/admin/users/new")
    submit(admin_page, "Create user")
    summary = admin_page.locator(".govuk-error-summary")
    assert summary.is_visible()
    expect(summary).to_be_focused()
    assert admin_page.title().startswith("Error: ")
    assert_error_links_lead_to_fields(admin_page)
    screenshot(admin_page, "new-user-errors")
    assert_page_is_sound(admin_page)


@pytest.mark.parametrize("path", ["/accessibility", "/cookies"])
def test_pages_every_service_has_are_accessible(page, path):
    page.goto(path)
    assert_page_is_sound(page)


def test_not_found_page_is_accessible(page):
    response = page.goto("/no-such-page")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    # Chromium reports the 404 of the page itself as a console error: that one is expected.
    assert_page_is_sound(page, expected_errors=(f"status of 404 (NOT FOUND) ({page.url})",))


def test_header_names_the_partnership_in_a_non_gds_font(page):
    page.goto("/sign-in")
    header = page.locator(".govuk-generic-header")
    assert header.get_by_role("link").inner_text() == Config.PARTNERSHIP_NAME
    assert page.locator(".govuk-header__logotype, .govuk-logo").count() == 0  # no crown
    for selector in ("body", "h1", ".govuk-button", ".govuk-generic-header"):
        font = page.locator(selector).first.evaluate("e => getComputedStyle(e).fontFamily")
        assert "GDS Transport" not in font, f"{selector} uses {font}"


@pytest.mark.parametrize("path", ["/admin/users/new", "/admin/organisations/new"])
def test_every_group_of_radios_or_checkboxes_has_a_legend(admin_page, path):
    """axe accepts a fieldset without a legend; people using screen readers do not.

    A `fieldset` passed to a govuk-frontend-wtf widget replaces the widget's own, legend
    text and all: the template must give the text again.
    """
    admin_page.goto(path)
    legends = admin_page.locator("fieldset").evaluate_all(
        "sets => sets.map(set => set.querySelector('legend')?.innerText.trim() ?? '')"
    )
    assert legends, f"no fieldset on {path}"
    assert "" not in legends, f"a fieldset on {path} has no legend: {legends}"
