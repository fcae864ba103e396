"""The directory page: who may use it, htmx and plain requests, and values it cannot use."""

import re

import pytest

from partnership.extensions import cache
from partnership.models import Role
from tests.directory.conftest import page_text, result_names

HTMX = {"HX-Request": "true", "HX-Target": "directory-results"}


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_search_the_directory(as_role, directory, make_service, role):
    make_service("Food Bank")

    response = as_role(role).get("/directory")

    assert "<title>Find a service" in page_text(response)
    assert result_names(response) == ["Food Bank"]


def test_a_signed_out_visitor_is_sent_to_sign_in(client, directory):
    response = client.get("/directory?words=food")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_without_javascript_the_filters_are_an_ordinary_get_form_on_the_whole_page(
    caseworker_client, directory
):
    page = page_text(caseworker_client.get("/directory"))

    form = re.search(r"<form [^>]*role=\"search\"[^>]*>", page, re.DOTALL).group(0)
    assert 'method="get"' in form
    assert 'action="/directory"' in form
    for name in ("words", "need", "neighbourhood", "age", "has_places"):
        assert f'name="{name}"' in page
    assert '<div id="directory-results"' in page
    assert "govuk-footer" in page


def test_with_htmx_the_form_narrows_the_results_as_filters_change(caseworker_client, directory):
    page = page_text(caseworker_client.get("/directory"))

    form = re.search(r"<form [^>]*role=\"search\"[^>]*>", page, re.DOTALL).group(0)
    assert 'hx-get="/directory"' in form
    assert 'hx-target="#directory-results"' in form
    assert 'hx-push-url="true"' in form
    trigger = re.search(r'hx-trigger="([^"]+)"', form).group(1)
    assert "change" in trigger
    assert re.search(r"keyup changed delay:\d+ms from:#words", trigger)


def test_an_htmx_request_for_the_results_gets_only_the_results(
    caseworker_client, directory, make_service
):
    make_service("Food Bank")
    make_service("Housing Advice", needs=[directory.housing])

    response = caseworker_client.get(f"/directory?need={directory.food.id}", headers=HTMX)

    page = page_text(response)
    assert result_names(response) == ["Food Bank"]
    assert "<html" not in page
    assert "<form" not in page
    assert "HX-Request" in response.headers["Vary"]


def test_a_request_from_htmx_aimed_elsewhere_or_restoring_history_gets_the_whole_page(
    caseworker_client, directory
):
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    restore = {**HTMX, "HX-History-Restore-Request": "true"}

    for headers in (boosted, restore):
        assert "<html" in page_text(caseworker_client.get("/directory", headers=headers))


def test_page_links_update_only_the_results_with_htmx(caseworker_client, directory, make_service):
    for number in range(21):
        make_service(f"Service {number:02d}")

    page = page_text(caseworker_client.get("/directory"))

    nav = re.search(r'<nav class="govuk-pagination"[^>]*>', page).group(0)
    assert 'hx-boost="true"' in nav
    assert 'hx-target="#directory-results"' in nav


def test_the_page_has_no_inline_script_or_style_of_ours(caseworker_client, directory, make_service):
    make_service("Food Bank")

    response = caseworker_client.get(f"/directory?need={directory.food.id}&age=abc")

    page = page_text(response)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page) == [f' nonce="{nonce}"']
    assert " style=" not in page
    assert "<style" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("age=abc", "Enter the resident&#39;s age as a whole number, like 70"),
        ("age=-5", "Enter the resident&#39;s age as a whole number, like 70"),
        ("age=500", "Enter an age from 0 to 120"),
        ("need=999", "Select a need from the list"),
        ("need=food", "Select a need from the list"),
        ("neighbourhood=abc", "Select a neighbourhood from the list"),
        ("words=" + "x" * 201, "Enter 200 characters or fewer"),
    ],
)
def test_a_value_that_cannot_be_used_is_a_form_error_and_nothing_is_searched(
    caseworker_client, directory, make_service, query, message
):
    """Not left out with a note: results that ignored the age would not fit the resident."""
    make_service("Youth Food Club", max_age=18)

    response = caseworker_client.get(f"/directory?{query}")

    page = page_text(response)
    assert "<title>Error: Find a service" in page
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.DOTALL).group(0)
    assert message in summary
    field = re.search(r'<p id="(\w+)-error" class="govuk-error-message">', page)
    assert field, "the field itself says what is wrong"
    assert f'href="#{field.group(1)}"' in summary
    assert result_names(response) == []
    assert "left out of the search" not in page


def test_with_htmx_a_value_that_cannot_be_used_brings_the_whole_page_with_its_errors(
    caseworker_client, directory, make_service
):
    """htmx asked for the results alone; it is told to swap the main content instead, so
    the error summary (which takes focus) and the field's message both show."""
    make_service("Youth Food Club", max_age=18)

    response = caseworker_client.get("/directory?age=old", headers=HTMX)

    page = page_text(response)
    assert response.headers["HX-Retarget"] == "#main-content"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert response.headers["HX-Reselect"] == "#main-content"
    assert '<main class="govuk-main-wrapper" id="main-content">' in page
    assert 'class="govuk-error-summary"' in page
    assert '<p id="age-error" class="govuk-error-message">' in page
    assert "Enter the resident&#39;s age as a whole number, like 70" in page
    assert result_names(response) == []


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=abc",
        "page=0",
        "page=99999999999999999999999",
        "has_places=maybe",
        "need=&neighbourhood=&age=&words=",
        "_scheme=javascript&_external=1&_anchor=x",
        "need={food}&need={housing}",
    ],
)
def test_odd_query_values_never_break_the_page(caseworker_client, directory, make_service, query):
    make_service("Food Bank")

    query = query.format(food=directory.food.id, housing=directory.housing.id)

    response = caseworker_client.get(f"/directory?{query}")

    assert result_names(response) == ["Food Bank"]
    assert "Error:" not in page_text(response)


def test_page_links_carry_only_the_filters(caseworker_client, directory, make_service):
    for number in range(21):
        make_service(f"Service {number:02d}")

    response = caseworker_client.get("/directory?words=service&_scheme=javascript&_external=1")

    page = page_text(response)
    assert 'href="/directory?words=service&amp;page=2" rel="next"' in page
    assert "_scheme" not in page


def test_the_filters_always_show_what_this_request_typed(caseworker_client, directory):
    """The filter form is kept once rendered: each set of filters still gets its own."""

    def shown(query: str) -> tuple:
        page = caseworker_client.get(f"/directory?{query}").get_data(as_text=True)
        form = re.search(r'<form method="get" action="/directory".*?</form>', page, re.S).group(0)
        selected = re.findall(r'<option value="([^"]*)" selected', form)
        age = re.search(r'<input[^>]*name="age"[^>]*>', form).group(0)
        value = re.search(r'value="([^"]*)"', age)
        return selected, value.group(1) if value else "", "govuk-input--error" in age

    food, housing = str(directory.food.id), str(directory.housing.id)
    assert shown(f"need={food}&age=40") == ([food], "40", False)
    assert shown(f"need={housing}&age=40") == ([housing], "40", False)
    assert shown("age=abc") == ([], "abc", True)
    assert shown(f"need={food}&age=40") == ([food], "40", False)


def test_words_typed_into_the_filters_are_not_kept_in_memory(app, caseworker_client, directory):
    kept = cache.cache._cache  # the in-process store: key -> (expiry, pickled value)
    caseworker_client.get("/directory?age=40")
    before = len(kept)  # the filters as chosen, kept
    page = caseworker_client.get("/directory?words=Quillfeather&age=40").get_data(as_text=True)
    assert 'value="Quillfeather"' in page
    assert before and len(kept) == before
    assert not any(
        "Quillfeather" in key or b"Quillfeather" in value for key, (_, value) in kept.items()
    )
