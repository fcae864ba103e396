"""When things happen in the demo's stories: in office hours on working days (bank
holidays off), and never after now."""

import random
from datetime import UTC, date, datetime, time, timedelta

from partnership.clock import LONDON
from partnership.sample.demo.lookup import Partnership


def working_day(partnership: Partnership, day: date) -> bool:
    return day.weekday() < 5 and day not in partnership.holidays


def sending_time(partnership: Partnership, around: datetime, rng: random.Random) -> datetime | None:
    """A time in office hours on the working day of `around` or the one before, in the past."""
    day = around.astimezone(LONDON).date()
    for _ in range(10):
        if working_day(partnership, day):
            local = datetime.combine(day, time(9), tzinfo=LONDON) + timedelta(
                minutes=rng.randrange(8 * 60)
            )
            moment = local.astimezone(UTC)
            if moment < partnership.now:
                return moment
        day -= timedelta(days=1)
    return None


def later(
    partnership: Partnership, after: datetime, low_hours: float, high_hours: float, rng
) -> datetime:
    """Some hours after `after`, moved on into office hours on a working day if need be."""
    local = (after + timedelta(hours=rng.uniform(low_hours, high_hours))).astimezone(LONDON)
    if local.hour >= 17:
        local = datetime.combine(local.date() + timedelta(days=1), time(9), tzinfo=LONDON)
    elif local.hour < 9:
        local = datetime.combine(local.date(), time(9), tzinfo=LONDON)
    moved = local.hour == 9 and local.minute == 0
    while not working_day(partnership, local.date()):
        local = datetime.combine(local.date() + timedelta(days=1), time(9), tzinfo=LONDON)
        moved = True
    if moved:
        local += timedelta(minutes=rng.randrange(150))
    return local.astimezone(UTC).replace(microsecond=0)
