"""The inbox (referrals to my organisation), the outbox (referrals it sent) and notifications.

Tabs, filters, search, sorting and paging are all query parameters on ordinary links and
GET forms, so every page works without JavaScript. Lists never show personal data but for
a search's rows, which name the resident: each page of them logs a view of each resident
it shows (see partnership.referrals.queries). Query strings never reach the logs
(partnership.logs), so what was typed in a search stays out of them.
"""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from partnership.access import log_access, requires_role
from partnership.extensions import db
from partnership.fragments import rendered, rendered_once
from partnership.models import AccessAction, Role
from partnership.referrals import notifications as notes
from partnership.referrals import queries

boxes = Blueprint("boxes", __name__)

# Changing the tab, a filter or the sort starts again from page 1.
RESTARTS = {"tab", "sort", "order", "q", *queries.Filters.NAMES}
# Only these carry over into links: url_for would obey a crafted `_external` or `_scheme`.
KEPT = RESTARTS | {"page"}


@boxes.app_template_global()
def box_url(**changes) -> str:
    """This page's address with some query parameters changed (None removes one)."""
    assert request.endpoint is not None  # only the box pages' templates call this
    args: dict[str, Any] = {name: value for name, value in request.args.items() if name in KEPT}
    if RESTARTS & changes.keys():
        args.pop("page", None)
    args.update(changes)
    return url_for(request.endpoint, **{k: v for k, v in args.items() if v not in (None, "")})


@boxes.app_template_global()
def box_sort_link(box: queries.Box, key: str) -> dict:
    """A sortable column header: aria-sort for its state, and where a click takes you."""
    if box.sort.key == key:
        aria, descending = box.sort.order, not box.sort.descending
    else:
        aria, descending = "none", queries.DEFAULT_DESCENDING.get(key, False)
    order = "descending" if descending else "ascending"
    return {"aria_sort": aria, "href": box_url(sort=key, order=order)}


@boxes.app_template_global()
def box_filter_items(choices: list, chosen: str | None, anything: str, mark: str = "selected"):
    """Items for a GOV.UK select (mark="selected") or radios (mark="checked"), led by "any"."""
    return [{"value": "", "text": anything, mark: not chosen}] + [
        {"value": choice.value, "text": choice.text, mark: choice.value == chosen}
        for choice in choices
    ]


FILTER_HEADINGS = {
    "need": "Need",
    "neighbourhood": "Neighbourhood",
    "urgency": "Urgency",
    "assignee": "Assigned to",
}


def selected_filters(box: queries.Box) -> dict | None:
    """The MOJ filter's "Selected filters": each one a link that removes it."""
    assert box.choices is not None  # only the inbox has filters, and it has their choices
    chosen = box.filters.chosen()
    if not chosen:
        return None
    offered = {
        "need": box.choices.needs,
        "neighbourhood": box.choices.neighbourhoods,
        "urgency": box.choices.urgencies,
        "assignee": box.choices.assignees,
    }
    categories = []
    for name, value in chosen.items():
        text = next(choice.text for choice in offered[name] if choice.value == value)
        categories.append(
            {
                "heading": {"text": FILTER_HEADINGS[name]},
                "items": [{"text": text, "href": box_url(**{name: None})}],
            }
        )
    return {
        "heading": {"text": "Selected filters"},
        "clearLink": {"text": "Clear filters", "href": box_url(**dict.fromkeys(chosen))},
        "categories": categories,
    }


def pagination(box: queries.Box) -> dict | None:
    """GOV.UK pagination: previous and next, the first and last pages, and those nearby."""
    if box.pages <= 1:
        return None
    items: list[dict[str, object]] = []
    previous = 0
    for number in range(1, box.pages + 1):
        if number in (1, box.pages) or abs(number - box.page) <= 1:
            if number - previous > 1:
                items.append({"ellipsis": True})
            items.append(
                {"number": number, "href": box_url(page=number), "current": number == box.page}
            )
            previous = number
    return {
        "items": items,
        "previous": {"href": box_url(page=box.page - 1)} if box.page > 1 else None,
        "next": {"href": box_url(page=box.page + 1)} if box.page < box.pages else None,
    }


def filter_panel(box: queries.Box) -> Markup:
    """The inbox's filter panel, rendered once per tab, sort, choices on offer and filters
    chosen (the GOV.UK selects and radios cost 13 ms a page at scale)."""
    choices = box.choices
    assert choices is not None  # only the inbox has filters, and it has their choices
    if box.search.typed:
        # Words typed are not kept in memory: they could be anything, a name included.
        return rendered(
            "partials/box-filters.html", box=box, selected_filters=selected_filters(box)
        )
    key = (
        request.endpoint,
        # What the "selected filters" links carry over (box_url); the page never.
        tuple(sorted((k, v) for k, v in request.args.items() if k in RESTARTS)),
        box.tab.key,
        box.sort,
        box.filters,
        tuple(choices.needs),
        tuple(choices.neighbourhoods),
        tuple(choices.urgencies),
        tuple(choices.assignees),
    )
    return rendered_once(
        key, "partials/box-filters.html", box=box, selected_filters=selected_filters(box)
    )


def _shown(box: queries.Box, page: str, what: str) -> str:
    """The page, with a view logged for each resident a search shows on it, in one commit
    after rendering (as the referral page does)."""
    for resident_id in box.residents_shown:
        log_access(current_user, resident_id, AccessAction.VIEW, what)
    if box.residents_shown:
        db.session.commit()
    return page


@boxes.route("/inbox")
@requires_role(Role.CASEWORKER)
def inbox():
    box = queries.inbox(current_user, request.args)
    page = render_template(
        "views/referrals/inbox.html",
        box=box,
        pagination=pagination(box),
        filters=filter_panel(box),
    )
    return _shown(box, page, "inbox search")


@boxes.route("/outbox")
@requires_role(Role.CASEWORKER)
def outbox():
    box = queries.outbox(current_user, request.args)
    page = render_template("views/referrals/outbox.html", box=box, pagination=pagination(box))
    return _shown(box, page, "outbox search")


@boxes.route("/notifications")
@requires_role(Role.CASEWORKER)
def notifications():
    """Viewing the list marks what it shows as read."""
    latest = notes.latest_notifications(current_user)
    page = render_template("views/referrals/notifications.html", notifications=latest)
    if latest:
        notes.mark_all_seen(current_user, up_to=latest[0].event_id)
    return page


@boxes.post("/notifications")
@requires_role(Role.CASEWORKER)
def mark_notifications_read():
    notes.mark_all_seen(current_user)
    flash("All notifications are marked as read", "success")
    return redirect(url_for("boxes.notifications"))


@boxes.route("/notifications/badge")
@requires_role(Role.CASEWORKER)
def notification_badge():
    """The navigation's badge alone, fetched again when a live event arrives."""
    return render_template("partials/notification-badge.html")
