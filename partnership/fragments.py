"""Parts of pages rendered once and kept, for forms whose markup depends on a few choices.

The GOV.UK macros are the costliest part of a busy page's template: a dashboard's period
form and the inbox's filter panel took 10 to 13 ms of each request. Each depends only on
what its caller puts in `key`, so once rendered it is kept in the shared cache
(partnership/cache.py) for any request with the same key. A caller must put in the key
everything the template reads, and never anything a person typed freely.
"""

from flask import render_template
from markupsafe import Markup

from partnership import cache


def rendered(template: str, **context) -> Markup:
    """`template` rendered as markup to put in a page, kept nowhere."""
    # The output of an autoescaped template, so safe to mark as markup.
    return Markup(render_template(template, **context))  # noqa: S704


def rendered_once(key: tuple, template: str, **context) -> Markup:
    """`template` rendered with `context`, or the same rendering kept from before."""
    return cache.kept_fragment((template, *key), lambda: rendered(template, **context))
