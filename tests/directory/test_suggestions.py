"""Suggested services for a resident, ranked with reasons, and recording unmet need."""

from datetime import timedelta

from sqlalchemy import select

from partnership import clock
from partnership.directory.suggestions import record_unmet_need, suggest
from partnership.extensions import db
from partnership.models import CapacityStatus, Role, UnmetNeed, WaitBand
from tests.directory.conftest import page_text, suggested_names


def suggested(directory, age=70, **kwargs) -> list[str]:
    found = suggest(directory.food.id, directory.north.id, age, **kwargs)
    return [suggestion.service.name for suggestion in found]


def test_ranked_by_coverage_then_capacity_then_freshness_then_record(
    directory, make_service, make_referrals
):
    long_ago = clock.now() - timedelta(days=10)
    make_service("A Elsewhere with places", neighbourhoods=[directory.south], places_available=5)
    make_service("B Full", capacity_status=CapacityStatus.FULL, places_available=0)
    make_service("C Closed", capacity_status=CapacityStatus.CLOSED)
    make_service("D Waiting list", capacity_status=CapacityStatus.WAITLIST)
    make_service("E Out of places", places_available=0)
    make_service("F Places, stale", places_available=2, capacity_updated_at=long_ago)
    slow = make_service("G Places, slow to reply", places_available=2)
    quick = make_service("H Places, quick to reply", places_available=2)
    choosy = make_service("I Places, quick but accepts fewer", places_available=2)
    make_service("J Places, no record yet", places_available=2)
    make_referrals(slow, accepted=5, response=timedelta(days=5))
    make_referrals(quick, accepted=5, response=timedelta(hours=2))
    make_referrals(choosy, accepted=2, declined=3, response=timedelta(hours=2))

    assert suggested(directory) == [
        "H Places, quick to reply",
        "I Places, quick but accepts fewer",
        "G Places, slow to reply",
        "J Places, no record yet",
        "F Places, stale",
        "D Waiting list",
        "B Full",
        "C Closed",
        "E Out of places",
        "A Elsewhere with places",
    ]


def test_each_suggestion_gives_its_reason_in_words(directory, make_service, make_referrals):
    quick = make_service("Food Bank", places_available=4)
    make_referrals(quick, accepted=5, response=timedelta(hours=26))
    make_service("Pantry", places_available=1, capacity_updated_at=clock.now() - timedelta(days=9))
    make_service(
        "Meals on Wheels",
        neighbourhoods=[directory.south],
        capacity_status=CapacityStatus.WAITLIST,
        wait_band=WaitBand.ONE_TO_4_WEEKS,
    )
    make_service("Lunch Club", capacity_status=CapacityStatus.FULL)

    reasons = {s.service.name: s.reason for s in suggest(directory.food.id, directory.north.id, 70)}

    assert reasons == {
        "Food Bank": "covers Northside · 4 places · usually replies in 1 day",
        "Pantry": "covers Northside · 1 place · updated 9 days ago · no reply record yet",
        "Lunch Club": "covers Northside · full · no reply record yet",
        "Meals on Wheels": (
            "does not cover Northside · waiting list of 1 to 4 weeks · no reply record yet"
        ),
    }


def test_services_nobody_can_receive_referrals_for_come_last_and_say_why(directory, make_service):
    make_service("A Pantry, nobody to receive", places_available=9)
    make_service(
        "B Surgery, full", organisation=directory.surgery, capacity_status=CapacityStatus.FULL
    )
    make_service("C Never posted", organisation=directory.surgery, capacity_updated_by=None)
    directory.users[Role.COORDINATOR].active = False
    db.session.commit()

    found = suggest(directory.food.id, directory.north.id, 70)

    assert [s.service.name for s in found] == [
        "C Never posted",
        "B Surgery, full",
        "A Pantry, nobody to receive",
    ]
    reasons = {s.service.name: s.reason for s in found}
    assert reasons["A Pantry, nobody to receive"] == (
        "Takes no referrals through North Valley Partnership: nobody at Southside Pantry can "
        "receive them yet"
    )
    assert reasons["C Never posted"] == (
        "covers Northside · open · capacity not posted yet · no reply record yet"
    )
    assert [s.takes_referrals for s in found] == [True, True, False]


def test_capacity_posted_this_week_ranks_above_capacity_nobody_posted(directory, make_service):
    make_service("A Never posted", capacity_updated_by=None)
    make_service("B Posted")
    assert suggested(directory) == ["B Posted", "A Never posted"]


def test_only_services_for_the_need_that_admit_the_age_are_suggested(directory, make_service):
    make_service("Lunch Club for Over 60s", min_age=60)
    make_service("Youth Food Club", max_age=18)
    make_service("Housing Advice", needs=[directory.housing])
    make_service("Southside Food Bank", neighbourhoods=[directory.south])

    assert suggested(directory, age=70) == ["Lunch Club for Over 60s", "Southside Food Bank"]
    assert suggested(directory, age=16) == ["Youth Food Club", "Southside Food Bank"]


def test_at_most_limit_suggestions(directory, make_service):
    for number in range(12):
        make_service(f"Service {number:02d}")

    assert len(suggested(directory)) == 10
    assert suggested(directory, limit=3) == ["Service 00", "Service 01", "Service 02"]


def test_no_eligible_service_is_an_empty_list_and_is_recorded_as_unmet_need(
    directory, make_service
):
    make_service("Youth Food Club", max_age=18)
    caseworker = directory.users[Role.CASEWORKER]

    assert suggest(directory.food.id, directory.north.id, 70) == []
    record_unmet_need(
        directory.food.id, directory.north.id, caseworker.organisation_id, directory.resident.id
    )
    db.session.commit()

    unmet = db.session.scalars(select(UnmetNeed)).one()
    assert (unmet.need, unmet.neighbourhood, unmet.resident_id) == (
        directory.food,
        directory.north,
        directory.resident.id,
    )
    assert unmet.recorded_by_organisation_id == directory.surgery.id
    assert unmet.recorded_at is not None


def test_unmet_need_may_be_recorded_without_a_resident(directory):
    record_unmet_need(directory.housing.id, directory.south.id, directory.council.id)
    db.session.commit()

    unmet = db.session.scalars(select(UnmetNeed)).one()
    assert (unmet.need, unmet.neighbourhood, unmet.resident_id) == (
        directory.housing,
        directory.south,
        None,
    )


# On the directory page


def test_the_page_suggests_services_above_the_results_when_need_neighbourhood_and_age_are_given(
    caseworker_client, directory, make_service
):
    make_service("Food Bank", places_available=4)
    make_service("Lunch Club", capacity_status=CapacityStatus.FULL)
    food, north = directory.food.id, directory.north.id

    response = caseworker_client.get(f"/directory?need={food}&neighbourhood={north}&age=70")

    assert suggested_names(response) == ["Food Bank", "Lunch Club"]
    page = page_text(response)
    assert "covers Northside · 4 places · no reply record yet" in page
    assert page.index("Suggested for this resident") < page.index(">Services</h2>")


def test_no_suggestions_without_all_of_need_neighbourhood_and_age(
    caseworker_client, directory, make_service
):
    make_service("Food Bank", places_available=4)
    food, north = directory.food.id, directory.north.id

    for query in (
        f"need={food}&neighbourhood={north}",
        f"need={food}&age=70",
        f"neighbourhood={north}&age=70",
    ):
        page = page_text(caseworker_client.get(f"/directory?{query}"))
        assert "Suggested for this resident" not in page, query
        assert ">Food Bank</a>" in page, query
    # An age that is not one is an error to put right: neither suggestions nor results.
    page = page_text(caseworker_client.get(f"/directory?need={food}&neighbourhood={north}&age=x"))
    assert "Suggested for this resident" not in page
    assert ">Food Bank</a>" not in page


def test_the_page_says_clearly_when_no_service_meets_the_need(
    caseworker_client, directory, make_service
):
    make_service("Youth Food Club", max_age=18)
    food, north = directory.food.id, directory.north.id

    response = caseworker_client.get(f"/directory?need={food}&neighbourhood={north}&age=70")

    assert suggested_names(response) == []
    assert "No service in the partnership meets food needs for someone aged 70." in page_text(
        response
    )
