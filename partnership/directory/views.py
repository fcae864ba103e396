"""The service directory: search, eligibility and suggestions, for every signed-in user."""

from typing import Any

from flask import Blueprint, make_response, render_template, request, url_for
from sqlalchemy import select

from partnership.access import requires_role
from partnership.directory.forms import DirectoryForm
from partnership.directory.search import ResultsPage, find_services
from partnership.directory.suggestions import suggest
from partnership.extensions import db, htmx
from partnership.fragments import rendered, rendered_once
from partnership.models import NeedCategory, Neighbourhood, Role

directory = Blueprint("directory", __name__, url_prefix="/directory")

# The region htmx swaps as filters change; only a request aimed at it gets the partial.
RESULTS_ID = "directory-results"
SUGGESTIONS_ON_PAGE = 5
FILTERS = ("words", "need", "neighbourhood", "age", "has_places")


@directory.route("")
@requires_role(*Role)
def search():
    form = DirectoryForm(request.args)
    form.set_choices(
        db.session.scalars(select(NeedCategory).order_by(NeedCategory.name)),
        db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)),
    )
    if not form.validate():
        return _with_errors(form)
    filters = form.filters()
    results = find_services(filters, request.args.get("page", 1, type=int))
    suggestions = None
    if filters.need_id and filters.neighbourhood_id and filters.age is not None:
        suggestions = suggest(
            filters.need_id, filters.neighbourhood_id, filters.age, limit=SUGGESTIONS_ON_PAGE
        )
    context = {
        "form": form,
        "filters": filters,
        "results": results,
        "pagination": _pagination(results),
        "suggestions": suggestions,
        "need_name": dict(form.need.choices).get(str(filters.need_id), ""),
        "neighbourhood_name": dict(form.neighbourhood.choices).get(
            str(filters.neighbourhood_id), ""
        ),
        "results_id": RESULTS_ID,
        "this_page": _page_url(results.number),
    }
    if htmx and htmx.target == RESULTS_ID and not htmx.history_restore_request:
        response = make_response(render_template("partials/directory-results.html", **context))
    else:
        context["filter_form"] = _filter_form(form)
        response = make_response(render_template("views/directory/search.html", **context))
    # Same URL, two bodies: caches must keep them apart.
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def _with_errors(form: DirectoryForm):
    """A filter that cannot be used is a form error, and nothing is searched until it is
    put right: a search that quietly left it out would show services that do not fit.

    The whole page comes back, error summary first. htmx, which asked for the results
    alone, is told to put the page's main content in place of its own instead, so the
    summary and the field's message both show (and the summary takes focus).
    """
    context = {"form": form, "results_id": RESULTS_ID}
    context["filter_form"] = _filter_form(form)
    response = make_response(render_template("views/directory/search.html", **context))
    if htmx:
        response.headers.update(
            {
                "HX-Retarget": "#main-content",
                "HX-Reswap": "outerHTML",
                "HX-Reselect": "#main-content",
            }
        )
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def _filter_form(form: DirectoryForm):
    """The filters as typed, with any errors: everything they show follows from the
    filters in the address and the needs and neighbourhoods on offer, so the rendering is
    kept for those (the GOV.UK selects of 50 neighbourhoods cost 10 ms a page)."""
    context = {"form": form, "results_id": RESULTS_ID}
    if form.words.data:
        # Words typed are not kept in memory: they could be anything, a name included.
        return rendered("partials/directory-filters.html", **context)
    key = (
        tuple((name, tuple(request.args.getlist(name))) for name in FILTERS),
        tuple(form.need.choices),
        tuple(form.neighbourhood.choices),
    )
    return rendered_once(key, "partials/directory-filters.html", **context)


def _page_url(number: int) -> str:
    """This search's URL at another page: only the filters are kept, nothing else sent."""
    args: dict[str, Any] = {
        key: request.args.getlist(key) for key in FILTERS if key in request.args
    }
    return url_for("directory.search", **args, page=number)


def _pagination(results: ResultsPage) -> dict:
    """GOV.UK pagination: first, last, and the pages either side of this one."""
    current, last = results.number, results.pages
    shown = sorted({1, last, current - 1, current, current + 1} & set(range(1, last + 1)))
    items: list[dict[str, object]] = []
    previous = 0
    for number in shown:
        if number > previous + 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": _page_url(number), "current": number == current})
        previous = number
    return {
        "items": items,
        "previous": {"href": _page_url(current - 1)} if current > 1 else None,
        "next": {"href": _page_url(current + 1)} if current < last else None,
        "attributes": {
            "hx-boost": "true",
            "hx-target": f"#{RESULTS_ID}",
            "hx-push-url": "true",
        },
    }
