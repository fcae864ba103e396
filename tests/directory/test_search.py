"""Searching the directory: words, need, neighbourhood, eligibility by age, places now, paging."""

import pytest

from partnership.directory.search import Filters, find_services
from partnership.models import CapacityStatus, Organisation, Sector
from tests.directory.conftest import result_names


def names(filters: Filters, page: int = 1) -> list[str]:
    return [entry.service.name for entry in find_services(filters, page).entries]


def test_food_for_a_70_year_old_in_a_neighbourhood_shows_only_services_covering_it_that_admit_70(
    caseworker_client, directory, make_service
):
    north, south, food = directory.north, directory.south, directory.food
    make_service("Lunch Club for Over 60s", min_age=60)
    make_service("Open Pantry", neighbourhoods=[north, south])
    make_service("Meals up to 70", max_age=70)
    make_service("Southside Food Bank", neighbourhoods=[south])
    make_service("Youth Food Club", min_age=11, max_age=18)
    make_service("Meals for Over 75s", min_age=75)
    make_service("Housing Advice", needs=[directory.housing])

    response = caseworker_client.get(f"/directory?need={food.id}&neighbourhood={north.id}&age=70")

    assert result_names(response) == ["Lunch Club for Over 60s", "Meals up to 70", "Open Pantry"]


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (17, ["Any age", "Under 18s"]),
        (18, ["Adults of working age", "Any age"]),
        (64, ["Adults of working age", "Any age", "Over 64s"]),
        (65, ["Any age", "Over 64s"]),
    ],
)
def test_an_age_range_includes_both_ends_and_an_open_end_admits_everyone(
    directory, make_service, age, expected
):
    make_service("Adults of working age", min_age=18, max_age=64)
    make_service("Under 18s", max_age=17)
    make_service("Over 64s", min_age=64)
    make_service("Any age")

    assert names(Filters(age=age)) == expected


def test_a_need_shows_only_services_that_meet_it(directory, make_service):
    make_service("Food Bank")
    make_service("Housing Advice", needs=[directory.housing])
    make_service("Food and Housing Hub", needs=[directory.food, directory.housing])

    housing = Filters(need_id=directory.housing.id)
    assert names(housing) == ["Food and Housing Hub", "Housing Advice"]


def test_words_match_the_name_description_or_organisation_whatever_the_case(
    directory, make_service
):
    parish = Organisation(name="St Anne's Parish", sector=Sector.VCSE)
    make_service("Community Fridge")
    make_service("Warm Space", description="A warm room and a FRIDGE full of food")
    make_service("Drop-in", organisation=parish)
    make_service("Job Club")

    assert names(Filters(words="fridge")) == ["Community Fridge", "Warm Space"]
    assert names(Filters(words="  ANNE  ")) == ["Drop-in"]


def test_every_word_must_match_somewhere(directory, make_service):
    make_service("Community Fridge", description="Free food")
    make_service("Community Garden", description="Grow vegetables")

    assert names(Filters(words="community food")) == ["Community Fridge"]


def test_words_are_taken_literally_not_as_wildcards(directory, make_service):
    make_service("100% Free Meals")
    make_service("1000 Meals")
    make_service("Meal_Share")
    make_service("Meals\\Wheels")
    make_service("Meals/Wheels")

    assert names(Filters(words="100%")) == ["100% Free Meals"]
    assert names(Filters(words="_")) == ["Meal_Share"]
    assert names(Filters(words="\\")) == ["Meals\\Wheels"]
    assert names(Filters(words="s\\")) == ["Meals\\Wheels"]
    assert names(Filters(words="/")) == ["Meals/Wheels"]


def test_has_places_now_means_open_or_limited_with_places_left(directory, make_service):
    make_service("Open with places", places_available=3)
    make_service("Open, not counting places")
    make_service("Limited, one place", capacity_status=CapacityStatus.LIMITED, places_available=1)
    make_service("Open but no places left", places_available=0)
    make_service("Waiting list", capacity_status=CapacityStatus.WAITLIST)
    make_service("Full", capacity_status=CapacityStatus.FULL, places_available=0)
    make_service("Closed", capacity_status=CapacityStatus.CLOSED)

    assert names(Filters(has_places=True)) == [
        "Limited, one place",
        "Open with places",
        "Open, not counting places",
    ]
    assert len(names(Filters())) == 7


def test_has_places_now_on_the_page(caseworker_client, directory, make_service):
    make_service("Open with places", places_available=3)
    make_service("Full", capacity_status=CapacityStatus.FULL)

    response = caseworker_client.get("/directory?has_places=y")

    assert result_names(response) == ["Open with places"]


def test_results_come_20_a_page_in_name_order(directory, make_service):
    for number in range(45):
        make_service(f"Service {number:02d}")

    first, last = find_services(Filters(), 1), find_services(Filters(), 3)

    assert (first.total, first.pages, first.number) == (45, 3, 1)
    assert [e.service.name for e in first.entries] == [f"Service {n:02d}" for n in range(20)]
    assert [e.service.name for e in last.entries] == [f"Service {n:02d}" for n in range(40, 45)]


@pytest.mark.parametrize(("asked", "shown"), [(0, 1), (-1, 1), (99, 2)])
def test_a_page_out_of_range_shows_the_nearest_page(directory, make_service, asked, shown):
    for number in range(25):
        make_service(f"Service {number:02d}")

    assert find_services(Filters(), asked).number == shown


def test_the_page_links_to_other_pages_keeping_the_filters(
    caseworker_client, directory, make_service
):
    for number in range(25):
        make_service(f"Club {number:02d}")

    first = caseworker_client.get("/directory?words=club&age=&page=1")
    second = caseworker_client.get("/directory?words=club&page=2")

    assert len(result_names(first)) == 20
    assert result_names(second) == ["Club 20", "Club 21", "Club 22", "Club 23", "Club 24"]
    page = first.get_data(as_text=True)
    assert '<nav class="govuk-pagination"' in page
    assert 'href="/directory?words=club&amp;age=&amp;page=2" rel="next"' in page
    assert "25 services, page 1 of 2" in page
    assert 'href="/directory?words=club&amp;page=1" rel="prev"' in second.get_data(as_text=True)
