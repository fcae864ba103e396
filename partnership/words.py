"""Times and counts in the words people use, in the partnership's own time zone."""

from datetime import datetime

from partnership.clock import LONDON


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def time_since(moment: datetime, now: datetime) -> str:
    """ "just now", "5 minutes ago", "2 hours ago", "3 days ago"."""
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{plural(seconds // 60, 'minute')} ago"
    if seconds < 86400:
        return f"{plural(seconds // 3600, 'hour')} ago"
    return f"{plural(seconds // 86400, 'day')} ago"


def day_words(moment: datetime) -> str:
    """ "3 March 2026", the UK date of a moment."""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y}"


def local_time(moment: datetime | None) -> str:
    """ "3 March 2026 at 2:05pm", in the partnership's own time zone."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{day_words(moment)} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
