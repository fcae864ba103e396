"""`flask directory import`: an Open Referral UK feed into the directory, and back out again."""

import json
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from partnership import clock
from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    CapacityUpdate,
    Event,
    Neighbourhood,
    Organisation,
    Role,
    Sector,
    Service,
    User,
)
from partnership.openreferral import importer
from partnership.openreferral.importer import FeedError, import_services, read_feed
from partnership.openreferral.taxonomy import MappingError, load_mapping
from partnership.reference import NEEDS, seed_reference_data
from partnership.services.capacity import freshness_words, post_capacity
from tests.conftest import empty_database
from tests.openreferral.conftest import standard_file

EXAMPLE_SERVICE = UUID("ac148810-d857-441c-9679-408f346de14b")


def run_import(app, tmp_path, feed, *options):
    """Write `feed` to a file and run the command on it, as someone would by hand."""
    path = tmp_path / f"feed-{uuid4().hex[:8]}.json"
    path.write_text(json.dumps(feed), encoding="utf-8")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["directory", "import", str(path), *options])
    db.session.expire_all()
    return result


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def service_named(name: str) -> Service:
    return db.session.scalar(select(Service).where(Service.name == name))


def feed_service(number: int, organisation: dict | None = None, **fields) -> dict:
    organisation = organisation or {
        "id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
        "name": "Northside Community Trust",
        "description": "",
    }
    service = {
        "id": str(UUID(int=number + 1)),
        "name": f"Service {number}",
        "description": f"Help of kind {number}",
        "status": "active",
        "organization_id": organisation["id"],
        "organization": organisation,
    }
    service.update(fields)
    return service


def term(name: str, code: str | None = None) -> dict:
    found = {"id": str(uuid4()), "name": name, "description": name, "taxonomy": "LGA"}
    if code:
        found["term"] = code
    return {"id": str(uuid4()), "taxonomy_term": found}


@pytest.fixture
def needs(app):
    seed_reference_data()
    db.session.commit()


@pytest.fixture
def places(needs):
    north = Neighbourhood(name="Northside", ons_code="E05000001")
    south = Neighbourhood(name="Southside", ons_code="E05000002")
    db.session.add_all([north, south])
    db.session.commit()
    return north, south


def snapshot() -> list[tuple]:
    """Everything a round trip should keep, service by service."""
    return sorted(
        (
            service.uuid,
            service.name,
            service.description,
            service.organisation.uuid,
            service.organisation.name,
            service.organisation.sector,
            service.organisation.ods_code,
            service.organisation.charity_number,
            tuple(n.slug for n in service.needs),
            tuple(n.name for n in service.neighbourhoods),
            service.min_age,
            service.max_age,
            service.contact_email,
            service.contact_phone,
            service.website,
            service.eligibility_notes,
            service.referral_instructions,
            service.capacity_status,
            service.places_available,
            service.wait_band,
        )
        for service in db.session.scalars(select(Service))
    )


def test_exporting_and_importing_into_an_empty_database_gives_the_same_services(
    app, client, directory, tmp_path
):
    before = snapshot()
    feed, page = [], 1
    while True:
        response = client.get(f"/openreferral/services?per_page=2&page={page}").get_json()
        feed += response["contents"]
        if response["last_page"]:
            break
        page += 1

    empty_database()
    db.session.add_all(
        [
            Neighbourhood(name="Northside", ons_code="E05000001"),
            Neighbourhood(name="Southside", ons_code="E05000002"),
        ]
    )
    seed_reference_data()
    result = run_import(app, tmp_path, feed)

    assert result.exit_code == 0, result.output
    assert "Created 3, updated 0, unchanged 0, skipped 0 services." in result.output
    assert count(Service) == 3
    assert snapshot() == before


@pytest.mark.parametrize("example", ["service_full.json", "service_list.json"])
def test_the_standards_examples_import_cleanly(app, needs, tmp_path, example):
    result = run_import(app, tmp_path, standard_file(f"examples/{example}"))

    assert result.exit_code == 0, result.output
    assert "Created 1, updated 0, unchanged 0, skipped 0 services." in result.output
    service = db.session.scalar(select(Service).where(Service.uuid == EXAMPLE_SERVICE))
    assert service.name == "Community Counselling"
    assert (service.min_age, service.max_age) == (12, 100)
    assert service.contact_email == "email@example.com"
    assert service.website == "http://example.com/counselling"
    assert service.organisation.name == "Example Organization Inc."
    assert service.organisation.uuid == UUID("d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610")
    assert service.organisation.sector is Sector.OTHER
    assert service.capacity_status is CapacityStatus.OPEN


def test_unmapped_terms_and_areas_are_reported_not_fatal(app, needs, tmp_path):
    result = run_import(app, tmp_path, standard_file("examples/service_full.json"))

    assert "Taxonomy terms with no need in the mapping (services):\n  name: 1" in result.output
    assert "Service areas that are none of our neighbourhoods" in result.output
    assert service_named("Community Counselling").needs == []


def test_importing_twice_creates_nothing_new(app, places, tmp_path):
    feed = [
        feed_service(
            n,
            attributes=[term("Food banks")],
            service_areas=[{"id": str(uuid4()), "name": "Northside"}],
            email=f"service{n}@example.org",
            minimum_age=16,
        )
        for n in range(20)
    ]
    run_import(app, tmp_path, feed)
    counts = {model: count(model) for model in (Service, Organisation, CapacityUpdate)}
    modified = dict(db.session.execute(select(Service.uuid, Service.updated_at)).all())

    again = run_import(app, tmp_path, feed)

    assert "Created 0, updated 0, unchanged 20, skipped 0 services." in again.output
    assert {model: count(model) for model in counts} == counts
    assert dict(db.session.execute(select(Service.uuid, Service.updated_at)).all()) == modified


def test_a_changed_feed_updates_the_same_services(app, places, tmp_path):
    first = feed_service(1, attributes=[term("Food banks")], minimum_age=18)
    run_import(app, tmp_path, [first, feed_service(2)])
    changed = feed_service(
        1, name="Renamed pantry", status="defunct", attributes=[term("Knitting")], minimum_age=21
    )

    result = run_import(app, tmp_path, [changed, feed_service(2)])

    assert "Created 0, updated 1, unchanged 1, skipped 0 services." in result.output
    service = service_named("Renamed pantry")
    assert service.uuid == UUID(int=2)
    assert service.min_age == 21
    assert [n.slug for n in service.needs] == ["food"]  # unmapped terms leave needs alone
    assert service.capacity_status is CapacityStatus.CLOSED
    assert count(Service) == 2
    history = db.session.scalars(
        select(CapacityUpdate.status).where(CapacityUpdate.service_id == service.id)
    ).all()
    assert sorted(history) == sorted([CapacityStatus.OPEN, CapacityStatus.CLOSED])
    assert db.session.scalar(
        select(Event).where(Event.kind == "capacity", Event.service_id == service.id)
    )  # the live directory hears of the closing


def test_a_new_service_takes_capacity_from_the_extension_if_it_keeps_the_rules(
    app, needs, tmp_path
):
    feed = [
        feed_service(1, partnership_capacity={"status": "limited", "places_available": 3}),
        feed_service(2, partnership_capacity={"status": "waitlist"}),  # no wait band
        feed_service(3, status="inactive", partnership_capacity="full"),
        feed_service(4),
    ]

    run_import(app, tmp_path, feed)

    capacities = {
        name: (status, places)
        for name, status, places in db.session.execute(
            select(Service.name, Service.capacity_status, Service.places_available)
        )
    }
    assert capacities == {
        "Service 1": (CapacityStatus.LIMITED, 3),
        "Service 2": (CapacityStatus.OPEN, None),
        "Service 3": (CapacityStatus.CLOSED, None),
        "Service 4": (CapacityStatus.OPEN, None),
    }
    assert count(CapacityUpdate) == 4


def test_imported_capacity_is_not_posted_until_someone_posts_it(app, places, tmp_path):
    """The feed's capacity is a guess: the directory says nobody has posted it, not that it
    was updated just now, and a feed that closes a service leaves it so again."""
    run_import(app, tmp_path, [feed_service(1, partnership_capacity={"status": "open"})])
    service = service_named("Service 1")
    assert freshness_words(service, clock.now()) == "not posted yet"

    coordinator = User(
        email="coordinator@example.org",
        name="Cora Ordinator",
        organisation=service.organisation,
        role=Role.COORDINATOR,
        password_hash="-",
    )
    post_capacity(service, coordinator, "limited", 2)
    db.session.commit()
    assert freshness_words(service, clock.now()) == "updated just now"

    run_import(app, tmp_path, [feed_service(1, status="defunct")])
    db.session.expire_all()
    service = service_named("Service 1")
    assert service.capacity_status is CapacityStatus.CLOSED
    assert freshness_words(service, clock.now()) == "not posted yet"


def test_skips_say_why_and_write_nothing(app, needs, tmp_path):
    stranger = {"id": str(uuid4()), "name": "Only Here When Valid", "description": ""}
    feed = [
        feed_service(1),
        {"name": "No id here"},
        feed_service(2, name="  "),
        feed_service(3, minimum_age=65, maximum_age=18, organization=stranger),
        feed_service(4, minimum_age="old"),
        feed_service(5, organization_id=None, organization=None),
        "not a service",
        feed_service(1, name="Service 1 again"),
        feed_service(6, name="x" * 201),
    ]

    result = run_import(app, tmp_path, feed)

    assert result.exit_code == 0, result.output
    assert "Created 1, updated 0, unchanged 0, skipped 8 services." in result.output
    for line in [
        "#2 No id here: no id",
        "#3 00000000-0000-0000-0000-000000000003: no name",
        "#4 Service 3: minimum age above maximum age",
        "#5 Service 4: minimum age is not a number",
        "#6 Service 5: no organisation",
        "#7 entry 7: not a JSON object",
        "#8 Service 1 again: its id appears earlier in the file",
        "name longer than 200 characters",
    ]:
        assert line in result.output
    assert count(Service) == 1
    assert count(Organisation) == 1
    assert (
        db.session.scalar(select(Organisation).where(Organisation.name == stranger["name"])) is None
    )


def test_a_service_that_fails_half_way_leaves_nothing_behind(app, needs, tmp_path, monkeypatch):
    newcomer = {"id": str(uuid4()), "name": "Newcomer Charity", "description": ""}
    feed = [
        feed_service(1),
        feed_service(2, organization_id=newcomer["id"], organization=newcomer),
        feed_service(3),
    ]
    real = importer._link
    calls = []

    def fail_for_the_second_service(connection, table, column, service_id, ids):
        calls.append(service_id)
        if len(calls) == 3:  # each service links needs then areas: the second's needs
            raise IntegrityError("INSERT", {}, Exception("disk full"))
        real(connection, table, column, service_id, ids)

    monkeypatch.setattr(importer, "_link", fail_for_the_second_service)
    result = run_import(app, tmp_path, feed)

    assert "#2 Service 2: could not be saved (Exception)" in result.output
    assert sorted(db.session.scalars(select(Service.name))) == ["Service 1", "Service 3"]
    assert (
        db.session.scalar(select(Organisation).where(Organisation.name == "Newcomer Charity"))
        is None
    )
    assert count(CapacityUpdate) == 2


def test_terms_map_onto_needs_through_the_editable_mapping(app, needs, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "terms": {
                    "LGA-1234": "housing",
                    "knitting": ["loneliness-and-isolation", "mental-wellbeing"],
                }
            }
        )
    )
    feed = [
        feed_service(1, attributes=[term("Homes for all", code="LGA-1234")]),
        feed_service(2, attributes=[term("KNITTING")]),
        feed_service(3, attributes=[term("Food")]),  # our need's own name
        feed_service(4, attributes=[term("Underwater basket weaving")]),
    ]

    result = run_import(app, tmp_path, feed, "--mapping", str(mapping))

    assert result.exit_code == 0, result.output
    assert [n.slug for n in service_named("Service 1").needs] == ["housing"]
    assert [n.slug for n in service_named("Service 2").needs] == [
        "loneliness-and-isolation",
        "mental-wellbeing",
    ]
    assert [n.slug for n in service_named("Service 3").needs] == ["food"]
    assert service_named("Service 4").needs == []
    assert "Underwater basket weaving: 1" in result.output


def test_the_default_mapping_covers_common_terms(app, needs, tmp_path):
    feed = [feed_service(1, attributes=[term("Debt advice"), term("Befriending")])]

    run_import(app, tmp_path, feed)

    assert [n.slug for n in service_named("Service 1").needs] == [
        "loneliness-and-isolation",
        "money-and-debt",
    ]


def test_a_mapping_naming_a_need_we_do_not_have_is_refused(app, needs, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"terms": {"food banks": "fod"}}))

    result = run_import(app, tmp_path, [feed_service(1)], "--mapping", str(mapping))

    assert result.exit_code != 0
    assert "fod" in result.output and "not one of the partnership's needs" in result.output
    assert count(Service) == 0
    with pytest.raises(MappingError):
        load_mapping(mapping, NEEDS)


def test_service_areas_become_neighbourhoods_by_name_in_any_case(app, places, tmp_path):
    north, south = places
    areas = [{"id": str(uuid4()), "name": n} for n in ("NORTHSIDE", "southside ", "Atlantis")]

    result = run_import(app, tmp_path, [feed_service(1, service_areas=areas)])

    assert [n.name for n in service_named("Service 1").neighbourhoods] == ["Northside", "Southside"]
    assert "Atlantis: 1" in result.output


def test_contacts_come_from_the_service_or_its_contacts(app, needs, tmp_path):
    contacts = [
        {"id": str(uuid4()), "name": "Reception"},
        {
            "id": str(uuid4()),
            "email": "desk@example.org",
            "phones": [{"id": "p", "number": "0161 000"}],
        },
    ]
    feed = [
        feed_service(1, url="https://example.org/one", contacts=contacts),
        feed_service(2, email="not an email", phones=[{"id": "q", "number": "0" * 41}]),
        feed_service(3, url="javascript:alert(1)"),
    ]

    result = run_import(app, tmp_path, feed)

    one = service_named("Service 1")
    assert (one.contact_email, one.contact_phone, one.website) == (
        "desk@example.org",
        "0161 000",
        "https://example.org/one",
    )
    two = service_named("Service 2")
    assert (two.contact_email, two.contact_phone) == (None, None)
    assert service_named("Service 3").website is None
    assert "email address that is not one: 1" in result.output
    assert "phone number longer than 40 characters: 1" in result.output
    assert "website that is not a web address: 1" in result.output


def test_organisations_are_matched_or_created_with_a_sector(app, places, tmp_path):
    db.session.add(Organisation(name="Borough Council", sector=Sector.COUNCIL, ods_code="Y00001"))
    db.session.commit()
    council = {"id": str(uuid4()), "name": "BOROUGH COUNCIL", "description": ""}
    charity = {
        "id": str(uuid4()),
        "name": "Harbour Housing Trust",
        "description": "",
        "organization_identifiers": [
            {
                "id": str(uuid4()),
                "identifier_scheme": "GB-CHC",
                "identifier_type": "Charity number",
                "identifier": "1098765",
            }
        ],
    }
    practice = {
        "id": str(uuid4()),
        "name": "Riverside Practice",
        "description": "",
        "organization_identifiers": [
            {"id": str(uuid4()), "identifier_type": "ODS code", "identifier": "Y00001"}
        ],
    }
    feed = [
        feed_service(1, organization_id=council["id"], organization=council),
        feed_service(2, organization_id=charity["id"], organization=charity),
        feed_service(3, organization_id=practice["id"], organization=practice),
    ]

    result = run_import(app, tmp_path, feed)

    assert count(Organisation) == 3
    assert service_named("Service 1").organisation.name == "Borough Council"
    trust = service_named("Service 2").organisation
    assert (trust.sector, trust.charity_number) == (Sector.VCSE, "1098765")
    practice_row = service_named("Service 3").organisation
    assert (practice_row.sector, practice_row.ods_code) == (Sector.OTHER, None)
    assert "ODS code another organisation has: 1" in result.output
    assert (
        "Created 2 organisations:\n  Harbour Housing Trust\n  Riverside Practice" in result.output
    )


def test_an_older_feed_with_numbered_ids_imports_again_and_again(app, places, tmp_path):
    older = {
        "id": 42,
        "name": "Lunch Club",
        "organization": {"id": "7", "name": "Age Friendly Northside"},
        "eligibilitys": [{"id": "1", "minimum_age": 60}],
        "service_taxonomys": [{"id": "1", "taxonomy": {"id": "99", "name": "Lunch clubs"}}],
    }

    run_import(app, tmp_path, [older])
    again = run_import(app, tmp_path, [older])

    assert "Created 0, updated 0, unchanged 1" in again.output
    lunch = service_named("Lunch Club")
    assert (lunch.min_age, [n.slug for n in lunch.needs]) == (60, ["food"])
    assert count(Organisation) == 1


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"total_items": 1, "contents": [{"id": "a"}]}, [{"id": "a"}]),
        ([{"id": "a"}, {"id": "b"}], [{"id": "a"}, {"id": "b"}]),
        ({"id": "a", "name": "One"}, [{"id": "a", "name": "One"}]),
    ],
)
def test_a_feed_is_a_page_a_list_or_one_service(tmp_path, document, expected):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(document))

    assert read_feed(path) == expected


@pytest.mark.parametrize("text", ["{not json", '{"hello": "world"}', '"a string"'])
def test_a_file_that_is_no_feed_is_refused_clearly(app, needs, tmp_path, text):
    path = tmp_path / "feed.json"
    path.write_text(text)

    with pytest.raises(FeedError):
        read_feed(path)
    result = app.test_cli_runner().invoke(args=["directory", "import", str(path)])
    assert result.exit_code == 1
    assert "Error:" in result.output


def test_the_importer_returns_its_summary(app, needs):
    mapping = load_mapping(None, NEEDS)

    summary = import_services([feed_service(1), {"name": "No id"}], mapping)

    assert (summary.created, len(summary.skipped)) == (1, 1)
    assert summary.skipped[0].reason == "no id"
    assert summary.organisations_created == ["Northside Community Trust"]


def test_a_5000_service_feed_imports_with_a_progress_bar_and_a_summary(app, places, tmp_path):
    organisations = [
        {"id": str(UUID(int=10**6 + n)), "name": f"Organisation {n}", "description": ""}
        for n in range(50)
    ]
    terms = ["Food banks", "Debt advice", "Befriending", "Counselling", "Parenting"]
    feed = [
        feed_service(
            n,
            organisations[n % 50],
            organization_id=organisations[n % 50]["id"],
            attributes=[term(terms[n % 5]), term(terms[(n + 1) % 5])],
            service_areas=[{"id": str(uuid4()), "name": ("Northside", "Southside")[n % 2]}],
            minimum_age=n % 30,
            email=f"service{n}@example.org",
            phones=[{"id": str(uuid4()), "number": f"0161 {n:06d}"}],
            url=f"https://example.org/services/{n}",
        )
        for n in range(5000)
    ]

    result = run_import(app, tmp_path, feed)

    assert result.exit_code == 0, result.output
    assert "5000/5000" in result.stderr
    assert "Created 5000, updated 0, unchanged 0, skipped 0 services." in result.output
    assert "Created 50 organisations:" in result.output
    assert count(Service) == 5000
