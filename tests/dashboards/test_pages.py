"""The dashboard pages, their CSV files and counters: who may see them, what they show,
and what they never show."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest

from partnership import clock
from partnership.extensions import db
from partnership.models import DeclineReason, Role, User
from tests import factories
from tests.conftest import sign_in_as
from tests.dashboards.conftest import (
    ELSEWHERE,
    MESSAGE,
    NO_SERVICE,
    NORTHSIDE,
    NOTE,
    RESIDENT_NAMES,
    SUMMARY,
    Made,
    S,
    accepted,
    expected_headline,
    make_referrals,
    table_rows,
    text,
)

TABLES = (
    "weekly-trend",
    "demand-by-need",
    "receiving-sector",
    "busiest-services",
    "unmet-need",
    "capacity-now",
    "neighbourhoods",
)


def page_of(northside) -> str:
    return f"/neighbourhoods/{northside.north.id}/dashboard"


def addresses(neighbourhood_id: int) -> list[str]:
    base = f"/neighbourhoods/{neighbourhood_id}/dashboard"
    return [base, f"{base}/counters"] + [f"{base}/{table}.csv" for table in TABLES]


def counters(page: str) -> dict[str, str]:
    """The headline counters by name, as shown."""
    return {
        name: " ".join(html.unescape(value).split())
        for name, value in re.findall(r'data-figure="([a-z_]+)">([^<]*)<', page)
    }


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def southside_lead(partnership, password_hash):
    lead = User(
        email="south.lead@example.org",
        name="Sol Lead",
        organisation=partnership.council,
        role=Role.LEAD,
        password_hash=password_hash,
        neighbourhoods=[partnership.south],
    )
    db.session.add(lead)
    db.session.commit()
    return lead


# Who may see a dashboard


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR])
def test_caseworkers_and_coordinators_get_404_everywhere(northside, as_role, role):
    client = as_role(role)
    for address in addresses(northside.north.id) + ["/dashboards"]:
        assert client.get(address).status_code == 404, address


def test_a_lead_of_another_neighbourhood_gets_404_everywhere(northside, southside_lead, client):
    sign_in_as(client, southside_lead)
    for address in addresses(northside.north.id):
        assert client.get(address).status_code == 404, address
        # Even with a period that is wrong: access is checked first.
        assert client.get(address + "?weeks=7").status_code == 404, address
    assert client.get(f"/neighbourhoods/{northside.south.id}/dashboard").status_code == 200


def test_signed_out_people_are_sent_to_sign_in(northside, client):
    for address in addresses(northside.north.id):
        response = client.get(address)
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


def test_an_admin_sees_every_neighbourhood(northside, admin_client):
    for neighbourhood in (northside.north, northside.south):
        for address in addresses(neighbourhood.id):
            assert admin_client.get(address).status_code == 200, address
    assert admin_client.get("/neighbourhoods/999999/dashboard").status_code == 404
    index = text(admin_client.get("/dashboards"))
    assert "Northside" in index and "Southside" in index


def test_a_lead_with_one_neighbourhood_goes_straight_to_it(northside, lead_client):
    response = lead_client.get("/dashboards")
    assert response.status_code == 302
    assert response.headers["Location"] == page_of(northside)


def test_a_lead_with_two_neighbourhoods_chooses(northside, lead_client):
    northside.users[Role.LEAD].neighbourhoods = [northside.north, northside.south]
    page = lead_client.get("/dashboards").get_data(as_text=True)
    assert f'href="{page_of(northside)}"' in page
    assert f'href="/neighbourhoods/{northside.south.id}/dashboard"' in page


# What it shows


def test_the_lead_sees_the_headline_figures_worked_out_from_the_referrals(northside, lead_client):
    expected = expected_headline(NORTHSIDE + ELSEWHERE, NO_SERVICE)
    page = lead_client.get(page_of(northside)).get_data(as_text=True)
    rate = round(100 * expected.accepted / (expected.accepted + expected.declined))
    assert counters(page) == {
        "made": str(expected.made),
        "accepted": str(expected.accepted),
        "declined": str(expected.declined),
        "completed": str(expected.completed),
        "acceptance_rate": f"{rate}%",
        "median_days_to_accept": f"{expected.days_to_accept:.1f}",
        "median_days_to_complete": f"{expected.days_to_complete:.1f}",
        "overdue_now": "<5",  # 2
        "unmet_need": str(expected.declined_for_capacity + expected.no_suitable_service),
    }
    assert "the last 12 weeks" in text(lead_client.get(page_of(northside)))


def test_small_parts_and_the_next_smallest_are_withheld_on_the_page(northside, lead_client):
    page = lead_client.get(page_of(northside)).get_data(as_text=True)
    # Food 13, housing 8, money 1: the 1 is withheld, and the 8 with it, or 22 - 13 would
    # give the 1 away.
    assert table_rows(page, "table-demand-by-need")[1:] == [
        ["Food", "13"],
        ["Housing", "<5"],
        ["Money and debt", "<5"],
        ["All needs", "22"],
    ]
    # NHS 1, council 8, VCSE 13: the same, and the shares follow their counts.
    assert table_rows(page, "table-receiving-sector")[1:] == [
        ["NHS", "<5", "<5"],
        ["Council", "<5", "<5"],
        ["Voluntary, community and social enterprise", "13", "59%"],
        ["Other", "0", "0%"],
        ["All sectors", "22", ""],
    ]


def _no_line_gives_one_away(rows: list[list[str]]) -> None:
    """In a table with a total row, no column has exactly one "<5" (parts and total)."""
    columns = list(zip(*rows[1:], strict=True))
    for column in columns[1:]:
        assert column.count("<5") != 1, rows


def test_no_total_on_the_page_gives_a_withheld_part_away(northside, lead_client):
    page = lead_client.get(page_of(northside)).get_data(as_text=True)
    for table in ("weekly-trend", "demand-by-need", "busiest-services", "unmet-need"):
        _no_line_gives_one_away(table_rows(page, f"table-{table}"))
    for row in table_rows(page, "table-unmet-need")[1:]:
        assert row[1:].count("<5") != 1, row


@pytest.fixture
def rate_hides_a_small_count(partnership):
    """Ten referrals accepted, two declined: an acceptance rate of 83% would give the 2 away."""
    made = [accepted(20 + n, "food", "parcels", 1) for n in range(10)] + [
        Made(15, "food", "parcels", S.REJECTED, decline_reason=DeclineReason.NOT_ELIGIBLE),
        Made(16, "food", "parcels", S.REJECTED, decline_reason=DeclineReason.NOT_ELIGIBLE),
    ]
    service = factories.service(partnership.pantry, name="Food parcels", places=3)
    make_referrals(partnership, made, {"parcels": service}, {"food": factories.need("food")})
    db.session.commit()
    return partnership


def test_a_rate_that_would_reveal_a_small_count_is_withheld_on_page_and_csv(
    rate_hides_a_small_count, lead_client
):
    north = rate_hides_a_small_count.north.id
    page = lead_client.get(f"/neighbourhoods/{north}/dashboard").get_data(as_text=True)
    figures = counters(page)
    assert (figures["made"], figures["accepted"], figures["declined"]) == ("12", "10", "<5")
    assert figures["acceptance_rate"] == "<5"
    assert "83%" not in page
    rows = csv_rows(lead_client.get(f"/neighbourhoods/{north}/dashboard/neighbourhoods.csv"))
    assert rows[0][:6] == [
        "Neighbourhood",
        "Referrals made",
        "Accepted",
        "Declined",
        "Completed",
        "Acceptance rate (%)",
    ]
    assert rows[1][:6] == ["Northside", "12", "10", "<5", "0", "<5"]


def test_csv_files_hold_the_page_tables_withheld_the_same_way(northside, lead_client):
    page = lead_client.get(page_of(northside)).get_data(as_text=True)
    for table in TABLES:
        response = lead_client.get(f"{page_of(northside)}/{table}.csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"northside-{table}-" in disposition
        shown = table_rows(page, f"table-{table}")
        if table == "neighbourhoods":  # shown in two parts, side by side in the CSV file
            more = table_rows(page, "table-neighbourhoods-2")
            shown = [row + extra[1:] for row, extra in zip(shown, more, strict=True)]
        rows = csv_rows(response)
        assert len(rows) == len(shown)
        assert [row.count("<5") for row in rows] == [row.count("<5") for row in shown], table
    need = csv_rows(lead_client.get(f"{page_of(northside)}/demand-by-need.csv"))
    assert need == [
        ["Need", "Referrals made"],
        ["Food", "13"],
        ["Housing", "<5"],
        ["Money and debt", "<5"],
        ["All needs", "22"],
    ]


def test_an_unknown_table_is_404(northside, lead_client):
    assert lead_client.get(f"{page_of(northside)}/residents.csv").status_code == 404


def test_the_counters_come_alone_and_match_the_page(northside, lead_client):
    page = lead_client.get(page_of(northside) + "?weeks=4").get_data(as_text=True)
    response = lead_client.get(page_of(northside) + "/counters?weeks=4")
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="dashboard-counters"')
    assert "<html" not in fragment
    for group in ("referrals", "replies", "waiting"):
        assert f'id="dashboard-counters-{group}"' in fragment
        assert f'id="dashboard-counters-{group}"' in page
    assert counters(fragment) == counters(page)


def test_the_comparison_links_only_the_dashboards_the_lead_may_open(northside, lead_client):
    page = lead_client.get(page_of(northside)).get_data(as_text=True)
    rows = table_rows(page, "table-neighbourhoods")
    assert [row[0] for row in rows[1:]] == ["Northside (this neighbourhood)", "Southside"]
    assert f'href="/neighbourhoods/{northside.south.id}/dashboard' not in page


# Periods


def test_a_period_typed_in_gov_uk_date_inputs(northside, lead_client):
    start, end = clock.today() - timedelta(days=45), clock.today() - timedelta(days=21)
    query = {
        "weeks": "dates",
        "from-day": start.day,
        "from-month": start.month,
        "from-year": start.year,
        "to-day": end.day,
        "to-month": end.month,
        "to-year": end.year,
    }
    response = lead_client.get(page_of(northside), query_string=query)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert counters(page)["made"] == str(sum(21 <= m.days_ago <= 45 for m in NORTHSIDE))
    assert f"from={start.isoformat()}&amp;to={end.isoformat()}" in page  # the CSV links
    iso = lead_client.get(
        page_of(northside), query_string={"from": start.isoformat(), "to": end.isoformat()}
    )
    assert counters(iso.get_data(as_text=True)) == counters(page)


def _period_form(page: str) -> tuple[str | None, dict[str, str]]:
    """The recent-weeks choice checked, and the values in the date inputs."""
    checked = re.search(r'<input[^>]*name="weeks"[^>]*value="(\d+)"[^>]*checked', page)
    dates = dict(re.findall(r'name="((?:from|to)-(?:day|month|year))"[^>]*value="([^"]*)"', page))
    return (checked.group(1) if checked else None), dates


def test_the_period_form_always_shows_the_period_chosen(northside, lead_client, admin_client):
    """The form is kept once rendered: each choice, neighbourhood and error still gets its
    own."""
    for weeks in ("4", "52", "4", "12"):
        page = lead_client.get(page_of(northside), query_string={"weeks": weeks}).get_data(
            as_text=True
        )
        assert _period_form(page) == (weeks, {})
    start = clock.today() - timedelta(days=30)
    query = {"from": start.isoformat(), "to": clock.today().isoformat()}
    page = lead_client.get(page_of(northside), query_string=query).get_data(as_text=True)
    assert _period_form(page) == (
        None,
        {
            "from-day": str(start.day),
            "from-month": str(start.month),
            "from-year": str(start.year),
            "to-day": str(clock.today().day),
            "to-month": str(clock.today().month),
            "to-year": str(clock.today().year),
        },
    )
    wrong = lead_client.get(page_of(northside), query_string={"from": "2026-02-30"})
    wrong = wrong.get_data(as_text=True)
    assert "The start date must be a real date" in wrong and "govuk-input--error" in wrong
    south = f"/neighbourhoods/{northside.south.id}/dashboard"
    page = admin_client.get(south, query_string={"weeks": "4"}).get_data(as_text=True)
    assert f'action="{south}"' in page and _period_form(page) == ("4", {})


def test_a_nul_in_the_period_is_refused_before_the_dashboard_reads_it(northside, lead_client):
    query = {"from": "2026-01-01\x00", "to": "2026-03-01"}
    response = lead_client.get(page_of(northside), query_string=query)
    assert response.status_code == 400
    assert "Your request could not be used" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        {"weeks": "5"},
        {"weeks": "dates"},
        {"weeks": "dates", "from-day": "31", "from-month": "2", "from-year": "2026"},
        {"weeks": "dates", "from-day": "x", "from-month": "2", "from-year": "2026"},
        {"weeks": "dates", "from-day": "1", "from-month": "1", "from-year": "99999"},
        {"from": "2026-02-30", "to": "2026-03-01"},
        {"from": "yesterday", "to": "2026-03-01"},
        {"from": "1999-12-31", "to": "2026-03-01"},
        {"from": "2026-03-01", "to": "2026-01-01"},
        {"from": "2020-01-01", "to": "2026-03-01"},
        {"from": "2026-01-01", "to": "2999-01-01"},
        {"from": "0001-01-01"},
        {"to": "2026-13-01"},
    ],
)
def test_a_wrong_period_is_explained_and_never_a_server_error(northside, lead_client, query):
    response = lead_client.get(page_of(northside), query_string=query)
    assert response.status_code == 200  # the page again, as for any form with errors
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "govuk-error-summary" in page
    assert 'data-figure="made"' not in page
    for address in (f"{page_of(northside)}/counters", f"{page_of(northside)}/weekly-trend.csv"):
        assert lead_client.get(address, query_string=query).status_code == 400


# Never personal data


def test_no_personal_data_or_free_text_anywhere(northside, lead_client, admin_client):
    forbidden = [*RESIDENT_NAMES, SUMMARY, NOTE, MESSAGE, "Casey Worker", "REF-TEST", "1950"]
    for client in (lead_client, admin_client):
        for address in addresses(northside.north.id):
            body = client.get(address).get_data(as_text=True)
            for words in forbidden:
                assert words not in body, (address, words)


# Charts


def test_every_chart_has_a_title_a_description_and_its_table_beside_it(northside, lead_client):
    page = lead_client.get(page_of(northside)).get_data(as_text=True)
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(charts) == 6
    for table in TABLES[:-1]:
        section = re.search(rf'<section[^>]*id="section-{table}".*?</section>', page, flags=re.S)
        svg = re.search(r"<svg ([^>]*)>(.*?)</svg>", section.group(0), flags=re.S)
        attributes, body = svg.groups()
        assert 'role="img"' in attributes
        title, desc = re.search(r'aria-labelledby="([^"]+) ([^"]+)"', attributes).groups()
        assert re.search(rf'<title id="{title}">[^<]+</title>', body)
        assert re.search(rf'<desc id="{desc}">[^<]+</desc>', body)
        assert f'id="table-{table}"' in section.group(0)
    # Withheld figures are drawn as a marked gap labelled "<5", and said so in words.
    need = re.search(r'<svg [^>]*aria-labelledby="chart-demand-by-need.*?</svg>', page, re.S)
    assert "&lt;5</text>" in need.group(0)
    assert "Housing: fewer than 5 (withheld)" in need.group(0)
    assert 'stroke-dasharray="3 2"' in need.group(0)


def test_the_page_has_no_inline_styles_or_scripts(northside, lead_client):
    page = lead_client.get(page_of(northside)).get_data(as_text=True)
    assert " style=" not in page
    assert "<style" not in page
    for script in re.findall(r"<script[^>]*>", page):
        assert "src=" in script or "nonce=" in script
