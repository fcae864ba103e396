"""What the directory says about each service: how fresh its capacity is and its record."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from partnership import clock
from partnership.directory.record import (
    ResponseRecord,
    reply_time_words,
    response_records,
)
from partnership.extensions import db
from partnership.models import CapacityStatus, ReferralStatus, Role, WaitBand
from tests.directory.conftest import new_referral, result_entry

HOURS = [timedelta(hours=hours) for hours in (1, 2, 30, 40, 50)]


def record_of(service) -> ResponseRecord:
    return response_records([service.id])[service.id]


# The response record


def test_median_reply_time_and_share_accepted(directory, make_service, make_referrals):
    service = make_service("Food Bank")
    make_referrals(service, accepted=4, declined=1, response=HOURS)

    record = record_of(service)

    assert record.answered == 5
    assert record.median_seconds == pytest.approx(30 * 3600, abs=1)
    assert record.accepted_share == pytest.approx(0.8)
    assert record.summary == "usually replies in 1 day · accepts 80% of referrals"


def test_the_median_of_an_even_number_is_the_mean_of_the_middle_two(
    directory, make_service, make_referrals
):
    service = make_service("Food Bank")
    hours = [timedelta(hours=h) for h in (13, 1, 5, 3, 2, 8)]  # sorted: 1 2 3 5 8 13
    make_referrals(service, accepted=3, declined=3, response=hours)

    record = record_of(service)

    assert record.median_seconds == pytest.approx(4 * 3600, abs=1)
    assert record.summary == "usually replies in 4 hours · accepts 50% of referrals"


def test_under_five_answered_referrals_is_not_enough_data_yet(
    directory, make_service, make_referrals
):
    service = make_service("Food Bank")
    make_referrals(service, accepted=4, response=HOURS[:4])

    assert record_of(service).summary == "not enough data yet"
    assert record_of(service).accepted_share is None

    make_referrals(service, declined=1)

    assert record_of(service).summary == "usually replies in 1 day · accepts 80% of referrals"


def test_only_referrals_sent_in_the_last_90_days_count(directory, make_service, make_referrals):
    service = make_service("Food Bank")
    make_referrals(service, accepted=5, response=timedelta(hours=2), sent_ago=timedelta(days=89))
    make_referrals(service, declined=5, response=timedelta(days=9), sent_ago=timedelta(days=91))

    record = record_of(service)

    assert (record.answered, record.accepted) == (5, 5)
    assert record.summary == "usually replies in 2 hours · accepts 100% of referrals"


def test_referrals_not_sent_or_never_answered_do_not_count(directory, make_service, make_referrals):
    service = make_service("Food Bank")
    make_referrals(service, accepted=4, unanswered=3)
    draft = new_referral(directory, service, sent_at=clock.now())
    draft.status, draft.sent_at, draft.accepted_at = ReferralStatus.DRAFT, None, clock.now()
    db.session.add(draft)
    db.session.commit()

    assert record_of(service).answered == 4
    assert record_of(service).summary == "not enough data yet"


def test_each_service_has_its_own_record_from_one_call(directory, make_service, make_referrals):
    quick = make_service("Quick")
    slow = make_service("Slow")
    quiet = make_service("Quiet")
    make_referrals(quick, accepted=5, response=timedelta(minutes=20))
    make_referrals(slow, accepted=1, declined=4, response=timedelta(days=6))

    records = response_records([quick.id, slow.id, quiet.id])

    assert records[quick.id].summary == (
        "usually replies in under an hour · accepts 100% of referrals"
    )
    assert records[slow.id].summary == "usually replies in 6 days · accepts 20% of referrals"
    assert records[quiet.id] == ResponseRecord()


@pytest.mark.parametrize(
    ("took", "words"),
    [
        (timedelta(minutes=59), "in under an hour"),
        (timedelta(minutes=61), "in 1 hour"),
        (timedelta(hours=5, minutes=20), "in 5 hours"),
        (timedelta(hours=23, minutes=40), "in 1 day"),
        (timedelta(days=3, hours=2), "in 3 days"),
    ],
)
def test_reply_times_in_words(took, words):
    assert reply_time_words(took.total_seconds()) == words


def test_the_page_shows_each_service_s_record(
    caseworker_client, directory, make_service, make_referrals
):
    busy = make_service("Busy Food Bank")
    make_service("New Food Bank")
    make_referrals(busy, accepted=4, declined=1, response=HOURS)

    response = caseworker_client.get("/directory")

    busy_entry = result_entry(response, "Busy Food Bank")
    assert "Last 90 days: usually replies in 1 day · accepts 80% of referrals" in busy_entry
    assert "Last 90 days: not enough data yet" in result_entry(response, "New Food Bank")


def test_the_records_for_a_page_take_the_same_queries_for_2_services_as_for_20(
    caseworker_client, directory, make_service, make_referrals
):
    """No query per service: the page's records come from one grouped query."""

    def queries_for_page() -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert caseworker_client.get("/directory").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    for number in range(2):
        make_referrals(make_service(f"Service {number:02d}"), accepted=5)
    with_two = queries_for_page()
    for number in range(2, 20):
        make_referrals(make_service(f"Service {number:02d}"), accepted=5)

    assert queries_for_page() == with_two


# Freshness


def test_the_page_shows_freshness_and_flags_stale_capacity(
    caseworker_client, directory, make_service
):
    now = clock.now()
    make_service("Just Posted")
    make_service("This Morning", capacity_updated_at=now - timedelta(hours=2, minutes=5))
    make_service("Last Week", capacity_updated_at=now - timedelta(days=6, hours=23))
    make_service("Long Ago", capacity_updated_at=now - timedelta(days=8))

    response = caseworker_client.get("/directory")

    assert "Capacity updated just now</p>" in result_entry(response, "Just Posted")
    assert "Capacity updated 2 hours ago</p>" in result_entry(response, "This Morning")
    assert "Capacity updated 6 days ago</p>" in result_entry(response, "Last Week")
    long_ago = result_entry(response, "Long Ago")
    assert "Capacity updated 8 days ago" in long_ago
    assert ">Stale<" in long_ago


def test_capacity_nobody_has_posted_reads_not_posted_yet_not_updated_just_now(
    caseworker_client, directory, make_service
):
    """As an import leaves a service: its capacity set just now, but by no one."""
    make_service("Imported", capacity_updated_by=None)
    make_service(
        "Imported Long Ago",
        capacity_updated_by=None,
        capacity_updated_at=clock.now() - timedelta(days=30),
    )

    response = caseworker_client.get("/directory")

    for name in ("Imported", "Imported Long Ago"):
        entry = result_entry(response, name)
        assert "Capacity not posted yet</p>" in entry
        assert "updated" not in entry


def test_a_service_nobody_can_receive_referrals_for_says_so(
    caseworker_client, directory, make_service
):
    make_service("Food parcels")
    make_service("Surgery pantry", organisation=directory.surgery)
    directory.users[Role.COORDINATOR].active = False  # the pantry's only one
    db.session.commit()

    response = caseworker_client.get("/directory")

    assert (
        "Takes no referrals through North Valley Partnership: nobody at Southside Pantry can "
        "receive them yet. Contact the service directly."
    ) in result_entry(response, "Food parcels")
    assert "Takes no referrals" not in result_entry(response, "Surgery pantry")


def test_each_result_shows_who_runs_it_its_capacity_and_places(
    caseworker_client, directory, make_service
):
    waiting = make_service(
        "Debt Advice", capacity_status=CapacityStatus.WAITLIST, wait_band=WaitBand.ONE_TO_4_WEEKS
    )
    make_service("Food Bank", places_available=4, organisation=directory.surgery)

    response = caseworker_client.get("/directory")

    debt = result_entry(response, "Debt Advice")
    assert f'href="/services/{waiting.id}?back=' in debt
    assert "Southside Pantry (Voluntary, community and social enterprise)" in debt
    assert "Waiting list: 1 to 4 weeks</strong> Places available: Not limited." in debt
    food = result_entry(response, "Food Bank")
    assert "Northside Surgery (NHS)" in food
    assert "Open</strong> Places available: 4." in food


def test_records_are_kept_for_ranking_suggestions_until_referrals_change(
    app, directory, make_service, make_referrals, monkeypatch
):
    from partnership.directory import record as records_module

    counted = []
    count = records_module.response_records

    def counting(service_ids, **kw):
        counted.append(sorted(service_ids))
        return count(service_ids, **kw)

    monkeypatch.setattr(records_module, "response_records", counting)
    quick, slow = make_service("Quick Pantry"), make_service("Slow Pantry")
    make_referrals(quick, accepted=5, response=HOURS)

    assert records_module.kept_response_records([quick.id])[quick.id].answered == 5
    # Kept: only the service not asked about before is worked out.
    again = records_module.kept_response_records([quick.id, slow.id])
    assert (again[quick.id].answered, again[slow.id].answered) == (5, 0)
    assert counted == [[quick.id], [slow.id]]
    # Capacity is not part of the record: a change to it keeps the records.
    quick.capacity_status = CapacityStatus.LIMITED
    db.session.commit()
    records_module.kept_response_records([quick.id, slow.id])
    assert len(counted) == 2

    # Five more answers: every record is worked out afresh, together.
    make_referrals(quick, declined=5, response=HOURS)
    again = records_module.kept_response_records([quick.id, slow.id])
    assert again[quick.id].answered == 10
    assert counted[-1] == sorted([quick.id, slow.id])
    # As of a given moment, always afresh.
    records_module.kept_response_records([quick.id], clock.now())
    assert counted[-1] == [quick.id]
