"""The partnership's clock: the one place that says what time it is and what day it is.

A partnership works in UK time, whatever the server's zone. Every page, the API, the
dashboards, the overdue rule and the demo data ask here, so they agree at midnight and
across the clock changes, and tests pin time in one way (time-machine moves
`datetime.now`, which `now()` reads).
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now() -> datetime:
    """This instant, timezone-aware in UTC (how every moment is stored)."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the UK."""
    return uk_date(now())


def uk_time(moment: datetime) -> datetime:
    """A stored moment as UK wall-clock time."""
    return moment.astimezone(LONDON)


def uk_date(moment: datetime) -> date:
    """The UK date on which a moment falls."""
    return moment.astimezone(LONDON).date()


def start_of_day(day: date) -> datetime:
    """Midnight UK time at the start of a day (23 or 25 hours from the next at a clock change)."""
    return datetime.combine(day, time(), tzinfo=LONDON)


def at(day: date, wall_clock: time) -> datetime:
    """A UK wall-clock time on a day, as an aware moment."""
    return datetime.combine(day, wall_clock, tzinfo=LONDON)
