"""Reflow (WCAG 1.4.10): every page of every role at 320 CSS pixels wide, as on a small
phone or at 400% zoom, with no scrolling sideways, and still no accessibility violation.

Each role signs in once and visits its pages in turn; every page that scrolls sideways,
or that axe finds fault with, is reported together. A test at the end checks that the
pages visited here are every page the app has, so a new page cannot miss the check.
"""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import (
    NeedCategory,
    Organisation,
    Referral,
    ReferralStatus,
    Resident,
    Service,
    UnmetNeed,
    User,
)
from tests.browser.conftest import sign_in, submit
from tests.browser.test_pages import AXE_OPTIONS, violations_report

NARROW = {"width": 320, "height": 640}
CASEWORKER = "caseworker@demo.example"
COORDINATOR = "coordinator@demo.example"
LEAD = "lead@demo.example"
ADMIN = "admin@demo.example"
# What the browser measures: how much wider the page is than the window, in CSS pixels,
# and the elements that stick out past its right edge (the first few, to say where).
MEASURE = """() => {
  const page = document.scrollingElement;
  const edge = page.clientWidth;
  const out = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > edge + 1 && e.getClientRects().length)
    .filter((e) => !e.closest(".govuk-visually-hidden"))
    .slice(0, 4)
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} ` +
                `(${Math.round(e.getBoundingClientRect().right)}px)`);
  return {scroll: page.scrollWidth, client: edge, out};
}"""


@dataclass
class Ids:
    """Rows of the demo partnership to visit, found once."""

    inbox_referral: int
    outbox_referral: int
    declined_referral: int
    own_service: int
    other_service: int
    neighbourhood: int
    organisation: int
    user: int
    need: int
    unmet_need: int
    twin: Resident
    outbox_resident: int = 0


@pytest.fixture(scope="module")
def ids(live_server) -> Ids:
    with live_server.app.app_context():

        def user(email: str) -> User:
            return db.session.scalar(select(User).where(User.email == email))

        caseworker, coordinator = user(CASEWORKER), user(COORDINATOR)

        def referral(*where) -> int:
            return db.session.scalar(select(Referral.id).where(*where).order_by(Referral.id))

        outbox = referral(Referral.from_organisation_id == caseworker.organisation_id)
        found = Ids(
            outbox_resident=db.session.scalar(
                select(Referral.resident_id).where(Referral.id == outbox)
            ),
            inbox_referral=referral(
                Referral.to_organisation_id == coordinator.organisation_id,
                Referral.status == ReferralStatus.REQUESTED,
            ),
            outbox_referral=referral(Referral.from_organisation_id == caseworker.organisation_id),
            declined_referral=referral(
                Referral.from_organisation_id == caseworker.organisation_id,
                Referral.status == ReferralStatus.REJECTED,
            ),
            own_service=db.session.scalar(
                select(Service.id)
                .where(Service.organisation_id == coordinator.organisation_id)
                .order_by(Service.id)
            ),
            other_service=db.session.scalar(
                select(Service.id)
                .where(Service.organisation_id != coordinator.organisation_id)
                .order_by(Service.id)
            ),
            neighbourhood=user(LEAD).neighbourhoods[0].id,
            organisation=db.session.scalar(select(func.min(Organisation.id))),
            user=caseworker.id,
            need=db.session.scalar(select(func.min(NeedCategory.id))),
            unmet_need=db.session.scalar(
                select(func.min(UnmetNeed.id)).where(
                    UnmetNeed.recorded_by_organisation_id == caseworker.organisation_id
                )
            ),
            # Someone the caseworker's organisation recorded: a new resident with the same
            # name and date of birth brings up "Is this the same person?".
            twin=db.session.scalar(
                select(Resident)
                .where(Resident.created_by_organisation_id == caseworker.organisation_id)
                .order_by(Resident.id)
            ),
        )
        db.session.expunge(found.twin)
        db.session.remove()
    assert None not in vars(found).values(), vars(found)
    return found


def pages_of(role: str, ids: Ids) -> list[str]:
    """The pages each role can open by address (the referral journey is walked instead)."""
    every_user = ["/", "/directory", "/account", "/account/tokens", "/account/two-step"]
    every_user += ["/change-password", "/accessibility", "/cookies"]
    if role == "caseworker":
        return every_user + [
            f"/directory?need={ids.need}&neighbourhood={ids.neighbourhood}&age=70",
            "/directory?age=old",
            "/inbox",
            "/outbox",
            "/outbox?tab=closed",
            "/notifications",
            f"/services/{ids.other_service}",
            f"/referrals/{ids.outbox_referral}",
            f"/referrals/{ids.declined_referral}",
            f"/referrals/{ids.declined_referral}/forward",
            f"/referrals/new/no-suitable-service/{ids.unmet_need}",
            "/account/two-step/set-up",
            f"/residents/{ids.outbox_resident}",
            f"/residents/{ids.outbox_resident}/contact",
        ]
    if role == "coordinator":
        return every_user + [
            "/inbox",
            "/inbox?tab=overdue",
            "/services",
            "/services/new",
            f"/services/{ids.own_service}",
            f"/services/{ids.own_service}/capacity",
            f"/services/{ids.own_service}/edit",
            f"/referrals/{ids.inbox_referral}",
        ]
    if role == "lead":
        return every_user + [
            "/dashboards",
            f"/neighbourhoods/{ids.neighbourhood}/dashboard",
        ]
    return every_user + [
        "/dashboards",
        f"/neighbourhoods/{ids.neighbourhood}/dashboard",
        "/admin/neighbourhoods",
        "/admin/neighbourhoods/new",
        f"/admin/neighbourhoods/{ids.neighbourhood}/edit",
        "/admin/organisations",
        "/admin/organisations/new",
        f"/admin/organisations/{ids.organisation}/edit",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{ids.user}",
        f"/admin/users/{ids.user}/edit",
        f"/admin/users/{ids.user}/temporary-password",
        "/admin/needs",
        "/admin/needs/new",
        f"/admin/needs/{ids.need}/edit",
        "/admin/access-log",
        f"/admin/access-log?email={CASEWORKER}",
        "/admin/bank-holidays",
    ]


class Checker:
    """Looks at each page at 320 px and remembers what is wrong with it."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        self.visited: list[str] = []

    def visit(self, path: str) -> None:
        self.page.goto(path)
        self.check()

    def check(self) -> None:
        page = self.page
        self.visited.append(page.url)
        where = page.url.split("/", 3)[-1]
        measured = page.evaluate(MEASURE)
        if measured["scroll"] > measured["client"]:
            self.problems.append(
                f"/{where}: {measured['scroll']}px wide in {measured['client']}px; "
                f"past the edge: {', '.join(measured['out']) or 'nothing found'}"
            )
        violations = page.evaluate("o => axe.run(document, o)", AXE_OPTIONS)["violations"]
        if violations:
            self.problems.append(f"/{where}: {violations_report(violations)}")

    def assert_sound(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


@pytest.fixture
def narrow(page):
    page.set_viewport_size(NARROW)
    return Checker(page)


def test_the_pages_anyone_can_open_reflow(narrow):
    for path in ("/sign-in", "/accessibility", "/cookies"):
        narrow.visit(path)
    narrow.page.goto("/no-such-page")
    narrow.check()
    narrow.assert_sound()


@pytest.mark.parametrize(
    ("role", "email"),
    [("caseworker", CASEWORKER), ("coordinator", COORDINATOR), ("lead", LEAD), ("admin", ADMIN)],
)
def test_every_page_of_each_role_reflows_at_320_pixels(narrow, ids, role, email):
    sign_in(narrow.page, email)
    for path in pages_of(role, ids):
        narrow.visit(path)
    narrow.assert_sound()


def test_every_page_of_making_a_referral_reflows_at_320_pixels(narrow, ids):
    """The journey walked at 320 px, a new resident who may be someone already known."""
    page = narrow.page
    sign_in(page, CASEWORKER)
    narrow.visit(f"/referrals/new/resident?q={ids.twin.family_name}")
    submit(page, "Add a new resident")
    narrow.check()
    page.get_by_label("First name").fill(ids.twin.given_name)
    page.get_by_label("Last name").fill(ids.twin.family_name)
    submit(page, "Continue")
    narrow.check()
    born: date = ids.twin.date_of_birth
    page.get_by_label("Day").fill(str(born.day))
    page.get_by_label("Month").fill(str(born.month))
    page.get_by_label("Year").fill(str(born.year))
    submit(page, "Continue")
    narrow.check()
    submit(page, "Continue")  # no NHS number
    narrow.check()
    assert "Is this the same person?" in page.title()
    submit(page, "No, add a new resident")
    narrow.check()
    page.locator("input[name=neighbourhood]").first.check()
    submit(page, "Continue")
    narrow.check()
    page.get_by_label("Phone number (optional)").fill("0161 496 0000")
    page.get_by_label("Phone", exact=True).check()
    submit(page, "Continue")
    narrow.check()
    page.get_by_label("No", exact=True).check()
    submit(page, "Add resident")
    narrow.check()
    page.get_by_label("Food", exact=True).check()
    submit(page, "Continue")
    narrow.check()
    page.locator("input[name=service]").first.check()
    submit(page, "Continue")
    narrow.check()
    page.get_by_label("The resident", exact=True).check()
    page.get_by_label("What does the consent cover?").fill("Sharing with the service")
    page.get_by_label("I confirm").check()
    submit(page, "Continue")
    narrow.check()
    page.get_by_label("Routine").check()
    page.get_by_label("Why are you referring them?").fill("Checking the pages at 320 px")
    submit(page, "Continue")
    narrow.check()
    assert "Check your answers" in page.title()
    submit(page, "Send referral")
    narrow.check()
    assert "sent" in page.url
    narrow.assert_sound()


def test_the_pages_here_are_every_page_the_app_has(live_server, ids):
    """Every address a person opens in a browser (GET, not the API, the live stream, a
    fragment htmx fetches or a download) is visited by one of the tests above."""
    walked = {
        "making.start",
        "making.resident",
        "making.new_resident_name",
        "making.new_resident_date_of_birth",
        "making.new_resident_nhs_number",
        "making.new_resident_same_person",
        "making.new_resident_address",
        "making.new_resident_contact",
        "making.new_resident_language",
        "making.need",
        "making.service",
        "making.consent",
        "making.details",
        "making.check",
        "making.sent",
        # Mid-way through signing in with two steps, or managing them: their own pages,
        # with the same layout and components (tests/browser/test_two_step.py).
        "auth.sign_in_code",
        "auth.sign_in_recovery_code",
        "auth.new_recovery_codes",
        "auth.turn_off_two_step",
    }
    not_pages = {"live.stream", "main.healthz", "static", "dashboards.table_csv"}
    not_pages |= {"dashboards.counters", "boxes.notification_badge"}  # fragments
    not_pages |= {"referrals.messages", "referrals.timeline_fragment", "referrals.status_fragment"}
    adapter = live_server.app.url_map.bind("localhost")
    visited = {"/sign-in", "/accessibility", "/cookies"}
    for role in ("caseworker", "coordinator", "lead", "admin"):
        visited |= {path.split("?")[0] for path in pages_of(role, ids)}
    reached = {adapter.match(path)[0] for path in visited}
    missing = {
        rule.endpoint
        for rule in live_server.app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.endpoint.startswith(("api.", "openreferral."))
        and rule.endpoint not in not_pages | walked | reached
    }
    assert missing == set()
