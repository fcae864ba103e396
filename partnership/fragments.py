"""Parts of pages rendered once and kept, for forms whose markup depends on a few choices.

The GOV.UK macros are the costliest part of a busy page's template: a dashboard's period
form and the inbox's filter panel took 10 to 13 ms of each request. Each depends only on
what its caller puts in `key`, so once rendered it is kept, per process, for any request
with the same key. A caller must put in the key everything the template reads.
"""

from flask import current_app, render_template
from markupsafe import Markup

KEPT = 512


def rendered(template: str, **context) -> Markup:
    """`template` rendered as markup to put in a page, kept nowhere."""
    # The output of an autoescaped template, so safe to mark as markup.
    return Markup(render_template(template, **context))  # noqa: S704


def rendered_once(key: tuple, template: str, **context) -> Markup:
    """`template` rendered with `context`, or the same rendering kept from before."""
    kept = current_app.extensions.setdefault("rendered_fragments", {})
    full_key = (template, *key)
    found = kept.get(full_key)
    if found is None:
        if len(kept) >= KEPT:
            kept.clear()
        found = kept[full_key] = rendered(template, **context)
    return found
