"""Messages between the two organisations on a referral."""

import html

import pytest
from sqlalchemy import select

from partnership.extensions import db
from partnership.models import Event, Message, ReferralStatus, Role
from partnership.referrals import lifecycle
from partnership.referrals.messages import MAX_MESSAGE, post_message
from tests import factories
from tests.referrals.test_page import count, error_summary, reload, submit, text, url, written


def test_messages_both_ways_appear_on_both_sides(partnership, as_role):
    referral = factories.referral(partnership)
    referrer, recipient = as_role(Role.CASEWORKER), as_role(Role.COORDINATOR)
    response = submit(referrer, referral, "messages", {"body": "She prefers a call after 2pm"})
    assert response.status_code == 302
    assert response.headers["Location"] == url(referral) + "#messages"
    submit(recipient, referral, "messages", {"body": "Thanks: we'll call on Tuesday"})

    for client in (referrer, recipient):
        page = html.unescape(text(client.get(url(referral))))
        messages = page[page.index('id="referral-messages"') :]
        assert messages.index("She prefers a call after 2pm") < messages.index(
            "Thanks: we'll call on Tuesday"
        ), "oldest first"
        assert "Casey Worker, Northside Surgery" in messages
        assert "Cora Ordinator, Southside Pantry" in messages
        fragment = html.unescape(text(client.get(url(referral, "messages"))))
        assert "She prefers a call after 2pm" in fragment
        assert "Thanks: we'll call on Tuesday" in fragment


def test_a_message_writes_its_event_but_not_a_new_version(partnership, as_role):
    referral = factories.referral(partnership)
    submit(as_role(Role.CASEWORKER), referral, "messages", {"body": "Private detail"})
    message = db.session.scalars(select(Message)).one()
    event = db.session.scalars(select(Event).where(Event.kind == "message")).one()
    assert event.detail == {"message_id": message.id}
    assert (event.referral_id, event.actor_id) == (
        referral.id,
        partnership.users[Role.CASEWORKER].id,
    )
    assert message.organisation_id == partnership.surgery.id
    assert reload(referral).version == 1
    # The timeline says a message was sent, never what it says.
    timeline = text(as_role(Role.COORDINATOR).get(url(referral, "timeline")))
    assert "Message sent" in timeline and "Private detail" not in timeline


def test_messages_can_still_be_sent_once_a_referral_is_closed(partnership, as_role):
    referral = factories.referral(partnership, status=ReferralStatus.COMPLETED)
    response = submit(as_role(Role.COORDINATOR), referral, "messages", {"body": "All done"})
    assert response.status_code == 302 and count(Message) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Enter a message"),
        ("   ", "Enter a message"),
        ("x" * (MAX_MESSAGE + 1), "The message must be 2,000 characters or fewer"),
    ],
)
def test_an_empty_or_overlong_message_is_refused(partnership, as_role, body, message):
    referral = factories.referral(partnership)
    client = as_role(Role.CASEWORKER)
    client.get(url(referral))
    before = written()
    response = submit(client, referral, "messages", {"body": body})
    assert response.status_code == 200
    assert message in error_summary(text(response))
    assert written() == before


def test_a_message_of_the_longest_length_is_kept_whole(partnership, as_role):
    referral = factories.referral(partnership)
    submit(as_role(Role.CASEWORKER), referral, "messages", {"body": "y" * MAX_MESSAGE})
    assert len(db.session.scalars(select(Message.body)).one()) == MAX_MESSAGE


def test_only_parties_can_post_messages(partnership):
    referral = factories.referral(partnership)
    for user in (
        partnership.outsider,
        partnership.users[Role.LEAD],
        partnership.users[Role.ADMIN],
    ):
        with pytest.raises(lifecycle.NotAllowed):
            post_message(referral, user, "Hello")
    with pytest.raises(lifecycle.Incomplete):
        post_message(referral, partnership.users[Role.CASEWORKER], " ")
    db.session.rollback()
    assert count(Message) == 0 and count(Event) == 0
