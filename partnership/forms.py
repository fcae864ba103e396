"""What every form in the product shares."""

from urllib.parse import urlsplit

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


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF-protected, nothing else to fill in."""
