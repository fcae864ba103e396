"""The referral page stays true while it is open: its tags, rows and actions come again
from an ordinary, permission-checked fragment when a live event of the referral arrives.

The browser half (htmx swapping them in) is in tests/browser/test_live_referral.py.
"""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from partnership.extensions import db
from partnership.models import AccessAction, AccessLog, DeclineReason, Outcome, Role
from partnership.referrals import lifecycle
from partnership.referrals.lifecycle import Action, Details
from tests import factories
from tests.referrals.test_page import hidden_fields, offered, reload, text, url, with_consent


class Elements(HTMLParser):
    """Every element's attributes, by id, and each element's text, for checking markup
    with a parser rather than by substring."""

    def __init__(self, page: str):
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self._open: list[tuple[str, str | None]] = []
        self.text_by_id: dict[str, str] = {}
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.by_id[attributes["id"]] = attributes
            self.text_by_id[attributes["id"]] = ""
        if tag not in ("input", "br", "img", "meta", "link", "hr"):
            self._open.append((tag, attributes.get("id")))

    def handle_endtag(self, tag):
        while self._open:
            opened, _ = self._open.pop()
            if opened == tag:
                break

    def handle_data(self, data):
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def words(self, element_id: str) -> str:
        return " ".join(self.text_by_id[element_id].split())


@pytest.fixture
def referral(partnership):
    made = factories.referral(partnership)
    with_consent(made, partnership.users[Role.CASEWORKER])
    db.session.commit()
    return made


@pytest.fixture
def coordinator(partnership):
    return partnership.users[Role.COORDINATOR]


def status_url(referral, seen: int) -> str:
    return url(referral, f"status?seen={seen}")


def views_of(user) -> int:
    db.session.expire_all()
    return len(
        db.session.scalars(
            select(AccessLog).where(
                AccessLog.user_id == user.id, AccessLog.action == AccessAction.VIEW
            )
        ).all()
    )


def test_the_page_asks_for_its_status_on_each_event_of_the_referral(referral, as_role):
    page = Elements(text(as_role(Role.CASEWORKER).get(url(referral))))
    details = page.by_id["referral-details"]
    assert details["hx-get"] == status_url(referral, referral.version)
    assert details["hx-trigger"] == f"sse:referral-{referral.id}, sse:resync"
    assert details["hx-swap"] == "outerHTML"
    # The tags are a polite live region: a screen reader hears the new status.
    assert page.by_id["referral-tags"]["aria-live"] == "polite"
    assert page.words("referral-tags") == "Waiting for a reply"
    assert "referral-actions" in page.by_id


def test_nothing_is_sent_while_the_referral_is_as_the_page_shows_it(referral, as_role, partnership):
    """A message or an event that changes nothing shown leaves the page alone: no form
    being filled in is swapped away."""
    client = as_role(Role.CASEWORKER)
    client.get(url(referral))
    logged = views_of(partnership.users[Role.CASEWORKER])
    response = client.get(status_url(referral, reload(referral).version))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert views_of(partnership.users[Role.CASEWORKER]) == logged


def test_the_referrer_sees_it_opened_then_accepted_with_actions_for_the_new_version(
    referral, as_role, coordinator
):
    client = as_role(Role.CASEWORKER)
    seen = reload(referral).version
    page = Elements(text(client.get(url(referral))))
    assert "Opened by the service Not yet" in page.words("referral-details")

    lifecycle.mark_opened(referral, coordinator)
    db.session.commit()
    opened = Elements(text(client.get(status_url(referral, seen))))
    assert "Opened by the service Not yet" not in opened.words("referral-details")
    assert re.search(r"Opened by the service \d+ \w+ \d{4} at", opened.words("referral-details"))

    lifecycle.transition(referral, coordinator, Action.ACCEPT)
    db.session.commit()
    version = reload(referral).version
    fragment = text(client.get(status_url(referral, seen)))
    accepted = Elements(fragment)
    # The rows again, asking from the new version on; the tags and actions out of band.
    assert accepted.by_id["referral-details"]["hx-get"] == status_url(referral, version)
    assert "Status Accepted" in accepted.words("referral-details")
    assert accepted.by_id["referral-tags"]["hx-swap-oob"] == "innerHTML"
    assert accepted.words("referral-tags") == "Accepted"
    assert accepted.by_id["referral-actions"]["hx-swap-oob"] == "true"
    # Either side may cancel an accepted referral: the form carries the version now,
    # so the referrer's press works without a reload.
    assert offered(fragment, referral) == {"cancel"}
    fields = hidden_fields(fragment, url(referral, "cancel")) | {"cancel-note": "Moved away"}
    assert fields["cancel-version"] == str(version)
    assert client.post(url(referral, "cancel"), data=fields).status_code == 302


def test_the_referrer_sees_a_decline_with_its_reason_and_no_cancel(referral, as_role, coordinator):
    client = as_role(Role.CASEWORKER)
    seen = reload(referral).version
    assert offered(text(client.get(url(referral))), referral) == {"cancel"}
    decline = Details(reason=DeclineReason.NOT_ELIGIBLE)
    lifecycle.transition(referral, coordinator, Action.DECLINE, decline)
    db.session.commit()
    fragment = text(client.get(status_url(referral, seen)))
    declined = Elements(fragment)
    assert declined.words("referral-tags") == "Declined"
    assert "Reason declined Not eligible for the service" in declined.words("referral-details")
    assert offered(fragment, referral) == set()
    assert "Forward to another service" in declined.words("referral-actions")


def test_the_service_sees_the_referrer_cancel_and_the_referrer_sees_it_completed(
    partnership, as_role, coordinator
):
    cancelled = factories.referral(partnership, status=lifecycle.S.ACCEPTED)
    completed = factories.referral(partnership, status=lifecycle.S.IN_PROGRESS)
    db.session.commit()
    service = as_role(Role.COORDINATOR)
    assert offered(text(service.get(url(cancelled))), cancelled) == {"start", "complete", "cancel"}
    seen = reload(cancelled).version
    lifecycle.transition(
        cancelled, partnership.users[Role.CASEWORKER], Action.CANCEL, Details(note="Moved")
    )
    outcome = Details(outcome=Outcome.NEED_MET)
    lifecycle.transition(completed, coordinator, Action.COMPLETE, outcome)
    db.session.commit()

    fragment = text(service.get(status_url(cancelled, seen)))
    assert Elements(fragment).words("referral-tags") == "Cancelled"
    assert offered(fragment, cancelled) == set()
    assert "There is nothing for your organisation to do" in fragment

    referrer = as_role(Role.CASEWORKER)
    done = Elements(text(referrer.get(status_url(completed, 1))))
    assert done.words("referral-tags") == "Completed"
    assert "Outcome Need met" in done.words("referral-details")


def test_a_closing_note_fetched_live_is_logged_as_a_view_once(referral, as_role, coordinator):
    """The rows show free text (the summary, a closing note): a fetch showing one the user
    was not logged as seeing is a view; fetching it again is not."""
    referrer = referral.from_user
    client = as_role(Role.CASEWORKER)
    client.get(url(referral))
    seen = reload(referral).version
    lifecycle.mark_opened(referral, coordinator)
    db.session.commit()
    assert client.get(status_url(referral, seen)).status_code == 200
    assert views_of(referrer) == 1  # the page's own view covers the summary
    decline = Details(reason=DeclineReason.OTHER, note="We only help over-65s")
    lifecycle.transition(referral, coordinator, Action.DECLINE, decline)
    db.session.commit()
    assert "We only help over-65s" in text(client.get(status_url(referral, seen)))
    assert views_of(referrer) == 2
    client.get(status_url(referral, seen))
    assert views_of(referrer) == 2


def test_the_fragment_alone_is_a_view_of_the_summary(referral, as_role, partnership):
    client = as_role(Role.COORDINATOR)
    assert client.get(status_url(referral, 0)).status_code == 200
    assert views_of(partnership.users[Role.COORDINATOR]) == 1
