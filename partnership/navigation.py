"""Service navigation, by role."""

from flask import url_for

from partnership.models import Role


def navigation_for(user, path: str) -> list[dict]:
    """Items for GOV.UK service navigation: what this user's role works with."""
    if not user.is_authenticated or user.must_change_password:
        return []
    items = [("Home", url_for("main.home")), ("Directory", url_for("directory.search"))]
    if user.has_role(Role.COORDINATOR):
        items.append(("Your services", url_for("services.mine")))
    if user.has_role(Role.ADMIN):
        items += [
            ("Neighbourhoods", url_for("admin.neighbourhoods")),
            ("Organisations", url_for("admin.organisations")),
            ("Users", url_for("admin.users")),
            ("Needs", url_for("admin.needs")),
        ]
    home = url_for("main.home")
    # "current" marks the page itself (aria-current="page"); "active" a page within the area.
    return [
        {
            "text": text,
            "href": href,
            "current": path == href,
            "active": href != home and path.startswith(href + "/"),
        }
        for text, href in items
    ]
