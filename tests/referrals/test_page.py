"""The referral page: what each party sees, the actions offered, and each action as a form post."""

import html
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import (
    AccessLog,
    CapacityStatus,
    Consent,
    ConsentGiver,
    DeclineReason,
    Event,
    Message,
    Outcome,
    Referral,
    ReferralStatus,
    Role,
    Service,
    Urgency,
    User,
)
from partnership.referrals import lifecycle
from tests import factories
from tests.conftest import sign_in_as

S = ReferralStatus


# Helpers shared with the other referral-page tests


def url(referral, *rest: str) -> str:
    return "/".join([f"/referrals/{referral.id}", *rest])


def text(response) -> str:
    return response.get_data(as_text=True)


def with_consent(referral, recorded_by, **fields):
    values = {"given_by": ConsentGiver.RESIDENT, "covers": "Sharing with the food service"}
    values.update(fields)
    db.session.add(Consent(referral=referral, recorded_by_id=recorded_by.id, **values))
    db.session.flush()
    return referral


def hidden_fields(page: str, action: str) -> dict:
    """The hidden inputs of the form posting to `action`, as a browser would send them."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form.group(1)):
        if 'type="hidden"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            fields[re.search(r'name="([^"]+)"', tag).group(1)] = (
                html.unescape(value.group(1)) if value else ""
            )
    return fields


def submit(client, referral, action: str, data: dict | None = None):
    """Open the page and send the form for `action` on it, JavaScript off."""
    page = text(client.get(url(referral)))
    fields = hidden_fields(page, url(referral, action))
    fields.update(data or {})
    return client.post(url(referral, action), data=fields)


def offered(page: str, referral) -> set[str]:
    """The lifecycle actions whose forms are on the page."""
    posts = set(re.findall(rf'action="/referrals/{referral.id}/([a-z-]+)"', page))
    return posts - {"assignee", "messages"}


def error_summary(page: str) -> str:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert summary, "no GOV.UK error summary on the page"
    return html.unescape(summary.group(0))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def written() -> dict:
    """What an action can write, to show that a refused one wrote nothing."""
    db.session.expire_all()
    return {
        "events": count(Event),
        "messages": count(Message),
        "referrals": db.session.execute(
            select(Referral.id, Referral.status, Referral.version, Referral.assignee_id)
        ).all(),
        "places": db.session.execute(select(Service.id, Service.places_available)).all(),
    }


def reload(referral) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral.id)


@pytest.fixture
def coordinator(partnership):
    return partnership.users[Role.COORDINATOR]


@pytest.fixture
def caseworker(partnership):
    return partnership.users[Role.CASEWORKER]


# What each party sees


def test_both_parties_see_the_referral_the_resident_and_the_consent(
    partnership, as_role, caseworker
):
    resident = factories.resident(
        partnership.north,
        partnership.surgery,
        given_name="Rosa",
        family_name="Resident",
        date_of_birth=date(1948, 6, 3),
        nhs_number="9434765919",
        postcode="NS1 2AB",
        phone="0161 496 0000",
        language="Polish",
        interpreter_needed=True,
        accessibility_needs="Uses a wheelchair",
    )
    referral = factories.referral(partnership, resident=resident, urgency=Urgency.URGENT)
    with_consent(
        referral,
        caseworker,
        given_by=ConsentGiver.REPRESENTATIVE,
        representative_name="Dan Daughter",
        covers="Sharing contact details with the pantry",
    )
    for role in (Role.CASEWORKER, Role.COORDINATOR):
        response = as_role(role).get(url(referral))
        assert response.status_code == 200
        service_link = f'href="/services/{referral.to_service_id}?back=/referrals/{referral.id}">'
        assert f'<a class="govuk-link" {service_link}' in text(response)
        page = html.unescape(text(response))
        for shown in (
            referral.reference,
            "Rosa Resident",
            "3 June 1948",
            "943 476 5919",
            "NS1 2AB",
            "0161 496 0000",
            "Polish",
            "Uses a wheelchair",
            "Urgent",
            "Food",
            referral.to_service.name,
            "Southside Pantry",
            "Casey Worker, Northside Surgery",
            "Waiting for a reply",
            "A representative: Dan Daughter",
            "Sharing contact details with the pantry",
            "Needs help with food this month",
        ):
            assert shown in page, f"{role}: {shown}"


def test_the_recipient_opening_it_shows_on_the_referrers_timeline_once(
    partnership, as_role, coordinator
):
    referral = factories.referral(partnership)
    caseworker_client = as_role(Role.CASEWORKER)
    caseworker_client.get(url(referral))
    assert count(Event) == 0, "the referrer opening it is not news"

    as_role(Role.COORDINATOR).get(url(referral))
    opened = db.session.scalars(select(Event).where(Event.kind == "opened")).all()
    assert [(e.referral_id, e.actor_id) for e in opened] == [(referral.id, coordinator.id)]
    assert reload(referral).opened_at is not None

    page = text(caseworker_client.get(url(referral)))
    timeline = page[page.index('id="referral-timeline"') :]
    assert "Opened" in timeline and "by Cora Ordinator, Southside Pantry" in timeline

    as_role(Role.COORDINATOR).get(url(referral))
    assert count(Event) == 1


def test_declines_and_outcomes_are_shown_in_words(partnership, as_role, coordinator):
    declined = factories.referral(partnership)
    lifecycle.transition(
        declined,
        coordinator,
        lifecycle.Action.DECLINE,
        lifecycle.Details(reason=DeclineReason.NOT_ELIGIBLE, note="Lives outside our area"),
    )
    completed = factories.referral(partnership, status=S.IN_PROGRESS)
    lifecycle.transition(
        completed,
        coordinator,
        lifecycle.Action.COMPLETE,
        lifecycle.Details(outcome=Outcome.PARTLY_MET),
    )
    client = as_role(Role.CASEWORKER)
    page = html.unescape(text(client.get(url(declined))))
    assert "Reason: Not eligible for the service" in page
    assert "Lives outside our area" in page
    assert "Declined" in page and "by Cora Ordinator, Southside Pantry" in page
    page = text(client.get(url(completed)))
    assert "Outcome: Need partly met" in page and "Completed" in page


def test_an_overdue_referral_is_flagged_until_it_is_answered(partnership, as_role, coordinator):
    referral = factories.referral(partnership, urgency=Urgency.URGENT, sent_days_ago=10)
    page = text(as_role(Role.CASEWORKER).get(url(referral)))
    assert "Overdue" in page and "Reply due by" in page
    lifecycle.transition(referral, coordinator, lifecycle.Action.ACCEPT)
    page = text(as_role(Role.CASEWORKER).get(url(referral)))
    assert "Overdue" not in page and "Reply due by" not in page


def test_a_fresh_referral_is_not_overdue(partnership, as_role):
    referral = factories.referral(partnership, urgency=Urgency.ROUTINE)
    page = text(as_role(Role.CASEWORKER).get(url(referral)))
    assert "Reply due by" in page and "Overdue" not in page


def test_an_unknown_referral_is_not_found(partnership, as_role):
    assert as_role(Role.CASEWORKER).get("/referrals/999999").status_code == 404


# The actions offered


@pytest.mark.parametrize("status", [s for s in S if s is not S.DRAFT])
@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR])
def test_the_actions_offered_are_those_the_lifecycle_allows(partnership, as_role, status, role):
    referral = factories.referral(partnership, status=status)
    user = partnership.users[role]
    expected = {a.value for a in lifecycle.allowed_actions(user, referral)}
    page = text(as_role(role).get(url(referral)))
    assert offered(page, referral) == expected
    recipient = role is Role.COORDINATOR
    assert ("/assignee" in page) is (recipient and status not in lifecycle.TERMINAL)
    assert ("Forward to another service" in page) is (not recipient and status is S.REJECTED)


def test_a_recipient_caseworker_is_offered_the_recipients_actions(app, partnership):
    helper = User(
        email="helper@example.org",
        name="Hal Helper",
        organisation=partnership.pantry,
        role=Role.CASEWORKER,
        password_hash="x",
    )
    db.session.add(helper)
    referral = factories.referral(partnership)
    page = text(sign_in_as(app.test_client(), helper).get(url(referral)))
    assert offered(page, referral) == {"accept", "decline"}


# Each action as an ordinary form post

ACTIONS = [
    (S.REQUESTED, "accept", Role.COORDINATOR, {}, S.ACCEPTED, "Referral accepted"),
    (
        S.REQUESTED,
        "decline",
        Role.COORDINATOR,
        {"decline-reason": "no-capacity"},
        S.REJECTED,
        "Referral declined",
    ),
    (S.ACCEPTED, "start", Role.COORDINATOR, {}, S.IN_PROGRESS, "Referral started"),
    (S.IN_PROGRESS, "hold", Role.COORDINATOR, {}, S.ON_HOLD, "Referral put on hold"),
    (S.ON_HOLD, "resume", Role.COORDINATOR, {}, S.IN_PROGRESS, "Referral resumed"),
    (
        S.IN_PROGRESS,
        "complete",
        Role.COORDINATOR,
        {"complete-outcome": "need-met", "complete-note": "Food parcel delivered"},
        S.COMPLETED,
        "Referral completed",
    ),
    (
        S.REQUESTED,
        "cancel",
        Role.CASEWORKER,
        {"cancel-note": "Resident moved away"},
        S.CANCELLED,
        "Referral cancelled",
    ),
    (
        S.ACCEPTED,
        "cancel",
        Role.COORDINATOR,
        {"cancel-note": "Resident asked us to stop"},
        S.CANCELLED,
        "Referral cancelled",
    ),
]


@pytest.mark.parametrize(("status", "action", "role", "data", "after", "banner"), ACTIONS)
def test_each_action_moves_the_status_and_says_so(
    partnership, as_role, status, action, role, data, after, banner
):
    referral = factories.referral(partnership, status=status)
    client = as_role(role)
    response = submit(client, referral, action, data)
    assert response.status_code == 302
    assert response.headers["Location"] == url(referral)
    assert reload(referral).status is after
    page = text(client.get(url(referral)))
    assert "govuk-notification-banner--success" in page and banner in page
    event = db.session.scalars(select(Event).where(Event.to_status == after)).one()
    assert event.actor_id == partnership.users[role].id
    change = db.session.scalars(select(AccessLog).where(AccessLog.action == "change")).one()
    assert change.referral_id == referral.id and change.user_id == partnership.users[role].id


def test_a_decline_keeps_its_reason_and_note(partnership, as_role):
    referral = factories.referral(partnership)
    submit(
        as_role(Role.COORDINATOR),
        referral,
        "decline",
        {"decline-reason": "other", "decline-note": "We only help over-65s"},
    )
    referral = reload(referral)
    assert referral.decline_reason is DeclineReason.OTHER
    assert referral.closing_note == "We only help over-65s"


def test_an_action_the_status_does_not_allow_is_refused_and_nothing_written(partnership, as_role):
    referral = factories.referral(partnership)  # requested: cannot be started yet
    client = as_role(Role.COORDINATOR)
    client.get(url(referral))  # opened, so that the page view below is the only write
    before, logged = written(), count(AccessLog)
    response = client.post_form(url(referral, "start"), form_page=url(referral))
    assert response.status_code == 409
    page = text(response)
    assert "<title>Error: " in page
    assert "A referral that is waiting for a reply cannot be started" in error_summary(page)
    assert written() == before
    # Showing the page again is a view of the resident's data, and only that.
    assert count(AccessLog) == logged + 2  # the form page fetched for its token, and this one


def test_the_referrer_cannot_accept(partnership, as_role):
    referral = factories.referral(partnership)
    before = written()
    response = as_role(Role.CASEWORKER).post_form(url(referral, "accept"), form_page=url(referral))
    assert response.status_code == 409
    assert "Only the receiving organisation can do that" in error_summary(text(response))
    assert written() == before


def test_accept_with_no_places_left_says_so_and_offers_capacity_or_decline(partnership, as_role):
    service = factories.service(partnership.pantry, places=0)
    referral = factories.referral(partnership, to_service=service)
    client = as_role(Role.COORDINATOR)
    client.get(url(referral))
    before = written()
    response = submit(client, referral, "accept")
    assert response.status_code == 409
    page = html.unescape(text(response))
    assert "No places are left on this service" in error_summary(page)
    assert f'href="/services/{service.id}"' in page and "update the service's capacity" in page
    assert "decline with the reason ‘no capacity’" in page
    no_capacity = re.search(r'<input[^>]*name="decline-reason"[^>]*value="no-capacity"[^>]*>', page)
    assert no_capacity and "checked" in no_capacity.group(0)
    assert written() == before
    # Declining for capacity is then one click.
    response = submit(client, referral, "decline", {"decline-reason": "no-capacity"})
    assert response.status_code == 302
    assert reload(referral).decline_reason is DeclineReason.NO_CAPACITY


@pytest.mark.parametrize(
    ("status", "action", "role", "data", "message"),
    [
        (S.REQUESTED, "decline", Role.COORDINATOR, {}, "Select why you are declining"),
        (
            S.REQUESTED,
            "decline",
            Role.COORDINATOR,
            {"decline-reason": "other"},
            "Say why you are declining the referral",
        ),
        (
            S.REQUESTED,
            "decline",
            Role.COORDINATOR,
            {"decline-reason": "not-a-reason"},
            "Select why you are declining",
        ),
        (S.IN_PROGRESS, "complete", Role.COORDINATOR, {}, "Select the outcome for the resident"),
        (
            S.IN_PROGRESS,
            "complete",
            Role.COORDINATOR,
            {"complete-outcome": "need-met", "complete-note": "x" * 2001},
            "2,000 characters or fewer",
        ),
        (S.REQUESTED, "cancel", Role.CASEWORKER, {}, "Say why you are cancelling the referral"),
    ],
)
def test_a_form_with_a_mistake_comes_back_with_an_error_summary(
    partnership, as_role, status, action, role, data, message
):
    referral = factories.referral(partnership, status=status)
    client = as_role(role)
    client.get(url(referral))
    before = written()
    response = submit(client, referral, action, data)
    assert response.status_code == 200
    page = text(response)
    assert "<title>Error: " in page
    assert message in error_summary(page)
    assert written() == before


def test_a_page_left_open_while_someone_else_acted_is_refused(partnership, as_role, coordinator):
    referral = factories.referral(partnership, status=S.ACCEPTED)
    client = as_role(Role.COORDINATOR)
    page = text(client.get(url(referral)))
    lifecycle.assign(referral, coordinator, coordinator)  # someone else changes it
    db.session.commit()
    before = written()
    response = client.post(url(referral, "start"), data=hidden_fields(page, url(referral, "start")))
    assert response.status_code == 409
    # In the users' words: who changed it first, and when.
    said = error_summary(text(response))
    assert re.search(
        r"Assigned by Southside Pantry at \d{1,2}:\d\d[ap]m; nothing was changed", said
    )
    assert written() == before
    # The page shown again carries the new version: sending it again works.
    assert submit(client, referral, "start").status_code == 302


def test_a_stale_cancel_after_the_service_declined_says_who_declined_and_when(
    partnership, as_role, coordinator
):
    referral = factories.referral(partnership)
    client = as_role(Role.CASEWORKER)
    page = text(client.get(url(referral)))
    decline = lifecycle.Details(reason=DeclineReason.NOT_ELIGIBLE)
    lifecycle.transition(referral, coordinator, lifecycle.Action.DECLINE, decline)
    db.session.commit()
    before = written()
    fields = hidden_fields(page, url(referral, "cancel")) | {"cancel-note": "Moved away"}
    response = client.post(url(referral, "cancel"), data=fields)
    assert response.status_code == 409
    said = error_summary(text(response))
    assert re.search(
        r"Declined by Southside Pantry at \d{1,2}:\d\d[ap]m; nothing was changed", said
    )
    assert "This referral is" not in said
    assert written() == before
    # The page shown again is the referral as it is now: declined, nothing to cancel.
    assert offered(text(response), referral) == set()
    assert "Forward to another service" in text(response)


# Assigning


def test_the_recipient_assigns_a_colleague_then_no_one(partnership, as_role, coordinator):
    referral = factories.referral(partnership)
    client = as_role(Role.COORDINATOR)
    response = submit(client, referral, "assignee", {"assignee": str(coordinator.id)})
    assert response.status_code == 302
    assert reload(referral).assignee_id == coordinator.id
    page = text(client.get(url(referral)))
    assert "Assigned to Cora Ordinator" in page
    submit(client, referral, "assignee", {"assignee": ""})
    assert reload(referral).assignee_id is None
    assert [
        e.detail
        for e in db.session.scalars(
            select(Event).where(Event.kind == "assigned").order_by(Event.id)
        )
    ] == [
        {"assignee_id": coordinator.id},
        {"assignee_id": None},
    ]


def test_only_the_receiving_organisations_active_people_are_offered(partnership, as_role):
    leaver = User(
        email="gone@example.org",
        name="Gwen Gone",
        organisation=partnership.pantry,
        role=Role.CASEWORKER,
        password_hash="x",
        active=False,
    )
    db.session.add(leaver)
    referral = factories.referral(partnership)
    client = as_role(Role.COORDINATOR)
    page = text(client.get(url(referral)))
    assert "Cora Ordinator" in page and "Gwen Gone" not in page
    before = written()
    for someone in (leaver, partnership.users[Role.CASEWORKER]):
        response = submit(client, referral, "assignee", {"assignee": str(someone.id)})
        assert response.status_code == 200
        assert "Choose someone from the list" in error_summary(text(response))
    assert written() == before


def test_the_referrer_cannot_assign(partnership, as_role, caseworker):
    referral = factories.referral(partnership)
    before = written()
    response = as_role(Role.CASEWORKER).post_form(
        url(referral, "assignee"), {"assignee": ""}, form_page=url(referral)
    )
    assert response.status_code == 409
    assert "Only the receiving organisation can assign" in error_summary(text(response))
    assert written() == before


# The journey of issue 4, JavaScript off


def test_the_journey_from_sent_to_completed_with_plain_form_posts(partnership, as_role, caseworker):
    food = factories.need()
    pantry = factories.service(
        partnership.pantry,
        name="Food Bank",
        places=3,
        needs=[food],
        neighbourhoods=[partnership.north],
    )
    resident = factories.resident(partnership.north, partnership.surgery)
    referral, _ = lifecycle.send(
        caseworker,
        resident=resident,
        need=food,
        service=pantry,
        urgency=Urgency.ROUTINE,
        summary="Needs food support",
        consent=lifecycle.ConsentGiven(ConsentGiver.RESIDENT, "Sharing with the food bank"),
    )
    referrer, recipient = as_role(Role.CASEWORKER), as_role(Role.COORDINATOR)

    assert "Opened" not in text(referrer.get(url(referral, "timeline")))
    recipient.get(url(referral))
    assert "Opened" in text(referrer.get(url(referral)))

    assert submit(recipient, referral, "accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, pantry.id).places_available == 2
    assert submit(recipient, referral, "start").status_code == 302
    response = submit(recipient, referral, "complete", {"complete-outcome": "need-met"})
    assert response.status_code == 302
    assert reload(referral).status is S.COMPLETED

    page = text(referrer.get(url(referral)))
    assert "Completed" in page and "Need met" in page
    timeline = page[page.index('id="referral-timeline"') :]
    titles = re.findall(r'class="moj-timeline__title">([^<]+)<', timeline)
    assert titles == ["Completed", "Started", "Accepted", "Opened", "Sent"]


# Forwarding a declined referral


@pytest.fixture
def declined(partnership, coordinator):
    """A declined food referral, and two other food services for the resident's neighbourhood."""
    food = factories.need()
    first = factories.service(
        partnership.pantry, name="First Pantry", needs=[food], neighbourhoods=[partnership.north]
    )
    other = factories.service(
        partnership.council, name="Council Larder", needs=[food], neighbourhoods=[partnership.north]
    )
    factories.service(
        partnership.council,
        name="Closed Kitchen",
        needs=[food],
        neighbourhoods=[partnership.north],
        status=CapacityStatus.CLOSED,
    )
    factories.service(
        partnership.council,
        name="Children's Meals",
        needs=[food],
        neighbourhoods=[partnership.north],
        max_age=16,
    )
    referral = factories.referral(partnership, to_service=first)
    with_consent(referral, partnership.users[Role.CASEWORKER])
    lifecycle.transition(
        referral,
        coordinator,
        lifecycle.Action.DECLINE,
        lifecycle.Details(reason=DeclineReason.NO_CAPACITY),
    )
    db.session.commit()
    return referral, other


def test_the_forward_page_offers_other_eligible_services(partnership, as_role, declined):
    referral, other = declined
    page = html.unescape(text(as_role(Role.CASEWORKER).get(url(referral, "forward"))))
    assert "Council Larder, Borough Council" in page
    for not_offered in ("First Pantry,", "Closed Kitchen", "Children's Meals"):
        assert not_offered not in page


def test_forward_creates_a_linked_referral(partnership, as_role, declined):
    referral, other = declined
    client = as_role(Role.CASEWORKER)
    page = text(client.get(url(referral, "forward")))
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)
    fields = {"service": str(other.id), "summary": "Still needs food", "idempotency_key": key}
    response = client.post_form(url(referral, "forward"), fields)
    assert response.status_code == 302
    new = db.session.scalars(
        select(Referral).where(Referral.forwarded_from_id == referral.id)
    ).one()
    assert response.headers["Location"] == url(new)
    assert (new.resident_id, new.to_service_id, new.summary) == (
        referral.resident_id,
        other.id,
        "Still needs food",
    )
    assert new.status is S.REQUESTED and new.consent.covers == referral.consent.covers
    # Sending the same form again makes no second referral.
    assert client.post_form(url(referral, "forward"), fields).headers["Location"] == url(new)
    assert count(Referral) == 2
    assert f'href="{url(referral)}"' in text(client.get(url(new)))
    assert f'href="{url(new)}"' in text(client.get(url(referral)))


def test_forward_to_a_service_already_referred_to_links_to_that_referral(
    partnership, as_role, declined
):
    referral, other = declined
    open_one = factories.referral(partnership, to_service=other, resident=referral.resident)
    client = as_role(Role.CASEWORKER)
    response = client.post_form(url(referral, "forward"), {"service": str(other.id)})
    assert response.status_code == 409
    page = text(response)
    assert f"{open_one.reference} already refers this resident" in error_summary(page)
    assert f'href="{url(open_one)}"' in page
    assert count(Referral) == 2


def test_forward_to_a_service_nobody_can_receive_referrals_for_is_a_form_error(
    partnership, as_role, declined
):
    referral, other = declined
    partnership.outsider.active = False  # the council's only caseworker
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    response = client.post_form(url(referral, "forward"), {"service": str(other.id)})
    assert response.status_code == 200
    assert (
        "Council Larder takes no referrals through North Valley Partnership: nobody at "
        "Borough Council can receive them yet"
    ) in error_summary(text(response))
    assert count(Referral) == 1


def test_forward_without_a_service_asks_for_one(partnership, as_role, declined):
    referral, _ = declined
    response = as_role(Role.CASEWORKER).post_form(url(referral, "forward"), {})
    assert response.status_code == 200
    assert "Select a service" in error_summary(text(response))
    assert count(Referral) == 1


def test_only_the_referrer_of_a_declined_referral_can_forward(partnership, as_role, declined):
    referral, other = declined
    assert as_role(Role.COORDINATOR).get(url(referral, "forward")).status_code == 404
    still_open = factories.referral(partnership)
    client = as_role(Role.CASEWORKER)
    assert client.get(url(still_open, "forward")).status_code == 404
    response = client.post_form(
        url(still_open, "forward"), {"service": str(other.id)}, form_page=url(still_open)
    )
    assert response.status_code == 404
    assert count(Referral) == 2
