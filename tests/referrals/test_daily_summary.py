"""The daily summary the dashboards read stays equal to the referrals it counts, through
every change the rules make, and is counted on the UK day the referral was made."""

from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import select

from partnership.extensions import db
from partnership.models import (
    ConsentGiver,
    DeclineReason,
    NeighbourhoodDay,
    ReferralStatus,
    Role,
    Urgency,
)
from partnership.referrals import daily_summary, lifecycle
from partnership.referrals.lifecycle import Action, Details, NoPlacesLeft, transition
from tests import factories
from tests.referrals.test_page import submit, with_consent

S = ReferralStatus


def summary() -> dict:
    """The summary as stored: {(neighbourhood id, day): {count: value}}, zeros left out."""
    db.session.expire_all()
    return {
        (row.neighbourhood_id, row.day): {
            name: getattr(row, name) for name in daily_summary.COUNTS if getattr(row, name)
        }
        for row in db.session.scalars(select(NeighbourhoodDay))
    }


def recounted() -> dict:
    """The summary worked out afresh from the referrals, then put back as it was."""
    kept = summary()
    daily_summary.recount()
    found = summary()
    db.session.rollback()
    assert summary() == kept
    return found


def referral_row(**fields) -> SimpleNamespace:
    values = {
        "neighbourhood_id": 7,
        "created_at": datetime(2026, 6, 1, 12, tzinfo=UTC),
        "sent_at": datetime(2026, 6, 1, 12, tzinfo=UTC),
        "accepted_at": None,
        "status": S.REQUESTED,
        "decline_reason": None,
    }
    return SimpleNamespace(**(values | fields))


def test_a_draft_counts_nowhere_and_a_sent_referral_once():
    assert daily_summary.tally(referral_row(sent_at=None, status=S.DRAFT)) is None
    counted = daily_summary.tally(referral_row())
    assert (counted.made, counted.accepted, counted.declined, counted.completed) == (1, 0, 0, 0)


def test_accepted_stays_counted_once_completed_and_capacity_is_a_kind_of_declined():
    completed = daily_summary.tally(
        referral_row(status=S.COMPLETED, accepted_at=datetime(2026, 6, 2, tzinfo=UTC))
    )
    assert (completed.accepted, completed.completed, completed.declined) == (1, 1, 0)
    for_capacity = daily_summary.tally(
        referral_row(status=S.REJECTED, decline_reason=DeclineReason.NO_CAPACITY)
    )
    assert (for_capacity.declined, for_capacity.declined_for_capacity) == (1, 1)
    not_eligible = daily_summary.tally(
        referral_row(status=S.REJECTED, decline_reason=DeclineReason.NOT_ELIGIBLE)
    )
    assert (not_eligible.declined, not_eligible.declined_for_capacity) == (1, 0)


def test_the_day_is_the_uk_day():
    # 23:30 UTC in June is 00:30 the next morning in London; in January it is the same day.
    summer = daily_summary.tally(referral_row(created_at=datetime(2026, 6, 1, 23, 30, tzinfo=UTC)))
    winter = daily_summary.tally(referral_row(created_at=datetime(2026, 1, 5, 23, 30, tzinfo=UTC)))
    assert (summer.day.isoformat(), winter.day.isoformat()) == ("2026-06-02", "2026-01-05")


def test_every_change_through_the_pages_keeps_the_summary_equal_to_the_referrals(
    partnership, as_role
):
    service = factories.service(partnership.pantry, places=5)
    made = [factories.referral(partnership, to_service=service) for _ in range(4)]
    earlier = factories.referral(partnership, to_service=service, sent_days_ago=3)
    db.session.commit()
    today_key = (partnership.north.id, daily_summary.day_made(made[0].created_at))
    assert summary()[today_key] == {"made": 4}
    assert summary() == recounted()

    recipient = as_role(Role.COORDINATOR)
    assert submit(recipient, made[0], "accept").status_code == 302
    assert submit(recipient, made[0], "start").status_code == 302
    assert (
        submit(recipient, made[0], "complete", {"complete-outcome": "need-met"}).status_code == 302
    )
    assert (
        submit(recipient, made[1], "decline", {"decline-reason": "no-capacity"}).status_code == 302
    )
    assert submit(recipient, made[2], "accept").status_code == 302
    referrer = as_role(Role.CASEWORKER)
    assert submit(referrer, made[3], "cancel", {"cancel-note": "Moved away"}).status_code == 302
    assert (
        submit(recipient, earlier, "decline", {"decline-reason": "not-eligible"}).status_code == 302
    )

    assert summary()[today_key] == {
        "made": 4,
        "accepted": 2,
        "completed": 1,
        "declined": 1,
        "declined_for_capacity": 1,
    }
    earlier_key = (partnership.north.id, daily_summary.day_made(earlier.created_at))
    assert summary()[earlier_key] == {"made": 1, "declined": 1}
    assert summary() == recounted()


def test_forwarding_counts_the_new_referral_and_the_declined_one_stays_declined(partnership):
    declined = factories.referral(
        partnership, status=S.REJECTED, decline_reason=DeclineReason.NO_CAPACITY
    )
    with_consent(declined, partnership.users[Role.CASEWORKER])
    other = factories.service(partnership.pantry, places=3)
    db.session.commit()
    lifecycle.forward(
        declined, partnership.users[Role.CASEWORKER], service=other, summary="Needs food now"
    )
    db.session.commit()
    key = (partnership.north.id, daily_summary.day_made(declined.created_at))
    assert summary()[key] == {"made": 2, "declined": 1, "declined_for_capacity": 1}
    assert summary() == recounted()


def test_an_accept_refused_for_want_of_places_changes_nothing(partnership):
    full = factories.service(partnership.pantry, places=0)
    referral = factories.referral(partnership, to_service=full)
    db.session.commit()
    before = summary()
    try:
        transition(referral, partnership.users[Role.COORDINATOR], Action.ACCEPT, Details())
    except NoPlacesLeft:
        db.session.rollback()
    else:
        raise AssertionError("accepted with no places")
    assert summary() == before == recounted()


def test_sending_counts_the_referral_in_the_same_transaction(partnership):
    resident = factories.resident(partnership.north, partnership.surgery)
    service = factories.service(partnership.pantry, places=2)
    db.session.commit()
    referral, _ = lifecycle.send(
        partnership.users[Role.CASEWORKER],
        resident=resident,
        need=factories.need(),
        service=service,
        urgency=Urgency.ROUTINE,
        summary="Needs food support",
        consent=lifecycle.ConsentGiven(ConsentGiver.RESIDENT, "Sharing with the food bank"),
    )
    db.session.commit()
    key = (partnership.north.id, daily_summary.day_made(referral.created_at))
    assert summary() == {key: {"made": 1}} == recounted()


def test_the_migration_counts_the_referrals_already_there(partnership):
    from flask_migrate import downgrade, upgrade

    factories.referral(partnership, sent_days_ago=40, status=S.COMPLETED, accepted_at=None)
    factories.referral(
        partnership, sent_days_ago=2, status=S.REJECTED, decline_reason=DeclineReason.NO_CAPACITY
    )
    factories.referral(partnership, status=S.DRAFT)
    db.session.commit()
    expected = summary()
    db.session.remove()
    downgrade(revision="0003")
    upgrade()
    assert summary() == expected == recounted()
    assert len(expected) == 2
