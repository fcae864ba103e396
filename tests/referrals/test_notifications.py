"""In-app notifications: the unread count, the list in words, and marking them read."""

import re

import pytest
from flask import render_template_string
from sqlalchemy import select

from partnership import clock
from partnership.extensions import db
from partnership.models import DeclineReason, Event, Outcome, ReferralStatus, Role, User
from partnership.referrals import lifecycle
from partnership.referrals.lifecycle import Action, Details
from partnership.referrals.notifications import (
    latest_notifications,
    mark_all_seen,
    notification_count,
    unread_count,
)
from tests import factories

S = ReferralStatus


def fresh(user: User) -> User:
    """The user as the database has them now (the requests changed them, not this session)."""
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def people(partnership):
    return {
        "referrer": partnership.users[Role.CASEWORKER],
        "recipient": partnership.users[Role.COORDINATOR],
    }


def test_the_count_rises_with_the_other_partys_events_and_ignores_my_own(partnership, people):
    referrer, recipient = people["referrer"], people["recipient"]
    referral = factories.referral(partnership)
    lifecycle.event_for(referral, "sent", referrer)
    db.session.commit()
    assert unread_count(referrer) == 0  # my own sending is not news to me
    assert unread_count(recipient) == 1

    lifecycle.mark_opened(referral, recipient)
    lifecycle.transition(referral, recipient, Action.ACCEPT)
    db.session.commit()
    assert unread_count(referrer) == 2
    assert unread_count(recipient) == 1  # still only the sending


def test_events_made_by_a_colleague_count(partnership, people):
    colleague = User(
        email="pat@pantry.example.org",
        name="Pat Pantry",
        organisation=partnership.pantry,
        role=Role.CASEWORKER,
        password_hash="not used",
    )
    db.session.add(colleague)
    referral = factories.referral(partnership)
    lifecycle.mark_opened(referral, colleague)
    db.session.commit()
    assert unread_count(people["recipient"]) == 1
    assert unread_count(colleague) == 0


def test_other_organisations_and_other_roles_are_never_notified(partnership, people):
    referral = factories.referral(partnership)
    lifecycle.event_for(referral, "sent", people["referrer"])
    lifecycle.mark_opened(referral, people["recipient"])
    # A capacity post is an event too, but not on a referral.
    db.session.add(Event(kind="capacity", service_id=referral.to_service_id))
    db.session.commit()
    assert unread_count(partnership.outsider) == 0
    assert latest_notifications(partnership.outsider) == []
    for role in (Role.LEAD, Role.ADMIN):
        assert unread_count(partnership.users[role]) == 0
        assert notification_count(partnership.users[role]) == 0
    assert unread_count(people["recipient"]) == 1  # the sending, not the capacity post


def test_viewing_the_notifications_resets_the_count(partnership, people, as_role):
    referrer, recipient = people["referrer"], people["recipient"]
    referral = factories.referral(partnership)
    lifecycle.mark_opened(referral, recipient)
    lifecycle.transition(referral, recipient, Action.ACCEPT)
    db.session.commit()
    assert unread_count(referrer) == 2

    page = as_role(Role.CASEWORKER).get("/notifications").get_data(as_text=True)
    assert page.count('class="moj-badge moj-badge--blue">New</span>') == 2
    assert unread_count(fresh(referrer)) == 0
    # Seen ones are no longer new, but stay on the list.
    page = as_role(Role.CASEWORKER).get("/notifications").get_data(as_text=True)
    assert "moj-badge" not in page and len(re.findall(r'href="/referrals/\d+"', page)) == 2

    lifecycle.transition(referral, recipient, Action.START)
    db.session.commit()
    assert unread_count(fresh(referrer)) == 1


def test_the_list_says_what_happened_in_words_newest_first(partnership, people, as_role):
    referrer, recipient = people["referrer"], people["recipient"]
    opened = {"opened_at": clock.now()}  # so that "was opened" is not in the list
    accepted = factories.referral(partnership, **opened)
    declined = factories.referral(partnership, **opened)
    completed = factories.referral(partnership, status=S.IN_PROGRESS, **opened)
    db.session.commit()
    lifecycle.transition(accepted, recipient, Action.ACCEPT)
    lifecycle.transition(
        declined, recipient, Action.DECLINE, Details(reason=DeclineReason.NO_CAPACITY)
    )
    lifecycle.transition(completed, recipient, Action.COMPLETE, Details(outcome=Outcome.NEED_MET))
    lifecycle.assign(accepted, recipient, recipient)
    db.session.commit()

    page = as_role(Role.CASEWORKER).get("/notifications").get_data(as_text=True)
    items = re.findall(r'<a class="govuk-link" href="/referrals/(\d+)">([^<]+)</a>', page)
    assert items == [
        (str(accepted.id), f"{accepted.reference} was assigned by Southside Pantry"),
        (
            str(completed.id),
            f"{completed.reference} was completed by Southside Pantry: need met",
        ),
        (str(declined.id), f"{declined.reference} was declined by Southside Pantry: no capacity"),
        (str(accepted.id), f"{accepted.reference} was accepted by Southside Pantry"),
    ]
    assert "Just now" in page
    assert referrer.name not in page.split('id="notifications"')[1]


def test_an_assignment_to_me_says_so(partnership, people):
    referral = factories.referral(partnership)
    colleague = User(
        email="pat@pantry.example.org",
        name="Pat Pantry",
        organisation=partnership.pantry,
        role=Role.CASEWORKER,
        password_hash="not used",
    )
    db.session.add(colleague)
    db.session.flush()
    lifecycle.assign(referral, colleague, people["recipient"])
    db.session.commit()
    words = latest_notifications(people["recipient"])[0].words
    assert words == f"{referral.reference} was assigned to you by Southside Pantry"


def test_the_list_holds_the_latest_50(partnership, people):
    referral = factories.referral(partnership)
    for _ in range(55):
        lifecycle.event_for(referral, "message", people["recipient"])
    db.session.commit()
    latest = latest_notifications(people["referrer"])
    assert len(latest) == 50
    ids = [note.event_id for note in latest]
    newest = db.session.scalars(select(Event.id).order_by(Event.id.desc()).limit(50)).all()
    assert ids == newest
    assert latest[0].words == f"New message on {referral.reference} from Southside Pantry"


def test_mark_all_as_read_is_a_post_with_csrf(partnership, people, as_role):
    referral = factories.referral(partnership)
    lifecycle.mark_opened(referral, people["recipient"])
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    assert client.post("/notifications").status_code == 400  # no CSRF token
    assert unread_count(fresh(people["referrer"])) == 1
    # The token comes from another page: viewing the list would mark it read by itself.
    response = client.post_form("/notifications", form_page="/outbox")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications")
    assert unread_count(fresh(people["referrer"])) == 0


def test_marking_seen_never_moves_back(partnership, people):
    referrer = people["referrer"]
    referral = factories.referral(partnership)
    first = lifecycle.mark_opened(referral, people["recipient"])
    second = lifecycle.transition(referral, people["recipient"], Action.ACCEPT)
    db.session.commit()
    mark_all_seen(referrer)
    mark_all_seen(fresh(referrer), up_to=first.id)
    assert fresh(referrer).notifications_seen_event_id == second.id


def test_the_badge_count_stops_at_the_cap(partnership, people):
    referral = factories.referral(partnership)
    for _ in range(105):
        lifecycle.event_for(referral, "message", people["recipient"])
    db.session.commit()
    assert unread_count(people["referrer"]) == 105
    assert notification_count(people["referrer"]) == 100


def test_nobody_signed_in_has_no_notifications(app):
    from flask_login import AnonymousUserMixin

    assert notification_count(AnonymousUserMixin()) == 0


@pytest.mark.parametrize(
    ("count", "shown", "hidden"),
    [(3, "3", "(3 unread notifications)"), (99, "99+", "(99 or more unread notifications)")],
)
def test_the_notification_badge_matches_moj_frontend(app, count, shown, hidden):
    with app.test_request_context():
        html = render_template_string(
            '{% from "components/notification-badge.html" import mojNotificationBadge %}'
            '{{ mojNotificationBadge({"text": count, "visuallyHiddenText": hidden}) }}',
            count=count,
            hidden="unread notifications",
        )
    assert 'class="moj-notification-badge"' in html
    assert f'<span aria-hidden="true">{shown}</span>' in html
    assert f'<span class="govuk-visually-hidden">{hidden}</span>' in html


def test_no_badge_for_nothing_new(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "components/notification-badge.html" import mojNotificationBadge %}'
            '{{ mojNotificationBadge({"text": 0}) }}'
        )
    assert html.strip() == ""
