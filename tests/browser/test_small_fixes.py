"""The smaller things people noticed, each seen in a real browser: the inbox filter open on
a desktop, focus after posting capacity in place, every form error at once, chart labels
whole, status tags on one line, and a bad age in the directory as a form error."""

from playwright.sync_api import expect
from sqlalchemy import select

from partnership.extensions import db
from partnership.models import Service, User
from tests.browser.conftest import sign_in, submit
from tests.browser.test_pages import assert_error_links_lead_to_fields, assert_page_is_sound

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}


def test_the_inbox_filter_starts_open_on_a_desktop_and_folded_on_a_phone(page):
    sign_in(page, "coordinator@demo.example")
    page.set_viewport_size(DESKTOP)
    page.goto("/inbox")
    expect(page.get_by_label("Need")).to_be_visible()
    toggle = page.get_by_role("button", name="Hide filter")
    expect(toggle).to_have_attribute("aria-expanded", "true")

    page.set_viewport_size(PHONE)
    page.goto("/inbox")
    expect(page.get_by_label("Need")).to_be_hidden()
    page.get_by_role("button", name="Show filter").click()
    expect(page.get_by_label("Need")).to_be_visible()
    assert_page_is_sound(page)


def _home_service(live_server) -> tuple[int, str]:
    """The first service in the demo coordinator's table on their home page."""
    with live_server.app.app_context():
        coordinator = db.session.scalar(
            select(User).where(User.email == "coordinator@demo.example")
        )
        service = db.session.scalar(
            select(Service)
            .where(Service.organisation_id == coordinator.organisation_id)
            .order_by(Service.name)
        )
        found = service.id, service.name
        db.session.remove()
    return found


def test_after_posting_capacity_in_place_focus_moves_to_the_errors_or_the_result(page, live_server):
    service_id, name = _home_service(live_server)
    sign_in(page, "coordinator@demo.example")
    page.goto("/")
    row = page.locator(f"#service-row-{service_id}")

    row.locator(f"#status-{service_id}").select_option("limited")
    row.locator(f"#places-{service_id}").fill("lots")
    row.get_by_role("button", name=f"Post for {name}").click()

    summary = page.locator(f"#service-row-{service_id} .govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(f"There is a problem with the capacity for {name}")
    expect(summary).to_contain_text("Enter places as a whole number, like 3")
    assert page.url.endswith("/")  # in place: no page load
    assert_error_links_lead_to_fields(page)
    summary.get_by_role("link", name="Enter places as a whole number, like 3").click()
    expect(page.locator(f"#places-{service_id}")).to_be_focused()

    page.locator(f"#places-{service_id}").fill("6")
    page.get_by_role("button", name=f"Post for {name}").click()

    result = page.locator(f"#service-row-{service_id} [role=status]")
    expect(result).to_have_text("Posted: Limited, 6 places")
    expect(result).to_be_focused()
    expect(page.locator(f"#service-row-{service_id} .govuk-error-summary")).to_have_count(0)
    assert_page_is_sound(page)


def test_add_a_user_shows_every_error_at_once(page):
    sign_in(page, "admin@demo.example")
    page.goto("/admin/users/new")
    page.get_by_label("Email address").fill("caseworker@demo.example")  # already in use
    page.get_by_label("Lead", exact=True).check()  # with no neighbourhood
    submit(page, "Create user")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    for message in (
        "Enter the user's full name",
        "There is already a user with this email address",
        "Select the user's organisation",
        "Select at least one neighbourhood for a lead",
        "Enter a temporary password",
    ):
        expect(summary).to_contain_text(message)
    assert_error_links_lead_to_fields(page)
    assert_page_is_sound(page)


# Every text of a chart within its drawing, and none cut short with an ellipsis.
TEXT_OUTSIDE_ITS_CHART = """() => [...document.querySelectorAll("svg.app-chart")].flatMap(svg => {
  const width = svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll("text")]
    .filter(text => {
      const box = text.getBBox();
      return box.x < -0.5 || box.x + box.width > width + 0.5 || text.textContent.includes("…");
    })
    .map(text => `${svg.getAttribute("aria-labelledby")}: ${text.textContent}`);
})"""


def test_chart_labels_are_whole(page):
    """A label was cut to 20 characters and clipped at the left: "oluntary and commu…"."""
    sign_in(page, "lead@demo.example")
    for size in (DESKTOP, {"width": 320, "height": 800}):
        page.set_viewport_size(size)
        page.goto("/dashboards")
        page.get_by_role("link", name="Ashbrook").first.click()
        page.wait_for_url("**/neighbourhoods/*/dashboard**")
        assert page.locator("svg.app-chart").count() >= 5
        sector = page.locator("svg[aria-labelledby^=chart-receiving-sector]")
        label = sector.locator("text", has=page.locator("tspan")).first
        lines = label.locator("tspan").all_text_contents()
        assert " ".join(lines) == "Voluntary, community and social enterprise"
        assert page.evaluate(TEXT_OUTSIDE_ITS_CHART) == []


# Tags in tables that take more than one line.
WRAPPED_TAGS = """() => [...document.querySelectorAll(".govuk-table .govuk-tag")].filter(tag => {
  const style = getComputedStyle(tag);
  const oneLine = parseFloat(style.lineHeight) + parseFloat(style.paddingTop)
    + parseFloat(style.paddingBottom) + parseFloat(style.borderTopWidth) * 2;
  return tag.getBoundingClientRect().height > oneLine + 1;
}).map(tag => tag.textContent.trim())"""


def test_status_tags_in_tables_stay_on_one_line(page):
    """ "Waiting for a reply" broke over two lines at GOV.UK's 160px, even on a desktop."""
    sign_in(page, "caseworker@demo.example")
    page.set_viewport_size(DESKTOP)
    for path in ("/outbox", "/outbox?tab=all"):
        page.goto(path)
        assert page.get_by_role("cell", name="Waiting for a reply").count() > 0, path
        assert page.evaluate(WRAPPED_TAGS) == [], path


def test_a_bad_age_in_the_directory_is_a_form_error_with_javascript_on(page):
    sign_in(page, "caseworker@demo.example")
    page.goto("/directory")
    expect(page.locator("#live-status")).to_have_text("Live updates: on", timeout=5_000)
    page.get_by_label("Resident's age").fill("seventy")
    page.get_by_role("button", name="Apply filters").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the resident's age as a whole number, like 70")
    expect(page.locator("#age-error")).to_contain_text("Enter the resident's age")
    expect(page).to_have_title("Error: Find a service – North Valley Partnership")
    expect(page.locator("#directory-results h3")).to_have_count(0)
    assert_error_links_lead_to_fields(page)

    page.get_by_label("Resident's age").fill("70")
    submit(page, "Apply filters")  # the page with errors has a plain form: a page load
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator("#directory-results h3").first).to_be_visible()
    assert_page_is_sound(page)
