"""England and Wales bank holidays, kept by administrators so that overdue referrals are
counted in working days (partnership.referrals.overdue reads them)."""

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from partnership.extensions import db
from partnership.inputs import whole_number
from partnership.models import BankHoliday

MAX_NAME = 120
# Far enough either way for any referral the partnership will hold.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


class HolidayError(ValueError):
    """A bank holiday the rules refuse; `errors` says why, in words, by field (date, name)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Year:
    year: int
    holidays: list[BankHoliday]


def holidays_by_year() -> list[Year]:
    """Every bank holiday, grouped by year, in date order."""
    holidays = db.session.scalars(select(BankHoliday).order_by(BankHoliday.day))
    return [Year(year, list(days)) for year, days in groupby(holidays, key=lambda h: h.day.year)]


def _number(text: str) -> int | None:
    text = (text or "").strip()
    return whole_number(text)


def check_holiday(day: str, month: str, year: str, name: str) -> tuple[date, str]:
    """A date typed as day, month and year, and a name; raise HolidayError listing problems."""
    errors = {}
    day_number, month_number, year_number = _number(day), _number(month), _number(year)
    checked = None
    if not any((part or "").strip() for part in (day, month, year)):
        errors["date"] = "Enter the date of the bank holiday"
    elif day_number is None or month_number is None or year_number is None:
        errors["date"] = "The date must include a day, month and year as numbers"
    else:
        try:
            checked = date(year_number, month_number, day_number)
        except ValueError:
            errors["date"] = "The date must be a real date"
        else:
            if not EARLIEST_YEAR <= checked.year <= LATEST_YEAR:
                errors["date"] = f"The year must be between {EARLIEST_YEAR} and {LATEST_YEAR}"
    name = (name or "").strip()
    if not name:
        errors["name"] = "Enter the name of the bank holiday"
    elif len(name) > MAX_NAME:
        errors["name"] = f"The name must be {MAX_NAME} characters or fewer"
    if errors or checked is None:
        raise HolidayError(errors)
    return checked, name


def add_bank_holiday(day: date, name: str) -> BankHoliday:
    """Add a bank holiday in the caller's transaction; a date already listed is refused."""
    if existing := db.session.get(BankHoliday, day):
        raise HolidayError({"date": f"{long_date(day)} is already a bank holiday: {existing.name}"})
    holiday = BankHoliday(day=day, name=name)
    try:
        with db.session.begin_nested():
            db.session.add(holiday)
    except IntegrityError:
        # Someone else added the same day at the same moment.
        raise HolidayError({"date": f"{long_date(day)} is already a bank holiday"}) from None
    return holiday


def remove_bank_holiday(day: date) -> BankHoliday | None:
    """Remove the bank holiday on `day` in the caller's transaction; None if there is none."""
    holiday = db.session.get(BankHoliday, day)
    if holiday is not None:
        db.session.delete(holiday)
    return holiday


def long_date(day: date) -> str:
    """ "Friday 3 April 2026" """
    return f"{day:%A} {day.day} {day:%B %Y}"
