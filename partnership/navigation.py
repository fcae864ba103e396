"""Service navigation, by role: what each role works with, in the order they use it."""

from flask import current_app, url_for
from markupsafe import Markup

from partnership.auth.two_step import must_set_up
from partnership.models import Role


def _items_for(user) -> list[tuple[str, str, Markup | None]]:
    items: list[tuple[str, str, Markup | None]] = [("Home", url_for("main.home"), None)]
    if user.has_role(Role.CASEWORKER):  # caseworkers and coordinators
        items += [
            ("Make a referral", url_for("making.start"), None),
            ("Inbox", url_for("boxes.inbox"), None),
            ("Outbox", url_for("boxes.outbox"), None),
        ]
        # Rendered directly: render_template would run the context processor that called us.
        template = current_app.jinja_env.get_template("partials/notification-badge.html")
        badge = Markup(template.render(current_user=user))  # noqa: S704 (autoescaped template)
        items.append(
            ("Notifications", url_for("boxes.notifications"), Markup("Notifications ") + badge)
        )
    if user.has_role(Role.COORDINATOR):
        items.append(("Your services", url_for("services.mine"), None))
    if user.role in (Role.LEAD, Role.ADMIN):
        items.append(("Dashboards", url_for("dashboards.index"), None))
    if user.role is not Role.ADMIN:
        items.append(("Directory", url_for("directory.search"), None))
    if user.has_role(Role.ADMIN):
        items += [
            ("Neighbourhoods", url_for("admin.neighbourhoods"), None),
            ("Organisations", url_for("admin.organisations"), None),
            ("Users", url_for("admin.users"), None),
            ("Needs", url_for("admin.needs"), None),
            ("Bank holidays", url_for("admin.bank_holidays"), None),
            ("Access log", url_for("admin.access_log"), None),
        ]
    return items


def navigation_for(user, path: str) -> list[dict]:
    """Items for GOV.UK service navigation.

    "current" marks the page itself (aria-current="page"); "active" a page within the area.
    """
    if not user.is_authenticated or user.must_change_password or must_set_up(user):
        return []
    home = url_for("main.home")
    navigation = []
    for text, href, html in _items_for(user):
        item = {
            "text": text,
            "href": href,
            "current": path == href,
            "active": href != home and path.startswith(href + "/"),
        }
        if html:
            item["html"] = html
        navigation.append(item)
    return navigation
