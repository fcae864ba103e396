"""What every form in the product shares, and where a page's back link goes."""

from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm

# People in the partnership read and type dates and times as they are in England.


def strip(value: str | None) -> str | None:
    """A WTForms filter: pasted text often carries stray spaces, which are never meant."""
    return value.strip() if isinstance(value, str) else value


def local_path(value: str | None) -> str | None:
    """A `next` page only if it is on this site: never send people elsewhere after a post."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    return None if parts.scheme or parts.netloc else value


# Longer than any page of ours with its filters: anything longer was not made by a link here.
LONGEST_BACK = 2000


def passed_back() -> str | None:
    """The page in `?back=` that a link on this site put there: a local path only, so
    never elsewhere; None when there is none that can be used."""
    back = request.args.get("back")
    if back is None or len(back) > LONGEST_BACK:
        return None
    return local_path(back)


def came_from(default: str) -> str:
    """Where the page's back link goes: the page in `?back=`, else `default`. A page that
    links on with `back=` to itself passes its own on too (`passed_back`), so going back
    step by step retraces the way."""
    return passed_back() or default


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF-protected, nothing else to fill in."""
