"""The period a dashboard covers: the last 4, 12 or 52 weeks, or two dates.

Dates are UK dates (the partnership's own days); a period runs from the start of its first
day to the end of its last, and its weeks start on the period's first day.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from partnership import clock
from partnership.inputs import whole_number

WEEK_CHOICES = (4, 12, 52)
DEFAULT_WEEKS = 12
EARLIEST = date(2000, 1, 1)
LONGEST = timedelta(days=731)  # two years, so that a weekly chart stays readable
DATE_FIELDS = ("from", "to")
FIELD_WORDS = {"from": "start date", "to": "end date"}


def long_date(day: date) -> str:
    """ "3 March 2026"."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    # Set when chosen as "the last N weeks", so links keep moving with today.
    weeks: int | None = None

    @property
    def starts_at(self) -> datetime:
        return clock.start_of_day(self.start)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period."""
        return clock.start_of_day(self.end + timedelta(days=1))

    def week_starts(self) -> list[date]:
        """The first day of each week; the last week may be shorter than seven days."""
        days = (self.end - self.start).days + 1
        return [self.start + timedelta(days=7 * n) for n in range((days + 6) // 7)]

    def week_boundaries(self) -> list[datetime]:
        """Where each week after the first begins, as moments (UK midnights)."""
        return [clock.start_of_day(day) for day in self.week_starts()[1:]]

    @property
    def words(self) -> str:
        dates = f"{long_date(self.start)} to {long_date(self.end)}"
        return f"the last {self.weeks} weeks ({dates})" if self.weeks else dates

    def args(self) -> dict[str, str]:
        """The query string that asks for this period again."""
        if self.weeks:
            return {"weeks": str(self.weeks)}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def last_weeks(weeks: int, on: date | None = None) -> Period:
    end = on or clock.today()
    return Period(end - timedelta(days=7 * weeks - 1), end, weeks)


class PeriodError(ValueError):
    """A period the rules refuse; `errors` says why, in words, by field (weeks, from, to)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _number(text: str) -> int | None:
    text = text.strip()
    return whole_number(text) if len(text) <= 4 else None


def iso_date(text: str) -> date | None:
    """A date written YYYY-MM-DD, or None for anything else."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _typed_date(field: str, args: Mapping[str, str]) -> date:
    """One date, typed as ISO (from=2026-01-31) or in GOV.UK date inputs (from-day …)."""
    words = FIELD_WORDS[field]
    iso = (args.get(field) or "").strip()
    parts = [(args.get(f"{field}-{part}") or "") for part in ("day", "month", "year")]
    if iso:
        if (typed := iso_date(iso)) is None:
            raise PeriodError({field: f"The {words} must be a real date, like 2026-03-31"})
        return typed
    if not any(part.strip() for part in parts):
        raise PeriodError({field: f"Enter the {words}"})
    day, month, year = (_number(part) for part in parts)
    if day is None or month is None or year is None:
        raise PeriodError({field: f"The {words} must include a day, month and year as numbers"})
    try:
        return date(year, month, day)
    except ValueError:
        raise PeriodError({field: f"The {words} must be a real date"}) from None


def between(args: Mapping[str, str], on: date | None = None) -> Period:
    """A period between two typed dates, checked: real dates, in order, not in the future."""
    on = on or clock.today()
    errors, dates = {}, {}
    for field in DATE_FIELDS:
        try:
            dates[field] = _typed_date(field, args)
        except PeriodError as error:
            errors.update(error.errors)
    for field, day in dates.items():
        if day < EARLIEST:
            errors[field] = f"The {FIELD_WORDS[field]} must be in {EARLIEST.year} or later"
        elif day > on:
            errors[field] = f"The {FIELD_WORDS[field]} must be today or in the past"
    if not errors and dates["from"] > dates["to"]:
        errors["to"] = "The end date must be the same as or after the start date"
    if not errors and dates["to"] - dates["from"] >= LONGEST:
        errors["to"] = "The period must be 2 years or shorter"
    if errors:
        raise PeriodError(errors)
    return Period(dates["from"], dates["to"])


def requested(args: Mapping[str, str], on: date | None = None) -> Period:
    """The period a dashboard address asks for: `weeks` of 4, 12 or 52; or dates, as
    `weeks=dates` with GOV.UK date inputs, or as ISO `from` and `to`; by default the last
    12 weeks."""
    weeks = (args.get("weeks") or "").strip()
    if weeks in {str(choice) for choice in WEEK_CHOICES}:
        return last_weeks(int(weeks), on)
    if weeks == "dates" or (not weeks and any(args.get(field) for field in DATE_FIELDS)):
        return between(args, on)
    if weeks:
        raise PeriodError({"weeks": "Choose the last 4, 12 or 52 weeks, or dates"})
    return last_weeks(DEFAULT_WEEKS, on)


def from_to(start: str | None, end: str | None, on: date | None = None) -> Period:
    """The API's period: ISO `from` and `to`. Without `to`, up to today; without `from`,
    the 12 weeks up to `to`; without either, the last 12 weeks."""
    on = on or clock.today()
    if not start and not end:
        return last_weeks(DEFAULT_WEEKS, on)
    args = {"from": start or "", "to": end or on.isoformat()}
    if not start:
        last = iso_date(args["to"])
        # With a wrong `to`, that is the only problem to report.
        args["from"] = (last - timedelta(days=7 * DEFAULT_WEEKS - 1) if last else on).isoformat()
    return between(args, on)
